// sigverifyd's configuration (proto/sigverify/config/v1/server_config.proto):
// the built-in defaults, a text-format file over them, and the check of the
// whole that runs before any side effect. Pure: nothing here binds, writes
// or starts anything; files named by the configuration are only read.
#ifndef SIGVERIFY_SERVICE_SERVER_CONFIG_H_
#define SIGVERIFY_SERVICE_SERVER_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/access/access_control.h"
#include "sigverify/config/v1/server_config.pb.h"

namespace sigverify::service {

using ServerConfig = ::sigverify::config::v1::ServerConfig;

// Every field set to its built-in value (what `make run` and a bare
// `sigverifyd --trust-anchors=DIR` use).
ServerConfig DefaultServerConfig();

// A text-format configuration file's content; errors name line and column.
absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view text);

// Every field `overlay` sets replaces the same field of `base`: a repeated
// field is replaced whole, a Duration as a value, a sub-message field by field.
void OverlayServerConfig(const ServerConfig& overlay, ServerConfig* base);

// The command-line flag that overrides `field` ("limits.max_batch_items" ->
// "--max-batch-items"); empty when none does.
absl::string_view FlagForField(absl::string_view field);

// Every (field, flag) pair FlagForField knows.
std::vector<std::pair<absl::string_view, absl::string_view>> FieldsWithFlags();

// Checks every value and every combination of `config` (defaults already
// applied). INVALID_ARGUMENT names the field and its flag: "--max-batch-items
// (limits.max_batch_items) = 0: outside 1..1000000".
absl::Status ValidateServerConfig(const ServerConfig& config);

// A Duration field as absl::Duration.
absl::Duration ToAbslDuration(const google::protobuf::Duration& d);

// Whether the configuration has grants (inline or in a file).
bool HasAccessConfig(const ServerConfig& config);
// Access control as the configuration asks for it (polled with the trust
// sources' interval).
access::AccessControl::Options AccessOptionsOf(const ServerConfig& config);

// The checkpoint-signing identity the audit log uses: `audit.instance_id`, or
// the host name when empty.
std::string AuditInstanceId(const ServerConfig& config);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_SERVER_CONFIG_H_
