// One background thread that runs refreshes of cached revocation data
// (OCSP statuses, CRLs) queued by the hot path when an entry passes its
// refresh point. Bounded: a full queue drops the request (the entry keeps
// serving until its nextUpdate and is fetched on the next miss); a key
// already queued is not queued twice.
#ifndef SIGVERIFY_CACHE_REFRESH_WORKER_H_
#define SIGVERIFY_CACHE_REFRESH_WORKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sigverify::cache {

// When to refresh data valid from `this_update` to `next_update`, had at
// `now`: around the middle of the window, jittered by +-10% of it, so that
// entries fetched together do not all refresh together; but not before
// `now + min_interval`: data fetched late in its window (a CRL published
// hours ago) must not be fetched again on every lookup.
absl::Time RefreshPoint(absl::Time this_update, absl::Time next_update, absl::Time now,
                        absl::Duration min_interval);

class RefreshWorker {
 public:
  explicit RefreshWorker(size_t max_queue);
  // Stops after the refresh running now; queued ones are dropped.
  ~RefreshWorker();
  RefreshWorker(const RefreshWorker&) = delete;
  RefreshWorker& operator=(const RefreshWorker&) = delete;

  void Schedule(const std::string& key, std::function<void()> refresh);
  uint64_t done() const { return done_.load(std::memory_order_relaxed); }

 private:
  void Loop();

  const size_t max_queue_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::function<void()>>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> queued_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> done_{0};
  std::thread thread_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_REFRESH_WORKER_H_
