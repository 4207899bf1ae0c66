// The packed block of the audit index: entries read back as written, one
// entry readable alone, damaged blocks refused, and blocks cut where their
// times would span more than kBlockSpan or their records pass the maximum.
#include <limits>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/audit/block_index.h"

namespace sigverify::audit {
namespace {

BlockEntry Entry(int64_t time, uint64_t i) {
  BlockEntry e;
  e.time_micros = time;
  e.offset = 4096 * i;
  e.signer_key = IndexKey(KeyKind::kSigner, absl::StrCat("signer ", i % 3));
  e.caller_key = -static_cast<int64_t>(i) - 1;
  e.record_key = std::numeric_limits<int64_t>::min() + static_cast<int64_t>(i);
  e.leaf_hash = LeafHash(absl::StrCat("record ", i));
  e.indication = static_cast<uint8_t>(i % 256);
  return e;
}

void ExpectSame(const BlockEntry& a, const BlockEntry& b) {
  EXPECT_EQ(a.time_micros, b.time_micros);
  EXPECT_EQ(a.offset, b.offset);
  EXPECT_EQ(a.signer_key, b.signer_key);
  EXPECT_EQ(a.caller_key, b.caller_key);
  EXPECT_EQ(a.record_key, b.record_key);
  EXPECT_EQ(a.leaf_hash, b.leaf_hash);
  EXPECT_EQ(a.indication, b.indication);
}

TEST(BlockIndexTest, EntriesReadBackWholeAndOneByOne) {
  std::vector<BlockEntry> entries;
  for (uint64_t i = 0; i < 300; ++i) entries.push_back(Entry(-5 + static_cast<int64_t>(i), i));
  entries[7].offset = kPrunedOffset;
  const std::string data = EncodeBlock(entries);
  EXPECT_EQ(data.size(), kBlockHeaderSize + 300 * kBlockEntrySize);
  auto decoded = DecodeBlock(data);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), 300u);
  for (size_t i = 0; i < entries.size(); ++i) {
    ExpectSame((*decoded)[i], entries[i]);
    ExpectSame(DecodeEntry(data.data() + EntryPlace(i)), entries[i]);
  }
  EXPECT_EQ(*BlockCount(EncodeBlock({})), 0u);
}

TEST(BlockIndexTest, ABlockThatIsNotWholeIsRefused) {
  const std::string data = EncodeBlock({Entry(1, 1), Entry(2, 2)});
  EXPECT_EQ(BlockCount(data.substr(0, data.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(BlockCount(data + "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BlockCount("").status().code(), absl::StatusCode::kDataLoss);
  std::string other_version = data;
  other_version[0] = 2;
  EXPECT_EQ(DecodeBlock(other_version).status().code(), absl::StatusCode::kDataLoss);
}

TEST(BlockIndexTest, KeysSeparateKindsAndAreNeverZero) {
  EXPECT_NE(IndexKey(KeyKind::kCaller, "x"), IndexKey(KeyKind::kRecordId, "x"));
  EXPECT_EQ(IndexKey(KeyKind::kCaller, "x"), IndexKey(KeyKind::kCaller, "x"));
  LeafRow row;
  row.caller = "CN=Văn thư";
  KeyMemo memo;
  const BlockEntry e = EntryOf(row, memo);
  EXPECT_EQ(e.signer_key, 0);  // no signer, no key
  EXPECT_EQ(e.record_key, 0);
  EXPECT_EQ(e.caller_key, IndexKey(KeyKind::kCaller, "CN=Văn thư"));
  EXPECT_EQ(e.offset, kPrunedOffset);  // no place in a log
  // The memo gives each text its own key, whatever it saw before.
  for (const char* caller : {"CN=Văn thư", "CN=Một cửa", "CN=Một cửa", "", "CN=Văn thư"}) {
    row.caller = caller;
    row.record_id = caller;
    const BlockEntry next = EntryOf(row, memo);
    EXPECT_EQ(next.caller_key, *caller ? IndexKey(KeyKind::kCaller, caller) : 0) << caller;
    EXPECT_EQ(next.record_key, *caller ? IndexKey(KeyKind::kRecordId, caller) : 0) << caller;
  }
}

std::vector<size_t> EndsOf(const std::vector<int64_t>& times) {
  std::vector<BlockEntry> entries;
  for (int64_t t : times) entries.push_back(Entry(t, 0));
  return BlockEnds(entries);
}

TEST(BlockIndexTest, BlocksAreCutWhereTheirTimesWouldSpanTooMuch) {
  EXPECT_TRUE(EndsOf({}).empty());
  EXPECT_EQ(EndsOf({5}), std::vector<size_t>{1});
  // Back and forth within the span: one block.
  EXPECT_EQ(EndsOf({0, kBlockSpan, 3, kBlockSpan / 2}), std::vector<size_t>{4});
  // Past it either way: a new block, whose own span starts afresh.
  EXPECT_EQ(EndsOf({0, kBlockSpan + 1, kBlockSpan + 2, 1}), (std::vector<size_t>{1, 3, 4}));
  // A clock an age apart does not overflow the difference.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(EndsOf({kMin, kMax, kMax, kMin}), (std::vector<size_t>{1, 3, 4}));
  std::vector<int64_t> many(2 * kMaxBlockRecords + 1, 42);
  EXPECT_EQ(EndsOf(many), (std::vector<size_t>{kMaxBlockRecords, 2 * kMaxBlockRecords,
                                               2 * kMaxBlockRecords + 1}));
}

}  // namespace
}  // namespace sigverify::audit
