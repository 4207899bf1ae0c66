// The multi-buffer RSA kernel against BN_mod_exp of the library it is built
// with: random odd moduli of each supported size, one per lane, random and
// edge-case bases, shared and per-lane exponents.
#include "crypto/rsa_multibuffer.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "crypto/cpu_features.h"
#include "crypto/openssl_ptr.h"
#include "gtest/gtest.h"

namespace sigverify::crypto {
namespace {

class Bytes {
 public:
  explicit Bytes(uint64_t seed) : rng_(seed) {}
  std::string Random(size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(rng_());
    return out;
  }
  uint64_t Word() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

BignumPtr FromBytes(std::string_view be) {
  return BignumPtr(
      BN_bin2bn(reinterpret_cast<const uint8_t*>(be.data()), static_cast<int>(be.size()), nullptr));
}

std::string ToBytes(const BIGNUM* v, int len) {
  std::string out(static_cast<size_t>(len), '\0');
  EXPECT_EQ(BN_bn2binpad(v, reinterpret_cast<uint8_t*>(out.data()), len), len);
  return out;
}

// An odd modulus of exactly `bits` bits (the kernel needs no primes).
std::string RandomModulus(Bytes& rng, int bits) {
  std::string n = rng.Random(static_cast<size_t>(bits / 8));
  n.front() = static_cast<char>(static_cast<uint8_t>(n.front()) | 0x80);
  n.back() = static_cast<char>(static_cast<uint8_t>(n.back()) | 1);
  return n;
}

struct Lane {
  std::unique_ptr<const RsaLaneKey> key;
  BignumPtr n, e;
};

Lane MakeLane(Bytes& rng, int bits, uint64_t e) {
  Lane lane;
  lane.n = FromBytes(RandomModulus(rng, bits));
  lane.e.reset(BN_new());
  EXPECT_TRUE(BN_set_word(lane.e.get(), e));
  lane.key = RsaLaneKey::FromRsa(lane.n.get(), lane.e.get());
  EXPECT_NE(lane.key, nullptr);
  return lane;
}

// A base below n: random, or one of the values at the edges.
std::string Base(Bytes& rng, const Lane& lane, int kind) {
  const int len = lane.key->modulus_bytes();
  BignumPtr v(BN_new());
  switch (kind % 8) {
    case 0:
      BN_zero(v.get());
      break;
    case 1:
      BN_one(v.get());
      break;
    case 2:  // n - 1
    case 3:  // n - 2
      BN_copy(v.get(), lane.n.get());
      BN_sub_word(v.get(), kind % 8 == 2 ? 1 : 2);
      break;
    case 4: {  // a long run of ones, below n
      std::string ones(static_cast<size_t>(len), '\xff');
      ones[0] = '\0';
      v = FromBytes(ones);
      break;
    }
    default: {
      v = FromBytes(rng.Random(static_cast<size_t>(len)));
      BN_CTX* ctx = BN_CTX_new();
      BN_mod(v.get(), v.get(), lane.n.get(), ctx);
      BN_CTX_free(ctx);
    }
  }
  return ToBytes(v.get(), len);
}

std::string Expected(const std::string& s, const Lane& lane) {
  BignumPtr base = FromBytes(s);
  BignumPtr r(BN_new());
  BN_CTX* ctx = BN_CTX_new();
  EXPECT_TRUE(BN_mod_exp(r.get(), base.get(), lane.e.get(), lane.n.get(), ctx));
  BN_CTX_free(ctx);
  return ToBytes(r.get(), lane.key->modulus_bytes());
}

class RsaMultiBufferTest : public testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!HasAvx512Ifma()) GTEST_SKIP() << "no AVX-512 IFMA on this processor";
  }

  // Runs `rounds` calls of 1..8 lanes with exponents from `exponent` and
  // checks each lane against BN_mod_exp.
  void Run(int rounds, const std::function<uint64_t(Bytes&, int)>& exponent) {
    Bytes rng(static_cast<uint64_t>(GetParam()) * 7919 + rounds);
    int checked = 0;
    for (int round = 0; round < rounds; ++round) {
      const size_t count = 1 + static_cast<size_t>(round % kRsaLanes);
      std::vector<Lane> lanes;
      std::vector<std::string> bases, outs;
      for (size_t k = 0; k < count; ++k) {
        lanes.push_back(MakeLane(rng, GetParam(), exponent(rng, static_cast<int>(k))));
        bases.push_back(Base(rng, lanes.back(), round * 8 + static_cast<int>(k)));
        outs.emplace_back(static_cast<size_t>(lanes.back().key->modulus_bytes()), '\0');
      }
      std::vector<RsaLaneJob> jobs;
      for (size_t k = 0; k < count; ++k) {
        ASSERT_TRUE(BelowModulus(*lanes[k].key, bases[k]));
        jobs.push_back({lanes[k].key.get(), bases[k], reinterpret_cast<uint8_t*>(outs[k].data())});
      }
      ASSERT_TRUE(RsaPublicMultiBuffer(jobs));
      for (size_t k = 0; k < count; ++k) {
        ASSERT_EQ(outs[k], Expected(bases[k], lanes[k])) << "round " << round << " lane " << k;
        ++checked;
      }
    }
    EXPECT_GT(checked, rounds);
  }
};

TEST_P(RsaMultiBufferTest, SharedExponent65537) {
  Run(40, [](Bytes&, int) { return uint64_t{65537}; });
}

TEST_P(RsaMultiBufferTest, SharedSmallExponent) {
  Run(16, [](Bytes&, int) { return uint64_t{3}; });
}

TEST_P(RsaMultiBufferTest, EveryLaneItsOwnExponent) {
  // Odd, 3 <= e < 2^33, of every length: lanes start their exponent at
  // different bits.
  Run(24, [](Bytes& rng, int lane) {
    const int bits = 2 + static_cast<int>(rng.Word() % 32);
    uint64_t e = (rng.Word() & ((uint64_t{1} << bits) - 1)) | (uint64_t{1} << (bits - 1)) | 1;
    if (lane == 0) e = 65537;
    return e < 3 ? uint64_t{3} : e;
  });
}

INSTANTIATE_TEST_SUITE_P(Sizes, RsaMultiBufferTest, testing::Values(2048, 3072, 4096),
                         [](const testing::TestParamInfo<int>& info) {
                           return "Rsa" + std::to_string(info.param);
                         });

TEST(RsaLaneKeyTest, TakesOnlyTheKernelsSizesAndRealExponents) {
  Bytes rng(1);
  BignumPtr e(BN_new());
  ASSERT_TRUE(BN_set_word(e.get(), 65537));
  for (int bits : {1024, 2040, 2056, 3064, 4104, 8192}) {
    BignumPtr n = FromBytes(RandomModulus(rng, bits));
    EXPECT_EQ(RsaLaneKey::FromRsa(n.get(), e.get()), nullptr) << bits;
  }
  BignumPtr n = FromBytes(RandomModulus(rng, 2048));
  ASSERT_NE(RsaLaneKey::FromRsa(n.get(), e.get()), nullptr);
  for (uint64_t bad : {uint64_t{1}, uint64_t{65536}, uint64_t{1} << 40 | 1}) {
    ASSERT_TRUE(BN_set_word(e.get(), bad));
    EXPECT_EQ(RsaLaneKey::FromRsa(n.get(), e.get()), nullptr) << bad;
  }
  ASSERT_TRUE(BN_set_word(e.get(), 65537));
  BN_clear_bit(n.get(), 0);  // even
  EXPECT_EQ(RsaLaneKey::FromRsa(n.get(), e.get()), nullptr);
}

TEST(RsaLaneKeyTest, LimbsRoundTrip) {
  Bytes rng(2);
  for (int len : {256, 384, 512}) {
    const std::string in = rng.Random(static_cast<size_t>(len));
    uint64_t limbs[RsaLaneKey::kMaxLimbs];
    const int count = (len * 8 + 51) / 52;
    BytesToLimbs52(reinterpret_cast<const uint8_t*>(in.data()), len, limbs, count);
    for (int j = 0; j < count; ++j) EXPECT_LT(limbs[j], uint64_t{1} << 52);
    std::string out(static_cast<size_t>(len), '\0');
    Limbs52ToBytes(limbs, count, reinterpret_cast<uint8_t*>(out.data()), len);
    EXPECT_EQ(out, in);
  }
}

TEST(RsaMultiBufferCallTest, RefusesMixedSizesAndTooManyJobs) {
  if (!HasAvx512Ifma()) GTEST_SKIP() << "no AVX-512 IFMA on this processor";
  Bytes rng(3);
  Lane a = MakeLane(rng, 2048, 65537);
  Lane b = MakeLane(rng, 3072, 65537);
  std::string sa = Base(rng, a, 1), sb = Base(rng, b, 1);
  std::string oa(256, '\0'), ob(384, '\0');
  std::vector<RsaLaneJob> mixed = {{a.key.get(), sa, reinterpret_cast<uint8_t*>(oa.data())},
                                   {b.key.get(), sb, reinterpret_cast<uint8_t*>(ob.data())}};
  EXPECT_FALSE(RsaPublicMultiBuffer(mixed));
  std::vector<RsaLaneJob> nine(9, mixed[0]);
  EXPECT_FALSE(RsaPublicMultiBuffer(nine));
  EXPECT_FALSE(RsaPublicMultiBuffer({}));
  std::vector<RsaLaneJob> short_sig = {
      {a.key.get(), std::string_view(sa).substr(1), reinterpret_cast<uint8_t*>(oa.data())}};
  EXPECT_FALSE(RsaPublicMultiBuffer(short_sig));
}

}  // namespace
}  // namespace sigverify::crypto
