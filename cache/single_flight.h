// Concurrent requests for one key share one call: the first caller runs the
// function, callers arriving while it runs wait for and share its result.
// This is what makes the CA's responder see one request per certificate per
// refresh however many verifications miss at once. The map of calls in
// flight is touched only on a cache miss, never on the hot path.
#ifndef SIGVERIFY_CACHE_SINGLE_FLIGHT_H_
#define SIGVERIFY_CACHE_SINGLE_FLIGHT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace sigverify::cache {

template <typename Key, typename Value>
class SingleFlight {
 public:
  struct Result {
    Value value;
    bool shared;  // true for a caller that joined another's call
  };

  // Callers waiting on the call in flight for `key` (0 when none).
  size_t Joiners(const Key& key) {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second->joiners;
  }
  // Callers that joined another's call, in total (a metric).
  uint64_t joins() const { return joins_.load(std::memory_order_relaxed); }

  Result Do(const Key& key, const std::function<Value()>& fn) {
    std::shared_ptr<Call> call;
    bool leader = false;
    {
      absl::MutexLock lock(&mu_);
      auto& slot = calls_[key];
      if (slot == nullptr) {
        slot = std::make_shared<Call>();
        leader = true;
      } else {
        ++slot->joiners;
      }
      call = slot;
    }
    if (!leader) {
      joins_.fetch_add(1, std::memory_order_relaxed);
      call->done.WaitForNotification();
      return {*call->value, true};
    }
    call->value = fn();
    {
      absl::MutexLock lock(&mu_);
      calls_.erase(key);
    }
    call->done.Notify();
    return {*call->value, false};
  }

 private:
  struct Call {
    absl::Notification done;
    std::optional<Value> value;
    size_t joiners = 0;  // guarded by mu_
  };
  absl::Mutex mu_;
  absl::flat_hash_map<Key, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> joins_{0};
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_SINGLE_FLIGHT_H_
