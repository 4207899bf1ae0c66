// The auditor's whole-shard check, offline: every record's bytes are hashed
// again and the tree rebuilt from them must have the root a checkpoint
// signed by the log key states. A record changed, removed or inserted after
// it was logged is found, and named.
#ifndef SIGVERIFY_SERVICE_AUDIT_VERIFY_SHARD_H_
#define SIGVERIFY_SERVICE_AUDIT_VERIFY_SHARD_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/audit/audit_store.h"
#include "service/audit/checkpoint.h"
#include "service/audit/segment_log.h"

namespace sigverify::audit {

// The checkpoint verified, when all holds. DATA_LOSS naming the first
// record that does not match (its bytes changed after its leaf hash was
// stored, its position or shard altered, or it is missing), or saying the
// rebuilt tree's root is not the signed one; PERMISSION_DENIED when the
// checkpoint is not signed by `verifier_key`. Records whose bodies were
// pruned by retention count with their stored leaf hash (`pruned` says how
// many).
absl::StatusOr<Checkpoint> VerifyShard(AuditStore& store, const std::string& shard,
                                       const std::string& checkpoint_note,
                                       const std::string& verifier_key, uint64_t* pruned = nullptr);

// The same for a log kept in segments (segment_log.h): every frame's
// checksum (DATA_LOSS naming the segment, the offset and the record before
// it), every record against its leaf hash and its place; records before the
// first segment come from `index`.
absl::StatusOr<Checkpoint> VerifySegmentedShard(const SegmentLog& segments, AuditStore& index,
                                                const std::string& shard,
                                                const std::string& checkpoint_note,
                                                const std::string& verifier_key,
                                                uint64_t* pruned = nullptr);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_VERIFY_SHARD_H_
