// The shared audit store: PostgreSQL (libpq), for several sigverifyd
// instances writing one log, each its own shard. A commit is one
// transaction under a per-shard advisory lock, durable when PostgreSQL
// acknowledges it (synchronous_commit as the server is configured: on by
// default). Queries span shards.
#ifndef SIGVERIFY_SERVICE_AUDIT_POSTGRES_AUDIT_STORE_H_
#define SIGVERIFY_SERVICE_AUDIT_POSTGRES_AUDIT_STORE_H_

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "service/audit/audit_store.h"
#include "service/audit/connection_pool.h"

namespace sigverify::audit {

class PostgresAuditStore : public AuditStore {
 public:
  // Connects with libpq `conninfo` (e.g. "host=/run/postgresql dbname=audit"),
  // once for the writer and `readers` times (at least once) for reads, and
  // creates the tables if they are missing.
  static absl::StatusOr<std::unique_ptr<PostgresAuditStore>> Open(const std::string& conninfo,
                                                                  size_t readers = 1);
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
  // statement_timeout on the auditors' connections.
  void set_query_budget(absl::Duration budget) override;

 private:
  struct PgFinish {
    void operator()(PGconn* c) const;
  };
  using Connection = std::unique_ptr<PGconn, PgFinish>;
  // A reader connection and the statement_timeout last set on it.
  struct Reader {
    Connection conn;
    absl::Duration budget = absl::InfiniteDuration();  // not set yet
  };
  PostgresAuditStore(Connection writer, std::vector<Reader> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}
  PGconn* Writer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The reader's connection, opened again if the server closed it, with
  // the current query budget.
  PGconn* Ready(Reader& reader) ABSL_LOCKS_EXCLUDED(budget_mu_);
  absl::Duration query_budget() const ABSL_LOCKS_EXCLUDED(budget_mu_);
  // `read(connection)` on a reader connection; once more when the server
  // had closed it (the first use finds out, Ready() reopens it).
  template <typename T, typename F>
  absl::StatusOr<T> Read(const F& read) {
    auto reader = readers_.Take();
    absl::StatusOr<T> result = read(Ready(*reader));
    if (!result.ok() && PQstatus(reader->conn.get()) != CONNECTION_OK) {
      result = read(Ready(*reader));
    }
    return result;
  }

  // The writer's connection (commits, retention) and the auditors' (every
  // read, one connection per read in progress), so a long query never
  // delays a commit nor holds every reader.
  absl::Mutex write_mu_;
  Connection writer_ ABSL_GUARDED_BY(write_mu_);
  ConnectionPool<Reader> readers_;
  mutable absl::Mutex budget_mu_;
  absl::Duration query_budget_ ABSL_GUARDED_BY(budget_mu_) = kDefaultQueryBudget;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_POSTGRES_AUDIT_STORE_H_
