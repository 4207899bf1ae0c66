// EVP_PKEY_get0_EC_KEY is deprecated in OpenSSL 3 but is the one way to read
// the curve that BoringSSL shares; it is used once per key, at parse time.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/public_key.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

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

}  // namespace

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
