// A careful Node.js peer of sigverifyd's Verify and VerifyBatch: what a user
// could write in a day with @grpc/grpc-js and node:crypto, to compare server
// CPU per item under the same load (bench/node_peer.sh).
//
// It does what a verdict needs and caches what can be cached: each item's
// signature is verified (never cached); the signer's chain to the trust
// anchors is built and checked once per distinct chain (signature of each
// certificate, validity now) and remembered; the response carries the same
// evidence fields as sigverifyd's (signer, path, validation time, policy).
// It does not check revocation, keep an audit log, apply a policy's
// constraints or limit sizes: sigverifyd does all of these.
//
// Usage: node server.js PROTO_DIR ANCHORS_DIR HOST:PORT
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [protoArg, anchorsDir, listen] = process.argv.slice(2);
if (!listen) {
  console.error('usage: node server.js PROTO_DIR ANCHORS_DIR HOST:PORT');
  process.exit(2);
}
const protoDir = path.resolve(protoArg);

const definition = protoLoader.loadSync(path.join(protoDir, 'sigverify/v1/verification.proto'), {
  includeDirs: [protoDir],
  keepCase: true,
  enums: String,
  longs: String,
  defaults: false,
  oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).sigverify.v1;

// The trust anchors, and what a response says of a certificate.
const anchors = fs
  .readdirSync(anchorsDir)
  .filter((f) => f.endsWith('.pem'))
  .map((f) => new crypto.X509Certificate(fs.readFileSync(path.join(anchorsDir, f))));

function timestamp(date) {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

function describe(cert) {
  return {
    subject: cert.subject.split('\n').reverse().join(','),
    issuer: cert.issuer.split('\n').reverse().join(','),
    serial_number: cert.serialNumber.toUpperCase(),
    sha256_fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    not_before: timestamp(new Date(cert.validFrom)),
    not_after: timestamp(new Date(cert.validTo)),
  };
}

// A chain's outcome by the SHA-256 of its certificates, bounded.
const chains = new Map();
const kMaxChains = 10000;

function validChain(signerDer, intermediateDers) {
  const hash = crypto.createHash('sha256');
  hash.update(signerDer);
  for (const der of intermediateDers) hash.update(der);
  const key = hash.digest('base64');
  let chain = chains.get(key);
  if (chain !== undefined) return chain;
  chain = buildChain(signerDer, intermediateDers);
  if (chains.size >= kMaxChains) chains.clear();
  chains.set(key, chain);
  return chain;
}

function buildChain(signerDer, intermediateDers) {
  let signer;
  try {
    signer = new crypto.X509Certificate(signerDer);
  } catch (e) {
    return { error: 'signer_certificate: ' + e.message };
  }
  const candidates = [];
  for (const der of intermediateDers) {
    try {
      candidates.push(new crypto.X509Certificate(der));
    } catch (e) {
      return { error: 'intermediate_certificates: ' + e.message };
    }
  }
  const now = Date.now();
  const path = [signer];
  for (let cert = signer; path.length <= 8; ) {
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      return { failed: 'a certificate of the path is outside its validity', path };
    }
    const anchor = anchors.find((a) => cert.checkIssued(a) && cert.verify(a.publicKey));
    if (anchor !== undefined) {
      if (anchor.fingerprint256 !== cert.fingerprint256) path.push(anchor);
      return {
        path,
        key: signer.publicKey,
        signer: describe(signer),
        described: path.map(describe),
      };
    }
    const issuer = candidates.find((c) => cert.checkIssued(c) && cert.verify(c.publicKey));
    if (issuer === undefined) return { failed: 'no path to a trust anchor', path };
    path.push(issuer);
    cert = issuer;
  }
  return { failed: 'path too long', path };
}

const kSchemes = {
  SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256: ['sha256', { padding: crypto.constants.RSA_PKCS1_PADDING }],
  SIGNATURE_ALGORITHM_RSA_PSS_SHA256: [
    'sha256',
    { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST },
  ],
  SIGNATURE_ALGORITHM_ECDSA_SHA256: ['sha256', { dsaEncoding: 'der' }],
  SIGNATURE_ALGORITHM_ED25519: [null, {}],
};

function verifyOne(request) {
  const response = { record_id: request.record_id, validation_time: timestamp(new Date()), policy: 'default' };
  const scheme = kSchemes[request.algorithm];
  if (scheme === undefined || request.data === undefined) {
    return Object.assign(response, {
      indication: 'INDICATION_TOTAL_FAILED',
      sub_indication: 'SUB_INDICATION_FORMAT_FAILURE',
      message: 'algorithm or content not supported by this peer',
    });
  }
  const chain = validChain(request.signer_certificate || Buffer.alloc(0), request.intermediate_certificates || []);
  if (chain.error !== undefined) throw Object.assign(new Error(chain.error), { code: grpc.status.INVALID_ARGUMENT });
  if (chain.failed !== undefined) {
    return Object.assign(response, {
      indication: 'INDICATION_TOTAL_FAILED',
      sub_indication: 'SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND',
      message: chain.failed,
      path: chain.path.map(describe),
    });
  }
  const [digest, options] = scheme;
  const ok = crypto.verify(digest, request.data, Object.assign({ key: chain.key }, options), request.signature);
  return Object.assign(response, {
    indication: ok ? 'INDICATION_TOTAL_PASSED' : 'INDICATION_TOTAL_FAILED',
    sub_indication: ok ? undefined : 'SUB_INDICATION_SIG_CRYPTO_FAILURE',
    message: ok ? 'signature and path valid' : 'the signature does not verify',
    signer: chain.signer,
    path: chain.described,
  });
}

function unary(call, callback) {
  try {
    callback(null, verifyOne(call.request));
  } catch (e) {
    callback({ code: e.code || grpc.status.INTERNAL, details: e.message });
  }
}

function batch(call, callback) {
  const results = call.request.requests.map((r) => {
    try {
      return { response: verifyOne(r) };
    } catch (e) {
      return { error: { record_id: r.record_id, code: e.code || grpc.status.INTERNAL, message: e.message } };
    }
  });
  callback(null, { results });
}

const server = new grpc.Server({
  'grpc.max_receive_message_length': 64 << 20,
  'grpc.max_send_message_length': 64 << 20,
});
server.addService(v1.VerificationService.service, { Verify: unary, VerifyBatch: batch });
server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  console.log('listening on ' + listen);
});
