// Revocation status by OCSP for path validation (crypto::RevocationChecker):
// the lock-free cache first; on a miss one fetch per certificate however many
// verifications ask at once (single-flight); refreshed in the background from
// about the middle of thisUpdate..nextUpdate (jittered) while the old status
// keeps serving; never served past nextUpdate + skew; failures cached for a
// short time; revoked is sticky.
//
// A certificate that names only CRL distribution points is reported as
// having no fresh status: CRL checking is not built yet, and a named source
// that cannot be consulted must not read as "checked".
#ifndef SIGVERIFY_CACHE_OCSP_REVOCATION_CHECKER_H_
#define SIGVERIFY_CACHE_OCSP_REVOCATION_CHECKER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cache/http_fetcher.h"
#include "cache/ocsp.h"
#include "cache/revocation_cache.h"
#include "cache/single_flight.h"
#include "cache/url_rewriter.h"
#include "crypto/revocation.h"

namespace sigverify::cache {

class OcspRevocationChecker : public crypto::RevocationChecker {
 public:
  struct Options {
    UrlRewriter rewriter;
    FetchLimits limits;
    absl::Duration skew = absl::Minutes(5);
    absl::Duration failure_ttl = absl::Minutes(1);
    absl::Duration max_age_without_next_update = absl::Minutes(10);
    size_t max_refresh_queue = 10000;
    // After a responder fails, it is not asked again for 1 s, then 2 s, 4 s,
    // ... up to this: one dead responder must not cost every certificate
    // that names it a full timeout.
    absl::Duration max_backoff = absl::Minutes(5);
    std::function<absl::Time()> clock = [] { return absl::Now(); };
  };

  struct Stats {
    uint64_t cache_hits = 0;
    uint64_t cache_misses = 0;
    uint64_t upstream_requests = 0;
    uint64_t upstream_failures = 0;
    uint64_t single_flight_joins = 0;
    uint64_t refreshes = 0;  // background refreshes completed
    uint64_t stapled_used = 0;
    size_t entries = 0;
  };

  explicit OcspRevocationChecker(Options options);
  ~OcspRevocationChecker() override;

  crypto::RevocationEvidence Check(const crypto::CertificatePtr& cert,
                                   const crypto::CertificatePtr& issuer,
                                   absl::Span<const std::string_view> stapled = {}) const override;
  Stats stats() const;

 private:
  using Key = std::string;  // 32 bytes: SHA-256 of the issuer key and the serial
  struct Refresh {
    Key key;
    crypto::CertificatePtr cert;
    crypto::CertificatePtr issuer;
  };

  // The cached entry for `key` if it may still be served at `now`.
  RevocationEntryPtr Usable(const Key& key, absl::Time now) const;
  // What a response is validated against now.
  OcspCheck CheckNow() const;
  // An entry from the first stapled response valid for `cert`, or null.
  RevocationEntryPtr FromStapled(const crypto::Certificate& cert, const crypto::Certificate& issuer,
                                 absl::Span<const std::string_view> stapled) const;
  RevocationEntryPtr FetchAndStore(const crypto::Certificate& cert,
                                   const crypto::Certificate& issuer, const Key& key) const;
  void ScheduleRefresh(Refresh refresh) const;
  void RefreshLoop();

  // Whether `url` may be asked at `now`; if not, why.
  bool BackingOff(const std::string& url, absl::Time now, std::string* why) const;
  void RecordOutcome(const std::string& url, bool ok, absl::Time now) const;

  struct Backoff {
    int failures = 0;
    absl::Time retry_at;
  };

  Options options_;
  mutable absl::Mutex backoff_mu_;
  mutable absl::flat_hash_map<std::string, Backoff> backoff_ ABSL_GUARDED_BY(backoff_mu_);
  mutable RevocationCache cache_;
  mutable SingleFlight<Key, RevocationEntryPtr> flight_;
  mutable std::atomic<uint64_t> hits_{0}, misses_{0}, requests_{0}, failures_{0}, refreshes_{0},
      stapled_used_{0};

  mutable absl::Mutex queue_mu_;
  mutable std::vector<Refresh> queue_ ABSL_GUARDED_BY(queue_mu_);
  mutable absl::flat_hash_set<Key> queued_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread refresher_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_OCSP_REVOCATION_CHECKER_H_
