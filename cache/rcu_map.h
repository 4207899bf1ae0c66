// A small map for the hot path whose lookups take no lock and never wait:
// one immutable hash map published through an atomic pointer; a reader
// finds its key inside an RCU read-side critical section and takes a
// reference to the value; a writer copies the map, changes the copy,
// publishes it and frees the old map after a grace period.
//
// For tens to hundreds of entries (CRLs, one per CA and distribution
// point): every write copies the whole map. RevocationCache shards the same
// scheme for the hundreds of thousands of per-certificate OCSP statuses.
#ifndef SIGVERIFY_CACHE_RCU_MAP_H_
#define SIGVERIFY_CACHE_RCU_MAP_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cache/rcu.h"

namespace sigverify::cache {

template <typename Value>
class RcuMap {
 public:
  using Ptr = std::shared_ptr<const Value>;
  using Map = absl::flat_hash_map<std::string, Ptr>;

  RcuMap() : map_(new Map()) {}
  ~RcuMap() {
    delete map_.load(std::memory_order_relaxed);
    WaitForRetired();
  }
  RcuMap(const RcuMap&) = delete;
  RcuMap& operator=(const RcuMap&) = delete;

  // The value for `key`, or null. Lock-free; any thread.
  Ptr Find(const std::string& key) const {
    EnsureRcuRegistered();
    RcuReadLock read;
    const Map* map = map_.load(std::memory_order_acquire);
    auto it = map->find(key);
    return it == map->end() ? nullptr : it->second;
  }

  // Publishes `value` for `key` unless `keep_old(old value)` says the
  // present one must stay; returns what the map holds for `key` after.
  template <typename KeepOld>
  Ptr Put(const std::string& key, Ptr value, KeepOld keep_old) {
    EnsureRcuRegistered();
    absl::MutexLock lock(&write_mu_);
    Map* old = map_.load(std::memory_order_relaxed);
    if (auto it = old->find(key); it != old->end() && keep_old(*it->second)) return it->second;
    auto* fresh = new Map(*old);
    (*fresh)[key] = value;
    Publish(fresh);
    return value;
  }

  // Removes `key`'s value; false when there was none.
  bool Erase(const std::string& key) {
    EnsureRcuRegistered();
    absl::MutexLock lock(&write_mu_);
    Map* old = map_.load(std::memory_order_relaxed);
    if (!old->contains(key)) return false;
    auto* fresh = new Map(*old);
    fresh->erase(key);
    Publish(fresh);
    return true;
  }

  // Calls `fn(key, value)` for every entry of one consistent snapshot.
  template <typename Fn>
  void ForEach(Fn fn) const {
    EnsureRcuRegistered();
    RcuReadLock read;
    for (const auto& [key, value] : *map_.load(std::memory_order_acquire)) fn(key, *value);
  }

 private:
  void Publish(Map* fresh) {
    Map* old = map_.exchange(fresh, std::memory_order_acq_rel);
    RetireAfterGracePeriod(old);
  }

  std::atomic<Map*> map_;
  absl::Mutex write_mu_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_RCU_MAP_H_
