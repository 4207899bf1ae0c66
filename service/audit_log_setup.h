// The audit log a configuration asks for: its store (SQLite or PostgreSQL),
// its checkpoint key (read, or created next to the SQLite file on the first
// start) and its writer. Side effects (files, connections) happen here, after
// the configuration was validated.
#ifndef SIGVERIFY_SERVICE_AUDIT_LOG_SETUP_H_
#define SIGVERIFY_SERVICE_AUDIT_LOG_SETUP_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/audit/audit_log.h"
#include "service/server_config.h"

namespace sigverify::service {

// Null when the configuration has no audit store.
absl::StatusOr<std::unique_ptr<audit::AuditLog>> OpenAuditLog(
    const ServerConfig& config, const std::function<void(absl::string_view)>& log);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_AUDIT_LOG_SETUP_H_
