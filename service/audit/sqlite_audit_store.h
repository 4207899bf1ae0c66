// The embedded audit store: one SQLite file in WAL mode with synchronous=FULL
// (a commit is on disk when it returns: the WAL is fsynced), written by the
// audit log's one writer thread. Leaves, nodes and checkpoints are tables
// keyed by shard, so a file can hold several shards (an instance renamed,
// an export imported); certificates are a table keyed by SHA-256, each kept
// once however many records name it. As the index of a log kept in segments
// (ReadBodiesFrom), it keeps blocks of records instead of leaf rows
// (sqlite_blocks.h), and reads and searches merge the two.
#ifndef SIGVERIFY_SERVICE_AUDIT_SQLITE_AUDIT_STORE_H_
#define SIGVERIFY_SERVICE_AUDIT_SQLITE_AUDIT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "service/audit/audit_store.h"
#include "service/audit/block_index.h"
#include "service/audit/connection_pool.h"
#include "service/audit/sqlite_connection.h"

namespace sigverify::audit {

class SqliteAuditStore : public AuditStore {
 public:
  // Opens (creating if needed) the database at `path`, with `readers`
  // connections for reads (at least one) beside the writer's.
  static absl::StatusOr<std::unique_ptr<SqliteAuditStore>> Open(
      const std::string& path, size_t readers = 1, SqliteSync sync = SqliteSync::kFull);
  ~SqliteAuditStore() override;

  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override;
  absl::Status CommitParts(const std::string& shard, absl::Span<const CommitPart> parts,
                           uint64_t new_size, const std::string& checkpoint) override;
  absl::StatusOr<uint64_t> Size(const std::string& shard) override;
  absl::StatusOr<Hash> Node(const std::string& shard, int level, uint64_t index) override;
  absl::StatusOr<std::string> Leaf(const std::string& shard, uint64_t sequence) override;
  absl::StatusOr<CertificateRow> Certificate(const std::string& sha256) override;
  absl::StatusOr<std::string> RevocationResponse(const std::string& sha256) override;
  absl::StatusOr<uint64_t> Prune(const std::string& shard, int64_t before_micros) override;
  absl::StatusOr<std::string> Checkpoint(const std::string& shard, uint64_t size) override;
  absl::StatusOr<std::vector<StoredLeaf>> Leaves(const std::string& shard, uint64_t begin,
                                                 size_t limit) override;
  absl::StatusOr<std::vector<FoundLeaf>> Find(const LeafQuery& query, const LeafCursor* after,
                                              size_t limit) override;
  void set_query_budget(absl::Duration budget) override;
  // Before the store is shared: rows committed with a log_offset keep no
  // body from then on (the pos column says where it is in the log).
  bool ReadBodiesFrom(std::shared_ptr<const LogBodies> bodies) override {
    bodies_ = std::move(bodies);
    return true;
  }

 private:
  SqliteAuditStore(std::unique_ptr<SqliteConnection> writer,
                   std::vector<std::unique_ptr<SqliteConnection>> readers);
  absl::Duration query_budget() const;
  static absl::StatusOr<uint64_t> SizeOf(SqliteConnection& c, const std::string& shard);

  // The writer's connection (commits, retention) and the auditors' (every
  // read, one connection per read in progress), so a long query never
  // delays a commit nor holds every reader; WAL lets readers see the last
  // commit while the next one is written.
  absl::Mutex write_mu_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_GUARDED_BY(write_mu_);
  KeyMemo keys_ ABSL_GUARDED_BY(write_mu_);  // of the blocks' callers and signers
  ConnectionPool<std::unique_ptr<SqliteConnection>> readers_;
  mutable absl::Mutex budget_mu_;
  absl::Duration query_budget_ ABSL_GUARDED_BY(budget_mu_) = kDefaultQueryBudget;
  std::shared_ptr<const LogBodies> bodies_;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_SQLITE_AUDIT_STORE_H_
