#include "service/audit/postgres_audit_store.h"

#include <endian.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <variant>

#include "absl/strings/str_cat.h"
#include "service/audit/leaf_filter.h"

namespace sigverify::audit {
namespace {

// Layout 2: a signer's subject, issuer, serial and DER are kept once per
// certificate (by SHA-256), not per record; so is each revocation response. Under a session
// advisory lock so instances starting together do not race on CREATE.
constexpr const char* kSchema = R"sql(
SET client_min_messages = warning;
SELECT pg_advisory_lock(730125);
CREATE TABLE IF NOT EXISTS audit_leaves (
  shard TEXT NOT NULL,
  seq BIGINT NOT NULL,
  leaf BYTEA NOT NULL,
  leaf_hash BYTEA NOT NULL,
  time_micros BIGINT NOT NULL,
  record_id TEXT NOT NULL,
  signer_sha256 TEXT NOT NULL,
  indication INTEGER NOT NULL,
  caller TEXT NOT NULL,
  PRIMARY KEY (shard, seq)
);
CREATE INDEX IF NOT EXISTS audit_leaves_time ON audit_leaves (time_micros, shard, seq);
CREATE INDEX IF NOT EXISTS audit_leaves_record_id ON audit_leaves (record_id);
CREATE INDEX IF NOT EXISTS audit_leaves_signer_time ON audit_leaves (signer_sha256, time_micros);
CREATE INDEX IF NOT EXISTS audit_leaves_indication_time ON audit_leaves (indication, time_micros);
CREATE INDEX IF NOT EXISTS audit_leaves_caller_time ON audit_leaves (caller, time_micros);
CREATE TABLE IF NOT EXISTS audit_certificates (
  sha256 TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  issuer TEXT NOT NULL,
  serial TEXT NOT NULL,
  der BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_certificates_serial ON audit_certificates (serial);
CREATE TABLE IF NOT EXISTS audit_revocation_responses (
  sha256 TEXT PRIMARY KEY,
  der BYTEA NOT NULL
);
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
DO $$ BEGIN
  -- Layout 1 kept the signer's subject and serial in every leaf row.
  IF EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_name = 'audit_leaves' AND column_name = 'signer_subject') THEN
    INSERT INTO audit_certificates (sha256, subject, issuer, serial, der)
      SELECT signer_sha256, MAX(signer_subject), '', MAX(signer_serial), ''::bytea
      FROM audit_leaves WHERE signer_sha256 <> '' GROUP BY signer_sha256
      ON CONFLICT DO NOTHING;
    DROP INDEX IF EXISTS audit_leaves_signer;
    ALTER TABLE audit_leaves DROP COLUMN signer_subject, DROP COLUMN signer_serial;
  END IF;
END $$;
CREATE OR REPLACE FUNCTION audit_expect_size(s TEXT, expected BIGINT) RETURNS VOID AS $$
DECLARE
  actual BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(s));
  SELECT COALESCE(MAX(seq) + 1, 0) INTO actual FROM audit_leaves WHERE shard = s;
  IF expected >= 0 AND actual <> expected THEN
    RAISE EXCEPTION 'shard % has % records, not % (another writer?)', s, actual, expected
      USING ERRCODE = 'SV001';
  END IF;
END $$ LANGUAGE plpgsql;
SELECT pg_advisory_unlock(730125);
)sql";

// audit_expect_size's error: the leaves do not start at the shard's size.
constexpr const char* kWrongSizeState = "SV001";

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
  int size() const { return static_cast<int>(values_.size()); }
  std::string Ref(int index) const { return absl::StrCat("$", index); }

  ResultPtr Exec(PGconn* conn, const std::string& sql) const {
    Pointers p(*this);
    // Binary results: bytea as raw bytes, integers as big-endian int8/int4.
    return ResultPtr(PQexecParams(conn, sql.c_str(), static_cast<int>(values_.size()), nullptr,
                                  p.ptrs.data(), p.lengths.data(), formats_.data(), 1),
                     PQclear);
  }
  // Queues the statement on a connection in pipeline mode (libpq copies the
  // values into its output buffer); false if libpq refused it.
  bool Send(PGconn* conn, const std::string& sql) const {
    Pointers p(*this);
    return PQsendQueryParams(conn, sql.c_str(), static_cast<int>(values_.size()), nullptr,
                             p.ptrs.data(), p.lengths.data(), formats_.data(), 1) == 1;
  }

 private:
  struct Pointers {
    explicit Pointers(const Params& params) {
      for (const std::string& v : params.values_) {
        ptrs.push_back(v.data());
        lengths.push_back(static_cast<int>(v.size()));
      }
    }
    std::vector<const char*> ptrs;
    std::vector<int> lengths;
  };
  std::vector<std::string> values_;
  std::vector<int> formats_;
};

// The statements of one commit, sent together in libpq's pipeline mode and
// answered in one round trip, rather than one round trip each. After the
// first error PostgreSQL skips the rest (the transaction is then rolled
// back by the caller).
class Pipeline {
 public:
  explicit Pipeline(PGconn* conn) : conn_(conn), ok_(PQenterPipelineMode(conn) == 1) {}
  ~Pipeline() { PQexitPipelineMode(conn_); }

  void Send(const Params& p, const std::string& sql, const char* what) {
    if (ok_ && !p.Send(conn_, sql)) ok_ = false;
    whats_.push_back(what);
  }
  // Sends the queue and reads every answer: OK, or the first error, as
  // (SQLSTATE, message) for the caller to map.
  struct Failure {
    std::string sqlstate;
    std::string message;
  };
  std::optional<Failure> Sync() {
    if (!ok_ || PQpipelineSync(conn_) != 1) {
      return Failure{"", absl::StrCat("pipeline: ", PQerrorMessage(conn_))};
    }
    std::optional<Failure> failure;
    for (const char* what : whats_) {
      // Each statement's results end with a null.
      while (PGresult* raw = PQgetResult(conn_)) {
        ResultPtr r(raw, PQclear);
        const ExecStatusType s = PQresultStatus(raw);
        if (!failure && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
          const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
          failure = Failure{
              state ? state : "",
              absl::StrCat(what, ": ",
                           s == PGRES_PIPELINE_ABORTED ? "aborted" : PQresultErrorMessage(raw))};
        }
      }
    }
    ResultPtr sync(PQgetResult(conn_), PQclear);  // PGRES_PIPELINE_SYNC
    if (!failure && PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      failure = Failure{"", absl::StrCat("pipeline sync: ", PQerrorMessage(conn_))};
    }
    return failure;
  }

 private:
  PGconn* conn_;
  bool ok_;
  std::vector<const char*> whats_;
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

// Rows in COPY's binary format (a signature and header, then per row its
// field count and each field's length and bytes, integers in network order;
// a trailer of -1): no SQL to parse and plan, no text to convert.
class CopyRows {
 public:
  CopyRows() { buf_.append("PGCOPY\n\377\r\n\0", 11).append(8, '\0'); }
  void Row(int16_t fields) { Put<uint16_t>(htobe16(static_cast<uint16_t>(fields))); }
  void Bytes(std::string_view v) {
    Put<uint32_t>(htobe32(static_cast<uint32_t>(v.size())));
    buf_.append(v);
  }
  void Int8(int64_t v) {
    Put<uint32_t>(htobe32(8));
    Put<uint64_t>(htobe64(static_cast<uint64_t>(v)));
  }
  void Int4(int32_t v) {
    Put<uint32_t>(htobe32(4));
    Put<uint32_t>(htobe32(static_cast<uint32_t>(v)));
  }
  // Runs `COPY <into> FROM STDIN (FORMAT binary)` with the rows.
  absl::Status Send(PGconn* conn, const std::string& into, const char* what) {
    Put<uint16_t>(0xffff);
    ResultPtr start(
        PQexec(conn, absl::StrCat("COPY ", into, " FROM STDIN (FORMAT binary)").c_str()), PQclear);
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) return Error(conn, what);
    constexpr size_t kChunk = size_t{1} << 20;
    for (size_t at = 0; at < buf_.size(); at += kChunk) {
      const size_t n = std::min(kChunk, buf_.size() - at);
      if (PQputCopyData(conn, buf_.data() + at, static_cast<int>(n)) != 1) {
        PQputCopyEnd(conn, "client failed");
        DrainResults(conn);
        return Error(conn, what);
      }
    }
    if (PQputCopyEnd(conn, nullptr) != 1) return Error(conn, what);
    absl::Status status = absl::OkStatus();
    while (PGresult* raw = PQgetResult(conn)) {
      ResultPtr r(raw, PQclear);
      if (status.ok() && PQresultStatus(raw) != PGRES_COMMAND_OK) {
        const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        status = absl::Status(
            state != nullptr && std::string_view(state) == "23505"
                ? absl::StatusCode::kFailedPrecondition
                : absl::StatusCode::kUnavailable,
            absl::StrCat("audit store (PostgreSQL): ", what, ": ", PQresultErrorMessage(raw)));
      }
    }
    return status;
  }

 private:
  template <typename T>
  void Put(T v) {
    buf_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  static void DrainResults(PGconn* conn) {
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
  }
  std::string buf_;
};

// INSERT `head` VALUES (...), (...) `tail` for `n` rows, up to 1,000 rows per
// statement (within libpq's 65,535 parameters), queued on `pipeline`;
// `row(p, i)` adds row i's parameters and returns its "($1, $2, ...)".
void InsertRows(Pipeline& pipeline, const char* what, const std::string& head, size_t n,
                const std::function<std::string(Params&, size_t)>& row, const char* tail = "") {
  constexpr size_t kRowsPerStatement = 1000;
  for (size_t begin = 0; begin < n; begin += kRowsPerStatement) {
    Params p;
    std::string sql = head + " VALUES ";
    for (size_t i = begin; i < std::min(n, begin + kRowsPerStatement); ++i) {
      absl::StrAppend(&sql, i == begin ? "" : ", ", row(p, i));
    }
    sql += tail;
    pipeline.Send(p, sql, what);
  }
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

void PostgresAuditStore::PgFinish::operator()(PGconn* c) const { PQfinish(c); }

absl::StatusOr<std::unique_ptr<PostgresAuditStore>> PostgresAuditStore::Open(
    const std::string& conninfo, size_t readers) {
  std::vector<Connection> connections;
  for (size_t i = 0; i < 1 + std::max<size_t>(readers, 1); ++i) {
    Connection conn(PQconnectdb(conninfo.c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to PostgreSQL: ", PQerrorMessage(conn.get())));
    }
    connections.push_back(std::move(conn));
  }
  if (auto s = Run(connections[0].get(), kSchema); !s.ok()) return s;
  Connection writer = std::move(connections[0]);
  std::vector<Reader> reader_connections;
  for (size_t i = 1; i < connections.size(); ++i) {
    reader_connections.push_back(Reader{std::move(connections[i])});
  }
  return std::unique_ptr<PostgresAuditStore>(
      new PostgresAuditStore(std::move(writer), std::move(reader_connections)));
}

PostgresAuditStore::~PostgresAuditStore() = default;

absl::Status PostgresAuditStore::Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                                        absl::Span<const NodeRow> nodes, uint64_t new_size,
                                        const std::string& checkpoint) {
  absl::MutexLock lock(&write_mu_);
  PGconn* conn = Writer();
  std::optional<Pipeline::Failure> failure;
  {
    Pipeline pipeline(conn);
    pipeline.Send(Params(), "BEGIN", "begin");
    {
      // Writers of one shard take turns (normally there is only one); the
      // leaves must start at the shard's size.
      Params p;
      const std::string sql = absl::StrCat(
          "SELECT audit_expect_size(", p.Ref(p.Text(shard)), ", ",
          p.Ref(p.Number(leaves.empty() ? -1 : static_cast<int64_t>(leaves.front().sequence))),
          "::int8)");
      pipeline.Send(p, sql, "size");
    }
    failure = pipeline.Sync();
  }
  // The leaves and the tree's nodes by COPY (binary): measured faster than
  // multi-row INSERTs (ADR 0022).
  absl::Status copied = absl::OkStatus();
  if (!failure) {
    CopyRows rows;
    for (const LeafRow& r : leaves) {
      rows.Row(9);
      rows.Bytes(shard);
      rows.Int8(static_cast<int64_t>(r.sequence));
      rows.Bytes(r.leaf);
      rows.Bytes(std::string_view(reinterpret_cast<const char*>(r.leaf_hash.data()), 32));
      rows.Int8(r.time_micros);
      rows.Bytes(r.record_id);
      rows.Bytes(r.signer.sha256);
      rows.Int4(r.indication);
      rows.Bytes(r.caller);
    }
    copied = rows.Send(conn,
                       "audit_leaves (shard, seq, leaf, leaf_hash, time_micros, record_id, "
                       "signer_sha256, indication, caller)",
                       "copy leaves");
  }
  if (!failure && copied.ok()) {
    CopyRows rows;
    for (const NodeRow& n : nodes) {
      if (!IsStoredNodeLevel(n.level)) continue;  // hashed up when read
      rows.Row(4);
      rows.Bytes(shard);
      rows.Int4(n.level);
      rows.Int8(static_cast<int64_t>(n.index));
      rows.Bytes(std::string_view(reinterpret_cast<const char*>(n.hash.data()), 32));
    }
    copied = rows.Send(conn, "audit_nodes (shard, level, idx, hash)", "copy nodes");
  }
  if (!failure && copied.ok()) {
    Pipeline pipeline(conn);
    // Each certificate once; a later record that brings the DER fills it in.
    std::vector<const CertificateRow*> certificates;
    std::set<std::string_view> seen;
    for (const LeafRow& r : leaves) {
      if (!r.signer.sha256.empty() && seen.insert(r.signer.sha256).second) {
        certificates.push_back(&r.signer);
      }
    }
    InsertRows(
        pipeline, "insert certificates",
        "INSERT INTO audit_certificates (sha256, subject, issuer, serial, der)",
        certificates.size(),
        [&](Params& p, size_t i) {
          const CertificateRow& c = *certificates[i];
          return absl::StrCat("(", p.Ref(p.Text(c.sha256)), ", ", p.Ref(p.Text(c.subject)), ", ",
                              p.Ref(p.Text(c.issuer)), ", ", p.Ref(p.Text(c.serial)), ", ",
                              p.Ref(p.Bytes(c.der)), ")");
        },
        " ON CONFLICT (sha256) DO UPDATE SET der = EXCLUDED.der "
        "WHERE length(audit_certificates.der) = 0 AND length(EXCLUDED.der) > 0");
    std::vector<const crypto::SignedRevocationData*> responses;
    seen.clear();
    for (const LeafRow& r : leaves) {
      for (const crypto::SignedRevocationData& response : r.responses) {
        if (response.der != nullptr && seen.insert(response.sha256).second) {
          responses.push_back(&response);
        }
      }
    }
    // One row per statement: a CRL may be tens of megabytes.
    for (const crypto::SignedRevocationData* response : responses) {
      Params p;
      const std::string sql =
          absl::StrCat("INSERT INTO audit_revocation_responses (sha256, der) VALUES (",
                       p.Ref(p.Text(response->sha256)), ", ", p.Ref(p.Bytes(*response->der)),
                       ") ON CONFLICT DO NOTHING");
      pipeline.Send(p, sql, "insert revocation response");
    }
    {
      Params p;
      const std::string sql = absl::StrCat(
          "INSERT INTO audit_checkpoints (shard, size, note) VALUES (", p.Ref(p.Text(shard)), ", ",
          p.Ref(p.Number(static_cast<int64_t>(new_size))), ", ", p.Ref(p.Text(checkpoint)),
          ") ON CONFLICT (shard, size) DO UPDATE SET note = EXCLUDED.note");
      pipeline.Send(p, sql, "insert checkpoint");
    }
    pipeline.Send(Params(), "COMMIT", "commit");
    failure = pipeline.Sync();
  }
  if (!failure && copied.ok()) return absl::OkStatus();
  Run(conn, "ROLLBACK").IgnoreError();  // a no-op when COMMIT itself failed
  if (!copied.ok()) return copied;
  if (failure->sqlstate == kWrongSizeState) {
    return absl::FailedPreconditionError(absl::StrCat("audit store: ", failure->message));
  }
  return absl::UnavailableError(absl::StrCat("audit store (PostgreSQL): ", failure->message));
}

absl::StatusOr<uint64_t> PostgresAuditStore::Size(const std::string& shard) {
  return Read<uint64_t>(
      [&](PGconn* conn) -> absl::StatusOr<uint64_t> { return SizeOf(conn, shard); });
}

absl::StatusOr<Hash> PostgresAuditStore::Node(const std::string& shard, int level, uint64_t index) {
  return Read<Hash>([&](PGconn* conn) -> absl::StatusOr<Hash> {
    auto not_found = [&] {
      return absl::NotFoundError(
          absl::StrCat("audit store: no tree node at level ", level, " index ", index));
    };
    // The hashes of column 0 of `r`, in order.
    auto hashes = [](const ResultPtr& r) -> absl::StatusOr<std::vector<Hash>> {
      std::vector<Hash> out(static_cast<size_t>(PQntuples(r.get())));
      for (size_t row = 0; row < out.size(); ++row) {
        const std::string bytes = Bytes(r, static_cast<int>(row), 0);
        if (bytes.size() != 32) {
          return absl::DataLossError("audit store: a tree hash is not 32 bytes");
        }
        std::memcpy(out[row].data(), bytes.data(), 32);
      }
      return out;
    };
    {
      Params p;
      const int s = p.Text(shard);
      const int i = p.Number(static_cast<int64_t>(index));
      const std::string sql =
          level == 0
              ? absl::StrCat("SELECT leaf_hash FROM audit_leaves WHERE shard = ", p.Ref(s),
                             " AND seq = ", p.Ref(i))
              : absl::StrCat("SELECT hash FROM audit_nodes WHERE shard = ", p.Ref(s),
                             " AND idx = ", p.Ref(i), " AND level = ", p.Ref(p.Number(level)));
      ResultPtr r = p.Exec(conn, sql);
      if (!Ok(r)) return Error(conn, "node");
      auto found = hashes(r);
      if (!found.ok()) return found.status();
      if (!found->empty()) return found->front();
      if (IsStoredNodeLevel(level)) return not_found();
    }
    // A level between those kept: hashed up from the kept level below.
    const int base = level - level % kStoredNodeLevels;
    const uint64_t width = uint64_t{1} << (level - base);
    Params p;
    const int s = p.Text(shard);
    const int from = p.Number(static_cast<int64_t>(index * width));
    const int to = p.Number(static_cast<int64_t>((index + 1) * width));
    const std::string sql =
        base == 0
            ? absl::StrCat("SELECT leaf_hash FROM audit_leaves WHERE shard = ", p.Ref(s),
                           " AND seq >= ", p.Ref(from), " AND seq < ", p.Ref(to), " ORDER BY seq")
            : absl::StrCat("SELECT hash FROM audit_nodes WHERE shard = ", p.Ref(s),
                           " AND level = ", p.Ref(p.Number(base)), " AND idx >= ", p.Ref(from),
                           " AND idx < ", p.Ref(to), " ORDER BY idx");
    ResultPtr r = p.Exec(conn, sql);
    if (!Ok(r)) return Error(conn, "node");
    auto row = hashes(r);
    if (!row.ok()) return row.status();
    if (row->size() != width) return not_found();
    return PerfectRoot(*std::move(row));
  });
}

absl::StatusOr<std::string> PostgresAuditStore::Leaf(const std::string& shard, uint64_t sequence) {
  return Read<std::string>([&](PGconn* conn) -> absl::StatusOr<std::string> {
    Params p;
    const std::string sql =
        absl::StrCat("SELECT leaf FROM audit_leaves WHERE shard = ", p.Ref(p.Text(shard)),
                     " AND seq = ", p.Ref(p.Number(static_cast<int64_t>(sequence))),
                     " AND octet_length(leaf) > 0");
    ResultPtr r = p.Exec(conn, sql);
    if (!Ok(r)) return Error(conn, "leaf");
    if (PQntuples(r.get()) == 0) {
      return absl::NotFoundError(absl::StrCat("no record ", sequence, " in shard ", shard,
                                              " (or its body was pruned by retention)"));
    }
    return Bytes(r, 0, 0);
  });
}

absl::StatusOr<uint64_t> PostgresAuditStore::Prune(const std::string& shard,
                                                   int64_t before_micros) {
  absl::MutexLock lock(&write_mu_);
  PGconn* conn = Writer();
  Params p;
  const std::string sql = absl::StrCat(
      "UPDATE audit_leaves SET leaf = ''::bytea WHERE shard = ", p.Ref(p.Text(shard)),
      " AND time_micros < ", p.Ref(p.Number(before_micros)), " AND octet_length(leaf) > 0");
  ResultPtr r = p.Exec(conn, sql);
  if (!Ok(r)) return Error(conn, "prune");
  return static_cast<uint64_t>(std::stoull(PQcmdTuples(r.get())));
}

absl::StatusOr<std::string> PostgresAuditStore::Checkpoint(const std::string& shard,
                                                           uint64_t size) {
  return Read<std::string>([&](PGconn* conn) -> absl::StatusOr<std::string> {
    Params p;
    const int s = p.Text(shard);
    std::string sql = absl::StrCat("SELECT note FROM audit_checkpoints WHERE shard = ", p.Ref(s));
    if (size == 0) {
      sql += " ORDER BY size DESC LIMIT 1";
    } else {
      sql += absl::StrCat(" AND size = ", p.Ref(p.Number(static_cast<int64_t>(size))));
    }
    ResultPtr r = p.Exec(conn, sql);
    if (!Ok(r)) return Error(conn, "checkpoint");
    if (PQntuples(r.get()) == 0) {
      return absl::NotFoundError(absl::StrCat(
          "no checkpoint", size ? absl::StrCat(" of size ", size) : "", " for shard ", shard));
    }
    return Bytes(r, 0, 0);
  });
}

absl::StatusOr<std::vector<AuditStore::StoredLeaf>> PostgresAuditStore::Leaves(
    const std::string& shard, uint64_t begin, size_t limit) {
  return Read<std::vector<AuditStore::StoredLeaf>>(
      [&](PGconn* conn) -> absl::StatusOr<std::vector<AuditStore::StoredLeaf>> {
        Params p;
        const std::string sql = absl::StrCat(
            "SELECT seq, leaf, leaf_hash FROM audit_leaves WHERE shard = ", p.Ref(p.Text(shard)),
            " AND seq >= ", p.Ref(p.Number(static_cast<int64_t>(begin))), " ORDER BY seq LIMIT ",
            p.Ref(p.Number(static_cast<int64_t>(limit))));
        ResultPtr r = p.Exec(conn, sql);
        if (!Ok(r)) return Error(conn, "leaves");
        std::vector<StoredLeaf> out;
        out.reserve(static_cast<size_t>(PQntuples(r.get())));
        for (int i = 0; i < PQntuples(r.get()); ++i) {
          out.push_back({static_cast<uint64_t>(Int8(r, i, 0)), Bytes(r, i, 1), Bytes(r, i, 2)});
        }
        return out;
      });
}

absl::StatusOr<CertificateRow> PostgresAuditStore::Certificate(const std::string& sha256) {
  return Read<CertificateRow>([&](PGconn* conn) -> absl::StatusOr<CertificateRow> {
    Params p;
    ResultPtr r = p.Exec(conn, absl::StrCat("SELECT subject, issuer, serial, der FROM "
                                            "audit_certificates WHERE sha256 = ",
                                            p.Ref(p.Text(sha256))));
    if (!Ok(r)) return Error(conn, "certificate");
    if (PQntuples(r.get()) == 0)
      return absl::NotFoundError(absl::StrCat("no certificate ", sha256));
    return CertificateRow{sha256, Bytes(r, 0, 0), Bytes(r, 0, 1), Bytes(r, 0, 2), Bytes(r, 0, 3)};
  });
}

// Each reader connection takes a new budget on its next use.
void PostgresAuditStore::set_query_budget(absl::Duration budget) {
  absl::MutexLock lock(&budget_mu_);
  query_budget_ = budget;
}

absl::Duration PostgresAuditStore::query_budget() const {
  absl::MutexLock lock(&budget_mu_);
  return query_budget_;
}

// A connection the server closed (a restart, a failover, an administrator)
// is opened again on its next use; the use that found it closed has failed
// with UNAVAILABLE (the audit log answers those calls UNAVAILABLE and goes on).
PGconn* PostgresAuditStore::Writer() {
  if (PQstatus(writer_.get()) != CONNECTION_OK) PQreset(writer_.get());
  return writer_.get();
}

PGconn* PostgresAuditStore::Ready(Reader& reader) {
  PGconn* conn = reader.conn.get();
  if (PQstatus(conn) != CONNECTION_OK) {
    PQreset(conn);
    reader.budget = absl::InfiniteDuration();  // a new session has the server's default
  }
  const absl::Duration budget = query_budget();
  if (reader.budget != budget && PQstatus(conn) == CONNECTION_OK) {
    const std::string sql = absl::StrCat("SET statement_timeout = ",
                                         std::max<int64_t>(1, absl::ToInt64Milliseconds(budget)));
    // A failure leaves the previous budget; the next use tries again.
    if (Run(conn, sql.c_str()).ok()) reader.budget = budget;
  }
  return conn;
}

absl::StatusOr<std::string> PostgresAuditStore::RevocationResponse(const std::string& sha256) {
  return Read<std::string>([&](PGconn* conn) -> absl::StatusOr<std::string> {
    Params p;
    ResultPtr r = p.Exec(conn, absl::StrCat("SELECT der FROM audit_revocation_responses WHERE "
                                            "sha256 = ",
                                            p.Ref(p.Text(sha256))));
    if (!Ok(r)) return Error(conn, "revocation response");
    if (PQntuples(r.get()) == 0) {
      return absl::NotFoundError(absl::StrCat("no revocation response ", sha256));
    }
    return Bytes(r, 0, 0);
  });
}

absl::StatusOr<std::vector<FoundLeaf>> PostgresAuditStore::Find(const LeafQuery& query,
                                                                const LeafCursor* after,
                                                                size_t limit) {
  const LeafFilter filter =
      LeafFilterOf({"audit_leaves", "audit_certificates", "strpos"}, query, after, limit);
  // The filter's `?` become $1, $2, ...; its SQL text holds no other `?`.
  Params p;
  std::string sql;
  for (const char c : filter.sql) {
    if (c != '?') {
      sql += c;
      continue;
    }
    const auto& v = filter.values[static_cast<size_t>(p.size())];
    sql += p.Ref(std::holds_alternative<int64_t>(v) ? p.Number(std::get<int64_t>(v))
                                                    : p.Text(std::get<std::string>(v)));
  }
  return Read<std::vector<FoundLeaf>>([&](PGconn* conn) -> absl::StatusOr<std::vector<FoundLeaf>> {
    ResultPtr r = p.Exec(conn, sql);
    if (!Ok(r)) {
      const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
      if (state != nullptr && std::string_view(state) == "57014") {  // query_canceled
        return QueryOverBudget(query_budget());
      }
      return Error(conn, "query");
    }
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
  });
}

}  // namespace sigverify::audit
