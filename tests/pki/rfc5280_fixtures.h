// Certificate paths for the RFC 5280 section 6 tests, one directory per case
// under DIR/rfc5280/<case>/: anchors.pem (trust anchors), chain.pem (the
// intermediates a caller would send, any order) and leaf.pem (the signer).
// Path-building cases write their certificates by role instead. What each
// case must yield is asserted in tests/crypto/rfc5280_test.cc, not here.
#ifndef SIGVERIFY_TESTS_PKI_RFC5280_FIXTURES_H_
#define SIGVERIFY_TESTS_PKI_RFC5280_FIXTURES_H_

#include <filesystem>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sigverify::testing {

absl::Status WriteRfc5280Fixtures(const std::filesystem::path& dir, absl::Time now);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_RFC5280_FIXTURES_H_
