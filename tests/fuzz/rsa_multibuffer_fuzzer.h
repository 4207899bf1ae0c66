// Shared by the multi-buffer RSA fuzzer and its seed writer: the fixed keys
// and how an input names a key, the parameters and the mode.
//
// Input: [key][params][mode][digest: the hash's length][rest]
//   key     % 3: RSA-2048, -3072, -4096 (tests/fuzz/keys)
//   params  bit 0 PSS (else PKCS#1 v1.5); bits 1-2 hash SHA-1/256/384/512;
//           bits 3-4 MGF1 hash same/SHA-1/SHA-256/SHA-512; bits 5-7 salt
//           length -1, 0, hash length, hash length + 1, 20, 32, 64, maximum
//   mode    even: `rest`, cut or zero-padded to the modulus' length, is an
//           encoded message, signed raw with the private key (if below n);
//           odd: `rest` is the signature itself, any length
#ifndef SIGVERIFY_TESTS_FUZZ_RSA_MULTIBUFFER_FUZZER_H_
#define SIGVERIFY_TESTS_FUZZ_RSA_MULTIBUFFER_FUZZER_H_

#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/algorithm.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::fuzz {

inline constexpr int kKeyBits[3] = {2048, 3072, 4096};

inline crypto::EvpPkeyPtr LoadKey(int bits) {
  const std::string path =
      std::string(SIGVERIFY_FUZZ_KEYS_DIR) + "/rsa-" + std::to_string(bits) + ".pem";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::abort();
  }
  crypto::EvpPkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key) std::abort();
  return key;
}

inline crypto::SignatureParams ParamsFrom(uint8_t b) {
  using H = crypto::HashAlgorithm;
  static constexpr H kHashes[4] = {H::kSha1, H::kSha256, H::kSha384, H::kSha512};
  static constexpr H kMgf1[4] = {H::kNone, H::kSha1, H::kSha256, H::kSha512};
  crypto::SignatureParams p;
  p.scheme = (b & 1) ? crypto::SignatureScheme::kRsaPss : crypto::SignatureScheme::kRsaPkcs1;
  p.hash = kHashes[(b >> 1) & 3];
  p.pss_mgf1_hash = kMgf1[(b >> 3) & 3];
  const int h = static_cast<int>(crypto::HashLength(p.hash));
  static constexpr int kSalt[8] = {-1, 0, -2, -3, 20, 32, 64, -4};
  const int salt = kSalt[(b >> 5) & 7];
  p.pss_salt_length = salt == -2 ? h : salt == -3 ? h + 1 : salt == -4 ? 1000 : salt;
  return p;
}

}  // namespace sigverify::fuzz

#endif  // SIGVERIFY_TESTS_FUZZ_RSA_MULTIBUFFER_FUZZER_H_
