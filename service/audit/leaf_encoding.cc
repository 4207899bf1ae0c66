#include "service/audit/leaf_encoding.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstring>
#include <utility>

#include "service/proto_time.h"

namespace sigverify::audit {

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;

// The longest sequence field: its tag and a 10-byte varint.
constexpr size_t kMaxSequenceField = 11;

std::string Deterministic(const v1::AuditRecord& record, size_t spare) {
  std::string out;
  out.reserve(record.ByteSizeLong() + spare);
  {
    google::protobuf::io::StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    record.SerializeWithCachedSizes(&coded);
  }
  return out;
}

// Where field 2 goes: right after field 1 (shard) when present, which is
// first: tag, length, bytes.
size_t SequenceAt(const v1::AuditRecord& record) {
  if (record.shard().empty()) return 0;
  return 1 + CodedOutputStream::VarintSize32(static_cast<uint32_t>(record.shard().size())) +
         record.shard().size();
}

// The offset of the first field numbered above `number` in `bytes` (a
// serialization, fields in number order), or its end.
size_t FirstFieldAfter(const std::string& bytes, int number) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  for (;;) {
    const int at = in.CurrentPosition();
    const uint32_t tag = in.ReadTag();
    if (tag == 0 || WireFormatLite::GetTagFieldNumber(tag) > number ||
        !WireFormatLite::SkipField(&in, tag)) {
      return static_cast<size_t>(at);
    }
  }
}

absl::Status Unnumbered(const v1::AuditRecord& record) {
  if (record.sequence() != 0) {
    return absl::InvalidArgumentError("an audit record is numbered by the log, not before");
  }
  return absl::OkStatus();
}

}  // namespace

std::string DeterministicBytes(const v1::AuditRecord& record) { return Deterministic(record, 0); }

absl::StatusOr<LeafWithoutSequence> EncodeWithoutSequence(const v1::AuditRecord& record) {
  if (absl::Status s = Unnumbered(record); !s.ok()) return s;
  LeafWithoutSequence out;
  // Room for the sequence, so the writer inserts it in place.
  out.bytes = Deterministic(record, kMaxSequenceField);
  out.sequence_at = SequenceAt(record);
  return out;
}

absl::StatusOr<LeafWithoutSequence> EncodeWithoutSequence(v1::AuditRecord& record,
                                                          std::string_view signer_encoding) {
  if (!record.has_signer()) return EncodeWithoutSequence(std::as_const(record));
  if (absl::Status s = Unnumbered(record); !s.ok()) return s;
  constexpr int kSigner = v1::AuditRecord::kSignerFieldNumber;
  uint8_t header[1 + 5];  // field 11's tag is one byte; the length, a varint32
  uint8_t* end = CodedOutputStream::WriteTagToArray(
      WireFormatLite::MakeTag(kSigner, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), header);
  end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(signer_encoding.size()), end);
  const size_t header_size = static_cast<size_t>(end - header);
  const size_t field_size = header_size + signer_encoding.size();

  v1::Certificate* signer = record.unsafe_arena_release_signer();
  LeafWithoutSequence out;
  out.bytes = Deterministic(record, kMaxSequenceField + field_size);
  record.unsafe_arena_set_allocated_signer(signer);
  out.sequence_at = SequenceAt(record);

  // The signer's field between fields 10 and 12, where serializing the
  // whole record would have put it (within the capacity reserved above).
  const size_t at = FirstFieldAfter(out.bytes, kSigner);
  const size_t tail = out.bytes.size() - at;
  out.bytes.resize(out.bytes.size() + field_size);
  char* p = out.bytes.data();
  std::memmove(p + at + field_size, p + at, tail);
  std::memcpy(p + at, header, header_size);
  std::memcpy(p + at + header_size, signer_encoding.data(), signer_encoding.size());
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
