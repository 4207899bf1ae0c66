// The multi-buffer RSA public operation on AVX-512 IFMA: eight independent
// s^e mod n at once, one per 64-bit lane, with 52-bit limbs and Montgomery
// multiplication (vpmadd52luq / vpmadd52huq). Callers check HasAvx512Ifma()
// first; the functions here are compiled for that instruction set only.
#ifndef SIGVERIFY_CRYPTO_RSA_IFMA_H_
#define SIGVERIFY_CRYPTO_RSA_IFMA_H_

#include <cstdint>

namespace sigverify::crypto {

inline constexpr int kRsaLanes = 8;

// Numbers are lane-interleaved: limb j of lane k is at [j * 8 + k], 64-byte
// aligned. Every lane uses the same limb count (40, 60 or 79); each has its
// own modulus, constants and exponent.
struct IfmaRsaLanes {
  int limbs;
  const uint64_t* n;   // moduli, odd, R = 2^(52 * limbs) > 4n
  const uint64_t* rr;  // R^2 mod n
  const uint64_t* k0;  // [8]: -n^-1 mod 2^52
  const uint64_t* e;   // [8]: odd public exponents, 3 <= e < 2^33
  const uint64_t* s;   // signatures, each below its modulus
  uint64_t* out;       // s^e mod n, normalized limbs, at most n (n means 0)
};

// False (and nothing written) for a limb count the kernel is not built for.
bool IfmaRsaPublic(const IfmaRsaLanes& lanes);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_RSA_IFMA_H_
