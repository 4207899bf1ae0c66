#include "crypto/cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace sigverify::crypto {
namespace {

#if defined(__x86_64__)
bool DetectAvx512Ifma() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid(1, eax, ebx, ecx, edx);
  const bool osxsave = (ecx & (1u << 27)) != 0;
  if (!osxsave) return false;
  // XCR0 bits 1-2 (SSE, AVX) and 5-7 (opmask, upper ZMM0-15, ZMM16-31).
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  constexpr unsigned kAvx512State = 0xE6;
  if ((xcr0_lo & kAvx512State) != kAvx512State) return false;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool avx512f = (ebx & (1u << 16)) != 0;
  const bool avx512ifma = (ebx & (1u << 21)) != 0;
  return avx512f && avx512ifma;
}
#else
bool DetectAvx512Ifma() { return false; }
#endif

bool DisabledByEnvironment() {
  const char* v = std::getenv("SIGVERIFY_DISABLE_AVX512");
  return v != nullptr && std::strcmp(v, "") != 0 && std::strcmp(v, "0") != 0;
}

}  // namespace

bool HasAvx512Ifma() {
  static const bool available = !DisabledByEnvironment() && DetectAvx512Ifma();
  return available;
}

}  // namespace sigverify::crypto
