#include "service/audit/postgres_audit_store.h"

#include <endian.h>
#include <libpq-fe.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace sigverify::audit {
namespace {

constexpr const char* kSchema = R"sql(
SELECT pg_advisory_lock(730125);
CREATE TABLE IF NOT EXISTS audit_leaves (
  shard TEXT NOT NULL,
  seq BIGINT NOT NULL,
  leaf BYTEA NOT NULL,
  leaf_hash BYTEA NOT NULL,
  time_micros BIGINT NOT NULL,
  record_id TEXT NOT NULL,
  signer_sha256 TEXT NOT NULL,
  signer_serial TEXT NOT NULL,
  signer_subject TEXT NOT NULL,
  indication INTEGER NOT NULL,
  caller TEXT NOT NULL,
  PRIMARY KEY (shard, seq)
);
CREATE INDEX IF NOT EXISTS audit_leaves_time ON audit_leaves (time_micros, shard, seq);
CREATE INDEX IF NOT EXISTS audit_leaves_record_id ON audit_leaves (record_id);
CREATE INDEX IF NOT EXISTS audit_leaves_signer ON audit_leaves (signer_sha256);
CREATE TABLE IF NOT EXISTS audit_nodes (
  shard TEXT NOT NULL,
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (shard, level, idx)
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  shard TEXT NOT NULL,
  size BIGINT NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (shard, size)
);
SELECT pg_advisory_unlock(730125);
)sql";

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// Query parameters: bytea values in binary, everything else (numbers
// included) in text form, which PostgreSQL parses by the column's type.
class Params {
 public:
  int Text(std::string value) {
    values_.push_back(std::move(value));
    formats_.push_back(0);
    return static_cast<int>(values_.size());
  }
  int Bytes(std::string value) {
    values_.push_back(std::move(value));
    formats_.push_back(1);
    return static_cast<int>(values_.size());
  }
  int Number(int64_t value) { return Text(std::to_string(value)); }
  std::string Ref(int index) const { return absl::StrCat("$", index); }

  ResultPtr Exec(PGconn* conn, const std::string& sql) const {
    std::vector<const char*> ptrs;
    std::vector<int> lengths;
    for (const std::string& v : values_) {
      ptrs.push_back(v.data());
      lengths.push_back(static_cast<int>(v.size()));
    }
    // Binary results: bytea as raw bytes, integers as big-endian int8/int4.
    return ResultPtr(PQexecParams(conn, sql.c_str(), static_cast<int>(values_.size()), nullptr,
                                  ptrs.data(), lengths.data(), formats_.data(), 1),
                     PQclear);
  }

 private:
  std::vector<std::string> values_;
  std::vector<int> formats_;
};

absl::Status Error(PGconn* conn, const char* what) {
  return absl::UnavailableError(
      absl::StrCat("audit store (PostgreSQL): ", what, ": ", PQerrorMessage(conn)));
}

bool Ok(const ResultPtr& r) {
  const ExecStatusType s = PQresultStatus(r.get());
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

std::string Bytes(const ResultPtr& r, int row, int col) {
  return std::string(PQgetvalue(r.get(), row, col),
                     static_cast<size_t>(PQgetlength(r.get(), row, col)));
}

int64_t Int8(const ResultPtr& r, int row, int col) {
  uint64_t be;
  std::memcpy(&be, PQgetvalue(r.get(), row, col), sizeof(be));
  return static_cast<int64_t>(be64toh(be));
}

absl::Status Run(PGconn* conn, const char* sql) {
  ResultPtr r(PQexec(conn, sql), PQclear);
  return Ok(r) ? absl::OkStatus() : Error(conn, sql);
}

absl::StatusOr<uint64_t> SizeOf(PGconn* conn, const std::string& shard) {
  Params p;
  const int s = p.Text(shard);
  ResultPtr r = p.Exec(conn, absl::StrCat("SELECT COALESCE(MAX(seq) + 1, 0)::int8 FROM "
                                          "audit_leaves WHERE shard = ",
                                          p.Ref(s)));
  if (!Ok(r)) return Error(conn, "size");
  return static_cast<uint64_t>(Int8(r, 0, 0));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresAuditStore>> PostgresAuditStore::Open(
    const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", why));
  }
  std::unique_ptr<PostgresAuditStore> store(new PostgresAuditStore(conn));
  absl::MutexLock lock(&store->mu_);
  if (auto s = Run(conn, kSchema); !s.ok()) return s;
  return store;
}

PostgresAuditStore::~PostgresAuditStore() {
  absl::MutexLock lock(&mu_);
  PQfinish(conn_);
}

absl::Status PostgresAuditStore::Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                                        absl::Span<const NodeRow> nodes, uint64_t new_size,
                                        const std::string& checkpoint) {
  absl::MutexLock lock(&mu_);
  if (auto s = Run(conn_, "BEGIN"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    Run(conn_, "ROLLBACK").IgnoreError();
    return s;
  };
  {
    // Writers of one shard take turns (normally there is only one).
    Params p;
    const int s = p.Text(shard);
    if (!Ok(p.Exec(conn_,
                   absl::StrCat("SELECT pg_advisory_xact_lock(hashtext(", p.Ref(s), "))")))) {
      return fail(Error(conn_, "lock"));
    }
  }
  auto size = SizeOf(conn_, shard);
  if (!size.ok()) return fail(size.status());
  if (!leaves.empty() && leaves.front().sequence != *size) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("audit store: shard ", shard, " has ", *size, " records, not ",
                     leaves.front().sequence, " (another writer?)")));
  }
  for (const LeafRow& r : leaves) {
    Params p;
    const std::string sql = absl::StrCat(
        "INSERT INTO audit_leaves (shard, seq, leaf, leaf_hash, time_micros, record_id, "
        "signer_sha256, signer_serial, signer_subject, indication, caller) VALUES (",
        p.Ref(p.Text(shard)), ", ", p.Ref(p.Number(static_cast<int64_t>(r.sequence))), ", ",
        p.Ref(p.Bytes(r.leaf)), ", ",
        p.Ref(p.Bytes(std::string(r.leaf_hash.begin(), r.leaf_hash.end()))), ", ",
        p.Ref(p.Number(r.time_micros)), ", ", p.Ref(p.Text(r.record_id)), ", ",
        p.Ref(p.Text(r.signer_fingerprint)), ", ", p.Ref(p.Text(r.signer_serial)), ", ",
        p.Ref(p.Text(r.signer_subject)), ", ", p.Ref(p.Number(r.indication)), ", ",
        p.Ref(p.Text(r.caller)), ")");
    if (!Ok(p.Exec(conn_, sql))) return fail(Error(conn_, "insert leaf"));
  }
  for (const NodeRow& n : nodes) {
    Params p;
    const std::string sql = absl::StrCat(
        "INSERT INTO audit_nodes (shard, level, idx, hash) VALUES (", p.Ref(p.Text(shard)), ", ",
        p.Ref(p.Number(n.level)), ", ", p.Ref(p.Number(static_cast<int64_t>(n.index))), ", ",
        p.Ref(p.Bytes(std::string(n.hash.begin(), n.hash.end()))), ")");
    if (!Ok(p.Exec(conn_, sql))) return fail(Error(conn_, "insert node"));
  }
  {
    Params p;
    const std::string sql = absl::StrCat(
        "INSERT INTO audit_checkpoints (shard, size, note) VALUES (", p.Ref(p.Text(shard)), ", ",
        p.Ref(p.Number(static_cast<int64_t>(new_size))), ", ", p.Ref(p.Text(checkpoint)),
        ") ON CONFLICT (shard, size) DO UPDATE SET note = EXCLUDED.note");
    if (!Ok(p.Exec(conn_, sql))) return fail(Error(conn_, "insert checkpoint"));
  }
  if (auto s = Run(conn_, "COMMIT"); !s.ok()) return fail(s);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PostgresAuditStore::Size(const std::string& shard) {
  absl::MutexLock lock(&mu_);
  return SizeOf(conn_, shard);
}

absl::StatusOr<Hash> PostgresAuditStore::Node(const std::string& shard, int level, uint64_t index) {
  absl::MutexLock lock(&mu_);
  Params p;
  const int s = p.Text(shard);
  const int i = p.Number(static_cast<int64_t>(index));
  std::string sql =
      level == 0 ? absl::StrCat("SELECT leaf_hash FROM audit_leaves WHERE shard = ", p.Ref(s),
                                " AND seq = ", p.Ref(i))
                 : "";
  if (level != 0) {
    const int l = p.Number(level);
    sql = absl::StrCat("SELECT hash FROM audit_nodes WHERE shard = ", p.Ref(s),
                       " AND idx = ", p.Ref(i), " AND level = ", p.Ref(l));
  }
  ResultPtr r = p.Exec(conn_, sql);
  if (!Ok(r)) return Error(conn_, "node");
  if (PQntuples(r.get()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("audit store: no tree node at level ", level, " index ", index));
  }
  const std::string bytes = Bytes(r, 0, 0);
  if (bytes.size() != 32) return absl::DataLossError("audit store: a tree hash is not 32 bytes");
  Hash h;
  std::memcpy(h.data(), bytes.data(), 32);
  return h;
}

absl::StatusOr<std::string> PostgresAuditStore::Leaf(const std::string& shard, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  Params p;
  const std::string sql =
      absl::StrCat("SELECT leaf FROM audit_leaves WHERE shard = ", p.Ref(p.Text(shard)),
                   " AND seq = ", p.Ref(p.Number(static_cast<int64_t>(sequence))),
                   " AND octet_length(leaf) > 0");
  ResultPtr r = p.Exec(conn_, sql);
  if (!Ok(r)) return Error(conn_, "leaf");
  if (PQntuples(r.get()) == 0) {
    return absl::NotFoundError(absl::StrCat("no record ", sequence, " in shard ", shard,
                                            " (or its body was pruned by retention)"));
  }
  return Bytes(r, 0, 0);
}

absl::StatusOr<uint64_t> PostgresAuditStore::Prune(const std::string& shard,
                                                   int64_t before_micros) {
  absl::MutexLock lock(&mu_);
  Params p;
  const std::string sql = absl::StrCat(
      "UPDATE audit_leaves SET leaf = ''::bytea WHERE shard = ", p.Ref(p.Text(shard)),
      " AND time_micros < ", p.Ref(p.Number(before_micros)), " AND octet_length(leaf) > 0");
  ResultPtr r = p.Exec(conn_, sql);
  if (!Ok(r)) return Error(conn_, "prune");
  return static_cast<uint64_t>(std::stoull(PQcmdTuples(r.get())));
}

absl::StatusOr<std::string> PostgresAuditStore::Checkpoint(const std::string& shard,
                                                           uint64_t size) {
  absl::MutexLock lock(&mu_);
  Params p;
  const int s = p.Text(shard);
  std::string sql = absl::StrCat("SELECT note FROM audit_checkpoints WHERE shard = ", p.Ref(s));
  if (size == 0) {
    sql += " ORDER BY size DESC LIMIT 1";
  } else {
    sql += absl::StrCat(" AND size = ", p.Ref(p.Number(static_cast<int64_t>(size))));
  }
  ResultPtr r = p.Exec(conn_, sql);
  if (!Ok(r)) return Error(conn_, "checkpoint");
  if (PQntuples(r.get()) == 0) {
    return absl::NotFoundError(absl::StrCat(
        "no checkpoint", size ? absl::StrCat(" of size ", size) : "", " for shard ", shard));
  }
  return Bytes(r, 0, 0);
}

absl::StatusOr<std::vector<AuditStore::StoredLeaf>> PostgresAuditStore::Leaves(
    const std::string& shard, uint64_t begin, size_t limit) {
  absl::MutexLock lock(&mu_);
  Params p;
  const std::string sql = absl::StrCat(
      "SELECT seq, leaf, leaf_hash FROM audit_leaves WHERE shard = ", p.Ref(p.Text(shard)),
      " AND seq >= ", p.Ref(p.Number(static_cast<int64_t>(begin))), " ORDER BY seq LIMIT ",
      p.Ref(p.Number(static_cast<int64_t>(limit))));
  ResultPtr r = p.Exec(conn_, sql);
  if (!Ok(r)) return Error(conn_, "leaves");
  std::vector<StoredLeaf> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back({static_cast<uint64_t>(Int8(r, i, 0)), Bytes(r, i, 1), Bytes(r, i, 2)});
  }
  return out;
}

absl::StatusOr<std::vector<FoundLeaf>> PostgresAuditStore::Find(const LeafQuery& query,
                                                                const LeafCursor* after,
                                                                size_t limit) {
  Params p;
  std::string sql =
      "SELECT shard, seq, time_micros, leaf FROM audit_leaves WHERE octet_length(leaf) > 0";
  auto text = [&](const char* clause, const std::string& value) {
    if (!value.empty()) absl::StrAppend(&sql, clause, p.Ref(p.Text(value)));
  };
  auto number = [&](const char* clause, int64_t value) {
    if (value != 0) absl::StrAppend(&sql, clause, p.Ref(p.Number(value)));
  };
  text(" AND shard = ", query.shard);
  number(" AND time_micros >= ", query.since_micros);
  number(" AND time_micros < ", query.until_micros);
  text(" AND record_id = ", query.record_id);
  text(" AND signer_sha256 = ", query.signer_fingerprint);
  text(" AND signer_serial = ", query.signer_serial);
  if (!query.subject_contains.empty()) {
    absl::StrAppend(&sql, " AND strpos(signer_subject, ", p.Ref(p.Text(query.subject_contains)),
                    ") > 0");
  }
  number(" AND indication = ", query.indication);
  text(" AND caller = ", query.caller);
  const char* order = query.oldest_first ? "ASC" : "DESC";
  if (after != nullptr) {
    absl::StrAppend(&sql,
                    query.oldest_first ? " AND (time_micros, shard, seq) > ("
                                       : " AND (time_micros, shard, seq) < (",
                    p.Ref(p.Number(after->time_micros)), "::int8, ", p.Ref(p.Text(after->shard)),
                    ", ", p.Ref(p.Number(static_cast<int64_t>(after->sequence))), "::int8)");
  }
  absl::StrAppend(&sql, " ORDER BY time_micros ", order, ", shard ", order, ", seq ", order,
                  " LIMIT ", p.Ref(p.Number(static_cast<int64_t>(limit))));
  absl::MutexLock lock(&mu_);
  ResultPtr r = p.Exec(conn_, sql);
  if (!Ok(r)) return Error(conn_, "query");
  std::vector<FoundLeaf> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    FoundLeaf row;
    row.shard = Bytes(r, i, 0);
    row.sequence = static_cast<uint64_t>(Int8(r, i, 1));
    row.time_micros = Int8(r, i, 2);
    row.leaf = Bytes(r, i, 3);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace sigverify::audit
