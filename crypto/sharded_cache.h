// A bounded, thread-safe map from SHA-256 digests to immutable shared values.
//
// Reads take one shard's reader lock for a hash probe and a shared_ptr copy
// (no allocation); 64 shards keep two readers on different keys from meeting.
// When a shard is full, an insert evicts by second chance: entries read since
// the last sweep survive one pass. Values are immutable, so a reader keeps
// using an evicted value safely through its shared_ptr.
#ifndef SIGVERIFY_CRYPTO_SHARDED_CACHE_H_
#define SIGVERIFY_CRYPTO_SHARDED_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "crypto/sha256.h"

namespace sigverify::crypto {

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  size_t entries = 0;
};

template <typename Value>
class ShardedCache {
 public:
  static constexpr size_t kShards = 64;

  explicit ShardedCache(size_t capacity)
      : per_shard_capacity_(capacity / kShards > 0 ? capacity / kShards : 1) {}

  std::shared_ptr<const Value> Find(const Sha256Digest& key) const {
    const Shard& shard = ShardFor(key);
    absl::ReaderMutexLock lock(&shard.mu);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    it->second.referenced.store(true, std::memory_order_relaxed);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second.value;
  }

  // Inserts unless present; returns the value now cached under the key, so
  // racing inserters converge on one instance.
  std::shared_ptr<const Value> Insert(const Sha256Digest& key, std::shared_ptr<const Value> value) {
    Shard& shard = ShardFor(key);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) return it->second.value;
    if (shard.map.size() >= per_shard_capacity_) EvictOne(shard);
    shard.map.try_emplace(key, std::move(value));
    return shard.map.find(key)->second.value;
  }

  CacheStats Stats() const {
    CacheStats s;
    s.hits = hits_.load(std::memory_order_relaxed);
    s.misses = misses_.load(std::memory_order_relaxed);
    s.evictions = evictions_.load(std::memory_order_relaxed);
    for (const Shard& shard : shards_) {
      absl::ReaderMutexLock lock(&shard.mu);
      s.entries += shard.map.size();
    }
    return s;
  }

  size_t capacity() const { return per_shard_capacity_ * kShards; }

 private:
  struct Entry {
    explicit Entry(std::shared_ptr<const Value> v) : value(std::move(v)) {}
    // flat_hash_map moves entries when it grows; only under the writer lock.
    Entry(Entry&& o) noexcept
        : value(std::move(o.value)), referenced(o.referenced.load(std::memory_order_relaxed)) {}
    std::shared_ptr<const Value> value;
    mutable std::atomic<bool> referenced{false};
  };
  struct alignas(64) Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<Sha256Digest, Entry, Sha256DigestHash> map;
  };

  const Shard& ShardFor(const Sha256Digest& key) const { return shards_[key[31] % kShards]; }
  Shard& ShardFor(const Sha256Digest& key) { return shards_[key[31] % kShards]; }

  void EvictOne(Shard& shard) {
    // Table order is pseudo-random, so this is random eviction that spares
    // recently used entries; at most two passes.
    for (int pass = 0; pass < 2; ++pass) {
      for (auto it = shard.map.begin(); it != shard.map.end(); ++it) {
        if (pass == 0 && it->second.referenced.exchange(false, std::memory_order_relaxed)) {
          continue;
        }
        shard.map.erase(it);
        evictions_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
  }

  const size_t per_shard_capacity_;
  std::array<Shard, kShards> shards_;
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_SHARDED_CACHE_H_
