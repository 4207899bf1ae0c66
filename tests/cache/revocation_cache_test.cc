#include "cache/revocation_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/single_flight.h"
#include "gtest/gtest.h"

namespace sigverify::cache {
namespace {

crypto::Sha256Digest Key(int i) { return crypto::Sha256(absl::StrCat("certificate ", i)); }

RevocationEntryPtr Entry(RevocationEntry::Status status, int generation) {
  auto e = std::make_shared<RevocationEntry>();
  e->status = status;
  e->revocation_reason = generation;  // a tag the readers check
  e->responder = absl::StrCat("responder ", generation);
  return e;
}

TEST(RevocationCacheTest, PutFindReplaceErase) {
  RevocationCache cache;
  EXPECT_EQ(cache.Find(Key(1)), nullptr);
  EXPECT_TRUE(cache.Put(Key(1), Entry(RevocationEntry::Status::kGood, 1)));
  ASSERT_NE(cache.Find(Key(1)), nullptr);
  EXPECT_EQ(cache.Find(Key(1))->revocation_reason, 1);
  EXPECT_TRUE(cache.Put(Key(1), Entry(RevocationEntry::Status::kGood, 2)));
  EXPECT_EQ(cache.Find(Key(1))->revocation_reason, 2);
  EXPECT_EQ(cache.Size(), 1u);
  EXPECT_TRUE(cache.Erase(Key(1)));
  EXPECT_FALSE(cache.Erase(Key(1)));
  EXPECT_EQ(cache.Find(Key(1)), nullptr);
}

TEST(RevocationCacheTest, RevokedIsSticky) {
  RevocationCache cache;
  ASSERT_TRUE(cache.Put(Key(7), Entry(RevocationEntry::Status::kRevoked, 1)));
  EXPECT_FALSE(cache.Put(Key(7), Entry(RevocationEntry::Status::kGood, 2)));
  EXPECT_FALSE(cache.Put(Key(7), Entry(RevocationEntry::Status::kFetchFailed, 3)));
  EXPECT_EQ(cache.Find(Key(7))->status, RevocationEntry::Status::kRevoked);
  // A newer revoked entry (e.g. a later CRL) may still replace it.
  EXPECT_TRUE(cache.Put(Key(7), Entry(RevocationEntry::Status::kRevoked, 4)));
  EXPECT_EQ(cache.Find(Key(7))->revocation_reason, 4);
}

TEST(RevocationCacheTest, AnEntryHandedOutOutlivesItsReplacement) {
  RevocationCache cache;
  cache.Put(Key(3), Entry(RevocationEntry::Status::kGood, 1));
  RevocationEntryPtr held = cache.Find(Key(3));
  cache.Put(Key(3), Entry(RevocationEntry::Status::kGood, 2));
  cache.Erase(Key(3));
  EXPECT_EQ(held->responder, "responder 1");  // ASan: no use after free
}

// Readers on every core while a writer replaces and deletes the same keys:
// every entry a reader sees is whole (its fields agree with each other). Run
// under AddressSanitizer by `make test`, which catches a node freed before
// its grace period ended.
TEST(RevocationCacheTest, ReadersRaceAWriterThatReplacesAndDeletes) {
  RevocationCache cache;
  constexpr int kKeys = 64;
  for (int i = 0; i < kKeys; ++i) cache.Put(Key(i), Entry(RevocationEntry::Status::kGood, 0));
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<long> torn{0};
  std::vector<std::thread> readers;
  const int n = std::max(2u, std::thread::hardware_concurrency());
  for (int t = 0; t < n; ++t) {
    readers.emplace_back([&, t] {
      long local = 0;
      for (int i = t; !stop.load(std::memory_order_relaxed); i = (i + 1) % kKeys) {
        if (RevocationEntryPtr e = cache.Find(Key(i))) {
          if (e->responder != absl::StrCat("responder ", e->revocation_reason)) ++torn;
          ++local;
        }
      }
      reads += local;
    });
  }
  std::thread writer([&] {
    for (int round = 1; round <= 2000; ++round) {
      const int i = round % kKeys;
      if (round % 5 == 0) {
        cache.Erase(Key(i));
      } else {
        cache.Put(Key(i), Entry(RevocationEntry::Status::kGood, round));
      }
    }
    stop = true;
  });
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

TEST(SingleFlightTest, AThousandConcurrentMissesMakeOneCall) {
  SingleFlight<int, int> flight;
  std::atomic<int> calls{0};
  std::atomic<int> shared{0};
  constexpr int kCallers = 1000;
  std::vector<std::thread> threads;
  threads.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      auto r = flight.Do(42, [&] {
        ++calls;
        // The upstream request is slow: it lasts until every other caller
        // has joined it.
        while (flight.Joiners(42) < kCallers - 1) std::this_thread::yield();
        return 7;
      });
      EXPECT_EQ(r.value, 7);
      if (r.shared) ++shared;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(shared.load(), kCallers - 1);
  EXPECT_EQ(flight.joins(), static_cast<uint64_t>(kCallers - 1));
}

}  // namespace
}  // namespace sigverify::cache
