// An AccessConfig checked and indexed: which grants a client identity
// matches, found by hash lookups (certificate fingerprint, canonical subject,
// URI SAN) rather than by walking the grants. Immutable; replaced whole when
// the configuration reloads.
#ifndef SIGVERIFY_SERVICE_ACCESS_ACCESS_POLICY_H_
#define SIGVERIFY_SERVICE_ACCESS_ACCESS_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "service/access/caller_quotas.h"
#include "service/access/client_identity.h"
#include "sigverify/config/v1/access_config.pb.h"

namespace sigverify::service::access {

namespace cfg = ::sigverify::config::v1;

// Most grants one configuration may hold (each is a metrics label).
inline constexpr int kMaxGrants = 1000;

struct GrantInfo {
  cfg::Role role = cfg::ROLE_UNSPECIFIED;
  std::string name;  // as configured, or "<role>-<index>"
  bool may_set_validation_time = false;
  QuotaLimits quota;  // its own, or the configuration's default
};

// What a caller may do in one role.
struct Decision {
  const GrantInfo* grant = nullptr;      // the first matching grant; null: none
  bool may_set_validation_time = false;  // any matching grant allows it
};

// "verifier", "auditor", "admin".
absl::string_view RoleName(cfg::Role role);

class AccessPolicy {
 public:
  // INVALID_ARGUMENT naming the grant (1-based) and field of the first
  // mistake: no role, nothing to match, a malformed fingerprint or subject,
  // may_set_validation_time outside ROLE_VERIFIER, a bad or repeated name.
  static absl::StatusOr<std::shared_ptr<const AccessPolicy>> Compile(
      const cfg::AccessConfig& config);

  Decision Match(const ClientIdentity& identity, cfg::Role role) const;

  size_t grants() const { return grants_.size(); }
  // SHA-256 of the configuration's deterministic encoding, hex.
  const std::string& version() const { return version_; }

 private:
  AccessPolicy() = default;
  void Consider(const std::vector<int>* matches, cfg::Role role, Decision& decision) const;

  std::vector<GrantInfo> grants_;
  // Keys to the indexes of the grants (in file order) that name them.
  absl::flat_hash_map<std::string, std::vector<int>> by_sha256_;
  absl::flat_hash_map<std::string, std::vector<int>> by_subject_;
  absl::flat_hash_map<std::string, std::vector<int>> by_san_uri_;
  std::string version_;
};

}  // namespace sigverify::service::access

#endif  // SIGVERIFY_SERVICE_ACCESS_ACCESS_POLICY_H_
