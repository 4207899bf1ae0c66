// Generates a test PKI shaped like Vietnam's public-service PKI (G2): an
// RSA-4096 root, an RSA-4096 issuing CA with pathLen 0 and the government
// policy OID, RSA-2048 / P-256 / Ed25519 signers with Vietnamese UTF-8 names,
// and the broken cases tests need (expired, not yet valid, wrong key usage,
// weak key, a signer under an untrusted root).
#ifndef SIGVERIFY_TESTS_PKI_TEST_PKI_H_
#define SIGVERIFY_TESTS_PKI_TEST_PKI_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sigverify::testing {

// Writes <name>.pem (certificate) and <name>.key (PKCS#8 private key) for
// every member, and sample.txt with signatures sample.txt.<signer>.sig, into
// `dir`. Validity is relative to `now`.
absl::Status WriteTestPki(const std::string& dir, absl::Time now);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_TEST_PKI_H_
