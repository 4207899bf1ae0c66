#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

// The signer given as its encoding: the same bytes as encoding it, wherever
// the fields around it are and whatever its size (a one- or two-byte
// length), with the record whole afterwards.
TEST(LeafEncoding, SignerGivenEncodedIsTheSameLeaf) {
  std::vector<v1::AuditRecord> records;
  records.push_back(Record());
  {
    v1::AuditRecord r = Record();  // fields after the signer's (12 to 30)
    r.set_policy("vn-gov");
    r.mutable_validation_time()->set_seconds(1796000001);
    r.add_path("bb");
    r.add_revocation()->set_source("ocsp");
    r.set_latency_micros(42);
    r.set_caller_subject("CN=Hệ thống văn bản,O=UBND,C=VN");
    r.set_validation_time_attested(true);
    records.push_back(r);
  }
  {
    v1::AuditRecord r = Record();  // only fields before it
    r.clear_indication();
    r.clear_path();
    records.push_back(r);
  }
  {
    v1::AuditRecord r;  // nothing but the signer, no shard
    r.mutable_signer()->set_serial_number("0A");
    records.push_back(r);
  }
  {
    v1::AuditRecord r = Record();  // an empty signer message is still a field
    r.mutable_signer()->Clear();
    records.push_back(r);
  }
  {
    v1::AuditRecord r = Record();  // a signer longer than 127 bytes
    r.mutable_signer()->set_issuer(std::string(300, 'i'));
    r.mutable_signer()->mutable_not_after()->set_seconds(1900000000);
    records.push_back(r);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    v1::AuditRecord r = records[i];
    const std::string signer = r.signer().SerializeAsString();
    auto expected = EncodeWithoutSequence(std::as_const(r));
    auto given = EncodeWithoutSequence(r, signer);
    ASSERT_TRUE(expected.ok() && given.ok()) << i;
    EXPECT_EQ(given->bytes, expected->bytes) << i;
    EXPECT_EQ(given->sequence_at, expected->sequence_at) << i;
    EXPECT_EQ(r.SerializeAsString(), records[i].SerializeAsString()) << i;
    // And the writer's splice of the sequence still gives the record's leaf.
    InsertSequence(given->bytes, given->sequence_at, 77);
    r.set_sequence(77);
    EXPECT_EQ(given->bytes, DeterministicBytes(r)) << i;
  }
  v1::AuditRecord numbered = Record();
  numbered.set_sequence(5);
  EXPECT_EQ(EncodeWithoutSequence(numbered, numbered.signer().SerializeAsString()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LeafEncoding, NumberedRecordIsRefused) {
  v1::AuditRecord r = Record();
  r.set_sequence(5);
  EXPECT_EQ(EncodeWithoutSequence(r).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sigverify::audit
