#include "crypto/signature_verifier.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <vector>

namespace sigverify::crypto {
namespace {

using Bytes = const uint8_t*;

Bytes U8(std::string_view s) { return reinterpret_cast<Bytes>(s.data()); }

SignatureCheck Fail(SignatureStatus status, FailureReason reason,
                    std::vector<std::string> names = {}, int64_t limit = 0, int64_t actual = 0) {
  // A failed verify leaves entries on the thread's error queue; clear them so
  // that a long-lived worker thread does not accumulate them.
  ERR_clear_error();
  SignatureCheck check{status, {}};
  check.failure.reason = reason;
  check.failure.names = std::move(names);
  check.failure.limit = limit;
  check.failure.actual = actual;
  return check;
}

bool SchemeFitsKey(SignatureScheme scheme, KeyType key) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1:
      return key == KeyType::kRsa;
    case SignatureScheme::kRsaPss:
      return key == KeyType::kRsa || key == KeyType::kRsaPss;
    case SignatureScheme::kEcdsaDer:
    case SignatureScheme::kEcdsaP1363:
      return key == KeyType::kEc;
    case SignatureScheme::kEd25519:
      return key == KeyType::kEd25519;
  }
  return false;
}

// IEEE P1363 r||s -> DER Ecdsa-Sig-Value. Each half must be exactly as wide
// as the group order; anything else is malformed (no leniency on lengths).
bool P1363ToDer(std::string_view raw, int scalar_bytes, std::vector<uint8_t>* der) {
  if (scalar_bytes <= 0 || raw.size() != 2 * static_cast<size_t>(scalar_bytes)) return false;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U8(raw), scalar_bytes, nullptr);
  BIGNUM* s = BN_bin2bn(U8(raw) + scalar_bytes, scalar_bytes, nullptr);
  if (!sig || r == nullptr || s == nullptr || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return false;
  der->resize(static_cast<size_t>(len));
  uint8_t* out = der->data();
  return i2d_ECDSA_SIG(sig.get(), &out) == len;
}

// DER prefix of DigestInfo for each hash (RFC 8017, 9.2, note 1).
std::string_view DigestInfoPrefix(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha1:
      return {"\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14", 15};
    case HashAlgorithm::kSha256:
      return {
          "\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00"
          "\x04\x20",
          19};
    case HashAlgorithm::kSha384:
      return {
          "\x30\x41\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02\x05\x00"
          "\x04\x30",
          19};
    case HashAlgorithm::kSha512:
      return {
          "\x30\x51\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x03\x05\x00"
          "\x04\x40",
          19};
    case HashAlgorithm::kNone:
      break;
  }
  return {};
}

// Tells a changed document from a wrong key or forged signature, which only
// PKCS#1 v1.5 allows: the signature opens, under the signer's key, to a
// well-formed DigestInfo for the expected hash, so only the digest differs.
// Runs on the failure path only.
bool Pkcs1OpensToOtherDigest(const PublicKey& key, HashAlgorithm hash, std::string_view signature) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.pkey(), nullptr));
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) {
    return false;
  }
  uint8_t recovered[kMaxRsaBits / 8];
  size_t len = sizeof(recovered);
  if (EVP_PKEY_verify_recover(ctx.get(), recovered, &len, U8(signature), signature.size()) <= 0) {
    return false;
  }
  const std::string_view prefix = DigestInfoPrefix(hash);
  const std::string_view opened(reinterpret_cast<const char*>(recovered), len);
  return !prefix.empty() && opened.size() == prefix.size() + HashLength(hash) &&
         opened.substr(0, prefix.size()) == prefix;
}

}  // namespace

SignatureCheck VerifySignature(const PublicKey& key, const SignatureParams& params,
                               SignedContent content, std::string_view signature) {
  if (!SchemeFitsKey(params.scheme, key.type())) {
    return Fail(SignatureStatus::kKeyMismatch, FailureReason::kSchemeDoesNotFitKey,
                {SchemeName(params.scheme), key.Describe()});
  }

  if (params.scheme == SignatureScheme::kEd25519) {
    if (content.kind != SignedContent::kData) {
      return Fail(SignatureStatus::kMalformed, FailureReason::kEd25519NeedsData);
    }
    EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
    if (!md_ctx || EVP_DigestVerifyInit(md_ctx.get(), nullptr, nullptr, nullptr, key.pkey()) <= 0) {
      return Fail(SignatureStatus::kMalformed, FailureReason::kSignatureEngine,
                  {"EVP_DigestVerifyInit"});
    }
    if (EVP_DigestVerify(md_ctx.get(), U8(signature), signature.size(), U8(content.bytes),
                         content.bytes.size()) != 1) {
      return Fail(SignatureStatus::kInvalid, FailureReason::kSignatureInvalid,
                  {"Ed25519", key.Describe()});
    }
    return {SignatureStatus::kValid, {}};
  }

  const EVP_MD* md = EvpMd(params.hash);
  if (md == nullptr) {
    return Fail(SignatureStatus::kMalformed, FailureReason::kNoHashAlgorithm);
  }
  uint8_t digest_buf[EVP_MAX_MD_SIZE];
  std::string_view digest;
  if (content.kind == SignedContent::kDigest) {
    if (content.bytes.size() != HashLength(params.hash)) {
      return Fail(SignatureStatus::kMalformed, FailureReason::kDigestLength,
                  {HashName(params.hash)}, static_cast<int64_t>(HashLength(params.hash)),
                  static_cast<int64_t>(content.bytes.size()));
    }
    digest = content.bytes;
  } else {
    unsigned int len = 0;
    if (EVP_Digest(content.bytes.data(), content.bytes.size(), digest_buf, &len, md, nullptr) !=
        1) {
      return Fail(SignatureStatus::kMalformed, FailureReason::kSignatureEngine, {"EVP_Digest"});
    }
    digest = std::string_view(reinterpret_cast<const char*>(digest_buf), len);
  }

  std::vector<uint8_t> der_sig;
  std::string_view sig = signature;
  if (params.scheme == SignatureScheme::kEcdsaP1363) {
    if (!P1363ToDer(signature, key.ec_scalar_bytes(), &der_sig)) {
      return Fail(SignatureStatus::kMalformed, FailureReason::kRawEcdsaLength, {key.Describe()},
                  2 * int64_t{key.ec_scalar_bytes()}, static_cast<int64_t>(signature.size()));
    }
    sig = std::string_view(reinterpret_cast<const char*>(der_sig.data()), der_sig.size());
  }

  EvpPkeyCtxPtr ctx = key.NewVerifyContext(params);
  if (!ctx) {
    return Fail(SignatureStatus::kKeyMismatch, FailureReason::kKeyCannotVerify,
                {key.Describe(), SchemeName(params.scheme), HashName(params.hash)});
  }
  const int rc = EVP_PKEY_verify(ctx.get(), U8(sig), sig.size(), U8(digest), digest.size());
  if (rc == 1) return {SignatureStatus::kValid, {}};
  if (params.scheme == SignatureScheme::kRsaPkcs1 &&
      Pkcs1OpensToOtherDigest(key, params.hash, signature)) {
    return Fail(SignatureStatus::kHashMismatch, FailureReason::kSignatureOverOtherData,
                {HashName(params.hash)});
  }
  return Fail(SignatureStatus::kInvalid, FailureReason::kSignatureInvalid,
              {SchemeName(params.scheme), key.Describe()});
}

SubIndication SubIndicationFor(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kValid:
      return SubIndication::kNone;
    case SignatureStatus::kInvalid:
      return SubIndication::kSigCryptoFailure;
    case SignatureStatus::kHashMismatch:
      return SubIndication::kHashFailure;
    case SignatureStatus::kMalformed:
    case SignatureStatus::kKeyMismatch:
      return SubIndication::kFormatFailure;
  }
  return SubIndication::kSigCryptoFailure;
}

}  // namespace sigverify::crypto
