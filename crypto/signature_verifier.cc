#include "crypto/signature_verifier.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <cstring>
#include <string>
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

// EMSA-PKCS1-v1_5 (RFC 8017, 9.2) of `digest`, as long as `em`, is `em`:
// 00 01 FF.. 00 DigestInfo, with at least 8 bytes of FF.
bool Pkcs1Matches(HashAlgorithm hash, std::string_view digest, std::string_view em) {
  const std::string_view prefix = DigestInfoPrefix(hash);
  const size_t t_len = prefix.size() + digest.size();
  if (prefix.empty() || em.size() < t_len + 11) return false;
  const size_t ps_end = em.size() - t_len - 1;  // index of the 00 before T
  if (em[0] != 0 || em[1] != 1 || em[ps_end] != 0) return false;
  for (size_t i = 2; i < ps_end; ++i) {
    if (static_cast<uint8_t>(em[i]) != 0xff) return false;
  }
  return em.substr(ps_end + 1, prefix.size()) == prefix &&
         em.substr(em.size() - digest.size()) == digest;
}

// `em` is the encoding of another digest under the same hash: what
// Pkcs1OpensToOtherDigest finds through the library, read off `em` directly.
bool Pkcs1OfOtherDigest(HashAlgorithm hash, std::string_view digest, std::string_view em) {
  if (em.size() < digest.size()) return false;
  const std::string_view opened = em.substr(em.size() - digest.size());
  return opened != digest && Pkcs1Matches(hash, opened, em);
}

// MGF1 (RFC 8017, B.2.1): `mask` xor= MGF1(seed, mask.size()).
bool XorMgf1(const EVP_MD* md, std::string_view seed, uint8_t* mask, size_t len) {
  const size_t h_len = static_cast<size_t>(EVP_MD_size(md));
  uint8_t block[EVP_MAX_MD_SIZE];
  uint8_t input[EVP_MAX_MD_SIZE + 4];
  std::memcpy(input, seed.data(), seed.size());
  for (uint32_t counter = 0, done = 0; done < len; ++counter) {
    input[seed.size()] = static_cast<uint8_t>(counter >> 24);
    input[seed.size() + 1] = static_cast<uint8_t>(counter >> 16);
    input[seed.size() + 2] = static_cast<uint8_t>(counter >> 8);
    input[seed.size() + 3] = static_cast<uint8_t>(counter);
    if (EVP_Digest(input, seed.size() + 4, block, nullptr, md, nullptr) != 1) return false;
    for (size_t i = 0; i < h_len && done < len; ++i) mask[done++] ^= block[i];
  }
  return true;
}

// EMSA-PSS-VERIFY (RFC 8017, 9.1.2) with the salt length fixed by `params`,
// as both libraries check it: emBits = modBits - 1.
bool PssMatches(const SignatureParams& params, int modulus_bits, std::string_view digest,
                std::string_view em) {
  const HashAlgorithm mgf1_hash =
      params.pss_mgf1_hash == HashAlgorithm::kNone ? params.hash : params.pss_mgf1_hash;
  const EVP_MD* md = EvpMd(params.hash);
  const EVP_MD* mgf1 = EvpMd(mgf1_hash);
  const size_t h_len = digest.size();
  if (md == nullptr || mgf1 == nullptr || h_len != HashLength(params.hash) || modulus_bits < 2) {
    return false;
  }
  const size_t s_len =
      params.pss_salt_length < 0 ? h_len : static_cast<size_t>(params.pss_salt_length);
  const size_t em_bits = static_cast<size_t>(modulus_bits) - 1;
  const size_t em_len = (em_bits + 7) / 8;
  if (em.size() == em_len + 1) {
    if (em[0] != 0) return false;
    em.remove_prefix(1);
  }
  if (em.size() != em_len || em_len < h_len + 2 || s_len > em_len - h_len - 2) return false;
  if (static_cast<uint8_t>(em.back()) != 0xbc) return false;
  const size_t db_len = em_len - h_len - 1;
  const unsigned top_bits = static_cast<unsigned>(8 * em_len - em_bits);  // 0..7
  const uint8_t top_mask = static_cast<uint8_t>(0xff00u >> top_bits);     // the bits above emBits
  if ((static_cast<uint8_t>(em[0]) & top_mask) != 0) return false;
  uint8_t db[kMaxRsaBits / 8];
  std::memcpy(db, em.data(), db_len);
  if (!XorMgf1(mgf1, em.substr(db_len, h_len), db, db_len)) return false;
  db[0] &= static_cast<uint8_t>(~top_mask);
  const size_t ps_len = db_len - s_len - 1;
  for (size_t i = 0; i < ps_len; ++i) {
    if (db[i] != 0) return false;
  }
  if (db[ps_len] != 0x01) return false;
  // H' = Hash(00 x 8 || mHash || salt)
  uint8_t m_prime[8 + EVP_MAX_MD_SIZE + kMaxRsaBits / 8] = {};
  std::memcpy(m_prime + 8, digest.data(), h_len);
  std::memcpy(m_prime + 8 + h_len, db + ps_len + 1, s_len);
  uint8_t h_prime[EVP_MAX_MD_SIZE];
  if (EVP_Digest(m_prime, 8 + h_len + s_len, h_prime, nullptr, md, nullptr) != 1) return false;
  return std::memcmp(h_prime, em.data() + db_len, h_len) == 0;
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

  ContentDigest content_digest;
  if (std::optional<SignatureCheck> failed = DigestContent(params.hash, content, &content_digest)) {
    return *std::move(failed);
  }
  const std::string_view digest = content_digest.view();

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

std::optional<SignatureCheck> DigestContent(HashAlgorithm hash, SignedContent content,
                                            ContentDigest* out) {
  const EVP_MD* md = EvpMd(hash);
  if (md == nullptr) {
    return Fail(SignatureStatus::kMalformed, FailureReason::kNoHashAlgorithm);
  }
  if (content.kind == SignedContent::kDigest) {
    if (content.bytes.size() != HashLength(hash)) {
      return Fail(SignatureStatus::kMalformed, FailureReason::kDigestLength, {HashName(hash)},
                  static_cast<int64_t>(HashLength(hash)),
                  static_cast<int64_t>(content.bytes.size()));
    }
    std::memcpy(out->bytes, content.bytes.data(), content.bytes.size());
    out->size = content.bytes.size();
    return std::nullopt;
  }
  unsigned int len = 0;
  if (EVP_Digest(content.bytes.data(), content.bytes.size(), out->bytes, &len, md, nullptr) != 1) {
    return Fail(SignatureStatus::kMalformed, FailureReason::kSignatureEngine, {"EVP_Digest"});
  }
  out->size = len;
  return std::nullopt;
}

SignatureCheck CheckRsaEncodedMessage(const PublicKey& key, const SignatureParams& params,
                                      std::string_view digest, std::string_view em) {
  const bool valid = params.scheme == SignatureScheme::kRsaPkcs1
                         ? Pkcs1Matches(params.hash, digest, em)
                         : PssMatches(params, key.bits(), digest, em);
  if (valid) return {SignatureStatus::kValid, {}};
  if (params.scheme == SignatureScheme::kRsaPkcs1 && Pkcs1OfOtherDigest(params.hash, digest, em)) {
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
