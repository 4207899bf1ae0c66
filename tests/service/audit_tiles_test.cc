#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/audit/tiles.h"

namespace sigverify::audit {
namespace {

std::string Bytes(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), 32);
}

class HashTileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 70000; ++i) leaves_.push_back(LeafHash(absl::StrCat("record ", i)));
  }
  std::vector<Hash> leaves_;
};

// Each tile is the run of node hashes it names, from the tree of its size
// (checked against the naive tree).
TEST_F(HashTileTest, TilesAreTheNodesTheyName) {
  const NodeSource nodes = NodesFromLeaves(&leaves_);
  const uint64_t size = leaves_.size();  // 273 full level-0 tiles and 112 hashes
  auto full = HashTile(nodes, size, 0, 3, 256);
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->size(), 256u * 32);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(full->substr(i * 32, 32), Bytes(leaves_[768 + i])) << i;
  auto edge = HashTile(nodes, size, 0, 273, 112);
  ASSERT_TRUE(edge.ok()) << edge.status();
  EXPECT_EQ(edge->substr(111 * 32), Bytes(leaves_[69999]));
  // A partial tile is a prefix of the full one.
  auto prefix = HashTile(nodes, size, 0, 3, 17);
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(*prefix, full->substr(0, 17 * 32));
  // Level 1: nodes of height 8, each the root of 256 leaves; 273 of them.
  auto one = HashTile(nodes, size, 1, 1, 17);
  ASSERT_TRUE(one.ok()) << one.status();
  for (int i = 0; i < 17; ++i) {
    EXPECT_EQ(one->substr(i * 32, 32), Bytes(*nodes(8, 256 + i))) << i;
  }
  auto root_of_first = SubtreeRoot(nodes, 256 * 256, 256 * 256 + 256);
  ASSERT_TRUE(root_of_first.ok());
  EXPECT_EQ(one->substr(0, 32), Bytes(*root_of_first));
}

TEST_F(HashTileTest, WhatTheTreeDoesNotHoldWholeIsNotFound) {
  const NodeSource nodes = NodesFromLeaves(&leaves_);
  const uint64_t size = leaves_.size();
  EXPECT_EQ(HashTile(nodes, size, 0, 273, 113).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(HashTile(nodes, size, 0, 274, 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(HashTile(nodes, size, 1, 1, 18).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(HashTile(nodes, size, 2, 0, 1).ok());  // the first 65,536 leaves
  EXPECT_EQ(HashTile(nodes, size, 2, 0, 2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(HashTile(nodes, size, 3, 0, 1).status().code(), absl::StatusCode::kNotFound);
  // An index so large that 256 * index overflows is not found either.
  EXPECT_EQ(HashTile(nodes, size, 0, ~uint64_t{0}, 256).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(HashTile(nodes, ~uint64_t{0}, 7, ~uint64_t{0} >> 8, 256).status().code(),
            absl::StatusCode::kNotFound);
  // Smaller trees: the same tile is not there yet.
  EXPECT_EQ(HashTile(nodes, 768 + 16, 0, 3, 17).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(HashTile(nodes, 768 + 17, 0, 3, 17).ok());
}

TEST_F(HashTileTest, LevelAndWidthOutsideTheirRangesAreRefused) {
  const NodeSource nodes = NodesFromLeaves(&leaves_);
  for (auto [level, width] :
       std::vector<std::pair<uint32_t, uint32_t>>{{8, 1}, {~0u, 1}, {0, 0}, {0, 257}, {0, ~0u}}) {
    auto tile = HashTile(nodes, leaves_.size(), level, 0, width);
    EXPECT_EQ(tile.status().code(), absl::StatusCode::kInvalidArgument) << level << " " << width;
  }
}

}  // namespace
}  // namespace sigverify::audit
