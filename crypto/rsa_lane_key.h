// An RSA public key in the form the multi-buffer kernel computes with: the
// modulus as 52-bit limbs, -n^-1 mod 2^52 and R^2 mod n for R = 2^(52*limbs).
// Built once per key (it costs one division), then immutable.
#ifndef SIGVERIFY_CRYPTO_RSA_LANE_KEY_H_
#define SIGVERIFY_CRYPTO_RSA_LANE_KEY_H_

#include <openssl/bn.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace sigverify::crypto {

class RsaLaneKey {
 public:
  // The kernel's sizes: moduli of exactly 2048, 3072 and 4096 bits, as 40, 60
  // and 79 limbs (R > 4n, so Montgomery products of values below 2n stay
  // below 2n without a subtraction).
  static constexpr int kMaxLimbs = 79;

  // Null when the key is not one the kernel takes: another modulus size, an
  // even modulus, or an exponent that is not odd, 3 <= e < 2^33.
  static std::unique_ptr<const RsaLaneKey> FromRsa(const BIGNUM* n, const BIGNUM* e);

  int limbs() const { return limbs_; }
  int modulus_bytes() const { return modulus_bytes_; }
  uint64_t e() const { return e_; }
  // Little-endian 52-bit limbs, limbs() of each.
  const uint64_t* n() const { return n_.data(); }
  const uint64_t* rr() const { return rr_.data(); }
  // -n^-1 mod 2^52.
  uint64_t k0() const { return k0_; }
  // The modulus, big-endian, modulus_bytes() long.
  const uint8_t* n_bytes() const { return n_bytes_.data(); }

 private:
  RsaLaneKey() = default;

  int limbs_ = 0;
  int modulus_bytes_ = 0;
  uint64_t e_ = 0;
  uint64_t k0_ = 0;
  std::vector<uint64_t> n_;
  std::vector<uint64_t> rr_;
  std::vector<uint8_t> n_bytes_;
};

// Big-endian bytes <-> little-endian 52-bit limbs. `limbs` * 52 must hold
// every bit of `len` bytes; the limbs are written whole (high ones zero).
void BytesToLimbs52(const uint8_t* be, int len, uint64_t* limbs, int count);
// `limbs` must be normalized (each below 2^52) and the value below 2^(8*len).
void Limbs52ToBytes(const uint64_t* limbs, int count, uint8_t* be, int len);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_RSA_LANE_KEY_H_
