#!/usr/bin/env bash
# Writes the starting corpus of cms_fuzzer: CMS signatures and RFC 3161
# timestamps made by openssl over the test PKI's sample (detached and
# attached, CAdES, without signed attributes, RSA-PSS, ECDSA, BER, PEM; a
# TimeStampResp and its token).
# Usage: cms_seeds.sh TESTPKI_DIR OUT_DIR
set -euo pipefail
pki=$1
out=$2
mkdir -p "$out"
sign() {  # name signer flags...
  local name=$1 signer=$2
  shift 2
  openssl cms -sign -binary -in "$pki/sample.txt" -signer "$pki/$signer.pem" \
    -inkey "$pki/$signer.key" -certfile "$pki/ca.pem" -outform DER -out "$out/$name" "$@"
}
sign detached.der signer-rsa
sign attached.der signer-ec -nodetach -cades
sign noattr.der signer-rsa -noattr
sign pss.der signer-rsa -keyopt rsa_padding_mode:pss
sign ber.der signer-rsa -nodetach -stream
sign pem.pem signer-ec -outform PEM
openssl ts -query -data "$pki/sample.txt" -sha256 -cert -out "$out/query.tsq" 2>/dev/null
cat > "$out/tsa.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = $out/serial
signer_cert = $pki/tsa.pem
signer_key = $pki/tsa.key
certs = $pki/ca.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha256
CNF
echo 01 > "$out/serial"
openssl ts -reply -config "$out/tsa.cnf" -queryfile "$out/query.tsq" -out "$out/response.tsr" 2>/dev/null
openssl ts -reply -config "$out/tsa.cnf" -queryfile "$out/query.tsq" -token_out \
  -out "$out/token.der" 2>/dev/null
rm -f "$out/tsa.cnf" "$out/serial" "$out/query.tsq"
