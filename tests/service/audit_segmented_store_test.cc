// The segments as the log and SQLite as its index, under an AuditLog:
// records are provable before the index has them, an index that fails holds
// the log up only past its bound, and opening catches the index up.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "service/audit/audit_log.h"
#include "service/audit/segment_reader.h"
#include "service/audit/segmented_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit/verify_shard.h"
#include "tests/testing/append_and_wait.h"
#include "tests/testing/forwarding_store.h"

namespace sigverify::audit {
namespace {

namespace fs = std::filesystem;

// An index whose commits wait for `open` or fail while `failing`, and
// which counts the log commits each of its transactions holds.
class GatedIndex : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override {
    const CommitPart part{leaves, nodes};
    return CommitParts(shard, {&part, 1}, new_size, checkpoint);
  }
  absl::Status CommitParts(const std::string& shard, absl::Span<const CommitPart> parts,
                           uint64_t new_size, const std::string& checkpoint) override {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&open));
    if (failing) return absl::UnavailableError("index disk full");
    transactions.push_back(parts.size());
    return ForwardingStore::CommitParts(shard, parts, new_size, checkpoint);
  }
  absl::Mutex mu;
  bool open = true;
  bool failing = false;
  std::vector<size_t> transactions;  // log commits in each
};

class SegmentedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = ::testing::TempDir() + "/segmented-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(base_ + ".segments");
    for (const char* suffix : {".db", ".db-wal", ".db-shm"}) fs::remove(base_ + suffix);
    signer_ = *CheckpointSigner::Generate("sigverify.test/segments");
  }
  void TearDown() override { fs::remove_all(base_ + ".segments"); }

  // An AuditLog over segments and a GatedIndex (kept in `gate`).
  // `store_options_` as the test set them.
  std::unique_ptr<AuditLog> OpenLog(GatedIndex** gate = nullptr, size_t max_unindexed = 200000) {
    auto index = std::make_unique<GatedIndex>(*SqliteAuditStore::Open(base_ + ".db"));
    if (gate != nullptr) *gate = index.get();
    SegmentedStore::Options options = store_options_;
    options.dir = base_ + ".segments";
    options.shard = "a";
    options.segment_bytes = 4096;
    options.max_unindexed = max_unindexed;
    auto store = SegmentedStore::Open(std::move(options), std::move(index));
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    opened_ = (*store)->opened();
    segmented_ = store->get();
    AuditLog::Options o;
    o.shard = "a";
    o.origin = "sigverify.test/segments";
    auto log = AuditLog::Open(*std::move(store), signer_, o);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  static absl::Status AppendAndWait(AuditLog& log, int from, int n) {
    std::vector<v1::AuditRecord> records(n);
    for (int i = 0; i < n; ++i) {
      records[i].set_method("Verify");
      records[i].set_record_id(absl::StrCat("CV-", from + i));
      records[i].mutable_time()->set_seconds(1796000000 + from + i);
      records[i].mutable_signer()->set_subject("CN=Nguyễn Văn An");
      records[i].mutable_signer()->set_sha256_fingerprint(std::string(64, 'e'));
    }
    return testing::AppendAndWait(log, std::move(records));
  }

  // The index, reading the bodies it does not keep from the segments.
  absl::StatusOr<std::unique_ptr<SqliteAuditStore>> OpenIndex() {
    auto index = SqliteAuditStore::Open(base_ + ".db");
    if (index.ok()) {
      (*index)->ReadBodiesFrom(std::make_shared<SegmentReader>(base_ + ".segments", "a"));
    }
    return index;
  }

  // The whole shard re-verified from the index against the latest note.
  absl::Status VerifyIndex(const std::string& note) {
    auto index = OpenIndex();
    if (!index.ok()) return index.status();
    return VerifyShard(**index, "a", note, signer_.VerifierKey()).status();
  }

  std::string base_;
  SegmentedStore::Options store_options_;
  CheckpointSigner signer_ = *CheckpointSigner::Generate("x");
  SegmentedStore::Opened opened_;
  SegmentedStore* segmented_ = nullptr;
};

TEST_F(SegmentedStoreTest, RecordsAreReadableAndProvableBeforeTheIndexHasThem) {
  GatedIndex* gate = nullptr;
  auto log = OpenLog(&gate);
  ASSERT_TRUE(AppendAndWait(*log, 0, 5).ok());
  ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));
  {
    absl::MutexLock lock(&gate->mu);
    gate->open = false;
  }
  ASSERT_TRUE(AppendAndWait(*log, 5, 6).ok());  // durable in the segments only
  EXPECT_EQ(segmented_->indexed_size(), 5u);
  AuditStore& store = log->store();
  EXPECT_EQ(*store.Size("a"), 11u);
  auto leaf = store.Leaf("a", 9);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  v1::AuditRecord record;
  ASSERT_TRUE(record.ParseFromString(*leaf));
  EXPECT_EQ(record.record_id(), "CV-9");
  EXPECT_EQ(record.sequence(), 9u);
  const std::string note = *store.Checkpoint("a", 0);
  auto checkpoint = OpenCheckpoint(note, signer_.VerifierKey());
  ASSERT_TRUE(checkpoint.ok());
  ASSERT_EQ(checkpoint->size, 11u);
  for (uint64_t i : {0, 4, 5, 9, 10}) {
    auto proof = InclusionProof(log->Nodes("a"), i, 11);
    ASSERT_TRUE(proof.ok()) << proof.status();
    auto bytes = store.Leaf("a", i);
    ASSERT_TRUE(bytes.ok());
    EXPECT_TRUE(VerifyInclusion(LeafHash(*bytes), i, 11, *proof, checkpoint->root).ok()) << i;
  }
  // The whole shard, half from the index and half from memory.
  EXPECT_TRUE(VerifyShard(store, "a", note, signer_.VerifierKey()).ok());
  // A search waits a little for the index, then answers what it has.
  LeafQuery q;
  q.record_id = "CV-9";
  auto found = store.Find(q, nullptr, 10);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
  EXPECT_EQ(*store.Searchable("a"), 5u);
  {
    absl::MutexLock lock(&gate->mu);
    gate->open = true;
  }
  // Once the index can write, a search finds what was logged before it.
  found = store.Find(q, nullptr, 10);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().sequence, 9u);
  EXPECT_EQ(*store.Searchable("a"), 11u);
}

// The index keeps each record's place in the segments, not its bytes: the
// database holds no record body and no row per record, only a block per
// commit; reads (GetRecord, searches) come from the segments. Retention makes
// them unreadable, then deletes whole segments.
TEST_F(SegmentedStoreTest, TheIndexKeepsPlacesNotCopies) {
  auto log = OpenLog();
  for (int from = 0; from < 40; from += 5) {  // 4 KiB segments: several
    ASSERT_TRUE(AppendAndWait(*log, from, 5).ok());
  }
  ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));
  ASSERT_GE(segmented_->segments().Segments().size(), 2u);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((base_ + ".db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT (SELECT count(*) FROM leaves), count(*), sum(count), "
                                 "sum(length(data)) FROM blocks WHERE shard = 'a'",
                                 -1, &q, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(q, 0), 0);  // no row per record
    EXPECT_GE(sqlite3_column_int64(q, 1), 8);  // a block per commit at least
    EXPECT_EQ(sqlite3_column_int64(q, 2), 40);
    // 73 bytes a record, 8 a block: the bodies are not there.
    EXPECT_EQ(sqlite3_column_int64(q, 3), 40 * 73 + sqlite3_column_int64(q, 1) * 8);
    sqlite3_finalize(q);
    sqlite3_close(db);
  }
  AuditStore& store = log->store();
  LeafQuery query;
  query.record_id = "CV-17";
  auto found = store.Find(query, nullptr, 10);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  v1::AuditRecord record;
  ASSERT_TRUE(record.ParseFromString((*found)[0].leaf));
  EXPECT_EQ(record.sequence(), 17u);
  // Retention: everything before now, so every segment but the last goes.
  const size_t segments = segmented_->segments().Segments().size();
  auto pruned = store.Prune("a", absl::ToUnixMicros(absl::Now()) + 1000000);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 40u);
  EXPECT_EQ(segmented_->segments().Segments().size(), 1u) << segments;
  EXPECT_EQ(store.Leaf("a", 17).status().code(), absl::StatusCode::kNotFound);
  found = store.Find(query, nullptr, 10);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->empty());
  {
    // Blocks with nothing left to find keep their leaf hashes, not their
    // search keys.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((base_ + ".db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT (SELECT count(*) FROM block_keys), sum(live), sum(count) "
                                 "FROM blocks WHERE shard = 'a'",
                                 -1, &q, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(q, 0), 0);
    EXPECT_EQ(sqlite3_column_int64(q, 1), 0);
    EXPECT_EQ(sqlite3_column_int64(q, 2), 40);
    sqlite3_finalize(q);
    sqlite3_close(db);
  }
  // The tree stays whole: the leaf hashes are the index's.
  EXPECT_TRUE(VerifyShard(store, "a", *store.Checkpoint("a", 0), signer_.VerifierKey()).ok());
}

// The index fails (its disk is full): verdicts go on being logged in the
// segments up to the bound, are refused past it, and a restart with a
// working index catches it up from the segments.
// Small log commits (unary calls) are indexed together: a search makes the
// index write what waits at once, as does a full batch; nothing is lost.
TEST_F(SegmentedStoreTest, CommitsThatWaitedAreIndexedInOneTransaction) {
  store_options_.index_delay = absl::Hours(1);  // only a search or a full batch writes
  store_options_.index_batch = 50;
  GatedIndex* gate = nullptr;
  auto log = OpenLog(&gate);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendAndWait(*log, 2 * i, 2).ok());
  EXPECT_EQ(segmented_->indexed_size(), 0u);
  ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));  // as a search does
  EXPECT_EQ(segmented_->indexed_size(), 40u);
  {
    absl::MutexLock lock(&gate->mu);
    EXPECT_EQ(gate->transactions, std::vector<size_t>{20});
  }
  EXPECT_TRUE(VerifyIndex(*log->store().Checkpoint("a", 0)).ok());

  // 50 records waiting fill a batch: written without a search.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendAndWait(*log, 40 + 10 * i, 10).ok());
  for (int i = 0; i < 3000 && segmented_->indexed_size() < 90; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(segmented_->indexed_size(), 90u);
  absl::MutexLock lock(&gate->mu);
  EXPECT_EQ(gate->transactions, (std::vector<size_t>{20, 5}));
}

TEST_F(SegmentedStoreTest, AFailingIndexIsBoundedAndCaughtUpAtOpen) {
  std::string note;
  {
    GatedIndex* gate = nullptr;
    auto log = OpenLog(&gate, /*max_unindexed=*/20);
    ASSERT_TRUE(AppendAndWait(*log, 0, 3).ok());
    ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));
    {
      absl::MutexLock lock(&gate->mu);
      gate->failing = true;
    }
    ASSERT_TRUE(AppendAndWait(*log, 3, 10).ok());
    ASSERT_TRUE(AppendAndWait(*log, 13, 10).ok());
    const absl::Status refused = AppendAndWait(*log, 23, 5);
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(refused.message().find("records behind"), std::string::npos) << refused;
    // The index tries what waits within its delay (50 ms) and fails.
    for (int i = 0; i < 3000 && segmented_->index_failures() == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_GE(segmented_->index_failures(), 1u);
    note = *log->store().Checkpoint("a", 0);
  }
  EXPECT_FALSE(VerifyIndex(note).ok());  // the index has 3 of 23
  auto log = OpenLog();
  EXPECT_EQ(opened_.caught_up, 20u);
  EXPECT_EQ(*log->store().Size("a"), 23u);
  EXPECT_TRUE(VerifyIndex(note).ok());
  ASSERT_TRUE(AppendAndWait(*log, 23, 2).ok());
  ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));
  EXPECT_TRUE(VerifyIndex(*log->store().Checkpoint("a", 0)).ok());
}

// The catch-up at open interrupted (the process killed, the index failing
// after some of the log's commits): the next open goes on from where the
// index got to.
TEST_F(SegmentedStoreTest, AnInterruptedCatchUpGoesOnAtTheNextOpen) {
  std::string note;
  {
    GatedIndex* gate = nullptr;
    auto log = OpenLog(&gate);
    {
      absl::MutexLock lock(&gate->mu);
      gate->failing = true;
    }
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendAndWait(*log, 3 * i, 3).ok());
    note = *log->store().Checkpoint("a", 0);
  }
  // An index that takes two of the five commits, then fails.
  class FailsAfter : public testing::ForwardingStore {
   public:
    using ForwardingStore::ForwardingStore;
    absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                        absl::Span<const NodeRow> nodes, uint64_t new_size,
                        const std::string& checkpoint) override {
      if (++commits > 2) return absl::UnavailableError("killed");
      return ForwardingStore::Commit(shard, leaves, nodes, new_size, checkpoint);
    }
    int commits = 0;
  };
  auto interrupted =
      SegmentedStore::Open({base_ + ".segments", "a"},
                           std::make_unique<FailsAfter>(*SqliteAuditStore::Open(base_ + ".db")));
  EXPECT_EQ(interrupted.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*(*SqliteAuditStore::Open(base_ + ".db"))->Size("a"), 6u);
  auto log = OpenLog();
  EXPECT_EQ(opened_.caught_up, 9u);
  EXPECT_TRUE(VerifyIndex(note).ok());
}

// A log kept in the index alone (before segments) goes on in segments.
TEST_F(SegmentedStoreTest, AnIndexOnlyLogGoesOnInSegments) {
  {
    auto index = SqliteAuditStore::Open(base_ + ".db");
    ASSERT_TRUE(index.ok());
    AuditLog::Options o;
    o.shard = "a";
    o.origin = "sigverify.test/segments";
    auto log = AuditLog::Open(*std::move(index), signer_, o);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE(AppendAndWait(**log, 0, 4).ok());
  }
  auto log = OpenLog();
  EXPECT_TRUE(opened_.migrated);
  ASSERT_TRUE(AppendAndWait(*log, 4, 3).ok());
  EXPECT_EQ(segmented_->segments().Segments(), std::vector<uint64_t>{4});
  ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));
  const std::string note = *log->store().Checkpoint("a", 0);
  EXPECT_TRUE(VerifyShard(log->store(), "a", note, signer_.VerifierKey()).ok());
  log.reset();
  log = OpenLog();  // and opens again from the segments
  EXPECT_FALSE(opened_.migrated);
  EXPECT_EQ(*log->store().Size("a"), 7u);
}

// A crash in the middle of a commit's write (never acknowledged): opening
// cuts it off and the tree goes on from the commit before.
TEST_F(SegmentedStoreTest, ATornCommitIsCutOffAndTheTreeGoesOn) {
  uint64_t good = 0;
  std::string segment;
  {
    auto log = OpenLog();
    ASSERT_TRUE(AppendAndWait(*log, 0, 3).ok());
    segment = segmented_->segments().SegmentPath(0);
    good = segmented_->segments().end();
    ASSERT_TRUE(AppendAndWait(*log, 3, 3).ok());
  }
  // The index had the second commit too; a torn one it could not have had,
  // so cut a fresh index to the first commit as well.
  for (const char* suffix : {".db", ".db-wal", ".db-shm"}) fs::remove(base_ + suffix);
  fs::resize_file(segment, good + 20);
  auto log = OpenLog();
  EXPECT_EQ(opened_.discarded_bytes, 20u);
  EXPECT_EQ(opened_.caught_up, 3u);
  EXPECT_EQ(*log->store().Size("a"), 3u);
  ASSERT_TRUE(AppendAndWait(*log, 3, 2).ok());
  ASSERT_TRUE(segmented_->WaitIndexed(absl::Seconds(30)));
  EXPECT_TRUE(VerifyIndex(*log->store().Checkpoint("a", 0)).ok());
}

// The offline check reads the segments: a byte flipped inside a record that
// was acknowledged is named (its segment, offset and the record before it).
TEST_F(SegmentedStoreTest, TheOfflineCheckNamesAFlippedByteInTheSegments) {
  std::string note, segment;
  uint64_t after_first = 0;
  {
    auto log = OpenLog();
    ASSERT_TRUE(AppendAndWait(*log, 0, 2).ok());
    segment = segmented_->segments().SegmentPath(0);
    after_first = segmented_->segments().end();
    ASSERT_TRUE(AppendAndWait(*log, 2, 2).ok());
    note = *log->store().Checkpoint("a", 0);
  }
  auto index = OpenIndex();
  ASSERT_TRUE(index.ok());
  auto segments = SegmentLog::ForReading(base_ + ".segments");
  ASSERT_TRUE(VerifySegmentedShard(*segments, **index, "a", note, signer_.VerifierKey()).ok());
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(after_first + 60));  // inside record 2
    const int c = f.peek();
    f.put(static_cast<char>(c ^ 0x20));
  }
  auto verified = VerifySegmentedShard(*segments, **index, "a", note, signer_.VerifierKey());
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find("after record 2"), std::string::npos)
      << verified.status();
  // The index keeps no copy: reading record 2 through it names the damage
  // too, and the records before it still read.
  auto through_index = VerifyShard(**index, "a", note, signer_.VerifierKey());
  EXPECT_EQ(through_index.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(through_index.status().message().find(absl::StrCat(segment, " offset ")),
            std::string::npos)
      << through_index.status();
  EXPECT_EQ((*index)->Leaf("a", 2).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE((*index)->Leaf("a", 1).ok());
  // Without the segments, the index says where its records are.
  auto alone = SqliteAuditStore::Open(base_ + ".db");
  ASSERT_TRUE(alone.ok());
  auto leaf = (*alone)->Leaf("a", 1);
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(leaf.status().message().find("segments"), std::string::npos) << leaf.status();
}

}  // namespace
}  // namespace sigverify::audit
