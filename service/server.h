// sigverifyd's composition root: the components a validated ServerConfig
// asks for, built in dependency order (trust, revocation, verification,
// audit, metrics, services), started (metrics, listeners, warming) and shut
// down in reverse. main() only parses flags, validates, and drives this.
#ifndef SIGVERIFY_SERVICE_SERVER_H_
#define SIGVERIFY_SERVICE_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cache/aia_issuer_source.h"
#include "cache/revocation_sources.h"
#include "cache/revocation_store.h"
#include "crypto/trust_store.h"
#include "service/access/access_control.h"
#include "service/access_log.h"
#include "service/admin_service.h"
#include "service/audit/audit_log.h"
#include "service/audit_service.h"
#include "service/disk_space_guard.h"
#include "service/drain.h"
#include "service/metrics.h"
#include "service/metrics_http/metrics_server.h"
#include "service/server_config.h"
#include "service/trust_store_reloader.h"
#include "service/verification_service.h"
#include "service/verifier.h"
#include "service/worker_pool.h"

namespace grpc {
class Server;
}

namespace sigverify::service {

class Server;

// The trust sources of `config`: its directories, its built-in profiles
// (each anchor logged with its fingerprint) and its trust configuration file,
// under the default policy's RSA floor.
absl::StatusOr<TrustSources> TrustSourcesOf(const ServerConfig& config,
                                            const std::function<void(absl::string_view)>& log);
// Those sources loaded: what --check-config checks beyond the configuration.
absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadTrustStore(
    const ServerConfig& config, const std::function<void(absl::string_view)>& log);

class Server {
 public:
  using Log = std::function<void(absl::string_view)>;

  // Builds every component of `config`, which ValidateServerConfig accepted.
  // Opens the audit store and the revocation cache directory and starts the
  // worker, reloader and writer threads; binds no port.
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerConfig& config, Log log);
  ~Server();

  // Binds the metrics and gRPC listeners and starts serving. Health reports
  // SERVING once kept revocation data is loaded.
  absl::Status Start();
  // SIGHUP and AdminService.Reload: loads the trust sources, the access
  // configuration and the client CRLs again; each keeps its previous state
  // on failure, returned as one line per source that failed.
  std::vector<std::string> Reload();
  // Health NOT_SERVING, new calls UNAVAILABLE, calls in flight drained for
  // shutdown_grace, listeners stopped. Idempotent.
  void Shutdown();

 private:
  Server(ServerConfig config, Log log);
  absl::Status BuildTrust();
  absl::Status BuildRevocation();
  void BuildVerification();
  absl::Status BuildAudit();
  absl::Status BuildAccess();
  void BuildServices();
  void Status(v1::GetStatusResponse* out) const;
  absl::Status StartMetrics();
  absl::Status StartListeners();
  void StartWarming();

  const ServerConfig config_;
  const Log log_;
  const absl::Time started_;
  // Members are destroyed in reverse: listeners first, then what they use.
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<RevocationFetchMetrics> fetch_metrics_;
  std::unique_ptr<AuditCommitMetrics> commit_metrics_;
  std::unique_ptr<ServiceMetrics> service_metrics_;
  TrustSources sources_;
  std::shared_ptr<const crypto::TrustStore> store_;
  std::shared_ptr<cache::AiaIssuerSource> aia_;
  std::shared_ptr<const cache::RevocationStore> revocation_store_;
  std::shared_ptr<cache::OcspRevocationChecker> ocsp_;
  std::shared_ptr<cache::CrlRevocationChecker> crl_;
  std::shared_ptr<cache::RevocationSources> revocation_;
  std::shared_ptr<Verifier> verifier_;
  std::unique_ptr<TrustStoreReloader> reloader_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<audit::AuditLog> audit_log_;
  std::unique_ptr<DiskSpaceGuard> disk_guard_;  // SQLite audit log with a floor
  Drain drain_;                                 // the calls both services admitted, for Shutdown
  std::unique_ptr<access::AccessControl> access_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<VerificationService> verification_service_;
  std::unique_ptr<AuditService> audit_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::shared_ptr<ScrapeTimeGauges> scrape_gauges_;
  // Renders the registry and the gauges: stops before they go.
  std::unique_ptr<metrics_http::MetricsServer> metrics_server_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<grpc::Server> audit_server_;
  std::string grpc_address_;  // as bound: a configured port 0 is the one chosen

  absl::Mutex health_mu_;
  bool stopping_ ABSL_GUARDED_BY(health_mu_) = false;
  std::thread warming_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_SERVER_H_
