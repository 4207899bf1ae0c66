#include "service/worker_pool.h"

#include <algorithm>

namespace sigverify::service {

WorkerPool::WorkerPool(size_t threads, size_t max_queued_cost)
    : max_queued_cost_(max_queued_cost),
      max_caller_cost_(std::max<size_t>(1, max_queued_cost / 4 * 3)) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::TrySubmitAll(std::vector<std::function<void()>> tasks, size_t total_cost,
                              const std::string& caller) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queued_cost_ + total_cost > max_queued_cost_) return false;
  CallerQueue& queue = callers_[caller];
  // One known caller's share, unless it holds nothing (a call larger than
  // the share is never refused forever).
  if (!caller.empty() && queue.cost > 0 && queue.cost + total_cost > max_caller_cost_) {
    return false;
  }
  if (queue.tasks.empty() && !tasks.empty()) ready_.push_back(caller);
  const size_t n = tasks.size();
  for (size_t i = 0; i < n; ++i) {
    // Spread the cost so that each task returns its share when it finishes.
    const size_t cost = total_cost / n + (i < total_cost % n ? 1 : 0);
    queue.tasks.push_back({std::move(tasks[i]), cost});
  }
  queue.cost += total_cost;
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
      {"sigverify_workers", "Verification threads", StatKind::kGauge,
       [this] { return double(threads()); }},
  };
}

void WorkerPool::Run() {
  for (;;) {
    Task task;
    std::string caller;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* p)
               ABSL_SHARED_LOCKS_REQUIRED(p->mu_) { return p->stopping_ || !p->ready_.empty(); },
          this));
      if (ready_.empty()) return;  // stopping and drained
      // The next caller in turn gives one task and, if it has more, goes
      // to the back of the line.
      caller = std::move(ready_.front());
      ready_.pop_front();
      CallerQueue& queue = callers_[caller];
      task = std::move(queue.tasks.front());
      queue.tasks.pop_front();
      if (!queue.tasks.empty()) ready_.push_back(caller);
    }
    task.fn();
    absl::MutexLock lock(&mu_);
    queued_cost_ -= task.cost;
    auto it = callers_.find(caller);
    it->second.cost -= task.cost;
    if (it->second.cost == 0 && it->second.tasks.empty()) callers_.erase(it);
  }
}

}  // namespace sigverify::service
