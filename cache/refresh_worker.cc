#include "cache/refresh_worker.h"

#include <algorithm>
#include <random>

namespace sigverify::cache {

absl::Time RefreshPoint(absl::Time this_update, absl::Time next_update, absl::Time now,
                        absl::Duration min_interval) {
  const absl::Duration window = next_update - this_update;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(-0.1, 0.1);
  return std::max(this_update + window / 2 + window * jitter(rng), now + min_interval);
}

RefreshWorker::RefreshWorker(size_t max_queue)
    : max_queue_(max_queue), thread_([this] { Loop(); }) {}

RefreshWorker::~RefreshWorker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void RefreshWorker::Schedule(const std::string& key, std::function<void()> refresh) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= max_queue_ || !queued_.insert(key).second) return;
  queue_.emplace_back(key, std::move(refresh));
}

void RefreshWorker::Loop() {
  for (;;) {
    std::pair<std::string, std::function<void()>> next;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](RefreshWorker* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (stopping_) return;
      next = std::move(queue_.back());
      queue_.pop_back();
      queued_.erase(next.first);
    }
    next.second();
    done_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace sigverify::cache
