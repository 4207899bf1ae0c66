#include "crypto/signature_verifier.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace sigverify::crypto {
namespace {

using Bytes = const uint8_t*;

Bytes U8(std::string_view s) { return reinterpret_cast<Bytes>(s.data()); }

SignatureCheck Fail(SignatureStatus status, std::string vi, std::string en) {
  // A failed verify leaves entries on the thread's error queue; clear them so
  // that a long-lived worker thread does not accumulate them.
  ERR_clear_error();
  return {status, Message{std::move(vi), std::move(en)}};
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
    return Fail(SignatureStatus::kKeyMismatch,
                absl::StrCat(SchemeName(params.scheme), " không phù hợp với khóa ", key.Describe(),
                             " của người ký"),
                absl::StrCat(SchemeName(params.scheme), " does not fit the signer's ",
                             key.Describe(), " key"));
  }

  if (params.scheme == SignatureScheme::kEd25519) {
    if (content.kind != SignedContent::kData) {
      return Fail(SignatureStatus::kMalformed,
                  "Ed25519 ký trực tiếp trên dữ liệu: không thể kiểm tra bằng giá trị băm",
                  "Ed25519 signs the data itself: a digest cannot be verified");
    }
    EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
    if (!md_ctx || EVP_DigestVerifyInit(md_ctx.get(), nullptr, nullptr, nullptr, key.pkey()) <= 0) {
      return Fail(SignatureStatus::kMalformed, "không khởi tạo được việc kiểm tra Ed25519",
                  "cannot initialise Ed25519 verification");
    }
    if (EVP_DigestVerify(md_ctx.get(), U8(signature), signature.size(), U8(content.bytes),
                         content.bytes.size()) != 1) {
      return Fail(SignatureStatus::kInvalid, "chữ ký Ed25519 không hợp lệ",
                  "Ed25519 signature does not verify");
    }
    return {SignatureStatus::kValid, {}};
  }

  const EVP_MD* md = EvpMd(params.hash);
  if (md == nullptr) {
    return Fail(SignatureStatus::kMalformed, "chưa chỉ định hàm băm", "no hash algorithm given");
  }
  uint8_t digest_buf[EVP_MAX_MD_SIZE];
  std::string_view digest;
  if (content.kind == SignedContent::kDigest) {
    if (content.bytes.size() != HashLength(params.hash)) {
      return Fail(SignatureStatus::kMalformed,
                  absl::StrCat("giá trị băm ", HashName(params.hash), " dài ",
                               HashLength(params.hash), " byte, nhận được ", content.bytes.size()),
                  absl::StrCat("a ", HashName(params.hash), " digest is ", HashLength(params.hash),
                               " bytes, got ", content.bytes.size()));
    }
    digest = content.bytes;
  } else {
    unsigned int len = 0;
    if (EVP_Digest(content.bytes.data(), content.bytes.size(), digest_buf, &len, md, nullptr) !=
        1) {
      return Fail(SignatureStatus::kMalformed, "không băm được dữ liệu", "cannot hash the data");
    }
    digest = std::string_view(reinterpret_cast<const char*>(digest_buf), len);
  }

  std::vector<uint8_t> der_sig;
  std::string_view sig = signature;
  if (params.scheme == SignatureScheme::kEcdsaP1363) {
    if (!P1363ToDer(signature, key.ec_scalar_bytes(), &der_sig)) {
      return Fail(SignatureStatus::kMalformed,
                  absl::StrCat("chữ ký r||s cho khóa ", key.Describe(), " dài ",
                               2 * key.ec_scalar_bytes(), " byte, nhận được ", signature.size()),
                  absl::StrCat("an r||s signature for ", key.Describe(), " is ",
                               2 * key.ec_scalar_bytes(), " bytes, got ", signature.size()));
    }
    sig = std::string_view(reinterpret_cast<const char*>(der_sig.data()), der_sig.size());
  }

  EvpPkeyCtxPtr ctx = key.NewVerifyContext(params);
  if (!ctx) {
    return Fail(SignatureStatus::kKeyMismatch,
                absl::StrCat("khóa ", key.Describe(), " của người ký không kiểm tra được ",
                             SchemeName(params.scheme), " với ", HashName(params.hash)),
                absl::StrCat("the signer's ", key.Describe(), " key cannot verify ",
                             SchemeName(params.scheme), " with ", HashName(params.hash)));
  }
  const int rc = EVP_PKEY_verify(ctx.get(), U8(sig), sig.size(), U8(digest), digest.size());
  if (rc == 1) return {SignatureStatus::kValid, {}};
  if (params.scheme == SignatureScheme::kRsaPkcs1 &&
      Pkcs1OpensToOtherDigest(key, params.hash, signature)) {
    return Fail(SignatureStatus::kHashMismatch,
                absl::StrCat("chữ ký đúng là của người ký nhưng trên giá trị băm ",
                             HashName(params.hash), " khác: dữ liệu đã bị thay đổi"),
                absl::StrCat("the signature is the signer's, but over a different ",
                             HashName(params.hash), " digest: the data was changed"));
  }
  return Fail(
      SignatureStatus::kInvalid,
      absl::StrCat("chữ ký ", SchemeName(params.scheme), " không hợp lệ với khóa ", key.Describe(),
                   " của người ký"),
      absl::StrCat(SchemeName(params.scheme), " signature does not verify with the signer's ",
                   key.Describe(), " key"));
}

}  // namespace sigverify::crypto
