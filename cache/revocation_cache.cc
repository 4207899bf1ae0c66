#include "cache/revocation_cache.h"

#include <urcu/urcu-memb.h>

#include <cstring>
#include <type_traits>

namespace sigverify::cache {
namespace {

struct RcuThread {
  RcuThread() { urcu_memb_register_thread(); }
  ~RcuThread() { urcu_memb_unregister_thread(); }
};

// Read-side critical section for the current scope.
struct ReadLock {
  ReadLock() { urcu_memb_read_lock(); }
  ~ReadLock() { urcu_memb_read_unlock(); }
};

// What call_rcu frees: a retired shard. Standard layout, rcu_head first.
struct RetiredShard {
  rcu_head head;
  void* shard;
  void (*destroy)(void*);
};

void FreeRetired(rcu_head* head) {
  auto* retired = reinterpret_cast<RetiredShard*>(head);
  retired->destroy(retired->shard);
  delete retired;
}

size_t ShardOf(const crypto::Sha256Digest& key) {
  // The last byte: independent of the bytes the shard's own map hashes.
  return key[key.size() - 1] % RevocationCache::kShards;
}

}  // namespace

size_t RevocationCache::DigestHash::operator()(const crypto::Sha256Digest& d) const {
  size_t h;
  std::memcpy(&h, d.data(), sizeof(h));
  return h;
}

struct RevocationCache::Shard {
  absl::flat_hash_map<crypto::Sha256Digest, RevocationEntryPtr, DigestHash> entries;
};

void EnsureRcuRegistered() { thread_local RcuThread registered; }

static_assert(std::is_standard_layout_v<RetiredShard>);

RevocationCache::RevocationCache() {
  for (auto& shard : shards_) shard.store(new Shard(), std::memory_order_relaxed);
}

RevocationCache::~RevocationCache() {
  // No reader may still run: the owner destroys the cache after its users.
  for (auto& shard : shards_) delete shard.load(std::memory_order_relaxed);
  // Shards replaced earlier are freed by call_rcu callbacks; wait for them.
  urcu_memb_barrier();
}

RevocationEntryPtr RevocationCache::Find(const crypto::Sha256Digest& key) const {
  EnsureRcuRegistered();
  ReadLock read;
  const Shard* shard = shards_[ShardOf(key)].load(std::memory_order_acquire);
  auto it = shard->entries.find(key);
  // The copy takes a reference inside the critical section, so the entry
  // outlives the shard even if a writer replaces it right after.
  return it == shard->entries.end() ? nullptr : it->second;
}

bool RevocationCache::Put(const crypto::Sha256Digest& key, RevocationEntryPtr entry) {
  EnsureRcuRegistered();
  absl::MutexLock lock(&write_mu_);
  std::atomic<Shard*>& slot = shards_[ShardOf(key)];
  Shard* old = slot.load(std::memory_order_relaxed);
  if (auto it = old->entries.find(key); it != old->entries.end() &&
                                        it->second->status == RevocationEntry::Status::kRevoked &&
                                        entry->status != RevocationEntry::Status::kRevoked) {
    return false;
  }
  auto* fresh = new Shard();
  fresh->entries = old->entries;
  fresh->entries[key] = std::move(entry);
  Publish(slot, fresh);
  return true;
}

bool RevocationCache::Erase(const crypto::Sha256Digest& key) {
  EnsureRcuRegistered();
  absl::MutexLock lock(&write_mu_);
  std::atomic<Shard*>& slot = shards_[ShardOf(key)];
  Shard* old = slot.load(std::memory_order_relaxed);
  if (!old->entries.contains(key)) return false;
  auto* fresh = new Shard();
  fresh->entries = old->entries;
  fresh->entries.erase(key);
  Publish(slot, fresh);
  return true;
}

void RevocationCache::Publish(std::atomic<Shard*>& slot, Shard* fresh) {
  Shard* old = slot.exchange(fresh, std::memory_order_acq_rel);
  // Readers that loaded `old` may still use it: free it after they are done.
  auto* retired = new RetiredShard{{}, old, [](void* p) { delete static_cast<Shard*>(p); }};
  urcu_memb_call_rcu(&retired->head, FreeRetired);
}

size_t RevocationCache::Size() const {
  EnsureRcuRegistered();
  ReadLock read;
  size_t n = 0;
  for (const auto& shard : shards_) n += shard.load(std::memory_order_acquire)->entries.size();
  return n;
}

}  // namespace sigverify::cache
