// Reloads the trust-anchor directory on demand (SIGHUP) and when its files
// change (polled), and installs the new store without dropping a request:
// calls in flight finish on the store they started with. A store that does
// not load is refused and the old one kept, with a log line and a metric.
#ifndef SIGVERIFY_SERVICE_TRUST_STORE_RELOADER_H_
#define SIGVERIFY_SERVICE_TRUST_STORE_RELOADER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "crypto/stats_table.h"
#include "crypto/trust_store.h"
#include "service/verifier.h"

namespace sigverify::service {

// Where a trust store's contents come from: directories (empty: none),
// certificates and configuration given directly (from flags and built-in
// trust profiles), and a trust configuration file (empty: none) on top.
struct TrustSources {
  std::string anchors_directory;
  std::string intermediates_directory;
  std::vector<crypto::CertificatePtr> anchors;
  std::vector<crypto::CertificatePtr> intermediates;
  crypto::TrustConfig config;
  std::string config_file;
};

absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadTrustStore(
    const TrustSources& sources);

class TrustStoreReloader {
 public:
  struct Options {
    TrustSources sources;  // its directories are watched
    size_t path_cache_size = 100000;
    absl::Duration poll_interval = absl::Seconds(5);  // zero: no polling
    std::function<void(const std::string&)> log = [](const std::string&) {};
    // Given to every new path validator (AIA fetching, revocation); may be
    // null.
    std::shared_ptr<const crypto::IssuerSource> issuer_source;
    std::shared_ptr<const crypto::RevocationChecker> revocation;
  };

  // Polls from a thread of its own until destroyed.
  TrustStoreReloader(Verifier* verifier, Options options);
  ~TrustStoreReloader();

  // Loads the sources now and installs them if it loads; otherwise keeps the
  // current store and returns why. Safe from any thread.
  absl::Status ReloadNow();

  uint64_t reloads() const { return reloads_.load(); }
  uint64_t failures() const { return failures_.load(); }
  // sigverify_trust_store_reloads_total, ..._reload_failures_total
  StatsTable stats_table() const;

 private:
  // Names, sizes and modification times of the directories' entries and of
  // the configuration file.
  std::string DirectoryState() const;
  void Poll();

  Verifier* verifier_;
  Options options_;
  absl::Mutex reload_mu_;  // one reload at a time
  std::string last_state_ ABSL_GUARDED_BY(reload_mu_);
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> failures_{0};
  absl::Notification stop_;
  std::thread poller_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_TRUST_STORE_RELOADER_H_
