// What the OCSP and CRL checkers share: their options (fetching, freshness,
// refresh, backoff, the clock, metrics and the disk store) and their
// statistics.
#ifndef SIGVERIFY_CACHE_REVOCATION_SOURCE_H_
#define SIGVERIFY_CACHE_REVOCATION_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cache/http_fetcher.h"
#include "cache/revocation_store.h"
#include "cache/url_rewriter.h"

namespace sigverify::cache {

struct SourceOptions {
  UrlRewriter rewriter;
  FetchLimits limits;
  absl::Duration skew = absl::Minutes(5);
  absl::Duration failure_ttl = absl::Minutes(1);
  absl::Duration min_refresh_interval = absl::Minutes(5);  // see RefreshPoint
  size_t max_refresh_queue = 10000;
  // After a server fails, it is not asked again for 1 s, then 2 s, 4 s, ...
  // up to this: one dead server must not cost every certificate that names
  // it a full timeout.
  absl::Duration max_backoff = absl::Minutes(5);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Called after every upstream request with its outcome ("ok", "invalid":
  // an answer that did not validate, "error": no answer) and how long the
  // HTTP exchange took (metrics).
  std::function<void(const char* outcome, absl::Duration took)> on_fetch;
  // Where what is fetched or received is kept across restarts; may be null.
  std::shared_ptr<const RevocationStore> store;
};

struct SourceStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t stale_served = 0;  // served past the refresh point, refresh under way
  uint64_t upstream_requests = 0;
  uint64_t upstream_failures = 0;
  uint64_t single_flight_joins = 0;
  uint64_t refreshes = 0;  // background refreshes completed
  uint64_t stapled_used = 0;
};

// The counters behind SourceStats that the checkers bump.
struct SourceCounters {
  std::atomic<uint64_t> hits{0}, misses{0}, stale_served{0}, requests{0}, failures{0},
      stapled_used{0};

  static void Count(std::atomic<uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  // The counters, and the two kept elsewhere.
  void Fill(uint64_t joins, uint64_t refreshes, SourceStats* out) const {
    out->cache_hits = hits.load();
    out->cache_misses = misses.load();
    out->stale_served = stale_served.load();
    out->upstream_requests = requests.load();
    out->upstream_failures = failures.load();
    out->single_flight_joins = joins;
    out->refreshes = refreshes;
    out->stapled_used = stapled_used.load();
  }
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_REVOCATION_SOURCE_H_
