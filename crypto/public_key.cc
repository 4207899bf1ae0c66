// EVP_PKEY_get0_EC_KEY is deprecated in OpenSSL 3 but is the one way to read
// the curve that BoringSSL shares; it is used once per key, at parse time.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/public_key.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "absl/strings/str_cat.h"

namespace sigverify::crypto {
namespace {

int EcScalarBytes(const EVP_PKEY* pkey, int* nid) {
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(const_cast<EVP_PKEY*>(pkey));
  if (ec == nullptr) return 0;
  const EC_GROUP* group = EC_KEY_get0_group(ec);
  if (group == nullptr) return 0;
  *nid = EC_GROUP_get_curve_name(group);
  // The order's size, not the field's: for the NIST prime curves the two are
  // equal, and r and s are reduced modulo the order.
  BignumPtr order(BN_new());
  if (!order || !EC_GROUP_get_order(group, order.get(), nullptr)) return 0;
  return static_cast<int>(BN_num_bytes(order.get()));
}

EvpPkeyCtxPtr PrepareVerifyContext(EVP_PKEY* pkey, const SignatureParams& params) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EvpMd(params.hash)) <= 0) {
    return nullptr;
  }
  if (params.scheme == SignatureScheme::kRsaPkcs1) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) return nullptr;
  } else if (params.scheme == SignatureScheme::kRsaPss) {
    const EVP_MD* mgf1 =
        EvpMd(params.pss_mgf1_hash == HashAlgorithm::kNone ? params.hash : params.pss_mgf1_hash);
    // -1 means "salt as long as the digest" in both libraries (OpenSSL names
    // it RSA_PSS_SALTLEN_DIGEST; BoringSSL has no name for it).
    const int salt = params.pss_salt_length < 0 ? -1 : params.pss_salt_length;
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf1) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), salt) <= 0) {
      return nullptr;
    }
  }
  return ctx;
}

// The template slot for the parameter sets the API can express, or -1.
int TemplateSlot(const SignatureParams& p) {
  int scheme;
  switch (p.scheme) {
    case SignatureScheme::kRsaPkcs1:
      scheme = 0;
      break;
    case SignatureScheme::kRsaPss:
      if ((p.pss_mgf1_hash != HashAlgorithm::kNone && p.pss_mgf1_hash != p.hash) ||
          p.pss_salt_length >= 0) {
        return -1;
      }
      scheme = 1;
      break;
    case SignatureScheme::kEcdsaDer:
    case SignatureScheme::kEcdsaP1363:
      scheme = 2;
      break;
    default:
      return -1;
  }
  return scheme * 5 + static_cast<int>(p.hash);
}

}  // namespace

PublicKey::~PublicKey() {
  for (auto& slot : templates_) EVP_PKEY_CTX_free(slot.load(std::memory_order_relaxed));
}

EvpPkeyCtxPtr PublicKey::NewVerifyContext(const SignatureParams& params) const {
  const int slot = TemplateSlot(params);
  if (slot < 0) return PrepareVerifyContext(pkey_.get(), params);
  EVP_PKEY_CTX* tmpl = templates_[slot].load(std::memory_order_acquire);
  if (tmpl == nullptr) {
    EvpPkeyCtxPtr fresh = PrepareVerifyContext(pkey_.get(), params);
    if (!fresh) return nullptr;
    EVP_PKEY_CTX* expected = nullptr;
    if (templates_[slot].compare_exchange_strong(expected, fresh.get(),
                                                 std::memory_order_acq_rel)) {
      tmpl = fresh.release();
    } else {
      tmpl = expected;  // another thread won; ours is freed
    }
  }
  // Duplicating only reads the template, so concurrent callers are safe.
  return EvpPkeyCtxPtr(EVP_PKEY_CTX_dup(tmpl));
}

absl::StatusOr<std::shared_ptr<const PublicKey>> PublicKey::FromEvpPkey(EvpPkeyPtr pkey) {
  if (!pkey) return absl::InvalidArgumentError("no public key");
  KeyType type = KeyType::kUnsupported;
  int curve_nid = NID_undef;
  int scalar_bytes = 0;
  switch (EVP_PKEY_id(pkey.get())) {
    case EVP_PKEY_RSA:
      type = KeyType::kRsa;
      break;
#ifdef EVP_PKEY_RSA_PSS
    case EVP_PKEY_RSA_PSS:
      type = KeyType::kRsaPss;
      break;
#endif
    case EVP_PKEY_EC:
      type = KeyType::kEc;
      scalar_bytes = EcScalarBytes(pkey.get(), &curve_nid);
      if (curve_nid != NID_X9_62_prime256v1 && curve_nid != NID_secp384r1 &&
          curve_nid != NID_secp521r1) {
        return absl::InvalidArgumentError(
            "EC key is not on P-256, P-384 or P-521 (the only curves accepted)");
      }
      break;
    case EVP_PKEY_ED25519:
      type = KeyType::kEd25519;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported public key type (OpenSSL id ", EVP_PKEY_id(pkey.get()), ")"));
  }
  const int bits = EVP_PKEY_bits(pkey.get());
  if ((type == KeyType::kRsa || type == KeyType::kRsaPss) && bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus of ", bits, " bits exceeds the limit of ", kMaxRsaBits));
  }
  return std::shared_ptr<const PublicKey>(
      new PublicKey(std::move(pkey), type, bits, curve_nid, scalar_bytes));
}

absl::StatusOr<std::shared_ptr<const PublicKey>> PublicKey::FromSpki(std::string_view der) {
  const auto* p = reinterpret_cast<const uint8_t*>(der.data());
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a DER SubjectPublicKeyInfo");
  }
  if (p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("trailing bytes after SubjectPublicKeyInfo");
  }
  return FromEvpPkey(std::move(pkey));
}

std::string PublicKey::Describe() const {
  switch (type_) {
    case KeyType::kRsa:
      return absl::StrCat("RSA-", bits_);
    case KeyType::kRsaPss:
      return absl::StrCat("RSA-PSS-", bits_);
    case KeyType::kEc:
      switch (curve_nid_) {
        case NID_X9_62_prime256v1:
          return "EC P-256";
        case NID_secp384r1:
          return "EC P-384";
        case NID_secp521r1:
          return "EC P-521";
      }
      return "EC";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kUnsupported:
      break;
  }
  return "unsupported key";
}

}  // namespace sigverify::crypto
