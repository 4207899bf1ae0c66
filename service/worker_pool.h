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
//
// Two lanes: interactive work (unary calls, small batches) and bulk work
// (large batches, documents). Bulk work has threads of its own at a lower
// CPU priority (nice +10), and the interactive threads do interactive work
// only: on a saturated machine a unary call neither waits for a batch's
// tasks nor shares the CPU evenly with them — the kernel runs it, and gRPC's
// own threads, ahead of the bulk threads. Without interactive work the bulk
// threads have the CPU to themselves: throughput is the same. A pool
// without bulk threads runs both lanes on its threads, interactive first.
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
  enum class Lane { kInteractive, kBulk };

  // `threads` interactive threads and `bulk_threads` bulk threads (none:
  // the interactive threads do bulk work too, after interactive work).
  WorkerPool(size_t threads, size_t max_queued_cost, size_t bulk_threads = 0);
  ~WorkerPool();  // runs what is queued, then joins

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues all of `tasks` (whose cost adds up to `total_cost`) or none of them.
  // Returns false when the budget is exhausted or the pool is stopping.
  // The work is `caller`'s; "" is every caller not known (no access
  // control), which has no share limit.
  bool TrySubmitAll(std::vector<std::function<void()>> tasks, size_t total_cost,
                    const std::string& caller = "", Lane lane = Lane::kInteractive);
  bool TrySubmit(std::function<void()> task, size_t cost, const std::string& caller = "",
                 Lane lane = Lane::kInteractive) {
    std::vector<std::function<void()>> one;
    one.push_back(std::move(task));
    return TrySubmitAll(std::move(one), cost, caller, lane);
  }

  // Interactive threads (what a batch is split for).
  size_t threads() const { return interactive_threads_; }
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
  struct LaneQueues {
    absl::flat_hash_map<std::string, CallerQueue> callers;
    // Callers with queued tasks, in the order they are served.
    std::deque<std::string> ready;
  };
  void Run(bool bulk);
  // The lane a thread of the kind takes its next task from; null: none.
  LaneQueues* NextLane(bool bulk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queued_cost_;
  const size_t max_caller_cost_;
  mutable absl::Mutex mu_;
  LaneQueues interactive_ ABSL_GUARDED_BY(mu_);
  LaneQueues bulk_ ABSL_GUARDED_BY(mu_);
  // Each caller's cost in both lanes, for its share.
  absl::flat_hash_map<std::string, size_t> caller_cost_ ABSL_GUARDED_BY(mu_);
  size_t queued_cost_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t interactive_threads_;
  const size_t bulk_threads_;
  std::vector<std::thread> threads_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_WORKER_POOL_H_
