#include "crypto/rsa_lane_key.h"

#include <cstring>

#include "crypto/openssl_ptr.h"

namespace sigverify::crypto {
namespace {

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

int LimbsForBits(int bits) {
  switch (bits) {
    case 2048:
      return 40;
    case 3072:
      return 60;
    case 4096:
      return 79;
  }
  return 0;
}

// -n^-1 mod 2^52 for odd n: Newton's iteration doubles the correct low bits
// each step (n * n == 1 mod 8 gives 3 bits to start; 5 steps give 96).
uint64_t MinusInverse52(uint64_t n0) {
  uint64_t inv = n0;
  for (int i = 0; i < 5; ++i) inv *= 2 - n0 * inv;
  return (0 - inv) & kMask52;
}

bool ToLimbs(const BIGNUM* v, int bytes, int limbs, std::vector<uint64_t>* out) {
  std::vector<uint8_t> be(static_cast<size_t>(bytes));
  if (BN_bn2binpad(v, be.data(), bytes) != bytes) return false;
  out->assign(static_cast<size_t>(limbs), 0);
  BytesToLimbs52(be.data(), bytes, out->data(), limbs);
  return true;
}

}  // namespace

void BytesToLimbs52(const uint8_t* be, int len, uint64_t* limbs, int count) {
  // Little-endian copy with 8 bytes of slack, so each limb is one 8-byte read.
  uint8_t le[RsaLaneKey::kMaxLimbs * 7 + 16] = {};
  const int room = static_cast<int>(sizeof(le)) - 8;
  const int n = len < room ? len : room;
  for (int i = 0; i < n; ++i) le[i] = be[len - 1 - i];
  for (int j = 0; j < count; ++j) {
    const int bit = 52 * j;
    const int byte = bit / 8;
    uint64_t word = 0;
    if (byte < room) std::memcpy(&word, le + byte, 8);  // x86-64: little-endian
    limbs[j] = (word >> (bit % 8)) & kMask52;
  }
}

void Limbs52ToBytes(const uint64_t* limbs, int count, uint8_t* be, int len) {
  uint64_t window = 0;  // under 8 + 52 bits
  int bits = 0;
  int j = 0;
  for (int i = 0; i < len; ++i) {
    if (bits < 8 && j < count) {
      window |= limbs[j++] << bits;
      bits += 52;
    }
    be[len - 1 - i] = static_cast<uint8_t>(window);
    window >>= 8;
    bits -= 8;
  }
}

std::unique_ptr<const RsaLaneKey> RsaLaneKey::FromRsa(const BIGNUM* n, const BIGNUM* e) {
  if (n == nullptr || e == nullptr || BN_is_negative(n) || !BN_is_odd(n) || BN_is_negative(e) ||
      !BN_is_odd(e) || BN_num_bits(e) > 33 || BN_get_word(e) < 3) {
    return nullptr;
  }
  const int bits = static_cast<int>(BN_num_bits(n));
  const int limbs = LimbsForBits(bits);
  if (limbs == 0) return nullptr;
  std::unique_ptr<RsaLaneKey> key(new RsaLaneKey);
  key->limbs_ = limbs;
  key->modulus_bytes_ = bits / 8;
  key->e_ = BN_get_word(e);
  key->n_bytes_.resize(static_cast<size_t>(key->modulus_bytes_));
  if (BN_bn2binpad(n, key->n_bytes_.data(), key->modulus_bytes_) != key->modulus_bytes_ ||
      !ToLimbs(n, key->modulus_bytes_, limbs, &key->n_)) {
    return nullptr;
  }
  key->k0_ = MinusInverse52(key->n_[0] | (key->n_[1] << 52));
  // R^2 mod n = 2^(2 * 52 * limbs) mod n.
  BignumPtr r2(BN_new());
  BignumPtr rr(BN_new());
  OpenSslPtr<BN_CTX, BN_CTX_free> ctx(BN_CTX_new());
  if (!r2 || !rr || !ctx || !BN_set_bit(r2.get(), 2 * 52 * limbs) ||
      !BN_mod(rr.get(), r2.get(), n, ctx.get()) ||
      !ToLimbs(rr.get(), key->modulus_bytes_, limbs, &key->rr_)) {
    return nullptr;
  }
  return key;
}

}  // namespace sigverify::crypto
