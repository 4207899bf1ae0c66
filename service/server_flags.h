// sigverifyd's command line: --config=FILE, --check-config, and one flag for
// each field an operator commonly sets (each is a second spelling of a
// ServerConfig field; see FlagForField). Only flags given on the command
// line override: an unset flag never masks the file's value.
#ifndef SIGVERIFY_SERVICE_SERVER_FLAGS_H_
#define SIGVERIFY_SERVICE_SERVER_FLAGS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/server_config.h"

namespace sigverify::service {

// The effective configuration: the defaults, then --config's file, then the
// flags in `specified` (names with dashes, as FlagForField gives them).
// INVALID_ARGUMENT when the file cannot be read or parsed, or a flag's value
// does not fit its field. Not validated: see ValidateServerConfig.
absl::StatusOr<ServerConfig> ServerConfigFromFlags(const std::set<std::string>& specified);

// --check-config: print the effective configuration and exit.
bool CheckConfigOnly();

// The flags ServerConfigFromFlags applies, dashes included.
std::vector<absl::string_view> OverridingFlags();

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_SERVER_FLAGS_H_
