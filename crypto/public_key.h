// A parsed public key, kept for reuse: under OpenSSL 3 decoding a key can cost
// more than the verification it is used for.
#ifndef SIGVERIFY_CRYPTO_PUBLIC_KEY_H_
#define SIGVERIFY_CRYPTO_PUBLIC_KEY_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/algorithm.h"
#include "crypto/openssl_ptr.h"
#include "crypto/rsa_lane_key.h"

namespace sigverify::crypto {

enum class KeyType { kRsa, kRsaPss, kEc, kEd25519, kUnsupported };

// Hard bounds independent of any policy: larger moduli are refused before any
// arithmetic (an RSA-16384 verify costs ~60x an RSA-2048 one).
inline constexpr int kMaxRsaBits = 8192;
// The RSA public exponents real keys use: odd, 3 <= e < 2^33 (BoringSSL's
// bound). A larger e makes each verification a full modular exponentiation
// (a 3071-bit e costs ~170x e = 65537); e = 1 makes the "signature" the
// padded hash itself.
inline constexpr int kMaxRsaExponentBits = 33;

// OK when `pkey` is within the hard bounds every key must meet before it is
// used for anything: a supported type, an RSA modulus of at most kMaxRsaBits
// and an exponent as above, an EC key on P-256, P-384 or P-521. For keys
// that do not come through PublicKey (an OCSP responder's certificate inside
// a response) as much as for those that do.
absl::Status CheckKeyBounds(const EVP_PKEY* pkey);

// OK unless `spki` is an RSA key whose exponent is encoded as a negative
// INTEGER: OpenSSL decodes the magnitude and drops the sign, so the key it
// would verify with is not the key the certificate states.
absl::Status CheckEncodedRsaExponent(const X509_PUBKEY* spki);

class PublicKey {
 public:
  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  // Takes ownership of a key the caller decoded.
  static absl::StatusOr<std::shared_ptr<const PublicKey>> FromEvpPkey(EvpPkeyPtr pkey);
  // Parses a DER SubjectPublicKeyInfo; trailing bytes are an error.
  static absl::StatusOr<std::shared_ptr<const PublicKey>> FromSpki(std::string_view der);

  EVP_PKEY* pkey() const { return pkey_.get(); }
  KeyType type() const { return type_; }
  int bits() const { return bits_; }
  // OpenSSL NID of the named curve for EC keys, NID_undef otherwise.
  int curve_nid() const { return curve_nid_; }
  // Bytes of one ECDSA scalar (r or s) for EC keys.
  int ec_scalar_bytes() const { return ec_scalar_bytes_; }
  // "RSA-2048", "EC P-256", "Ed25519".
  std::string Describe() const;

  // A context ready for EVP_PKEY_verify with these parameters (not for
  // Ed25519), or null when the key refuses them. For the parameter sets the
  // API can name, a prepared template is kept per key and duplicated: under
  // OpenSSL 3 a fresh EVP_PKEY_CTX with verify_init and set_signature_md
  // looks algorithms up by name each time, under global locks.
  EvpPkeyCtxPtr NewVerifyContext(const SignatureParams& params) const;

  // The key in the multi-buffer kernel's form: for kRsa keys of 2048, 3072
  // or 4096 bits, null otherwise.
  const RsaLaneKey* lane_key() const { return lane_key_.get(); }

 private:
  PublicKey(EvpPkeyPtr pkey, KeyType type, int bits, int curve_nid, int ec_scalar_bytes)
      : pkey_(std::move(pkey)),
        type_(type),
        bits_(bits),
        curve_nid_(curve_nid),
        ec_scalar_bytes_(ec_scalar_bytes) {}

  static constexpr size_t kTemplateSlots = 3 * 5;  // {PKCS#1, PSS, ECDSA} x hash

  EvpPkeyPtr pkey_;
  std::unique_ptr<const RsaLaneKey> lane_key_;
  // Lazily built, then immutable; published with a compare-and-swap.
  mutable std::array<std::atomic<EVP_PKEY_CTX*>, kTemplateSlots> templates_{};
  KeyType type_;
  int bits_;
  int curve_nid_;
  int ec_scalar_bytes_;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_PUBLIC_KEY_H_
