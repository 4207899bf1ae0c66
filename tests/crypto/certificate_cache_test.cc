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
  CertificateCache cache(64);
  std::vector<std::string> certs = {PkiFile("signer-rsa.pem"), PkiFile("signer-ec.pem"),
                                    PkiFile("ca.pem"), PkiFile("root.pem")};
  std::vector<std::thread> threads;
  std::vector<std::vector<const Certificate*>> seen(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        auto c = cache.GetOrParse(certs[(i + t) % certs.size()]);
        ASSERT_TRUE(c.ok());
        if (i >= 400) seen[t].push_back(c->get());
      }
    });
  }
  for (auto& th : threads) th.join();
  // After the first round every thread sees the one cached instance per input.
  for (int t = 1; t < 8; ++t) {
    for (size_t i = 0; i < seen[t].size(); ++i) {
      const size_t cert = (400 + i + t) % certs.size();
      const size_t i0 = (cert + certs.size() - (400 % certs.size())) % certs.size();
      EXPECT_EQ(seen[t][i], seen[0][i0]);
    }
  }
  EXPECT_EQ(cache.Stats().entries, certs.size());
}

}  // namespace
}  // namespace sigverify::crypto
