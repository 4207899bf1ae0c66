// Where the audit log lives: the contract every store (SQLite, PostgreSQL)
// meets, tested by one shared suite
// (tests/service/audit_store_contract_test.cc, run on both stores). A store keeps, per shard, the
// leaves (record bytes and the columns auditors filter on), the complete
// subtree hashes of the Merkle tree, and the signed checkpoints; a commit is
// one transaction and is durable when it returns.
#ifndef SIGVERIFY_SERVICE_AUDIT_AUDIT_STORE_H_
#define SIGVERIFY_SERVICE_AUDIT_AUDIT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/revocation.h"
#include "service/audit/merkle.h"

namespace sigverify::audit {

// A certificate as the log keeps it: once, by its SHA-256 fingerprint.
struct CertificateRow {
  std::string sha256;   // hex, lower case
  std::string subject;  // RFC 4514
  std::string issuer;
  std::string serial;  // hex
  std::string der;     // empty when the writer did not have it
};

struct LeafRow {
  uint64_t sequence = 0;
  std::string leaf;  // the record's deterministic serialization
  Hash leaf_hash{};
  int64_t time_micros = 0;  // Unix time of the verdict
  std::string record_id;
  CertificateRow signer;  // stored once per certificate; the leaf names its fingerprint
  // Revocation responses the verdict used, stored once by SHA-256 (the leaf
  // names the hashes); may be left out when committed before.
  std::vector<crypto::SignedRevocationData> responses;
  int indication = 0;
  std::string caller;
  // >= 0: the record's frame is at this offset of its segment file (the
  // segment log's), where an index that reads bodies from the log
  // (AuditStore::ReadBodiesFrom) finds it instead of keeping a copy.
  int64_t log_offset = -1;
};

// Where an index finds the record bodies it does not keep: the log's
// segments. Thread-safe.
class LogBodies {
 public:
  virtual ~LogBodies() = default;
  // The bytes of record `sequence` of `shard`, whose frame is at `offset` of
  // its segment, checked against `leaf_hash` (the index's). NOT_FOUND when
  // the segment is gone (retention), DATA_LOSS when the bytes there are not
  // that record's, FAILED_PRECONDITION for a shard these are not the log of.
  virtual absl::StatusOr<std::string> Body(const std::string& shard, uint64_t sequence,
                                           uint64_t offset, const Hash& leaf_hash) const = 0;
};

struct NodeRow {
  int level = 1;  // >= 1; level 0 is the leaf hash
  uint64_t index = 0;
  Hash hash{};
};

// A query over leaves: empty or zero fields do not filter.
struct LeafQuery {
  std::string shard;
  int64_t since_micros = 0;  // inclusive; 0: no lower bound
  int64_t until_micros = 0;  // exclusive; 0: no upper bound
  std::string record_id;
  std::string signer_fingerprint;
  std::string signer_serial;
  std::string subject_contains;
  int indication = 0;
  std::string caller;
  bool oldest_first = false;
  // Shard by shard, in sequence (the order leaves are hashed in: exports);
  // overrides oldest_first. Time order differs from it where verdicts
  // finished out of order (the items of a batch).
  bool tree_order = false;
};

// Where a page of results ends: the last row's sort key.
struct LeafCursor {
  int64_t time_micros = 0;
  std::string shard;
  uint64_t sequence = 0;
};

struct FoundLeaf {
  std::string shard;
  uint64_t sequence = 0;
  int64_t time_micros = 0;
  std::string leaf;
};

// One broad auditor query (a substring every subject holds, over years)
// must not hold the store's reader for minutes.
inline constexpr absl::Duration kDefaultQueryBudget = absl::Seconds(10);

inline absl::Status QueryOverBudget(absl::Duration budget) {
  return absl::DeadlineExceededError(
      absl::StrCat("the query ran over its budget of ", absl::FormatDuration(budget),
                   "; narrow it (a time range, a signer, a record id)"));
}

// Stores keep the tree's nodes at levels 4, 8, 12, ... (a node row per 16
// records, not per record) and hash the levels between up from the 2..8
// stored hashes below them when read; logs written before keep every level.
inline constexpr int kStoredNodeLevels = 4;
inline bool IsStoredNodeLevel(int level) { return level % kStoredNodeLevels == 0; }

// One commit's rows, for AuditStore::CommitParts.
struct CommitPart {
  absl::Span<const LeafRow> leaves;
  absl::Span<const NodeRow> nodes;
};

// INVALID_ARGUMENT unless the parts' leaves follow one another.
inline absl::Status CheckConsecutive(absl::Span<const CommitPart> parts) {
  const LeafRow* previous = nullptr;
  for (const CommitPart& p : parts) {
    for (const LeafRow& r : p.leaves) {
      if (previous != nullptr && r.sequence != previous->sequence + 1) {
        return absl::InvalidArgumentError("audit store: commits that do not follow one another");
      }
      previous = &r;
    }
  }
  return absl::OkStatus();
}

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Appends `leaves` (consecutive, starting at the shard's size), `nodes`
  // and the checkpoint of the new size, in one durable transaction.
  // FAILED_PRECONDITION if the leaves do not start at the shard's size
  // (another writer appended to it), UNAVAILABLE if the store cannot write.
  virtual absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                              absl::Span<const NodeRow> nodes, uint64_t new_size,
                              const std::string& checkpoint) = 0;

  // Commit, for a caller that has no use for the rows afterwards: a store
  // that keeps them (an index filled behind the log) takes them instead of
  // copying them.
  virtual absl::Status CommitOwned(const std::string& shard, std::vector<LeafRow>&& leaves,
                                   std::vector<NodeRow>&& nodes, uint64_t new_size,
                                   const std::string& checkpoint) {
    return Commit(shard, leaves, nodes, new_size, checkpoint);
  }

  // Consecutive commits of `shard` in one transaction, with the checkpoint
  // of the last (`new_size`): an index filled behind the log writes what
  // waited for it at once. The default joins the rows and calls Commit.
  virtual absl::Status CommitParts(const std::string& shard, absl::Span<const CommitPart> parts,
                                   uint64_t new_size, const std::string& checkpoint) {
    if (parts.size() == 1)
      return Commit(shard, parts[0].leaves, parts[0].nodes, new_size, checkpoint);
    if (absl::Status s = CheckConsecutive(parts); !s.ok()) return s;
    std::vector<LeafRow> leaves;
    std::vector<NodeRow> nodes;
    for (const CommitPart& p : parts) {
      leaves.insert(leaves.end(), p.leaves.begin(), p.leaves.end());
      nodes.insert(nodes.end(), p.nodes.begin(), p.nodes.end());
    }
    return Commit(shard, leaves, nodes, new_size, checkpoint);
  }

  // Leaves in the shard (0 for a shard never written).
  virtual absl::StatusOr<uint64_t> Size(const std::string& shard) = 0;
  // The hash of the complete subtree (level, index); level 0: a leaf hash.
  virtual absl::StatusOr<Hash> Node(const std::string& shard, int level, uint64_t index) = 0;
  // A leaf's bytes; NOT_FOUND when there is no such record or its body was
  // pruned (its leaf hash stays, so proofs still verify).
  virtual absl::StatusOr<std::string> Leaf(const std::string& shard, uint64_t sequence) = 0;
  // A certificate a record names (by the fingerprint in the record).
  virtual absl::StatusOr<CertificateRow> Certificate(const std::string& sha256) = 0;
  // A revocation response (OCSP response or CRL, DER) a record names.
  virtual absl::StatusOr<std::string> RevocationResponse(const std::string& sha256) = 0;
  // Retention: removes the bodies of `shard`'s records older than
  // `before_micros`, keeping their leaf hashes and the tree; how many.
  virtual absl::StatusOr<uint64_t> Prune(const std::string& shard, int64_t before_micros) = 0;
  // Up to `limit` leaves from `begin` on, in order: (sequence, bytes, stored
  // leaf hash), for a whole-shard check; a pruned record has empty bytes.
  struct StoredLeaf {
    uint64_t sequence;
    std::string leaf;
    std::string leaf_hash;
  };
  virtual absl::StatusOr<std::vector<StoredLeaf>> Leaves(const std::string& shard, uint64_t begin,
                                                         size_t limit) = 0;
  // Up to `limit` leaves matching `query`, in (time, shard, sequence) order
  // (descending unless oldest_first), after `after` when given; pruned
  // records are not found.
  //
  // A query running past the store's query budget stops with
  // DEADLINE_EXCEEDED (see QueryOverBudget).
  virtual absl::StatusOr<std::vector<FoundLeaf>> Find(const LeafQuery& query,
                                                      const LeafCursor* after, size_t limit) = 0;
  // How long one Find may run (kDefaultQueryBudget unless set).
  virtual void set_query_budget(absl::Duration budget) = 0;
  // Leaves of `shard` that Find can see: all of them, unless the store fills
  // its search index behind the log.
  virtual absl::StatusOr<uint64_t> Searchable(const std::string& shard) { return Size(shard); }
  // The signed checkpoint for `size` (0: the latest).
  virtual absl::StatusOr<std::string> Checkpoint(const std::string& shard, uint64_t size) = 0;
  // From now on, rows committed with a log_offset keep no body: reads get it
  // from `bodies`. False when the store keeps every body itself.
  virtual bool ReadBodiesFrom(std::shared_ptr<const LogBodies> bodies) { return false; }
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_AUDIT_STORE_H_
