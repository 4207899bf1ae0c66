#include "service/audit/sqlite_audit_store.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "service/audit/leaf_filter.h"
#include "service/audit/sqlite_blocks.h"

namespace sigverify::audit {
namespace {

// Layout 2 (and 3, below): a signer's subject, issuer, serial and DER are kept once per
// certificate (by SHA-256), not per record; so is each revocation response.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS leaves (
  shard TEXT NOT NULL,
  seq INTEGER NOT NULL,
  leaf BLOB NOT NULL,
  leaf_hash BLOB NOT NULL,
  time_micros INTEGER NOT NULL,
  record_id TEXT NOT NULL,
  signer_sha256 TEXT NOT NULL,
  indication INTEGER NOT NULL,
  caller TEXT NOT NULL,
  pos INTEGER,
  PRIMARY KEY (shard, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leaves_time ON leaves (time_micros);
CREATE INDEX IF NOT EXISTS leaves_record_id ON leaves (record_id);
CREATE INDEX IF NOT EXISTS leaves_signer_time ON leaves (signer_sha256, time_micros);
CREATE INDEX IF NOT EXISTS leaves_indication_time ON leaves (indication, time_micros);
CREATE INDEX IF NOT EXISTS leaves_caller_time ON leaves (caller, time_micros);
CREATE TABLE IF NOT EXISTS certificates (
  sha256 TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  issuer TEXT NOT NULL,
  serial TEXT NOT NULL,
  der BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS certificates_serial ON certificates (serial);
CREATE TABLE IF NOT EXISTS revocation_responses (
  sha256 TEXT PRIMARY KEY,
  der BLOB NOT NULL
) WITHOUT ROWID;
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
PRAGMA user_version = 4;
)sql";

// Layout 3: `pos`, where a record's frame is in the log's segment when the
// row keeps no body (SegmentedStore's index; NULL otherwise and once pruned).
constexpr const char* kPosition = "ALTER TABLE leaves ADD COLUMN pos INTEGER";

// The rows whose body can be read: kept in the row, or in the log.
constexpr const char* kKept = "(length(leaf) > 0 OR pos IS NOT NULL)";

// Layout 1 kept the signer's subject and serial in every leaf row.
constexpr const char* kFromLayout1 = R"sql(
BEGIN IMMEDIATE;
INSERT OR IGNORE INTO certificates (sha256, subject, issuer, serial, der)
  SELECT signer_sha256, MAX(signer_subject), '', MAX(signer_serial), X'' FROM leaves
  WHERE signer_sha256 != '' GROUP BY signer_sha256;
DROP INDEX IF EXISTS leaves_signer;
ALTER TABLE leaves DROP COLUMN signer_subject;
ALTER TABLE leaves DROP COLUMN signer_serial;
COMMIT;
)sql";

using Statement = SqliteStatement;

absl::StatusOr<Hash> HashOf(const std::string& bytes) {
  if (bytes.size() != 32) return absl::DataLossError("audit store: a tree hash is not 32 bytes");
  Hash h;
  std::memcpy(h.data(), bytes.data(), 32);
  return h;
}

// A record's body from the log, at `offset` of its segment.
absl::StatusOr<std::string> BodyAt(const LogBodies* bodies, const std::string& shard,
                                   uint64_t sequence, uint64_t offset, const Hash& leaf_hash) {
  if (bodies == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("record ", sequence, " of shard ", shard,
                     " is kept in the log's segments, which this database was opened without"));
  }
  auto body = bodies->Body(shard, sequence, offset, leaf_hash);
  if (!body.ok()) {
    return absl::Status(body.status().code(), absl::StrCat("record ", sequence, " of shard ", shard,
                                                           ": ", body.status().message()));
  }
  return body;
}

// Fills `leaf` from the log when the row keeps none but says where it is
// (columns `hash_column`: leaf_hash, `pos_column`: pos; layout 3).
absl::Status BodyFromLog(const LogBodies* bodies, const std::string& shard, uint64_t sequence,
                         Statement& q, int hash_column, int pos_column, std::string* leaf) {
  if (!leaf->empty() || sqlite3_column_type(q.raw(), pos_column) == SQLITE_NULL) {
    return absl::OkStatus();
  }
  auto leaf_hash = HashOf(q.Blob(hash_column));
  if (!leaf_hash.ok()) return leaf_hash.status();
  auto body = BodyAt(bodies, shard, sequence, static_cast<uint64_t>(q.Int(pos_column)), *leaf_hash);
  if (!body.ok()) return body.status();
  *leaf = *std::move(body);
  return absl::OkStatus();
}

// The leaf hashes of records [begin, end) of `shard`, from leaf rows and
// blocks; NOT_FOUND unless all are there.
absl::StatusOr<std::vector<Hash>> LeafHashes(SqliteConnection& c, const std::string& shard,
                                             uint64_t begin, uint64_t end) {
  std::vector<Hash> out(end - begin);
  uint64_t found = 0;
  Statement q = c.Prepare(
      "SELECT seq, leaf_hash FROM leaves WHERE shard = ? AND seq >= ? AND seq < ? ORDER BY seq");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(begin));
  q.Bind(3, static_cast<int64_t>(end));
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto h = HashOf(q.Blob(1));
    if (!h.ok()) return h.status();
    out[static_cast<uint64_t>(q.Int(0)) - begin] = *h;
    ++found;
  }
  if (rc != SQLITE_DONE) return q.Error("node");
  if (found < out.size()) {
    absl::Status s =
        sqlite_blocks::ForEach(c, shard, begin, end, [&](uint64_t seq, const BlockEntry& e) {
          out[seq - begin] = e.leaf_hash;
          ++found;
          return true;
        });
    if (!s.ok()) return s;
  }
  if (found != out.size()) {
    return absl::NotFoundError(
        absl::StrCat("audit store: no leaves ", begin, " to ", end, " in shard ", shard));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::Open(const std::string& path,
                                                                         size_t readers,
                                                                         SqliteSync sync) {
  auto writer = SqliteConnection::Open(path, sync);
  if (!writer.ok()) return writer.status();
  Statement layout1 =
      (*writer)->Prepare("SELECT 1 FROM pragma_table_info('leaves') WHERE name = 'signer_subject'");
  if (!layout1.ok()) return layout1.Error("prepare");
  const bool migrate = layout1.Step() == SQLITE_ROW;
  layout1.Reset();
  if (auto s = (*writer)->Exec(kSchema); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(path, ": ", s.message()));
  }
  if (auto s = (*writer)->Exec(sqlite_blocks::kSchema); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(path, ": ", s.message()));
  }
  if (migrate) {
    if (auto s = (*writer)->Exec(kFromLayout1); !s.ok()) {
      (*writer)->Exec("ROLLBACK").IgnoreError();
      return absl::UnavailableError(absl::StrCat(path, ": moving to layout 2: ", s.message()));
    }
  }
  Statement has_pos =
      (*writer)->Prepare("SELECT 1 FROM pragma_table_info('leaves') WHERE name = 'pos'");
  if (!has_pos.ok()) return has_pos.Error("prepare");
  const bool add_pos = has_pos.Step() != SQLITE_ROW;
  has_pos.Reset();
  if (add_pos) {
    if (auto s = (*writer)->Exec(kPosition); !s.ok()) {
      return absl::UnavailableError(absl::StrCat(path, ": moving to layout 3: ", s.message()));
    }
  }
  std::vector<std::unique_ptr<SqliteConnection>> reader_connections;
  for (size_t i = 0; i < std::max<size_t>(readers, 1); ++i) {
    auto reader = SqliteConnection::Open(path);
    if (!reader.ok()) return reader.status();
    reader_connections.push_back(*std::move(reader));
  }
  return std::unique_ptr<SqliteAuditStore>(
      new SqliteAuditStore(*std::move(writer), std::move(reader_connections)));
}

SqliteAuditStore::SqliteAuditStore(std::unique_ptr<SqliteConnection> writer,
                                   std::vector<std::unique_ptr<SqliteConnection>> readers)
    : writer_(std::move(writer)), readers_(std::move(readers)) {}

absl::Duration SqliteAuditStore::query_budget() const {
  absl::MutexLock lock(&budget_mu_);
  return query_budget_;
}

SqliteAuditStore::~SqliteAuditStore() = default;

absl::StatusOr<uint64_t> SqliteAuditStore::SizeOf(SqliteConnection& c, const std::string& shard) {
  Statement q = c.Prepare("SELECT COALESCE(MAX(seq) + 1, 0) FROM leaves WHERE shard = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  if (q.Step() != SQLITE_ROW) return q.Error("size");
  const uint64_t in_rows = static_cast<uint64_t>(q.Int(0));
  auto in_blocks = sqlite_blocks::End(c, shard);
  if (!in_blocks.ok()) return in_blocks.status();
  return std::max(in_rows, *in_blocks);
}

absl::Status SqliteAuditStore::Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                                      const std::string& checkpoint) {
  const CommitPart part{leaves, nodes};
  return CommitParts(shard, {&part, 1}, new_size, checkpoint);
}

absl::Status SqliteAuditStore::CommitParts(const std::string& shard,
                                           absl::Span<const CommitPart> parts, uint64_t new_size,
                                           const std::string& checkpoint) {
  if (absl::Status s = CheckConsecutive(parts); !s.ok()) return s;
  // The parts' leaves, one after another.
  std::vector<const LeafRow*> leaves;
  for (const CommitPart& p : parts) {
    for (const LeafRow& r : p.leaves) leaves.push_back(&r);
  }
  absl::MutexLock lock(&write_mu_);
  SqliteConnection& c = *writer_;
  if (auto s = c.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    c.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  auto size = SizeOf(c, shard);
  if (!size.ok()) return fail(size.status());
  if (!leaves.empty() && leaves.front()->sequence != *size) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("audit store: shard ", shard, " has ", *size, " records, not ",
                     leaves.front()->sequence, " (another writer?)")));
  }
  // Records whose bodies the log keeps go into blocks (layout 4); others
  // (a store that is the log itself) into leaf rows.
  const bool in_log = bodies_ != nullptr && !leaves.empty() &&
                      std::all_of(leaves.begin(), leaves.end(),
                                  [](const LeafRow* r) { return r->log_offset >= 0; });
  if (in_log) {
    if (auto s = sqlite_blocks::Append(c, shard, leaves, keys_); !s.ok()) return fail(s);
  } else {
    Statement insert = c.Prepare(
        "INSERT INTO leaves (shard, seq, leaf, leaf_hash, time_micros, record_id, "
        "signer_sha256, indication, caller) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    for (const LeafRow* row : leaves) {
      const LeafRow& r = *row;
      insert.Bind(1, shard);
      insert.Bind(2, static_cast<int64_t>(r.sequence));
      insert.BindBlob(3, r.leaf.data(), r.leaf.size());
      insert.BindBlob(4, r.leaf_hash.data(), r.leaf_hash.size());
      insert.Bind(5, r.time_micros);
      insert.Bind(6, r.record_id);
      insert.Bind(7, r.signer.sha256);
      insert.Bind(8, static_cast<int64_t>(r.indication));
      insert.Bind(9, r.caller);
      if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert leaf"));
      insert.Reset();
    }
  }
  {
    // Each certificate once; a later record that brings the DER fills it in.
    Statement insert = c.Prepare(
        "INSERT INTO certificates (sha256, subject, issuer, serial, der) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO UPDATE SET der = excluded.der "
        "WHERE length(certificates.der) = 0 AND length(excluded.der) > 0");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    std::set<std::string_view> seen;
    for (const LeafRow* row : leaves) {
      const LeafRow& r = *row;
      if (r.signer.sha256.empty() || !seen.insert(r.signer.sha256).second) continue;
      insert.Bind(1, r.signer.sha256);
      insert.Bind(2, r.signer.subject);
      insert.Bind(3, r.signer.issuer);
      insert.Bind(4, r.signer.serial);
      insert.BindBlob(5, r.signer.der.data(), r.signer.der.size());
      if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert certificate"));
      insert.Reset();
    }
  }
  {
    Statement insert = c.Prepare(
        "INSERT INTO revocation_responses (sha256, der) VALUES (?, ?) ON CONFLICT DO NOTHING");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    std::set<std::string_view> seen;
    for (const LeafRow* r : leaves) {
      for (const crypto::SignedRevocationData& response : r->responses) {
        if (response.der == nullptr || !seen.insert(response.sha256).second) continue;
        insert.Bind(1, response.sha256);
        insert.BindBlob(2, response.der->data(), response.der->size());
        if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert revocation response"));
        insert.Reset();
      }
    }
  }
  {
    Statement insert = c.Prepare("INSERT INTO nodes (shard, level, idx, hash) VALUES (?, ?, ?, ?)");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    for (const CommitPart& p : parts) {
      for (const NodeRow& n : p.nodes) {
        if (!IsStoredNodeLevel(n.level)) continue;  // computed when read
        insert.Bind(1, shard);
        insert.Bind(2, static_cast<int64_t>(n.level));
        insert.Bind(3, static_cast<int64_t>(n.index));
        insert.BindBlob(4, n.hash.data(), n.hash.size());
        if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert node"));
        insert.Reset();
      }
    }
  }
  {
    Statement insert =
        c.Prepare("INSERT OR REPLACE INTO checkpoints (shard, size, note) VALUES (?, ?, ?)");
    if (!insert.ok()) return fail(insert.Error("prepare"));
    insert.Bind(1, shard);
    insert.Bind(2, static_cast<int64_t>(new_size));
    insert.Bind(3, checkpoint);
    if (insert.Step() != SQLITE_DONE) return fail(insert.Error("insert checkpoint"));
  }
  if (auto s = c.Exec("COMMIT"); !s.ok()) return fail(s);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteAuditStore::Size(const std::string& shard) {
  auto reader = readers_.Take();
  return SizeOf(**reader, shard);
}

absl::StatusOr<Hash> SqliteAuditStore::Node(const std::string& shard, int level, uint64_t index) {
  auto reader = readers_.Take();
  if (!IsStoredNodeLevel(level)) {
    // Not stored (since layout 3): hashed up from the 2..8 hashes of the
    // stored level below it. A log written before keeps every level.
    Statement stored =
        (*reader)->Prepare("SELECT hash FROM nodes WHERE shard = ? AND idx = ? AND level = ?");
    if (!stored.ok()) return stored.Error("prepare");
    stored.Bind(1, shard);
    stored.Bind(2, static_cast<int64_t>(index));
    stored.Bind(3, static_cast<int64_t>(level));
    if (stored.Step() == SQLITE_ROW) return HashOf(stored.Blob(0));
    const int base = level - level % kStoredNodeLevels;
    const uint64_t width = uint64_t{1} << (level - base);
    std::vector<Hash> row;
    if (base == 0) {
      auto leaves = LeafHashes(**reader, shard, index * width, (index + 1) * width);
      if (!leaves.ok()) {
        if (leaves.status().code() != absl::StatusCode::kNotFound) return leaves.status();
      } else {
        row = *std::move(leaves);
      }
    } else {
      Statement q = (*reader)->Prepare(
          "SELECT hash FROM nodes WHERE shard = ? AND idx >= ? AND idx < ? AND level = ? "
          "ORDER BY idx");
      if (!q.ok()) return q.Error("prepare");
      q.Bind(1, shard);
      q.Bind(2, static_cast<int64_t>(index * width));
      q.Bind(3, static_cast<int64_t>((index + 1) * width));
      q.Bind(4, static_cast<int64_t>(base));
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) {
        auto h = HashOf(q.Blob(0));
        if (!h.ok()) return h.status();
        row.push_back(*h);
      }
      if (rc != SQLITE_DONE) return q.Error("node");
    }
    if (row.size() != width) {
      return absl::NotFoundError(
          absl::StrCat("audit store: no tree node at level ", level, " index ", index));
    }
    return PerfectRoot(std::move(row));
  }
  if (level == 0) {
    auto leaf = LeafHashes(**reader, shard, index, index + 1);
    if (!leaf.ok()) {
      if (leaf.status().code() != absl::StatusCode::kNotFound) return leaf.status();
      return absl::NotFoundError(
          absl::StrCat("audit store: no tree node at level 0 index ", index));
    }
    return (*leaf)[0];
  }
  Statement q =
      (*reader)->Prepare("SELECT hash FROM nodes WHERE shard = ? AND idx = ? AND level = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(index));
  q.Bind(3, static_cast<int64_t>(level));
  const int rc = q.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(
        absl::StrCat("audit store: no tree node at level ", level, " index ", index));
  }
  if (rc != SQLITE_ROW) return q.Error("node");
  return HashOf(q.Blob(0));
}

absl::StatusOr<std::string> SqliteAuditStore::Leaf(const std::string& shard, uint64_t sequence) {
  auto reader = readers_.Take();
  Statement q = (*reader)->Prepare(absl::StrCat(
      "SELECT leaf, leaf_hash, pos FROM leaves WHERE shard = ? AND seq = ? AND ", kKept));
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(sequence));
  const int rc = q.Step();
  if (rc == SQLITE_ROW) {
    std::string leaf = q.Blob(0);
    if (auto s = BodyFromLog(bodies_.get(), shard, sequence, q, 1, 2, &leaf); !s.ok()) return s;
    return leaf;
  }
  if (rc != SQLITE_DONE) return q.Error("leaf");
  std::optional<BlockEntry> entry;
  absl::Status s = sqlite_blocks::ForEach(**reader, shard, sequence, sequence + 1,
                                          [&](uint64_t, const BlockEntry& e) {
                                            entry = e;
                                            return false;
                                          });
  if (!s.ok()) return s;
  if (!entry.has_value() || entry->offset == kPrunedOffset) {
    return absl::NotFoundError(absl::StrCat("no record ", sequence, " in shard ", shard,
                                            " (or its body was pruned by retention)"));
  }
  return BodyAt(bodies_.get(), shard, sequence, entry->offset, entry->leaf_hash);
}

absl::StatusOr<CertificateRow> SqliteAuditStore::Certificate(const std::string& sha256) {
  auto reader = readers_.Take();
  Statement q =
      (*reader)->Prepare("SELECT subject, issuer, serial, der FROM certificates WHERE sha256 = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, sha256);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return absl::NotFoundError(absl::StrCat("no certificate ", sha256));
  if (rc != SQLITE_ROW) return q.Error("certificate");
  return CertificateRow{sha256, q.Blob(0), q.Blob(1), q.Blob(2), q.Blob(3)};
}

void SqliteAuditStore::set_query_budget(absl::Duration budget) {
  absl::MutexLock lock(&budget_mu_);
  query_budget_ = budget;
}

absl::StatusOr<std::string> SqliteAuditStore::RevocationResponse(const std::string& sha256) {
  auto reader = readers_.Take();
  Statement q = (*reader)->Prepare("SELECT der FROM revocation_responses WHERE sha256 = ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, sha256);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no revocation response ", sha256));
  }
  if (rc != SQLITE_ROW) return q.Error("revocation response");
  return q.Blob(0);
}

absl::StatusOr<uint64_t> SqliteAuditStore::Prune(const std::string& shard, int64_t before_micros) {
  absl::MutexLock lock(&write_mu_);
  SqliteConnection& c = *writer_;
  if (auto s = c.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    c.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  uint64_t pruned = 0;
  {
    Statement q = c.Prepare(absl::StrCat(
        "UPDATE leaves SET leaf = X'', pos = NULL WHERE shard = ? AND time_micros < ? AND ",
        kKept));
    if (!q.ok()) return fail(q.Error("prepare"));
    q.Bind(1, shard);
    q.Bind(2, before_micros);
    if (q.Step() != SQLITE_DONE) return fail(q.Error("prune"));
    pruned = static_cast<uint64_t>(sqlite3_changes(c.db()));
  }
  auto in_blocks = sqlite_blocks::Prune(c, shard, before_micros);
  if (!in_blocks.ok()) return fail(in_blocks.status());
  if (auto s = c.Exec("COMMIT"); !s.ok()) return fail(s);
  return pruned + *in_blocks;
}

absl::StatusOr<std::string> SqliteAuditStore::Checkpoint(const std::string& shard, uint64_t size) {
  auto reader = readers_.Take();
  Statement q = (*reader)->Prepare(
      size == 0 ? "SELECT note FROM checkpoints WHERE shard = ? ORDER BY size DESC LIMIT 1"
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
  auto reader = readers_.Take();
  Statement q = (*reader)->Prepare(
      "SELECT seq, leaf, leaf_hash, pos FROM leaves WHERE shard = ? AND seq >= ? ORDER BY seq "
      "LIMIT ?");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, static_cast<int64_t>(begin));
  q.Bind(3, static_cast<int64_t>(limit));
  std::vector<StoredLeaf> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    StoredLeaf& row =
        out.emplace_back(StoredLeaf{static_cast<uint64_t>(q.Int(0)), q.Blob(1), q.Blob(2)});
    if (auto s = BodyFromLog(bodies_.get(), shard, row.sequence, q, 2, 3, &row.leaf); !s.ok())
      return s;
  }
  if (rc != SQLITE_DONE) return q.Error("leaves");
  // Then the records in blocks (after the rows: a log moves from rows to
  // blocks, never back).
  const size_t in_rows = out.size();
  absl::Status failed;
  absl::Status s = sqlite_blocks::ForEach(
      **reader, shard, begin, begin + limit, [&](uint64_t seq, const BlockEntry& e) {
        StoredLeaf& row = out.emplace_back(StoredLeaf{seq, "", crypto::AsBytes(e.leaf_hash)});
        if (e.offset != kPrunedOffset) {
          auto body = BodyAt(bodies_.get(), shard, seq, e.offset, e.leaf_hash);
          if (!body.ok()) {
            failed = body.status();
            return false;
          }
          row.leaf = *std::move(body);
        }
        return out.size() < limit;
      });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  if (in_rows > 0 && out.size() > in_rows) {
    std::sort(out.begin(), out.end(),
              [](const StoredLeaf& a, const StoredLeaf& b) { return a.sequence < b.sequence; });
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

absl::StatusOr<std::vector<FoundLeaf>> SqliteAuditStore::Find(const LeafQuery& query,
                                                              const LeafCursor* after,
                                                              size_t limit) {
  const LeafFilter filter = LeafFilterOf(
      {"leaves", "certificates", "instr", kKept, "leaf, leaf_hash, pos"}, query, after, limit);
  auto reader = readers_.Take();
  Statement q = (*reader)->Prepare(filter.sql);
  if (!q.ok()) return q.Error("prepare");
  // Interrupted past the budget (checked every 1,000 steps), so that one
  // broad query cannot hold the auditors' connection.
  const absl::Duration budget = query_budget();
  absl::Time deadline = absl::Now() + budget;
  sqlite3_progress_handler(
      (*reader)->db(), 1000,
      +[](void* d) { return absl::Now() > *static_cast<absl::Time*>(d) ? 1 : 0; }, &deadline);
  struct Unset {
    sqlite3* db;
    ~Unset() { sqlite3_progress_handler(db, 0, nullptr, nullptr); }
  } unset{(*reader)->db()};
  for (size_t i = 0; i < filter.values.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (const auto* n = std::get_if<int64_t>(&filter.values[i])) {
      q.Bind(index, *n);
    } else {
      q.Bind(index, std::get<std::string>(filter.values[i]));
    }
  }
  std::vector<FoundLeaf> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    FoundLeaf row;
    row.shard = q.Blob(0);
    row.sequence = static_cast<uint64_t>(q.Int(1));
    row.time_micros = q.Int(2);
    row.leaf = q.Blob(3);
    if (auto s = BodyFromLog(bodies_.get(), row.shard, row.sequence, q, 4, 5, &row.leaf); !s.ok()) {
      return s;
    }
    out.push_back(std::move(row));
  }
  if (rc == SQLITE_INTERRUPT) return QueryOverBudget(budget);
  if (rc != SQLITE_DONE) return q.Error("query");
  q.Reset();

  // The records in blocks, merged with the rows' in the query's order.
  auto found = sqlite_blocks::Find(**reader, query, after, limit, deadline, budget);
  if (!found.ok()) return found.status();
  if (found->empty()) return out;
  std::vector<FoundLeaf> merged;
  merged.reserve(std::min(limit, out.size() + found->size()));
  auto before = [&query](const FoundLeaf& a, const sqlite_blocks::FoundEntry& b) {
    if (query.tree_order) return std::tie(a.shard, a.sequence) < std::tie(b.shard, b.sequence);
    const int64_t t = b.entry.time_micros;
    return query.oldest_first
               ? std::tie(a.time_micros, a.shard, a.sequence) < std::tie(t, b.shard, b.sequence)
               : std::tie(a.time_micros, a.shard, a.sequence) > std::tie(t, b.shard, b.sequence);
  };
  size_t i = 0, j = 0;
  while (merged.size() < limit && (i < out.size() || j < found->size())) {
    if (j == found->size() || (i < out.size() && before(out[i], (*found)[j]))) {
      merged.push_back(std::move(out[i++]));
      continue;
    }
    const sqlite_blocks::FoundEntry& f = (*found)[j++];
    auto body = BodyAt(bodies_.get(), f.shard, f.sequence, f.entry.offset, f.entry.leaf_hash);
    if (!body.ok()) return body.status();
    merged.push_back(FoundLeaf{f.shard, f.sequence, f.entry.time_micros, *std::move(body)});
  }
  return merged;
}

}  // namespace sigverify::audit
