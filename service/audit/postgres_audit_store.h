// The shared audit store: PostgreSQL (libpq), for several sigverifyd
// instances writing one log, each its own shard. A commit is one
// transaction under a per-shard advisory lock, durable when PostgreSQL
// acknowledges it (synchronous_commit as the server is configured: on by
// default). Queries span shards.
#ifndef SIGVERIFY_SERVICE_AUDIT_POSTGRES_AUDIT_STORE_H_
#define SIGVERIFY_SERVICE_AUDIT_POSTGRES_AUDIT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "service/audit/audit_store.h"

typedef struct pg_conn PGconn;

namespace sigverify::audit {

class PostgresAuditStore : public AuditStore {
 public:
  // Connects with libpq `conninfo` (e.g. "host=/run/postgresql dbname=audit")
  // and creates the tables if they are missing.
  static absl::StatusOr<std::unique_ptr<PostgresAuditStore>> Open(const std::string& conninfo);
  ~PostgresAuditStore() override;

  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override;
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
  // statement_timeout on the auditors' connection.
  void set_query_budget(absl::Duration budget) override;

 private:
  PostgresAuditStore(PGconn* writer, PGconn* reader) : writer_(writer), reader_(reader) {}
  PGconn* Writer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  PGconn* Reader() ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_);
  // `read(connection)` on the auditors' connection; once more when the
  // server had closed it (the first use finds out, Reader() reopens it).
  template <typename T, typename F>
  absl::StatusOr<T> Read(const F& read) ABSL_LOCKS_EXCLUDED(read_mu_) {
    absl::MutexLock lock(&read_mu_);
    absl::StatusOr<T> result = read(Reader());
    if (!result.ok() && ReaderLost()) result = read(Reader());
    return result;
  }
  bool ReaderLost() ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_);
  void ApplyQueryBudget() ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_);

  // Two connections: the writer's (commits, retention) and the auditors'
  // (every read), so a long query never delays a commit.
  absl::Mutex write_mu_;
  PGconn* writer_ ABSL_GUARDED_BY(write_mu_);
  absl::Mutex read_mu_;
  PGconn* reader_ ABSL_GUARDED_BY(read_mu_);
  absl::Duration query_budget_ ABSL_GUARDED_BY(read_mu_);
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_POSTGRES_AUDIT_STORE_H_
