// A record signed here with a test-PKI signer's key, for benchmarks and the
// load generator, and the raw OpenSSL verification they compare against.
#ifndef SIGVERIFY_BENCH_SIGNED_RECORD_H_
#define SIGVERIFY_BENCH_SIGNED_RECORD_H_

#include <string>

#include "absl/status/statusor.h"
#include "crypto/openssl_ptr.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::bench {

struct SignedRecord {
  std::string data;
  std::string signature;
  crypto::EvpPkeyPtr public_key;  // the signer certificate's key
  const EVP_MD* md = nullptr;     // null for Ed25519
  bool pss = false;
  v1::VerifyRequest request;  // data, signature, signer, issuing CA
};

// `signer` names <signer>.pem/.key in `pki_dir`; the algorithm must fit the
// key (rsa-pkcs1/pss-sha256 for signer-rsa, ecdsa-sha256 for signer-ec,
// ed25519 for signer-ed25519). Records of different `variant`s sign different
// data (for loads of unique signatures).
absl::StatusOr<SignedRecord> MakeSignedRecord(const std::string& pki_dir, const std::string& signer,
                                              v1::SignatureAlgorithm algorithm, size_t data_bytes,
                                              int variant = 0);

// One verification as an application would write it with OpenSSL: a fresh
// EVP_MD_CTX, EVP_DigestVerifyInit, EVP_DigestVerify. Returns true if valid.
bool RawVerify(const SignedRecord& r);

absl::StatusOr<std::string> ReadPkiFile(const std::string& pki_dir, const std::string& name);

}  // namespace sigverify::bench

#endif  // SIGVERIFY_BENCH_SIGNED_RECORD_H_
