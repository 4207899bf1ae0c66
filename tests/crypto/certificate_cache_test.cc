#include "crypto/certificate_cache.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

using sigverify::testing::PkiFile;

TEST(CertificateCacheTest, SecondLookupIsAHitAndReturnsTheSameObject) {
  CertificateCache cache(128);
  const std::string pem = PkiFile("signer-rsa.pem");
  auto a = cache.GetOrParse(pem);
  auto b = cache.GetOrParse(pem);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Stats().misses, 1u);
}

TEST(CertificateCacheTest, GarbageIsNotCached) {
  CertificateCache cache(128);
  EXPECT_FALSE(cache.GetOrParse("not a certificate").ok());
  EXPECT_EQ(cache.Stats().entries, 0u);
}

TEST(ShardedCacheTest, StaysWithinCapacity) {
  ShardedCache<int> cache(ShardedCache<int>::kShards * 4);
  for (int i = 0; i < 10000; ++i) {
    cache.Insert(Sha256(std::to_string(i)), std::make_shared<const int>(i));
  }
  EXPECT_LE(cache.Stats().entries, cache.capacity());
  EXPECT_GT(cache.Stats().evictions, 0u);
}

TEST(ShardedCacheTest, RecentlyReadEntriesSurviveEviction) {
  ShardedCache<int> cache(ShardedCache<int>::kShards * 8);
  const Sha256Digest hot = Sha256("hot");
  cache.Insert(hot, std::make_shared<const int>(-1));
  for (int i = 0; i < 2000; ++i) {
    ASSERT_NE(cache.Find(hot), nullptr) << "evicted after " << i << " inserts";
    cache.Insert(Sha256(std::to_string(i)), std::make_shared<const int>(i));
  }
}

TEST(CertificateCacheTest, ConcurrentReadersAndInsertersConvergeOnOneObject) {
  // Large enough that no entry is evicted: every shard holds 16.
  CertificateCache cache(ShardedCache<Certificate>::kShards * 16);
  const std::vector<std::string> certs = {PkiFile("signer-rsa.pem"), PkiFile("signer-ec.pem"),
                                          PkiFile("ca.pem"), PkiFile("root.pem")};
  constexpr int kThreads = 8;
  // last[t][c]: the object thread t got for certificate c on its last lookup.
  std::vector<std::vector<const Certificate*>> last(kThreads,
                                                    std::vector<const Certificate*>(certs.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 400; ++i) {
        const size_t c = static_cast<size_t>(i + t) % certs.size();
        auto cert = cache.GetOrParse(certs[c]);
        ASSERT_TRUE(cert.ok());
        last[t][c] = cert->get();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(last[t], last[0]) << "thread " << t;
  EXPECT_EQ(cache.Stats().entries, certs.size());
}

}  // namespace
}  // namespace sigverify::crypto
