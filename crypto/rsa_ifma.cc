// Only the functions marked kIfma use AVX-512: the file is compiled for the
// baseline instruction set, so nothing of it runs on a processor without
// IFMA unless a caller dispatched to it.
#include "crypto/rsa_ifma.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sigverify::crypto {

#if defined(__x86_64__)
namespace {

#define SIGVERIFY_IFMA __attribute__((target("avx512f,avx512ifma")))

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

// x >> 52 in every lane. The zero-masked form: GCC 12's plain
// _mm512_srli_epi64 reads an "undefined" register that -Wuninitialized
// reports.
SIGVERIFY_IFMA inline __m512i High12(__m512i x) { return _mm512_maskz_srli_epi64(0xFF, x, 52); }

// r = a * b / R mod n, "almost": for a, b < 2n and 4n < R the result is
// below 2n. Word-serial Montgomery (CIOS) with the accumulator in a window
// that moves up one limb per step instead of being shifted; limbs of the
// accumulator grow past 52 bits (at most 4 * limbs additions of < 2^52 each,
// under 2^61) and are normalized once at the end. `r` may alias `a` or `b`:
// it is written only after both are read.
template <int L>
SIGVERIFY_IFMA inline void MontMul(__m512i* r, const __m512i* a, const __m512i* b, const __m512i* n,
                                   __m512i k0) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i acc[2 * L];
  for (int j = 0; j < 2 * L; ++j) acc[j] = zero;
  for (int i = 0; i < L; ++i) {
    const __m512i ai = a[i];
    __m512i cur = _mm512_madd52lo_epu64(acc[i], ai, b[0]);
    // m makes the lowest limb divisible by 2^52; only cur mod 2^52 counts,
    // and madd52lo reads only the low 52 bits of its operands.
    const __m512i m = _mm512_madd52lo_epu64(zero, cur, k0);
    cur = _mm512_madd52lo_epu64(cur, m, n[0]);
    __m512i next = _mm512_add_epi64(acc[i + 1], High12(cur));
    next = _mm512_madd52hi_epu64(next, ai, b[0]);
    next = _mm512_madd52hi_epu64(next, m, n[0]);
    for (int j = 1; j < L; ++j) {
      cur = _mm512_madd52lo_epu64(next, ai, b[j]);
      cur = _mm512_madd52lo_epu64(cur, m, n[j]);
      next = _mm512_madd52hi_epu64(acc[i + j + 1], ai, b[j]);
      next = _mm512_madd52hi_epu64(next, m, n[j]);
      acc[i + j] = cur;
    }
    acc[i + L] = next;
  }
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(kMask52));
  __m512i carry = zero;
  for (int j = 0; j < L; ++j) {
    const __m512i x = _mm512_add_epi64(acc[L + j], carry);
    carry = High12(x);
    r[j] = _mm512_and_si512(x, mask);
  }
}

template <int L>
SIGVERIFY_IFMA void Blend(__mmask8 take_b, __m512i* a, const __m512i* b) {
  for (int j = 0; j < L; ++j) a[j] = _mm512_mask_blend_epi64(take_b, a[j], b[j]);
}

template <int L>
SIGVERIFY_IFMA void Load(__m512i* v, const uint64_t* p) {
  for (int j = 0; j < L; ++j) v[j] = _mm512_load_si512(p + 8 * j);
}

// Left-to-right square-and-multiply in the Montgomery domain, every lane
// with its own exponent: a lane's product is blended in only where its
// exponent has the bit. Lanes sharing e (65537 nearly always) pay the
// minimum, 16 squarings and one multiplication for 65537.
template <int L>
SIGVERIFY_IFMA void ModExp(const IfmaRsaLanes& p) {
  __m512i n[L], x[L], acc[L], t[L];
  Load<L>(n, p.n);
  const __m512i k0 = _mm512_loadu_si512(p.k0);
  Load<L>(t, p.s);
  Load<L>(acc, p.rr);
  MontMul<L>(x, t, acc, n, k0);  // x = s * R mod n

  uint64_t all_bits = 0;
  for (int k = 0; k < kRsaLanes; ++k) all_bits |= p.e[k];
  const int top = 63 - __builtin_clzll(all_bits);
  const auto lanes_with_bit = [&](int bit) {
    unsigned mask = 0;
    for (int k = 0; k < kRsaLanes; ++k) mask |= ((p.e[k] >> bit) & 1u) << k;
    return static_cast<__mmask8>(mask);
  };

  __m512i one[L];
  for (int j = 0; j < L; ++j) one[j] = _mm512_setzero_si512();
  one[0] = _mm512_set1_epi64(1);
  const __mmask8 top_lanes = lanes_with_bit(top);
  for (int j = 0; j < L; ++j) acc[j] = x[j];
  if (top_lanes != 0xFF) {
    // Lanes whose exponent is shorter start at 1 in Montgomery form (R mod n).
    __m512i rr[L];
    Load<L>(rr, p.rr);
    MontMul<L>(t, rr, one, n, k0);
    Blend<L>(static_cast<__mmask8>(~top_lanes), acc, t);
  }
  for (int bit = top - 1; bit >= 0; --bit) {
    MontMul<L>(acc, acc, acc, n, k0);
    const __mmask8 lanes = lanes_with_bit(bit);
    if (lanes != 0) {
      MontMul<L>(t, acc, x, n, k0);
      Blend<L>(lanes, acc, t);
    }
  }
  // Out of the Montgomery domain: acc * 1 / R, at most n.
  MontMul<L>(acc, acc, one, n, k0);
  for (int j = 0; j < L; ++j) _mm512_store_si512(p.out + 8 * j, acc[j]);
}

}  // namespace

bool IfmaRsaPublic(const IfmaRsaLanes& lanes) {
  switch (lanes.limbs) {
    case 40:
      ModExp<40>(lanes);
      return true;
    case 60:
      ModExp<60>(lanes);
      return true;
    case 79:
      ModExp<79>(lanes);
      return true;
  }
  return false;
}

#else

bool IfmaRsaPublic(const IfmaRsaLanes&) { return false; }

#endif

}  // namespace sigverify::crypto
