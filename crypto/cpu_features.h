// What the processor and the operating system let this process run, asked
// once: the multi-buffer RSA backend needs AVX-512 IFMA and an OS that saves
// the AVX-512 register state on context switches.
#ifndef SIGVERIFY_CRYPTO_CPU_FEATURES_H_
#define SIGVERIFY_CRYPTO_CPU_FEATURES_H_

namespace sigverify::crypto {

// True when AVX-512 F and IFMA (vpmadd52luq/vpmadd52huq) are usable: CPUID
// reports them and XCR0 shows the OS enabled the opmask and ZMM state.
// Setting SIGVERIFY_DISABLE_AVX512=1 in the environment makes it false (for
// comparisons on one machine).
bool HasAvx512Ifma();

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_CPU_FEATURES_H_
