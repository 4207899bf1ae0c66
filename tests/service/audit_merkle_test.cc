// RFC 9162 Merkle trees: known answers, and every inclusion and consistency
// proof of every tree up to 40 leaves checked against a tree built the
// naive way (a separate recursive definition over the leaf list) with the
// RFC's own verification algorithms; any changed hash must fail.
#include <random>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "service/audit/merkle.h"

namespace sigverify::audit {
namespace {

std::string Hex(const Hash& h) { return absl::BytesToHexString(std::string(h.begin(), h.end())); }

// MTH by the definition (RFC 9162 2.1.1), straight from the leaf data.
Hash Naive(const std::vector<std::string>& d, size_t begin, size_t end) {
  if (end - begin == 1) return LeafHash(d[begin]);
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(Naive(d, begin, begin + k), Naive(d, begin + k, end));
}

TEST(MerkleTest, KnownAnswers) {
  EXPECT_EQ(Hex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The empty leaf: SHA-256 of the single byte 0x00.
  EXPECT_EQ(Hex(LeafHash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  std::vector<Hash> none;
  EXPECT_EQ(*RootAt(NodesFromLeaves(&none), 0), EmptyRoot());
}

class MerkleTreesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(7);
    for (int i = 0; i < 40; ++i) {
      std::string leaf(static_cast<size_t>(rng() % 40), '\0');
      for (char& c : leaf) c = static_cast<char>(rng());
      data_.push_back(leaf);
      hashes_.push_back(LeafHash(leaf));
    }
  }
  std::vector<std::string> data_;
  std::vector<Hash> hashes_;
};

TEST_F(MerkleTreesTest, EveryInclusionProofVerifiesAndNoAlteredOneDoes) {
  for (size_t n = 1; n <= data_.size(); ++n) {
    std::vector<Hash> leaves(hashes_.begin(), hashes_.begin() + static_cast<long>(n));
    const NodeSource nodes = NodesFromLeaves(&leaves);
    const Hash root = Naive(data_, 0, n);
    ASSERT_EQ(*RootAt(nodes, n), root) << n;
    for (size_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(nodes, i, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, *proof, root).ok()) << i << " of " << n;
      // Another leaf, another index, a changed hash: all fail.
      EXPECT_FALSE(VerifyInclusion(LeafHash("x"), i, n, *proof, root).ok());
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(leaves[i], (i + 1) % n, n, *proof, root).ok());
      }
      for (size_t k = 0; k < proof->size(); ++k) {
        std::vector<Hash> altered = *proof;
        altered[k][0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(leaves[i], i, n, altered, root).ok());
      }
      if (!proof->empty()) {
        std::vector<Hash> shorter(proof->begin(), proof->end() - 1);
        EXPECT_FALSE(VerifyInclusion(leaves[i], i, n, shorter, root).ok());
      }
    }
    EXPECT_EQ(InclusionProof(nodes, n, n).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(MerkleTreesTest, EveryConsistencyProofVerifiesAndNoAlteredOneDoes) {
  for (size_t n = 1; n <= data_.size(); ++n) {
    std::vector<Hash> leaves(hashes_.begin(), hashes_.begin() + static_cast<long>(n));
    const NodeSource nodes = NodesFromLeaves(&leaves);
    const Hash new_root = Naive(data_, 0, n);
    for (size_t m = 1; m <= n; ++m) {
      const Hash old_root = Naive(data_, 0, m);
      auto proof = ConsistencyProof(nodes, m, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyConsistency(m, n, old_root, new_root, *proof).ok()) << m << " -> " << n;
      for (size_t k = 0; k < proof->size(); ++k) {
        std::vector<Hash> altered = *proof;
        altered[k][31] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, altered).ok()) << m << " " << n;
      }
      if (m < n) {
        // A rewritten history: the old tree with one leaf changed.
        std::vector<std::string> forged(data_.begin(), data_.begin() + static_cast<long>(n));
        forged[m - 1] += "!";
        EXPECT_FALSE(VerifyConsistency(m, n, Naive(forged, 0, m), new_root, *proof).ok());
      }
    }
  }
}

}  // namespace
}  // namespace sigverify::audit
