#include "service/worker_pool.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace sigverify::service {

namespace {

// The bulk threads' nice value: the kernel gives a nice-0 thread about ten
// times their CPU share when both want it.
constexpr int kBulkNice = 10;

}  // namespace

WorkerPool::WorkerPool(size_t threads, size_t max_queued_cost, size_t bulk_threads)
    : max_queued_cost_(max_queued_cost),
      max_caller_cost_(std::max<size_t>(1, max_queued_cost / 4 * 3)),
      interactive_threads_(threads),
      bulk_threads_(bulk_threads) {
  threads_.reserve(threads + bulk_threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(false); });
  for (size_t i = 0; i < bulk_threads; ++i) threads_.emplace_back([this] { Run(true); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::TrySubmitAll(std::vector<std::function<void()>> tasks, size_t total_cost,
                              const std::string& caller, Lane lane) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queued_cost_ + total_cost > max_queued_cost_) return false;
  size_t& caller_cost = caller_cost_[caller];
  // One known caller's share, unless it holds nothing (a call larger than
  // the share is never refused forever).
  if (!caller.empty() && caller_cost > 0 && caller_cost + total_cost > max_caller_cost_) {
    return false;
  }
  LaneQueues& queues = lane == Lane::kBulk ? bulk_ : interactive_;
  CallerQueue& queue = queues.callers[caller];
  if (queue.tasks.empty() && !tasks.empty()) queues.ready.push_back(caller);
  const size_t n = tasks.size();
  for (size_t i = 0; i < n; ++i) {
    // Spread the cost so that each task returns its share when it finishes.
    const size_t cost = total_cost / n + (i < total_cost % n ? 1 : 0);
    queue.tasks.push_back({std::move(tasks[i]), cost});
  }
  queue.cost += total_cost;
  caller_cost += total_cost;
  queued_cost_ += total_cost;
  return true;
}

size_t WorkerPool::queued_cost() const {
  absl::MutexLock lock(&mu_);
  return queued_cost_;
}

StatsTable WorkerPool::stats_table() const {
  return {
      {"sigverify_worker_queue_items", "Items admitted to the worker pool and not finished",
       StatKind::kGauge, [this] { return double(queued_cost()); }},
      {"sigverify_worker_queue_capacity_items", "Admission limit of the worker pool",
       StatKind::kGauge, [this] { return double(max_queued_cost()); }},
      {"sigverify_workers", "Verification threads, interactive and bulk", StatKind::kGauge,
       [this] { return double(threads_.size()); }},
  };
}

WorkerPool::LaneQueues* WorkerPool::NextLane(bool bulk) {
  if (!bulk && !interactive_.ready.empty()) return &interactive_;
  // Interactive threads do bulk work only when the pool has no bulk threads:
  // otherwise one would be busy with it (a batch's last task serializes the
  // whole answer) when a unary call comes.
  if ((bulk || bulk_threads_ == 0) && !bulk_.ready.empty()) return &bulk_;
  return nullptr;
}

void WorkerPool::Run(bool bulk) {
  // Named for top, perf and gdb.
  pthread_setname_np(pthread_self(), bulk ? "sv-bulk" : "sv-worker");
  // Per thread on Linux; lowering one's own priority needs no privilege.
  if (bulk) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBulkNice);
  struct Waiting {
    WorkerPool* pool;
    bool bulk;
  } waiting{this, bulk};
  for (;;) {
    Task task;
    std::string caller;
    LaneQueues* lane;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Waiting* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return w->pool->stopping_ || w->pool->NextLane(w->bulk) != nullptr;
          },
          &waiting));
      lane = NextLane(bulk);
      if (lane == nullptr) return;  // stopping and drained
      // The next caller in turn gives one task and, if it has more, goes
      // to the back of the line.
      caller = std::move(lane->ready.front());
      lane->ready.pop_front();
      CallerQueue& queue = lane->callers[caller];
      task = std::move(queue.tasks.front());
      queue.tasks.pop_front();
      if (!queue.tasks.empty()) lane->ready.push_back(caller);
    }
    task.fn();
    absl::MutexLock lock(&mu_);
    queued_cost_ -= task.cost;
    auto it = lane->callers.find(caller);
    it->second.cost -= task.cost;
    if (it->second.cost == 0 && it->second.tasks.empty()) lane->callers.erase(it);
    auto total = caller_cost_.find(caller);
    total->second -= task.cost;
    if (total->second == 0) caller_cost_.erase(total);
  }
}

}  // namespace sigverify::service
