#include "service/audit/sqlite_audit_store.h"

#include <sqlite3.h>

#include <cstring>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sigverify::audit {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS leaves (
  shard TEXT NOT NULL,
  seq INTEGER NOT NULL,
  leaf BLOB NOT NULL,
  leaf_hash BLOB NOT NULL,
  time_micros INTEGER NOT NULL,
  record_id TEXT NOT NULL,
  signer_sha256 TEXT NOT NULL,
  signer_serial TEXT NOT NULL,
  signer_subject TEXT NOT NULL,
  indication INTEGER NOT NULL,
  caller TEXT NOT NULL,
  PRIMARY KEY (shard, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leaves_time ON leaves (time_micros);
CREATE INDEX IF NOT EXISTS leaves_record_id ON leaves (record_id);
CREATE INDEX IF NOT EXISTS leaves_signer ON leaves (signer_sha256);
CREATE TABLE IF NOT EXISTS nodes (
  shard TEXT NOT NULL,
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (shard, level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  shard TEXT NOT NULL,
  size INTEGER NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (shard, size)
) WITHOUT ROWID;
)sql";

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  void Bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const void* data, size_t n) {
    sqlite3_bind_blob(stmt_, i, data, static_cast<int>(n), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // SQLITE_ROW, SQLITE_DONE or an error.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    return std::string(static_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  absl::Status Error(const char* what) const {
    return absl::UnavailableError(absl::StrCat("audit store: ", what, ": ", sqlite3_errmsg(db_)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", why));
  }
  std::unique_ptr<SqliteAuditStore> store(new SqliteAuditStore(db));
  absl::MutexLock lock(&store->mu_);
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    if (auto s = store->Exec(sql); !s.ok()) {
      return absl::UnavailableError(absl::StrCat(path, ": ", s.message()));
    }
  }
  return store;
}

SqliteAuditStore::~SqliteAuditStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status SqliteAuditStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return absl::UnavailableError(absl::StrCat("audit store: ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteAuditStore::SizeLocked(const std::string& shard) {
  Statement q(db_, "SELECT COALESCE(MAX(seq) + 1, 0) FROM leaves WHERE shard = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  if (q.Step() != SQLITE_ROW) return q.Error("size");
  return static_cast<uint64_t>(q.Int(0));
}

absl::Status SqliteAuditStore::Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                                      const std::string& checkpoint) {
  absl::MutexLock lock(&mu_);
  if (auto s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  };
  auto size = SizeLocked(shard);
  if (!size.ok()) return fail(size.status());
  if (!leaves.empty() && leaves.front().sequence != *size) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("audit store: shard ", shard, " has ", *size, " records, not ",
                     leaves.front().sequence, " (another writer?)")));
  }
  {
    Statement insert(db_,
                     "INSERT INTO leaves (shard, seq, leaf, leaf_hash, time_micros, record_id, "
                     "signer_sha256, signer_serial, signer_subject, indication, caller) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    for (const LeafRow& r : leaves) {
      insert.Bind(1, shard);
      insert.Bind(2, static_cast<int64_t>(r.sequence));
      insert.BindBlob(3, r.leaf.data(), r.leaf.size());
      insert.BindBlob(4, r.leaf_hash.data(), r.leaf_hash.size());
      insert.Bind(5, r.time_micros);
      insert.Bind(6, r.record_id);
      insert.Bind(7, r.signer_fingerprint);
      insert.Bind(8, r.signer_serial);
      insert.Bind(9, r.signer_subject);
      insert.Bind(10, static_cast<int64_t>(r.indication));
      insert.Bind(11, r.caller);
      if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert leaf"));
      insert.Reset();
    }
  }
  {
    Statement insert(db_, "INSERT INTO nodes (shard, level, idx, hash) VALUES (?, ?, ?, ?)");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    for (const NodeRow& n : nodes) {
      insert.Bind(1, shard);
      insert.Bind(2, static_cast<int64_t>(n.level));
      insert.Bind(3, static_cast<int64_t>(n.index));
      insert.BindBlob(4, n.hash.data(), n.hash.size());
      if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert node"));
      insert.Reset();
    }
  }
  {
    Statement insert(db_,
                     "INSERT OR REPLACE INTO checkpoints (shard, size, note) VALUES (?, ?, ?)");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    insert.Bind(1, shard);
    insert.Bind(2, static_cast<int64_t>(new_size));
    insert.Bind(3, checkpoint);
    if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert checkpoint"));
  }
  if (auto s = Exec("COMMIT"); !s.ok()) return fail(s);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteAuditStore::Size(const std::string& shard) {
  absl::MutexLock lock(&mu_);
  return SizeLocked(shard);
}

absl::StatusOr<Hash> SqliteAuditStore::Node(const std::string& shard, int level, uint64_t index) {
  absl::MutexLock lock(&mu_);
  Statement q(db_, level == 0 ? "SELECT leaf_hash FROM leaves WHERE shard = ? AND seq = ?"
                              : "SELECT hash FROM nodes WHERE shard = ? AND idx = ? AND level = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(index));
  if (level != 0) q.Bind(3, static_cast<int64_t>(level));
  const int rc = q.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(
        absl::StrCat("audit store: no tree node at level ", level, " index ", index));
  }
  if (rc != SQLITE_ROW) return q.Error("node");
  const std::string bytes = q.Blob(0);
  if (bytes.size() != 32) return absl::DataLossError("audit store: a tree hash is not 32 bytes");
  Hash h;
  std::memcpy(h.data(), bytes.data(), 32);
  return h;
}

absl::StatusOr<std::string> SqliteAuditStore::Leaf(const std::string& shard, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  Statement q(db_, "SELECT leaf FROM leaves WHERE shard = ? AND seq = ? AND length(leaf) > 0");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(sequence));
  const int rc = q.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no record ", sequence, " in shard ", shard,
                                            " (or its body was pruned by retention)"));
  }
  if (rc != SQLITE_ROW) return q.Error("leaf");
  return q.Blob(0);
}

absl::StatusOr<uint64_t> SqliteAuditStore::Prune(const std::string& shard, int64_t before_micros) {
  absl::MutexLock lock(&mu_);
  Statement q(db_,
              "UPDATE leaves SET leaf = X'' WHERE shard = ? AND time_micros < ? AND "
              "length(leaf) > 0");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, before_micros);
  if (q.Step() != SQLITE_DONE) return q.Error("prune");
  return static_cast<uint64_t>(sqlite3_changes(db_));
}

absl::StatusOr<std::string> SqliteAuditStore::Checkpoint(const std::string& shard, uint64_t size) {
  absl::MutexLock lock(&mu_);
  Statement q(db_, size == 0
                       ? "SELECT note FROM checkpoints WHERE shard = ? ORDER BY size DESC LIMIT 1"
                       : "SELECT note FROM checkpoints WHERE shard = ? AND size = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  if (size != 0) q.Bind(2, static_cast<int64_t>(size));
  const int rc = q.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat(
        "no checkpoint", size ? absl::StrCat(" of size ", size) : "", " for shard ", shard));
  }
  if (rc != SQLITE_ROW) return q.Error("checkpoint");
  return q.Blob(0);
}

absl::StatusOr<std::vector<AuditStore::StoredLeaf>> SqliteAuditStore::Leaves(
    const std::string& shard, uint64_t begin, size_t limit) {
  absl::MutexLock lock(&mu_);
  Statement q(db_,
              "SELECT seq, leaf, leaf_hash FROM leaves WHERE shard = ? AND seq >= ? "
              "ORDER BY seq LIMIT ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(begin));
  q.Bind(3, static_cast<int64_t>(limit));
  std::vector<StoredLeaf> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.push_back({static_cast<uint64_t>(q.Int(0)), q.Blob(1), q.Blob(2)});
  }
  if (rc != SQLITE_DONE) return q.Error("leaves");
  return out;
}

absl::StatusOr<std::vector<FoundLeaf>> SqliteAuditStore::Find(const LeafQuery& query,
                                                              const LeafCursor* after,
                                                              size_t limit) {
  // Only placeholders carry values; the text is built from fixed pieces.
  std::string sql = "SELECT shard, seq, time_micros, leaf FROM leaves WHERE length(leaf) > 0";
  std::vector<std::function<void(Statement&, int)>> binds;
  auto text = [&](const char* clause, const std::string& value) {
    if (value.empty()) return;
    sql += clause;
    binds.push_back([value](Statement& q, int i) { q.Bind(i, value); });
  };
  auto number = [&](const char* clause, int64_t value) {
    if (value == 0) return;
    sql += clause;
    binds.push_back([value](Statement& q, int i) { q.Bind(i, value); });
  };
  text(" AND shard = ?", query.shard);
  number(" AND time_micros >= ?", query.since_micros);
  number(" AND time_micros < ?", query.until_micros);
  text(" AND record_id = ?", query.record_id);
  text(" AND signer_sha256 = ?", query.signer_fingerprint);
  text(" AND signer_serial = ?", query.signer_serial);
  text(" AND instr(signer_subject, ?) > 0", query.subject_contains);
  number(" AND indication = ?", query.indication);
  text(" AND caller = ?", query.caller);
  const char* order = query.oldest_first ? "ASC" : "DESC";
  if (after != nullptr) {
    sql += query.oldest_first ? " AND (time_micros, shard, seq) > (?, ?, ?)"
                              : " AND (time_micros, shard, seq) < (?, ?, ?)";
    const LeafCursor c = *after;
    binds.push_back([c](Statement& q, int i) { q.Bind(i, c.time_micros); });
    binds.push_back([c](Statement& q, int i) { q.Bind(i, c.shard); });
    binds.push_back([c](Statement& q, int i) { q.Bind(i, static_cast<int64_t>(c.sequence)); });
  }
  absl::StrAppend(&sql, " ORDER BY time_micros ", order, ", shard ", order, ", seq ", order,
                  " LIMIT ?");
  const int64_t max = static_cast<int64_t>(limit);
  binds.push_back([max](Statement& q, int i) { q.Bind(i, max); });

  absl::MutexLock lock(&mu_);
  Statement q(db_, sql.c_str());
  if (!q.ok()) return q.Error("prepare");
  for (size_t i = 0; i < binds.size(); ++i) binds[i](q, static_cast<int>(i) + 1);
  std::vector<FoundLeaf> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    FoundLeaf row;
    row.shard = q.Blob(0);
    row.sequence = static_cast<uint64_t>(q.Int(1));
    row.time_micros = q.Int(2);
    row.leaf = q.Blob(3);
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return q.Error("query");
  return out;
}

}  // namespace sigverify::audit
