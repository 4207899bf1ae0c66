// The contract every audit store meets, run against SQLite and against a
// real PostgreSQL server (a fresh cluster started for this binary): commits in order and only in
// order, nodes and leaves read back, checkpoints by size, filters, and paging that neither skips
// nor repeats.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/audit/audit_store.h"
#include "service/audit/postgres_audit_store.h"
#include "service/audit/segmented_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit/tree_edge.h"
#include "tests/testing/forwarding_store.h"
#include "tests/testing/postgres_server.h"

namespace sigverify::audit {
namespace {

struct StoreFactory {
  const char* name;
  // An empty database with `sql` run in it first (a log of an older layout),
  // then opened as a store.
  std::function<std::unique_ptr<AuditStore>(const std::string& sql)> open;
};

std::unique_ptr<AuditStore> OpenSqlite(const std::string& sql) {
  const std::string path = ::testing::TempDir() + "/audit-contract.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  if (!sql.empty()) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = SqliteAuditStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// The segments as the log and SQLite as its index: Find reads the index,
// which is filled behind the log, so this view waits for it after each
// commit (the contract is the index's once it has caught up).
class IndexedSegments : public testing::ForwardingStore {
 public:
  static std::unique_ptr<AuditStore> Of(std::unique_ptr<SegmentedStore> store) {
    SegmentedStore* segments = store.get();
    return std::unique_ptr<AuditStore>(new IndexedSegments(segments, std::move(store)));
  }
  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override {
    absl::Status s = ForwardingStore::Commit(shard, leaves, nodes, new_size, checkpoint);
    EXPECT_TRUE(segments_->WaitIndexed(absl::Seconds(30)));
    return s;
  }

 private:
  IndexedSegments(SegmentedStore* segments, std::unique_ptr<AuditStore> owner)
      : ForwardingStore(std::move(owner)), segments_(segments) {}
  SegmentedStore* segments_;
};

// Shard "a" in segments, "b" straight in the index (as another instance's
// would be in a shared one).
std::unique_ptr<AuditStore> OpenSegmented(const std::string& sql) {
  const std::string dir = ::testing::TempDir() + "/audit-contract.segments";
  std::filesystem::remove_all(dir);
  auto store = SegmentedStore::Open({dir, "a"}, OpenSqlite(sql));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? IndexedSegments::Of(*std::move(store)) : nullptr;
}

// One PostgreSQL server for the binary; each test starts from empty tables.
std::unique_ptr<AuditStore> OpenPostgres(const std::string& sql) {
  // Stopped (and its directory removed) when the binary exits.
  static sigverify::testing::PostgresServer server;
  PGconn* conn = PQconnectdb(server.conninfo().c_str());
  PQclear(PQexec(conn,
                 "SET client_min_messages = warning; DROP TABLE IF EXISTS audit_leaves, "
                 "audit_nodes, audit_checkpoints, audit_certificates, audit_revocation_responses"));
  if (!sql.empty()) {
    PGresult* r = PQexec(conn, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
    PQclear(r);
  }
  PQfinish(conn);
  auto store = PostgresAuditStore::Open(server.conninfo());
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

class AuditStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open("");
    ASSERT_NE(store_, nullptr);
  }
  // Leaf `seq` of `shard`: a verdict at second 1000 + seq (two shards
  // interleave in time), alternating signers and indications.
  static LeafRow Row(const std::string& shard, uint64_t seq) {
    LeafRow r;
    r.sequence = seq;
    r.leaf = absl::StrCat(shard, "/", seq);
    r.leaf_hash = LeafHash(r.leaf);
    r.time_micros = (1000 + static_cast<int64_t>(seq)) * 1000000 + (shard == "b" ? 500000 : 0);
    r.record_id = absl::StrCat("doc-", seq % 10);
    r.signer.sha256 = seq % 2 ? std::string(64, 'a') : std::string(64, 'b');
    r.signer.serial = seq % 2 ? "1001" : "1002";
    r.signer.subject = seq % 2 ? "CN=Nguyễn Văn An,C=VN" : "CN=Trần Thị Bình,C=VN";
    r.signer.issuer = "CN=CA,C=VN";
    r.indication = seq % 3 == 0 ? 2 : 1;
    r.caller = "ipv4:127.0.0.1:5000";
    return r;
  }
  void Append(const std::string& shard, uint64_t from, uint64_t to) {
    std::vector<LeafRow> rows;
    for (uint64_t s = from; s < to; ++s) rows.push_back(Row(shard, s));
    ASSERT_TRUE(store_->Commit(shard, rows, {}, to, absl::StrCat("checkpoint ", to)).ok());
  }
  // Rows of shard "a" from 0 in commits of `sizes`, with the tree's nodes.
  struct CommitRows {
    std::vector<LeafRow> rows;
    std::vector<NodeRow> nodes;
  };
  std::vector<CommitRows> CommitsOf(std::initializer_list<uint64_t> sizes) {
    auto edge = TreeEdge::Load([](int, uint64_t) { return absl::NotFoundError(""); }, 0);
    EXPECT_TRUE(edge.ok());
    std::vector<CommitRows> out;
    uint64_t size = 0;
    for (uint64_t n : sizes) {
      CommitRows& c = out.emplace_back();
      for (uint64_t s = size; s < size + n; ++s) {
        c.rows.push_back(Row("a", s));
        hashes_.push_back(c.rows.back().leaf_hash);
        edge->Push(c.rows.back().leaf_hash, &c.nodes);
      }
      size += n;
    }
    return out;
  }
  // Whatever levels a store keeps, every complete subtree of shard "a"'s
  // `size` leaves (those CommitsOf made) reads back as RFC 9162 hashes it,
  // and no incomplete one is found.
  void ExpectEveryCompleteSubtree(uint64_t size) {
    ASSERT_EQ(hashes_.size(), size);
    const NodeSource reference = NodesFromLeaves(&hashes_);
    for (int level = 0; level <= 9; ++level) {
      const uint64_t whole = size >> level;
      for (uint64_t i = 0; i < whole; ++i) {
        auto got = store_->Node("a", level, i);
        ASSERT_TRUE(got.ok()) << level << "/" << i << ": " << got.status();
        EXPECT_EQ(*got, *reference(level, i)) << level << "/" << i;
      }
      EXPECT_EQ(store_->Node("a", level, whole).status().code(), absl::StatusCode::kNotFound)
          << level;
    }
  }
  std::unique_ptr<AuditStore> store_;
  std::vector<Hash> hashes_;  // of the rows CommitsOf made
};

TEST_P(AuditStoreContractTest, CommitsInOrderAndReadsBack) {
  EXPECT_EQ(*store_->Size("a"), 0u);
  Append("a", 0, 5);
  Append("a", 5, 8);
  EXPECT_EQ(*store_->Size("a"), 8u);
  EXPECT_EQ(*store_->Size("b"), 0u);
  EXPECT_EQ(*store_->Leaf("a", 6), "a/6");
  EXPECT_EQ(*store_->Node("a", 0, 6), LeafHash("a/6"));
  EXPECT_EQ(store_->Leaf("a", 8).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->Checkpoint("a", 0), "checkpoint 8");
  EXPECT_EQ(*store_->Checkpoint("a", 5), "checkpoint 5");
  EXPECT_EQ(store_->Checkpoint("a", 6).status().code(), absl::StatusCode::kNotFound);
  // A gap or an overlap is refused, and leaves the shard as it was.
  std::vector<LeafRow> gap = {Row("a", 9)};
  EXPECT_EQ(store_->Commit("a", gap, {}, 10, "x").code(), absl::StatusCode::kFailedPrecondition);
  std::vector<LeafRow> overlap = {Row("a", 7)};
  EXPECT_EQ(store_->Commit("a", overlap, {}, 8, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->Size("a"), 8u);
  EXPECT_EQ(*store_->Checkpoint("a", 0), "checkpoint 8");
  // Nodes.
  NodeRow node{1, 3, NodeHash(LeafHash("a/6"), LeafHash("a/7"))};
  ASSERT_TRUE(store_->Commit("a", {}, {&node, 1}, 8, "checkpoint 8").ok());
  EXPECT_EQ(*store_->Node("a", 1, 3), node.hash);
  // A store may keep some levels only and hash the others up when read; a
  // subtree the shard does not hold whole is not found either way.
  EXPECT_EQ(store_->Node("a", 2, 2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Node("a", 3, 1).status().code(), absl::StatusCode::kNotFound);
  auto leaves = store_->Leaves("a", 3, 2);
  ASSERT_TRUE(leaves.ok());
  ASSERT_EQ(leaves->size(), 2u);
  EXPECT_EQ((*leaves)[1].sequence, 4u);
}

// Whatever levels a store keeps, every complete subtree of the shard reads
// back as RFC 9162 hashes it, in commits of several sizes (so subtrees span
// commits), and no incomplete one is found.
TEST_P(AuditStoreContractTest, EveryCompleteSubtreeReadsBack) {
  uint64_t size = 0;
  for (const CommitRows& commit : CommitsOf({1, 7, 30, 100, 162})) {
    size += commit.rows.size();
    ASSERT_TRUE(
        store_->Commit("a", commit.rows, commit.nodes, size, absl::StrCat("checkpoint ", size))
            .ok());
  }
  ExpectEveryCompleteSubtree(size);
}

// Commits written together (an index behind the log) are one commit of all
// their rows with the last checkpoint; parts that do not follow one another
// are refused and change nothing.
TEST_P(AuditStoreContractTest, CommitPartsWritesConsecutiveCommitsAsOne) {
  const std::vector<CommitRows> commits = CommitsOf({1, 7, 30, 100, 162});
  std::vector<CommitPart> parts;
  for (const CommitRows& c : commits) parts.push_back({c.rows, c.nodes});
  std::vector<CommitPart> apart = {parts[0], parts[2]};
  EXPECT_EQ(store_->CommitParts("a", apart, 31, "checkpoint 31").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->Size("a"), 0u);
  ASSERT_TRUE(store_->CommitParts("a", parts, 300, "checkpoint 300").ok());
  EXPECT_EQ(*store_->Size("a"), 300u);
  EXPECT_EQ(*store_->Checkpoint("a", 0), "checkpoint 300");
  EXPECT_EQ(*store_->Leaf("a", 137), "a/137");
  ExpectEveryCompleteSubtree(300);
}

TEST_P(AuditStoreContractTest, FiltersSelectExactlyTheMatchingRecords) {
  Append("a", 0, 30);
  Append("b", 0, 30);
  auto count = [&](LeafQuery q) {
    auto rows = store_->Find(q, nullptr, 1000);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->size() : 0;
  };
  EXPECT_EQ(count({}), 60u);
  LeafQuery q;
  q.shard = "b";
  EXPECT_EQ(count(q), 30u);
  q = {};
  q.record_id = "doc-3";
  EXPECT_EQ(count(q), 6u);  // seq 3, 13, 23 in both shards
  q = {};
  q.subject_contains = "Trần";
  EXPECT_EQ(count(q), 30u);
  q.signer_serial = "1001";
  EXPECT_EQ(count(q), 0u);
  q.subject_contains = "";
  EXPECT_EQ(count(q), 30u);
  q.subject_contains = "Văn An";
  q.shard = "a";
  EXPECT_EQ(count(q), 15u);
  q = {};
  q.signer_fingerprint = std::string(64, 'b');
  EXPECT_EQ(count(q), 30u);
  q = {};
  q.indication = 2;
  EXPECT_EQ(count(q), 20u);
  q = {};
  q.since_micros = 1010 * 1000000;
  q.until_micros = 1020 * 1000000;
  EXPECT_EQ(count(q), 20u);
  q.caller = "someone else";
  EXPECT_EQ(count(q), 0u);
  // Text that looks like SQL is only ever a value.
  q = {};
  q.record_id = "x' OR '1'='1";
  EXPECT_EQ(count(q), 0u);
}

TEST_P(AuditStoreContractTest, CertificatesAreKeptOnceAndGainTheirDer) {
  Append("a", 0, 4);  // two signers, no DER
  auto a = store_->Certificate(std::string(64, 'a'));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->subject, "CN=Nguyễn Văn An,C=VN");
  EXPECT_EQ(a->issuer, "CN=CA,C=VN");
  EXPECT_EQ(a->serial, "1001");
  EXPECT_EQ(a->der, "");
  // A later record bringing the DER fills it in; one with other metadata
  // for the same fingerprint changes nothing (a fingerprint is the DER's).
  LeafRow with_der = Row("a", 4);
  with_der.signer = *a;
  with_der.signer.der = std::string("\x30\x82\x00\x00", 4);
  LeafRow other = Row("a", 5);
  other.signer = with_der.signer;
  other.signer.subject = "CN=Someone else";
  other.signer.der = "different";
  ASSERT_TRUE(store_->Commit("a", {&with_der, 1}, {}, 5, "checkpoint 5").ok());
  ASSERT_TRUE(store_->Commit("a", {&other, 1}, {}, 6, "checkpoint 6").ok());
  a = store_->Certificate(std::string(64, 'a'));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->der, with_der.signer.der);
  EXPECT_EQ(a->subject, "CN=Nguyễn Văn An,C=VN");
  EXPECT_EQ(store_->Certificate(std::string(64, 'c')).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(AuditStoreContractTest, RevocationResponsesAreKeptOnceByHash) {
  auto ocsp = std::make_shared<const std::string>("\x30\x03\x0a\x01\x00", 5);
  auto crl = std::make_shared<const std::string>(3 << 20, '\x42');  // 3 MiB
  LeafRow first = Row("a", 0);
  first.responses = {{ocsp, "0c"}, {crl, "c7"}};
  LeafRow second = Row("a", 1);
  second.responses = {{crl, "c7"}};  // the same CRL in the same commit
  std::vector<LeafRow> rows = {first, second};
  ASSERT_TRUE(store_->Commit("a", rows, {}, 2, "checkpoint 2").ok());
  // Later bytes under a hash already kept change nothing.
  LeafRow third = Row("a", 2);
  third.responses = {{std::make_shared<const std::string>("other"), "0c"}};
  ASSERT_TRUE(store_->Commit("a", {&third, 1}, {}, 3, "checkpoint 3").ok());
  EXPECT_EQ(*store_->RevocationResponse("0c"), *ocsp);
  EXPECT_EQ(*store_->RevocationResponse("c7"), *crl);
  EXPECT_EQ(store_->RevocationResponse("ff").status().code(), absl::StatusCode::kNotFound);
}

// Layout 1 kept the signer's subject and serial in each leaf row; opening
// such a log moves them to the certificates table and keeps every leaf.
TEST_P(AuditStoreContractTest, OpensALayout1LogAndKeepsItsRecords) {
  const std::string prefix = GetParam().name == std::string("postgres") ? "audit_" : "";
  const std::string blob = prefix.empty() ? "BLOB" : "BYTEA";
  std::string sql = absl::StrCat(
      "CREATE TABLE ", prefix, "leaves (shard TEXT NOT NULL, seq BIGINT NOT NULL, leaf ", blob,
      " NOT NULL, leaf_hash ", blob,
      " NOT NULL, time_micros BIGINT NOT NULL, record_id TEXT NOT NULL, signer_sha256 TEXT NOT "
      "NULL, signer_serial TEXT NOT NULL, signer_subject TEXT NOT NULL, indication INTEGER NOT "
      "NULL, caller TEXT NOT NULL, PRIMARY KEY (shard, seq))",
      prefix.empty() ? " WITHOUT ROWID;" : ";", "CREATE INDEX ", prefix, "leaves_signer ON ",
      prefix, "leaves (signer_sha256);");
  for (int seq = 0; seq < 3; ++seq) {
    absl::StrAppend(&sql, "INSERT INTO ", prefix, "leaves VALUES ('a', ", seq, ", ",
                    prefix.empty() ? "X'61'" : "'\\x61'::bytea", ", ",
                    prefix.empty() ? "X'62'" : "'\\x62'::bytea", ", ", 1000 + seq, ", 'doc-", seq,
                    "', '", seq == 2 ? "ff" : "ee", "', '", seq == 2 ? "02" : "01",
                    "', 'CN=", seq == 2 ? "Trần Thị Bình" : "Nguyễn Văn An", "', 1, 'c');");
  }
  store_ = GetParam().open(sql);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(*store_->Size("a"), 3u);
  EXPECT_EQ(*store_->Leaf("a", 1), "a");
  auto moved = store_->Certificate("ff");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->subject, "CN=Trần Thị Bình");
  EXPECT_EQ(moved->serial, "02");
  LeafQuery q;
  q.subject_contains = "Văn An";
  auto found = store_->Find(q, nullptr, 10);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 2u);
  // The log goes on in the current layout (with segments: in blocks), and
  // reads and searches see the old records and the new ones together.
  Append("a", 3, 5);
  EXPECT_EQ(*store_->Size("a"), 5u);
  EXPECT_EQ(*store_->Leaf("a", 4), "a/4");
  EXPECT_EQ(*store_->Node("a", 0, 3), LeafHash("a/3"));
  auto leaves = store_->Leaves("a", 1, 3);
  ASSERT_TRUE(leaves.ok()) << leaves.status();
  ASSERT_EQ(leaves->size(), 3u);
  EXPECT_EQ((*leaves)[0].leaf, "a");
  EXPECT_EQ((*leaves)[2].leaf, "a/3");
  found = store_->Find(q, nullptr, 10);  // Văn An: seq 0, 1 and 3
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].sequence, 3u);  // newest first
  q = {};
  q.oldest_first = true;
  found = store_->Find(q, nullptr, 10);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 5u);
  EXPECT_EQ((*found)[0].sequence, 0u);
  EXPECT_EQ((*found)[4].sequence, 4u);
}

// Exports go in tree order even where times run backwards (batch items
// finishing out of order).
TEST_P(AuditStoreContractTest, TreeOrderIsBySequenceNotTime) {
  for (const std::string shard : {"b", "a"}) {
    std::vector<LeafRow> rows;
    for (uint64_t seq = 0; seq < 10; ++seq) {
      rows.push_back(Row(shard, seq));
      rows.back().time_micros = (2000 - static_cast<int64_t>(seq)) * 1000000;
    }
    ASSERT_TRUE(store_->Commit(shard, rows, {}, 10, "checkpoint 10").ok());
  }
  LeafQuery q;
  q.tree_order = true;
  std::vector<std::string> seen;
  std::optional<LeafCursor> after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store_->Find(q, after ? &*after : nullptr, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const FoundLeaf& row : *page) seen.push_back(row.leaf);
    if (page->size() < 3) break;
    after = LeafCursor{page->back().time_micros, page->back().shard, page->back().sequence};
  }
  std::vector<std::string> expected;
  for (const std::string shard : {"a", "b"}) {
    for (int seq = 0; seq < 10; ++seq) expected.push_back(absl::StrCat(shard, "/", seq));
  }
  EXPECT_EQ(seen, expected);
}

// A query past the budget stops with DEADLINE_EXCEEDED and says what to do;
// the store answers the next one. (SQLite only: PostgreSQL's
// statement_timeout has a 1 ms floor, too coarse to trip reliably here.)
TEST_P(AuditStoreContractTest, AQueryOverBudgetStopsAndSaysWhy) {
  if (GetParam().name == std::string("postgres")) GTEST_SKIP() << "see the comment";
  Append("a", 0, 3000);
  store_->set_query_budget(absl::ZeroDuration());
  LeafQuery q;
  q.record_id = "doc-2";                        // 300 records with this id, each
  q.signer_fingerprint = std::string(64, 'a');  // checked against a signer none has
  auto over = store_->Find(q, nullptr, 10);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kDeadlineExceeded) << over.status();
  EXPECT_NE(over.status().message().find("narrow it"), std::string::npos);
  store_->set_query_budget(kDefaultQueryBudget);
  EXPECT_TRUE(store_->Find(q, nullptr, 10).ok());
}

TEST_P(AuditStoreContractTest, PagesNeitherSkipNorRepeat) {
  Append("a", 0, 23);
  Append("b", 0, 23);
  for (bool oldest_first : {false, true}) {
    LeafQuery q;
    q.oldest_first = oldest_first;
    std::vector<FoundLeaf> all;
    std::optional<LeafCursor> after;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = store_->Find(q, after ? &*after : nullptr, 7);
      ASSERT_TRUE(page.ok());
      for (auto& row : *page) all.push_back(row);
      if (page->size() < 7) break;
      after = LeafCursor{page->back().time_micros, page->back().shard, page->back().sequence};
    }
    ASSERT_EQ(all.size(), 46u);
    std::set<std::string> seen;
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_TRUE(seen.insert(all[i].leaf).second) << all[i].leaf;
      if (i > 0) {
        if (oldest_first) {
          EXPECT_LE(all[i - 1].time_micros, all[i].time_micros);
        } else {
          EXPECT_GE(all[i - 1].time_micros, all[i].time_micros);
        }
      }
    }
  }
}

// Searches answer what a scan of every record would, page after page, in
// either order, whatever the commits' sizes and however the verdict times
// run: jittering back and forth within a second, jumping back and forth by
// tens of seconds (a clock set right), two shards interleaved. A fixed seed,
// so a failure repeats.
TEST_P(AuditStoreContractTest, SearchesAnswerAsAScanOfEveryRecordWould) {
  struct Signer {
    const char* subject;
    const char* serial;
  };
  const Signer signers[] = {{"CN=Nguyễn Văn An,C=VN", "1001"},
                            {"CN=Trần Thị Bình,C=VN", "1002"},
                            {"CN=Nguyễn Thị Cúc,C=VN", "1003"},
                            {"CN=Lê Văn Dũng,C=VN", "1004"}};
  const char* callers[] = {"CN=Văn thư,O=Sở Nội vụ", "CN=Một cửa,O=UBND", "ipv4:10.0.0.7:5000"};
  std::mt19937_64 random(7);
  auto uniform = [&random](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(random);
  };
  std::vector<std::pair<std::string, LeafRow>> all;
  std::map<std::string, uint64_t> size = {{"a", 0}, {"b", 0}};
  int64_t clock = int64_t{5000} * 1000000;
  while (all.size() < 1500) {
    const std::string shard = uniform(0, 3) == 0 ? "b" : "a";
    std::vector<LeafRow> rows;
    for (int64_t n = uniform(1, 200); n > 0; --n) {
      const int64_t jump = uniform(0, 99);
      clock += jump == 0 ? -30000000 : jump == 1 ? 10000000 : uniform(-700000, 900000);
      LeafRow r;
      r.sequence = size[shard]++;
      r.leaf = absl::StrCat(shard, "/", r.sequence);
      r.leaf_hash = LeafHash(r.leaf);
      r.time_micros = clock;
      r.record_id = absl::StrCat("CV-", uniform(0, 60));
      const int64_t k = uniform(0, 3);
      r.signer.sha256 = std::string(64, static_cast<char>('a' + k));
      r.signer.subject = signers[k].subject;
      r.signer.serial = signers[k].serial;
      r.signer.issuer = "CN=CA,C=VN";
      r.indication = static_cast<int>(uniform(1, 3));
      r.caller = callers[uniform(0, 2)];
      rows.push_back(r);
      all.emplace_back(shard, r);
    }
    ASSERT_TRUE(
        store_->Commit(shard, rows, {}, size[shard], absl::StrCat("cp ", size[shard])).ok());
  }
  auto matches = [&](const LeafQuery& q, const std::string& shard, const LeafRow& r) {
    const Signer& signer = signers[r.signer.sha256[0] - 'a'];
    return (q.shard.empty() || q.shard == shard) &&
           (q.since_micros == 0 || r.time_micros >= q.since_micros) &&
           (q.until_micros == 0 || r.time_micros < q.until_micros) &&
           (q.record_id.empty() || q.record_id == r.record_id) &&
           (q.signer_fingerprint.empty() || q.signer_fingerprint == r.signer.sha256) &&
           (q.signer_serial.empty() || q.signer_serial == signer.serial) &&
           (q.subject_contains.empty() ||
            std::string(signer.subject).find(q.subject_contains) != std::string::npos) &&
           (q.indication == 0 || q.indication == r.indication) &&
           (q.caller.empty() || q.caller == r.caller);
  };
  for (int round = 0; round < 150; ++round) {
    LeafQuery q;
    if (uniform(0, 3) == 0) q.shard = uniform(0, 1) ? "a" : "b";
    if (uniform(0, 2) == 0) {
      q.since_micros = clock + uniform(-400, 100) * 1000000;
      q.until_micros = uniform(0, 1) ? 0 : q.since_micros + uniform(1, 200) * 1000000;
    }
    if (uniform(0, 4) == 0) q.record_id = absl::StrCat("CV-", uniform(0, 61));
    switch (uniform(0, 5)) {
      case 0:
        q.signer_fingerprint = std::string(64, static_cast<char>('a' + uniform(0, 4)));
        break;
      case 1:
        q.subject_contains = uniform(0, 1) ? "Nguyễn" : "Văn";  // two signers each
        break;
      case 2:
        q.signer_serial = signers[uniform(0, 3)].serial;
        break;
    }
    if (uniform(0, 3) == 0) q.indication = static_cast<int>(uniform(1, 4));
    if (uniform(0, 3) == 0) q.caller = callers[uniform(0, 2)];
    q.oldest_first = uniform(0, 1);
    q.tree_order = uniform(0, 5) == 0;
    std::vector<std::tuple<int64_t, std::string, uint64_t>> expected;
    for (const auto& [shard, r] : all) {
      if (matches(q, shard, r)) expected.emplace_back(r.time_micros, shard, r.sequence);
    }
    std::sort(expected.begin(), expected.end(), [&q](const auto& x, const auto& y) {
      if (q.tree_order) {
        return std::tie(std::get<1>(x), std::get<2>(x)) < std::tie(std::get<1>(y), std::get<2>(y));
      }
      return q.oldest_first ? x < y : x > y;
    });
    const size_t limit = static_cast<size_t>(uniform(1, 120));
    std::vector<std::tuple<int64_t, std::string, uint64_t>> got;
    std::optional<LeafCursor> after;
    for (int pages = 0; pages <= 1500; ++pages) {
      auto page = store_->Find(q, after ? &*after : nullptr, limit);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const FoundLeaf& f : *page) {
        got.emplace_back(f.time_micros, f.shard, f.sequence);
        EXPECT_EQ(f.leaf, absl::StrCat(f.shard, "/", f.sequence));
      }
      if (page->size() < limit) break;
      after = LeafCursor{page->back().time_micros, page->back().shard, page->back().sequence};
    }
    ASSERT_EQ(got, expected) << "round " << round << " limit " << limit;
  }
  // Retention in the middle of blocks (their times jitter across the
  // cut-off): searches find exactly the records kept.
  const int64_t cut = clock - 200 * int64_t{1000000};
  uint64_t older = 0;
  for (const auto& [shard, r] : all) older += shard == "a" && r.time_micros < cut;
  auto pruned = store_->Prune("a", cut);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, older);
  for (const bool oldest_first : {false, true}) {
    LeafQuery q;
    q.shard = "a";
    q.oldest_first = oldest_first;
    std::vector<uint64_t> expected, got;
    for (const auto& [shard, r] : all) {
      if (shard == "a" && r.time_micros >= cut) expected.push_back(r.sequence);
    }
    auto found = store_->Find(q, nullptr, all.size());
    ASSERT_TRUE(found.ok()) << found.status();
    for (const FoundLeaf& f : *found) got.push_back(f.sequence);
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected);
  }
}

// Verdict times at the ends of the range (a clock set wildly wrong) and
// bounds there (an auditor's request) are answered like any others.
TEST_P(AuditStoreContractTest, TimesAtTheEndsOfTheRangeAreFound) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<int64_t> times = {kMin, kMin + 1, -1000000, 1, kMax - 1, kMax};
  std::vector<LeafRow> rows;
  for (uint64_t seq = 0; seq < times.size(); ++seq) {
    rows.push_back(Row("a", seq));
    rows.back().time_micros = times[seq];
  }
  ASSERT_TRUE(store_->Commit("a", rows, {}, rows.size(), "cp").ok());
  auto sequences = [&](LeafQuery q) {
    std::vector<uint64_t> out;
    auto found = store_->Find(q, nullptr, 100);
    EXPECT_TRUE(found.ok()) << found.status();
    if (found.ok()) {
      for (const FoundLeaf& f : *found) out.push_back(f.sequence);
    }
    return out;
  };
  LeafQuery q;
  EXPECT_EQ(sequences(q), (std::vector<uint64_t>{5, 4, 3, 2, 1, 0}));
  q.oldest_first = true;
  EXPECT_EQ(sequences(q), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  q.since_micros = kMin;
  q.until_micros = kMin + 1;
  EXPECT_EQ(sequences(q), std::vector<uint64_t>{0});
  q.since_micros = kMax - 1;
  q.until_micros = kMax;
  EXPECT_EQ(sequences(q), std::vector<uint64_t>{4});
  q.oldest_first = false;
  q.since_micros = -2000000;
  q.until_micros = 2;
  EXPECT_EQ(sequences(q), (std::vector<uint64_t>{3, 2}));
  q.until_micros = kMin;  // nothing is before the first time there is
  q.since_micros = 0;
  EXPECT_EQ(sequences(q), std::vector<uint64_t>{});
}

TEST_P(AuditStoreContractTest, PruningRemovesOldBodiesAndKeepsTheirHashes) {
  Append("a", 0, 10);  // times 1000 s .. 1009 s
  auto pruned = store_->Prune("a", 1004 * 1000000);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 4u);
  EXPECT_EQ(*store_->Prune("a", 1004 * 1000000), 0u);  // once only
  EXPECT_EQ(store_->Leaf("a", 2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->Leaf("a", 4), "a/4");
  EXPECT_EQ(*store_->Node("a", 0, 2), LeafHash("a/2"));  // the tree keeps it
  EXPECT_EQ(store_->Find({}, nullptr, 100)->size(), 6u);
  auto leaves = store_->Leaves("a", 0, 100);
  ASSERT_EQ(leaves->size(), 10u);
  EXPECT_TRUE((*leaves)[2].leaf.empty());
  EXPECT_EQ((*leaves)[2].leaf_hash.size(), 32u);
}

INSTANTIATE_TEST_SUITE_P(Stores, AuditStoreContractTest,
                         ::testing::Values(StoreFactory{"sqlite", OpenSqlite},
                                           StoreFactory{"segments", OpenSegmented},
                                           StoreFactory{"postgres", OpenPostgres}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sigverify::audit
