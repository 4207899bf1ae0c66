#include "service/audit/leaf_encoding.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "service/proto_time.h"

namespace sigverify::audit {

namespace {

// The longest sequence field: its tag and a 10-byte varint.
constexpr size_t kMaxSequenceField = 11;

std::string Deterministic(const v1::AuditRecord& record, size_t spare) {
  std::string out;
  out.reserve(record.ByteSizeLong() + spare);
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    record.SerializeWithCachedSizes(&coded);
  }
  return out;
}

}  // namespace

std::string DeterministicBytes(const v1::AuditRecord& record) { return Deterministic(record, 0); }

absl::StatusOr<LeafWithoutSequence> EncodeWithoutSequence(const v1::AuditRecord& record) {
  if (record.sequence() != 0) {
    return absl::InvalidArgumentError("an audit record is numbered by the log, not before");
  }
  LeafWithoutSequence out;
  // Room for the sequence, so the writer inserts it in place.
  out.bytes = Deterministic(record, kMaxSequenceField);
  // Field 1 (shard), when present, is first: tag, length, bytes.
  if (!record.shard().empty()) {
    out.sequence_at = 1 +
                      google::protobuf::io::CodedOutputStream::VarintSize32(
                          static_cast<uint32_t>(record.shard().size())) +
                      record.shard().size();
  }
  return out;
}

void InsertSequence(std::string& leaf, size_t sequence_at, uint64_t sequence) {
  if (sequence == 0) return;
  char field[kMaxSequenceField];
  size_t n = 0;
  field[n++] = static_cast<char>(2 << 3);  // field 2, varint
  uint64_t v = sequence;
  for (; v >= 0x80; v >>= 7) field[n++] = static_cast<char>((v & 0x7f) | 0x80);
  field[n++] = static_cast<char>(v);
  leaf.insert(sequence_at, field, n);
}

LeafRow IndexColumns(const v1::AuditRecord& r, std::string leaf) {
  LeafRow row;
  row.leaf = std::move(leaf);
  row.time_micros = service::ToUnixMicros(r.time());
  row.record_id = r.record_id();
  row.signer.sha256 = r.signer().sha256_fingerprint();
  row.signer.subject = r.signer().subject();
  row.signer.issuer = r.signer().issuer();
  row.signer.serial = r.signer().serial_number();
  row.indication = static_cast<int>(r.indication());
  // RecordFilter.caller: the client certificate when there was one.
  row.caller = r.caller_certificate_sha256().empty() ? r.caller() : r.caller_certificate_sha256();
  return row;
}

}  // namespace sigverify::audit
