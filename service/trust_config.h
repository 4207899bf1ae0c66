// The trust configuration file (--trust-config, protobuf text format, see
// proto/sigverify/config/v1/trust_config.proto) read into crypto's terms,
// checked field by field so that a mistake names its field and line.
#ifndef SIGVERIFY_SERVICE_TRUST_CONFIG_H_
#define SIGVERIFY_SERVICE_TRUST_CONFIG_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/trust_store.h"

namespace sigverify::service {

absl::StatusOr<crypto::TrustConfig> ParseTrustConfig(std::string_view text);

// `overlay` on top of `base`: a policy or an anchor the overlay names
// replaces the base's of the same name or fingerprint.
crypto::TrustConfig MergeTrustConfig(crypto::TrustConfig base, const crypto::TrustConfig& overlay);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_TRUST_CONFIG_H_
