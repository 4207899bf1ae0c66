#include "service/worker_pool.h"

namespace sigverify::service {

WorkerPool::WorkerPool(size_t threads, size_t max_queued_cost) : max_queued_cost_(max_queued_cost) {
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

bool WorkerPool::TrySubmitAll(std::vector<std::function<void()>> tasks, size_t total_cost) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queued_cost_ + total_cost > max_queued_cost_) return false;
  const size_t n = tasks.size();
  for (size_t i = 0; i < n; ++i) {
    // Spread the cost so that each task returns its share when it finishes.
    const size_t cost = total_cost / n + (i < total_cost % n ? 1 : 0);
    queue_.push_back({std::move(tasks[i]), cost});
  }
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
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* p)
               ABSL_SHARED_LOCKS_REQUIRED(p->mu_) { return p->stopping_ || !p->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task.fn();
    absl::MutexLock lock(&mu_);
    queued_cost_ -= task.cost;
  }
}

}  // namespace sigverify::service
