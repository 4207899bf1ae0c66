// The lock-free map CRLs are cached in: values handed out outlive their
// replacement, and readers on every core never see a torn or freed value
// while a writer replaces and deletes (run under AddressSanitizer by
// `make test`, which catches a map freed before its grace period ended).
#include "cache/rcu_map.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sigverify::cache {
namespace {

struct Value {
  int n;
  std::string text;  // always "value <n>"
};

std::shared_ptr<const Value> Make(int n) {
  return std::make_shared<Value>(Value{n, absl::StrCat("value ", n)});
}

TEST(RcuMapTest, PutFindKeepOldAndErase) {
  RcuMap<Value> map;
  EXPECT_EQ(map.Find("a"), nullptr);
  EXPECT_EQ(map.Put("a", Make(1), [](const Value&) { return false; })->n, 1);
  // The present value may refuse its replacement; Put then returns it.
  EXPECT_EQ(map.Put("a", Make(2), [](const Value& old) { return old.n == 1; })->n, 1);
  EXPECT_EQ(map.Put("a", Make(3), [](const Value&) { return false; })->n, 3);
  std::shared_ptr<const Value> held = map.Find("a");
  EXPECT_TRUE(map.Erase("a"));
  EXPECT_FALSE(map.Erase("a"));
  EXPECT_EQ(map.Find("a"), nullptr);
  EXPECT_EQ(held->text, "value 3");  // ASan: no use after free
}

TEST(RcuMapTest, ReadersRaceAWriterThatReplacesAndDeletes) {
  RcuMap<Value> map;
  constexpr int kKeys = 32;
  auto key = [](int i) { return absl::StrCat("http://crl.example/", i, ".crl"); };
  for (int i = 0; i < kKeys; ++i) map.Put(key(i), Make(0), [](const Value&) { return false; });
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0}, torn{0};
  std::vector<std::thread> readers;
  const int n = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  for (int t = 0; t < n; ++t) {
    readers.emplace_back([&, t] {
      long local = 0;
      for (int i = t; !stop.load(std::memory_order_relaxed); i = (i + 1) % kKeys) {
        if (auto v = map.Find(key(i))) {
          if (v->text != absl::StrCat("value ", v->n)) ++torn;
          ++local;
        }
      }
      reads += local;
    });
  }
  std::thread writer([&] {
    for (int round = 1; round <= 2000; ++round) {
      if (round % 5 == 0) {
        map.Erase(key(round % kKeys));
      } else {
        map.Put(key(round % kKeys), Make(round), [](const Value&) { return false; });
      }
    }
    stop = true;
  });
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  int seen = 0;
  map.ForEach([&](const std::string&, const Value& v) {
    EXPECT_EQ(v.text, absl::StrCat("value ", v.n));
    ++seen;
  });
  EXPECT_LE(seen, kKeys);
}

}  // namespace
}  // namespace sigverify::cache
