// The service's own verification threads. gRPC callbacks never block: they
// hand work here and return. The queue is bounded by a cost budget (items),
// so overload is refused at admission (RESOURCE_EXHAUSTED), never queued
// without bound.
//
// Fair share across callers: work is queued per caller (a key, the access
// grant's name) and the threads take one task from each caller in turn, so a
// caller with thousands of queued items delays another's next task by at
// most one task per thread; and one caller may hold at most three quarters
// of the budget, so a flood cannot take all of it.
#ifndef SIGVERIFY_SERVICE_WORKER_POOL_H_
#define SIGVERIFY_SERVICE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "crypto/stats_table.h"

namespace sigverify::service {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued_cost);
  ~WorkerPool();  // runs what is queued, then joins

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues all of `tasks` (whose cost adds up to `total_cost`) or none of them.
  // Returns false when the budget is exhausted or the pool is stopping.
  // The work is `caller`'s; "" is every caller not known (no access
  // control), which has no share limit.
  bool TrySubmitAll(std::vector<std::function<void()>> tasks, size_t total_cost,
                    const std::string& caller = "");
  bool TrySubmit(std::function<void()> task, size_t cost, const std::string& caller = "") {
    std::vector<std::function<void()>> one;
    one.push_back(std::move(task));
    return TrySubmitAll(std::move(one), cost, caller);
  }

  size_t threads() const { return threads_.size(); }
  size_t queued_cost() const;
  size_t max_queued_cost() const { return max_queued_cost_; }
  // sigverify_worker_queue_items, ..._capacity_items, sigverify_workers
  StatsTable stats_table() const;

 private:
  struct Task {
    std::function<void()> fn;
    size_t cost;
  };
  struct CallerQueue {
    std::deque<Task> tasks;
    size_t cost = 0;  // queued and running
  };
  void Run();

  const size_t max_queued_cost_;
  const size_t max_caller_cost_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, CallerQueue> callers_ ABSL_GUARDED_BY(mu_);
  // Callers with queued tasks, in the order they are served.
  std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);
  size_t queued_cost_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_WORKER_POOL_H_
