// Revocation cache lookups, the cost revocation adds to every certificate of
// every verified path: the lock-free RCU table against a mutex-guarded map
// and a reader-writer-locked map holding the same entries, at 1..N threads.
// A lookup that scales with threads shows as flat ns/op per thread.
#include <benchmark/benchmark.h>
#include <urcu/urcu-memb.h>
// urcu-memb.h first: rculfhash.h needs the flavour's declarations.
#include <urcu/rculfhash.h>

#include <cstddef>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "cache/revocation_cache.h"

namespace sigverify::cache {
namespace {

constexpr int kEntries = 100000;

const std::vector<crypto::Sha256Digest>& Keys() {
  static const auto* keys = [] {
    auto* k = new std::vector<crypto::Sha256Digest>();
    for (int i = 0; i < kEntries; ++i) k->push_back(crypto::Sha256(absl::StrCat("serial ", i)));
    return k;
  }();
  return *keys;
}

RevocationEntryPtr AnEntry() {
  auto e = std::make_shared<RevocationEntry>();
  e->status = RevocationEntry::Status::kGood;
  e->source = "ocsp";
  return e;
}

struct DigestHash {
  size_t operator()(const crypto::Sha256Digest& d) const {
    size_t h;
    std::memcpy(&h, d.data(), sizeof(h));
    return h;
  }
};

void BM_Rcu_Find(benchmark::State& state) {
  static RevocationCache* cache = [] {
    auto* c = new RevocationCache();
    for (const auto& k : Keys()) c->Put(k, AnEntry());
    return c;
  }();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Find(Keys()[i++ % kEntries]));
  }
}

using PlainMap = absl::flat_hash_map<crypto::Sha256Digest, RevocationEntryPtr, DigestHash>;

const PlainMap& FilledMap() {
  static const auto* map = [] {
    auto* m = new PlainMap();
    for (const auto& k : Keys()) (*m)[k] = AnEntry();
    return m;
  }();
  return *map;
}

// One map behind a lock of type Mutex, taken as Lock (exclusive or shared).
template <typename Mutex, typename Lock>
void LockedMapFind(benchmark::State& state) {
  static Mutex mu;
  const PlainMap& map = FilledMap();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    RevocationEntryPtr e;
    {
      Lock lock(mu);
      auto it = map.find(Keys()[i++ % kEntries]);
      if (it != map.end()) e = it->second;
    }
    benchmark::DoNotOptimize(e);
  }
}

void BM_Mutex_Find(benchmark::State& state) {
  LockedMapFind<std::mutex, std::lock_guard<std::mutex>>(state);
}

void BM_SharedMutex_Find(benchmark::State& state) {
  LockedMapFind<std::shared_mutex, std::shared_lock<std::shared_mutex>>(state);
}

// The design ADR 0008 measured and set aside: liburcu's lock-free hash table.
struct LfhtNode {
  cds_lfht_node node;
  crypto::Sha256Digest key;
  RevocationEntryPtr entry;
};

int LfhtMatch(cds_lfht_node* node, const void* key) {
  auto* n = reinterpret_cast<LfhtNode*>(reinterpret_cast<char*>(node) - offsetof(LfhtNode, node));
  return n->key == *static_cast<const crypto::Sha256Digest*>(key);
}

void BM_Lfht_Find(benchmark::State& state) {
  static cds_lfht* table = [] {
    EnsureRcuRegistered();
    cds_lfht* t = cds_lfht_new_flavor(1 << 16, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                      &urcu_memb_flavor, nullptr);
    urcu_memb_read_lock();
    for (const auto& k : Keys()) {
      auto* n = new LfhtNode{{}, k, AnEntry()};
      cds_lfht_node_init(&n->node);
      cds_lfht_add(t, DigestHash()(k), &n->node);
    }
    urcu_memb_read_unlock();
    return t;
  }();
  EnsureRcuRegistered();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    const crypto::Sha256Digest& key = Keys()[i++ % kEntries];
    RevocationEntryPtr e;
    urcu_memb_read_lock();
    cds_lfht_iter iter;
    cds_lfht_lookup(table, DigestHash()(key), LfhtMatch, &key, &iter);
    if (cds_lfht_node* n = cds_lfht_iter_get_node(&iter)) {
      e = reinterpret_cast<LfhtNode*>(reinterpret_cast<char*>(n) - offsetof(LfhtNode, node))->entry;
    }
    urcu_memb_read_unlock();
    benchmark::DoNotOptimize(e);
  }
}

BENCHMARK(BM_Rcu_Find)->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_Mutex_Find)->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_SharedMutex_Find)->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_Lfht_Find)->ThreadRange(1, 4)->UseRealTime();

}  // namespace
}  // namespace sigverify::cache

BENCHMARK_MAIN();
