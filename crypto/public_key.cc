// EVP_PKEY_get0_EC_KEY and EVP_PKEY_get0_RSA are deprecated in OpenSSL 3 but
// are the one way to read the curve and the exponent that BoringSSL shares;
// they are used once per key, at parse time.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/public_key.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace sigverify::crypto {
namespace {

#ifndef OPENSSL_IS_BORINGSSL
void FreeAsn1TypeStack(STACK_OF(ASN1_TYPE) * s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
#endif

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

namespace {

absl::Status CheckRsaExponent(const EVP_PKEY* pkey) {
  const RSA* rsa = EVP_PKEY_get0_RSA(const_cast<EVP_PKEY*>(pkey));
  const BIGNUM* e = nullptr;
  if (rsa != nullptr) RSA_get0_key(rsa, nullptr, &e, nullptr);
  if (e == nullptr) return absl::InvalidArgumentError("RSA key without a public exponent");
  if (BN_is_negative(e) || !BN_is_odd(e) || BN_num_bits(e) > kMaxRsaExponentBits ||
      BN_get_word(e) < 3) {
    const int bits = static_cast<int>(BN_num_bits(e));
    return absl::InvalidArgumentError(
        absl::StrCat("RSA public exponent ",
                     bits <= 64 && !BN_is_negative(e)
                         ? absl::StrCat(BN_get_word(e))
                         : absl::StrCat(BN_is_negative(e) ? "-" : "", "(", bits, " bits)"),
                     " is outside what keys use (odd, 3 <= e < 2^33)"));
  }
  return absl::OkStatus();
}

absl::Status CheckKeyBounds(const EVP_PKEY* pkey, KeyType* type, int* curve_nid,
                            int* scalar_bytes) {
  EVP_PKEY* key = const_cast<EVP_PKEY*>(pkey);
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_RSA:
      *type = KeyType::kRsa;
      break;
#ifdef EVP_PKEY_RSA_PSS
    case EVP_PKEY_RSA_PSS:
      *type = KeyType::kRsaPss;
      break;
#endif
    case EVP_PKEY_EC:
      *type = KeyType::kEc;
      *scalar_bytes = EcScalarBytes(key, curve_nid);
      if (*curve_nid != NID_X9_62_prime256v1 && *curve_nid != NID_secp384r1 &&
          *curve_nid != NID_secp521r1) {
        return absl::InvalidArgumentError(
            "EC key is not on P-256, P-384 or P-521 (the only curves accepted)");
      }
      return absl::OkStatus();
    case EVP_PKEY_ED25519:
      *type = KeyType::kEd25519;
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported public key type (OpenSSL id ", EVP_PKEY_id(key), ")"));
  }
  const int bits = EVP_PKEY_bits(key);
  if (bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus of ", bits, " bits exceeds the limit of ", kMaxRsaBits));
  }
  return CheckRsaExponent(key);
}

}  // namespace

absl::Status CheckKeyBounds(const EVP_PKEY* pkey) {
  if (pkey == nullptr) return absl::InvalidArgumentError("no public key");
  KeyType type = KeyType::kUnsupported;
  int curve_nid = NID_undef;
  int scalar_bytes = 0;
  return CheckKeyBounds(pkey, &type, &curve_nid, &scalar_bytes);
}

absl::Status CheckEncodedRsaExponent(const X509_PUBKEY* spki) {
#ifdef OPENSSL_IS_BORINGSSL
  (void)spki;  // BoringSSL's decoder refuses a negative exponent itself.
  return absl::OkStatus();
#else
  ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* key = nullptr;
  int key_len = 0;
  if (spki == nullptr ||
      X509_PUBKEY_get0_param(&algorithm, &key, &key_len, nullptr, const_cast<X509_PUBKEY*>(spki)) !=
          1 ||
      OBJ_obj2nid(algorithm) != NID_rsaEncryption) {
    return absl::OkStatus();
  }
  // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
  OpenSslPtr<STACK_OF(ASN1_TYPE), FreeAsn1TypeStack> fields(
      d2i_ASN1_SEQUENCE_ANY(nullptr, &key, key_len));
  if (!fields || sk_ASN1_TYPE_num(fields.get()) != 2) {
    ERR_clear_error();
    return absl::InvalidArgumentError("RSA public key is not a SEQUENCE of two INTEGERs");
  }
  for (int i = 0; i < 2; ++i) {
    const ASN1_TYPE* field = sk_ASN1_TYPE_value(fields.get(), i);
    // A negative INTEGER is type INTEGER holding a V_ASN1_NEG_INTEGER string.
    if (ASN1_TYPE_get(field) != V_ASN1_INTEGER ||
        ASN1_STRING_type(field->value.integer) != V_ASN1_INTEGER) {
      return absl::InvalidArgumentError(
          i == 0 ? "RSA modulus is not a positive INTEGER"
                 : "RSA public exponent is not a positive INTEGER (odd, 3 <= e < 2^33)");
    }
  }
  return absl::OkStatus();
#endif
}

absl::StatusOr<std::shared_ptr<const PublicKey>> PublicKey::FromEvpPkey(EvpPkeyPtr pkey) {
  if (!pkey) return absl::InvalidArgumentError("no public key");
  KeyType type = KeyType::kUnsupported;
  int curve_nid = NID_undef;
  int scalar_bytes = 0;
  if (absl::Status s = CheckKeyBounds(pkey.get(), &type, &curve_nid, &scalar_bytes); !s.ok()) {
    return s;
  }
  const int bits = EVP_PKEY_bits(pkey.get());
  std::unique_ptr<const RsaLaneKey> lane_key;
  if (type == KeyType::kRsa) {
    const RSA* rsa = EVP_PKEY_get0_RSA(pkey.get());
    const BIGNUM* n = nullptr;
    const BIGNUM* e = nullptr;
    if (rsa != nullptr) RSA_get0_key(rsa, &n, &e, nullptr);
    lane_key = RsaLaneKey::FromRsa(n, e);
  }
  auto* key = new PublicKey(std::move(pkey), type, bits, curve_nid, scalar_bytes);
  key->lane_key_ = std::move(lane_key);
  return std::shared_ptr<const PublicKey>(key);
}

absl::StatusOr<std::shared_ptr<const PublicKey>> PublicKey::FromSpki(std::string_view der) {
  const auto* p = reinterpret_cast<const uint8_t*>(der.data());
  OpenSslPtr<X509_PUBKEY, X509_PUBKEY_free> spki(
      d2i_X509_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  EvpPkeyPtr pkey(spki ? X509_PUBKEY_get(spki.get()) : nullptr);
  if (!pkey) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a DER SubjectPublicKeyInfo");
  }
  if (p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("trailing bytes after SubjectPublicKeyInfo");
  }
  if (absl::Status s = CheckEncodedRsaExponent(spki.get()); !s.ok()) return s;
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
