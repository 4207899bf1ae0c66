#include <gtest/gtest.h>

#include <cstdint>

#include "service/audit/leaf_encoding.h"

namespace sigverify::audit {
namespace {

v1::AuditRecord Record() {
  v1::AuditRecord r;
  r.set_shard("hanoi-01");
  r.set_method("Verify");
  r.set_record_id("CV-2026/123");
  r.mutable_time()->set_seconds(1796000000);
  r.set_data_hash(std::string(32, '\x11'));
  r.mutable_signer()->set_subject("CN=Nguyễn Văn An,O=UBND,C=VN");
  r.set_indication(v1::INDICATION_TOTAL_PASSED);
  r.add_path("aa");
  return r;
}

// The leaf of `r` (encoded without its sequence) at `sequence`, spliced in
// place: the bytes are not moved to a new allocation.
std::string Spliced(const v1::AuditRecord& r, uint64_t sequence) {
  auto without = EncodeWithoutSequence(r);
  EXPECT_TRUE(without.ok()) << without.status();
  if (!without.ok()) return "";
  const char* const place = without->bytes.data();
  InsertSequence(without->bytes, without->sequence_at, sequence);
  EXPECT_EQ(without->bytes.data(), place) << sequence;
  return without->bytes;
}

TEST(LeafEncoding, SplicedSequenceIsTheDeterministicSerialization) {
  for (uint64_t sequence : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383},
                            uint64_t{16384}, uint64_t{1} << 40, ~uint64_t{0}}) {
    v1::AuditRecord numbered = Record();
    numbered.set_sequence(sequence);
    EXPECT_EQ(Spliced(Record(), sequence), DeterministicBytes(numbered)) << sequence;
  }
}

TEST(LeafEncoding, ShardOfAnyLengthAndNoShard) {
  for (size_t length : {0, 1, 127, 128, 300}) {
    v1::AuditRecord r = Record();
    r.set_shard(std::string(length, 's'));
    const std::string leaf = Spliced(r, 987654321);
    r.set_sequence(987654321);
    EXPECT_EQ(leaf, DeterministicBytes(r)) << length;
  }
}

TEST(LeafEncoding, NumberedRecordIsRefused) {
  v1::AuditRecord r = Record();
  r.set_sequence(5);
  EXPECT_EQ(EncodeWithoutSequence(r).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sigverify::audit
