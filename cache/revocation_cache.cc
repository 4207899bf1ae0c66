#include "cache/revocation_cache.h"

#include <cstring>

#include "cache/rcu.h"

namespace sigverify::cache {
namespace {

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

RevocationCache::RevocationCache() {
  for (auto& shard : shards_) shard.store(new Shard(), std::memory_order_relaxed);
}

RevocationCache::~RevocationCache() {
  // No reader may still run: the owner destroys the cache after its users.
  for (auto& shard : shards_) delete shard.load(std::memory_order_relaxed);
  // Shards replaced earlier are freed by call_rcu callbacks; wait for them.
  WaitForRetired();
}

RevocationEntryPtr RevocationCache::Find(const crypto::Sha256Digest& key) const {
  EnsureRcuRegistered();
  RcuReadLock read;
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
  RetireAfterGracePeriod(old);
}

size_t RevocationCache::Size() const {
  EnsureRcuRegistered();
  RcuReadLock read;
  size_t n = 0;
  for (const auto& shard : shards_) n += shard.load(std::memory_order_acquire)->entries.size();
  return n;
}

}  // namespace sigverify::cache
