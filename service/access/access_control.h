// Who may call what, decided per call: the caller's client certificate
// (gRPC validated its path at the handshake) checked against the client CRLs
// and matched against the access configuration's grants for the role the
// method needs. The configuration and the CRLs are reloaded when their files
// change and on SIGHUP; a reload that fails keeps what was in force. The
// decision is gRPC-free: the service passes the peer certificate gRPC
// reports (PEM).
#ifndef SIGVERIFY_SERVICE_ACCESS_ACCESS_CONTROL_H_
#define SIGVERIFY_SERVICE_ACCESS_ACCESS_CONTROL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "crypto/stats_table.h"
#include "service/access/access_policy.h"
#include "service/access/client_crls.h"
#include "service/access/client_identity.h"

namespace sigverify::service::access {

// The caller of one call, as the service records and meters it.
struct Caller {
  ClientIdentityPtr identity;  // null: the connection had no client certificate
  // The grant it came in by (metrics label, access log); "open" without
  // access control.
  std::string label = "open";
  // The caller's validation_time counts as proof of existence.
  bool may_set_validation_time = false;
  // What the grant's callers together may ask (no limit without access
  // control).
  QuotaLimits quota;
};

class AccessControl {
 public:
  struct Options {
    // The grants: a file (reloaded) or a configuration given inline; neither:
    // every call is allowed (the loopback demo).
    std::string config_file;
    std::optional<cfg::AccessConfig> config;
    // Client CAs (PEM), to verify the client CRLs with; and the CRLs.
    std::string client_ca_file;
    std::string client_crl_file;
    absl::Duration poll_interval = absl::Seconds(5);  // zero: SIGHUP only
    std::function<void(const std::string&)> log = [](const std::string&) {};
  };

  // Loads everything once; the first error is returned (sigverifyd does not
  // start on it).
  static absl::StatusOr<std::unique_ptr<AccessControl>> Create(Options options);
  ~AccessControl();

  // Whether grants are checked (an access configuration is in force).
  bool enabled() const { return enabled_; }

  // The caller of a call to `method` ("/sigverify.v1.AuditService/
  // QueryRecords"), which needs `role`, on a connection whose peer
  // certificate is `peer_pem` (empty: none). UNAUTHENTICATED for a
  // certificate that is revoked, expired at `now`, or not for client
  // authentication; PERMISSION_DENIED naming the method, the role and the
  // certificate when no grant matches. Without access control every call is
  // allowed (a certificate, when there is one, is still identified and
  // checked).
  absl::StatusOr<Caller> Authorize(absl::string_view peer_pem, cfg::Role role,
                                   absl::string_view method, absl::Time now) const;

  // Reads the configuration file and the CRLs again; on failure keeps the
  // ones in force and returns why.
  absl::Status Reload();

  size_t grants() const;
  std::string version() const;  // of the access configuration; empty: none
  // sigverify_access_reloads_total, ..._reload_failures_total,
  // sigverify_access_denied_total{reason}
  StatsTable stats_table() const;

 private:
  struct State {
    std::shared_ptr<const AccessPolicy> policy;  // null: access control off
    std::shared_ptr<const ClientCrls> crls;
  };
  explicit AccessControl(Options options) : options_(std::move(options)) {}
  absl::StatusOr<State> Load() const;
  std::string FilesState() const;
  void Poll();
  State Current() const;
  absl::StatusOr<ClientIdentityPtr> Identify(absl::string_view pem) const;

  Options options_;
  bool enabled_ = false;
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
  // Parsed peer certificates by their PEM (bounded; emptied when full).
  mutable absl::Mutex identities_mu_;
  mutable absl::flat_hash_map<std::string, ClientIdentityPtr> identities_
      ABSL_GUARDED_BY(identities_mu_);
  absl::Mutex reload_mu_;  // one reload at a time
  std::string last_files_ ABSL_GUARDED_BY(reload_mu_);
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> reload_failures_{0};
  mutable std::atomic<uint64_t> denied_no_grant_{0};
  mutable std::atomic<uint64_t> denied_revoked_{0};
  mutable std::atomic<uint64_t> denied_certificate_{0};
  absl::Notification stop_;
  std::thread poller_;
};

}  // namespace sigverify::service::access

#endif  // SIGVERIFY_SERVICE_ACCESS_ACCESS_CONTROL_H_
