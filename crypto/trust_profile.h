// Named sets of trust anchors compiled into the binary, enabled only on
// request (--trust-profile). Operators confirm their fingerprints against the
// CA's own publication before enabling one (sigverify trust-profile NAME).
#ifndef SIGVERIFY_CRYPTO_TRUST_PROFILE_H_
#define SIGVERIFY_CRYPTO_TRUST_PROFILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/certificate.h"
#include "crypto/trust_store.h"

namespace sigverify::crypto {

std::vector<std::string> TrustProfileNames();

struct TrustProfile {
  std::vector<CertificatePtr> anchors;
  // Issuing CAs the profile's paths may use without callers sending them.
  std::vector<CertificatePtr> intermediates;
  // The profile's validation policies and per-anchor settings.
  TrustConfig config;
};

// A built-in profile; NOT_FOUND names the profiles there are.
absl::StatusOr<TrustProfile> LoadTrustProfile(std::string_view name);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_TRUST_PROFILE_H_
