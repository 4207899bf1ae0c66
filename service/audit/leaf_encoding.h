// A record's leaf bytes are its deterministic protobuf serialization. The
// sequence (field 2) is known only to the log's writer, when it orders the
// records, but encoding the rest is most of the work: so the verifying
// threads encode a record without its sequence, and the writer splices the
// field in. The result is byte for byte the deterministic serialization of
// the record with its sequence (fields in number order, `shard` = 1 before
// `sequence` = 2, a zero sequence left out as proto3 does).
#ifndef SIGVERIFY_SERVICE_AUDIT_LEAF_ENCODING_H_
#define SIGVERIFY_SERVICE_AUDIT_LEAF_ENCODING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "service/audit/audit_store.h"
#include "sigverify/v1/audit.pb.h"

namespace sigverify::audit {

struct LeafWithoutSequence {
  std::string bytes;       // with room for the sequence field (no reallocation to insert it)
  size_t sequence_at = 0;  // where field 2 goes: right after field 1
};

// `record` must have no sequence (INVALID_ARGUMENT otherwise: the writer
// numbers records).
absl::StatusOr<LeafWithoutSequence> EncodeWithoutSequence(const v1::AuditRecord& record);

// Makes `leaf` (EncodeWithoutSequence's bytes) the leaf of the record at
// `sequence`, in place.
void InsertSequence(std::string& leaf, size_t sequence_at, uint64_t sequence);

// The deterministic serialization of `record` as it is (tests, old callers).
std::string DeterministicBytes(const v1::AuditRecord& record);

// The columns a store indexes `record` by, with `leaf` as its bytes (no
// sequence, leaf hash or attachments: the caller's).
LeafRow IndexColumns(const v1::AuditRecord& record, std::string leaf);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_LEAF_ENCODING_H_
