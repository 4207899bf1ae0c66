// The audit log over a real SQLite file: signed checkpoints (C2SP notes),
// group commit from many threads, the tree continued across a reopen, and
// proofs read from the store that an auditor verifies with the public key.
#include "service/audit/audit_log.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "crypto/sha256.h"
#include "gtest/gtest.h"
#include "service/audit/checkpoint.h"
#include "service/audit/postgres_audit_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit/verify_shard.h"
#include "tests/testing/append_and_wait.h"
#include "tests/testing/forwarding_store.h"
#include "tests/testing/postgres_server.h"

namespace sigverify::audit {
namespace {

using sigverify::testing::ForwardingStore;

TEST(CheckpointTest, ASignedCheckpointOpensWithItsKeyOnly) {
  auto signer = CheckpointSigner::Generate("sigverify.test/audit");
  ASSERT_TRUE(signer.ok());
  Checkpoint c{"sigverify.test/audit/a", 12345, LeafHash("root")};
  auto note = signer->Sign(c);
  ASSERT_TRUE(note.ok());
  EXPECT_NE(note->find("sigverify.test/audit/a\n12345\n"), std::string::npos);
  EXPECT_NE(note->find("\n\n\xE2\x80\x94 sigverify.test/audit "), std::string::npos);
  auto opened = OpenCheckpoint(*note, signer->VerifierKey());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->origin, c.origin);
  EXPECT_EQ(opened->size, 12345u);
  EXPECT_EQ(opened->root, c.root);

  // Another key of the same name: its signature is not there.
  auto other = CheckpointSigner::Generate("sigverify.test/audit");
  EXPECT_EQ(OpenCheckpoint(*note, other->VerifierKey()).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A changed size: the signature no longer verifies.
  std::string forged = *note;
  forged.replace(forged.find("12345"), 5, "12346");
  EXPECT_EQ(OpenCheckpoint(forged, signer->VerifierKey()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(OpenCheckpoint("no signature\n", signer->VerifierKey()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenCheckpoint(*note, "not a key").status().code(), absl::StatusCode::kInvalidArgument);
  // Verifier keys whose base64 holds '+' (most of 20 random keys) parse.
  for (int i = 0; i < 20; ++i) {
    auto key = CheckpointSigner::Generate("sigverify.test/audit");
    ASSERT_TRUE(OpenCheckpoint(*key->Sign(c), key->VerifierKey()).ok()) << key->VerifierKey();
  }
  // The key survives a PEM round trip.
  auto reloaded = CheckpointSigner::FromPem(*signer->PrivateKeyPem(), "sigverify.test/audit");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->VerifierKey(), signer->VerifierKey());
}

// One signer signs many checkpoints (each on a copy of the context it set
// up once), from several threads and through copies of itself; Ed25519 is
// deterministic, so the same checkpoint gives the same note every time.
TEST(CheckpointTest, ASignerSignsAgainAndAgain) {
  const CheckpointSigner signer = *CheckpointSigner::Generate("sigverify.test/audit");
  const Checkpoint c{"sigverify.test/audit/a", 7, LeafHash("root")};
  const std::string first = *signer.Sign(c);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, copy = signer, t] {
      for (uint64_t i = 0; i < 50; ++i) {
        auto note = copy.Sign({c.origin, i + 100 * static_cast<uint64_t>(t), c.root});
        auto opened = note.ok() ? OpenCheckpoint(*note, signer.VerifierKey())
                                : absl::StatusOr<Checkpoint>(note.status());
        if (opened.ok() && opened->size == i + 100 * static_cast<uint64_t>(t)) ++good;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
  EXPECT_EQ(*signer.Sign(c), first);
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/audit-log-test.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    signer_ = *CheckpointSigner::Generate("sigverify.test/audit");
  }
  std::unique_ptr<AuditLog> OpenLog(absl::Duration retention = absl::ZeroDuration()) {
    auto store = SqliteAuditStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    AuditLog::Options o;
    o.retention = retention;
    o.shard = "instance-a";
    o.origin = "sigverify.test/audit/instance-a";
    auto log = AuditLog::Open(*std::move(store), signer_, o);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }
  // Appends `records` and waits until they are durable.
  absl::Status AppendAndWait(AuditLog& log, std::vector<v1::AuditRecord> records) {
    return testing::AppendAndWait(log, std::move(records));
  }
  static v1::AuditRecord Record(const std::string& id) {
    v1::AuditRecord r;
    r.set_method("Verify");
    r.set_record_id(id);
    r.mutable_signer()->set_subject("CN=Nguyễn Văn An");
    r.mutable_signer()->set_sha256_fingerprint(std::string(64, 'a'));
    r.set_indication(v1::INDICATION_TOTAL_PASSED);
    r.mutable_time()->set_seconds(1'790'000'000);
    return r;
  }
  std::string path_;
  CheckpointSigner signer_ = *CheckpointSigner::Generate("unused");
};

TEST_F(AuditLogTest, ConcurrentAppendsAreGroupCommittedIntoOneVerifiableTree) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  constexpr int kThreads = 8, kPerThread = 125;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (AppendAndWait(*log, {Record(absl::StrCat("doc-", t, "-", i))}).ok()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  const AuditLog::Stats stats = log->stats();
  EXPECT_EQ(stats.appended, 1000u);
  EXPECT_EQ(stats.tree_size, 1000u);
  EXPECT_LT(stats.commits, 1000u);  // grouped: fewer transactions than records

  auto note = log->store().Checkpoint("instance-a", 0);
  ASSERT_TRUE(note.ok());
  auto checkpoint = OpenCheckpoint(*note, log->verifier_key());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->size, 1000u);
  const NodeSource nodes = log->Nodes("instance-a");
  EXPECT_EQ(*RootAt(nodes, 1000), checkpoint->root);
  for (uint64_t seq : {0, 1, 499, 998, 999}) {
    auto leaf = log->store().Leaf("instance-a", seq);
    ASSERT_TRUE(leaf.ok());
    v1::AuditRecord record;
    ASSERT_TRUE(record.ParseFromString(*leaf));
    EXPECT_EQ(record.sequence(), seq);
    EXPECT_EQ(record.shard(), "instance-a");
    auto proof = InclusionProof(nodes, seq, 1000);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyInclusion(LeafHash(*leaf), seq, 1000, *proof, checkpoint->root).ok());
  }
}

TEST_F(AuditLogTest, AReopenedLogContinuesTheSameTree) {
  std::string old_note;
  {
    auto log = OpenLog();
    std::vector<v1::AuditRecord> batch;
    for (int i = 0; i < 13; ++i) batch.push_back(Record(absl::StrCat("first-", i)));
    ASSERT_TRUE(AppendAndWait(*log, batch).ok());
    old_note = *log->store().Checkpoint("instance-a", 0);
  }
  auto log = OpenLog();
  ASSERT_EQ(log->stats().tree_size, 13u);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(AppendAndWait(*log, {Record("again")}).ok());
  auto old_cp = OpenCheckpoint(old_note, log->verifier_key());
  auto new_cp = OpenCheckpoint(*log->store().Checkpoint("instance-a", 0), log->verifier_key());
  ASSERT_TRUE(old_cp.ok() && new_cp.ok());
  EXPECT_EQ(new_cp->size, 19u);
  auto proof = ConsistencyProof(log->Nodes("instance-a"), 13, 19);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(VerifyConsistency(13, 19, old_cp->root, new_cp->root, *proof).ok());
  // Every checkpoint ever signed is kept.
  EXPECT_TRUE(log->store().Checkpoint("instance-a", 13).ok());
}

TEST_F(AuditLogTest, AStoreThatCannotWriteFailsTheAppendAndLosesNothingCommitted) {
  auto log = OpenLog();
  ASSERT_TRUE(AppendAndWait(*log, {Record("before")}).ok());
  // Another writer takes the database's write lock and keeps it.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(other, "PRAGMA busy_timeout=0; BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
      SQLITE_OK);
  absl::Status blocked = AppendAndWait(*log, {Record("while locked")});
  EXPECT_EQ(blocked.code(), absl::StatusCode::kUnavailable) << blocked;
  EXPECT_NE(blocked.message().find("could not record"), std::string::npos) << blocked;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // The tree continues from what was committed: no hole, no duplicate.
  ASSERT_TRUE(AppendAndWait(*log, {Record("after")}).ok());
  EXPECT_EQ(log->stats().tree_size, 2u);
  v1::AuditRecord second;
  ASSERT_TRUE(second.ParseFromString(*log->store().Leaf("instance-a", 1)));
  EXPECT_EQ(second.record_id(), "after");
}

// Counts the attachment bytes each commit brings.
class CountingStore : public ForwardingStore {
 public:
  CountingStore(std::unique_ptr<AuditStore> store, std::atomic<size_t>* bytes)
      : ForwardingStore(std::move(store)), bytes_(bytes) {}
  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override {
    for (const LeafRow& r : leaves) {
      *bytes_ += r.signer.der.size();
      for (const auto& response : r.responses) *bytes_ += response.der->size();
    }
    return ForwardingStore::Commit(shard, leaves, nodes, new_size, checkpoint);
  }

 private:
  std::atomic<size_t>* bytes_;
};

// Commits, then reports a failure once (a connection lost after COMMIT).
class AckLostStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override {
    absl::Status s = ForwardingStore::Commit(shard, leaves, nodes, new_size, checkpoint);
    if (s.ok() && lose_next_ack.exchange(false)) return absl::UnavailableError("connection lost");
    return s;
  }
  std::atomic<bool> lose_next_ack{false};
};

// Two instances configured with the same shard: the second to commit is
// refused, and keeps being refused rather than merging its records (signed
// by its own key) into the other's tree.
TEST_F(AuditLogTest, ASecondWriterOfTheSameShardIsRefusedNotMerged) {
  auto a = OpenLog();
  auto b = OpenLog();
  ASSERT_TRUE(AppendAndWait(*a, {Record("a-0")}).ok());
  for (const char* id : {"b-0", "b-1"}) {
    const absl::Status refused = AppendAndWait(*b, {Record(id)});
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
    EXPECT_NE(refused.message().find("another writer"), std::string::npos) << refused;
  }
  ASSERT_TRUE(AppendAndWait(*a, {Record("a-1")}).ok());
  EXPECT_EQ(*a->store().Size("instance-a"), 2u);
}

TEST_F(AuditLogTest, ACommitWhoseAcknowledgementWasLostIsNotWrittenTwice) {
  auto store = std::make_unique<AckLostStore>(*SqliteAuditStore::Open(path_));
  AckLostStore* raw = store.get();
  AuditLog::Options o;
  o.shard = "instance-a";
  o.origin = "sigverify.test/audit/instance-a";
  auto log = AuditLog::Open(std::move(store), signer_, o);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(AppendAndWait(**log, {Record("first")}).ok());
  raw->lose_next_ack = true;
  // The caller hears UNAVAILABLE (never a verdict that is not logged)...
  EXPECT_EQ(AppendAndWait(**log, {Record("logged, not acknowledged")}).code(),
            absl::StatusCode::kUnavailable);
  // ...and the tree goes on from what the store holds.
  ASSERT_TRUE(AppendAndWait(**log, {Record("third")}).ok());
  EXPECT_EQ((*log)->stats().tree_size, 3u);
  v1::AuditRecord r;
  ASSERT_TRUE(r.ParseFromString(*(*log)->store().Leaf("instance-a", 1)));
  EXPECT_EQ(r.record_id(), "logged, not acknowledged");
  EXPECT_TRUE(VerifyShard((*log)->store(), "instance-a",
                          *(*log)->store().Checkpoint("instance-a", 0), (*log)->verifier_key())
                  .ok());
}

TEST_F(AuditLogTest, AttachmentsAreStoredOnceAndSentOnceUnlessACommitFailed) {
  std::atomic<size_t> sent{0};
  AuditLog::Options o;
  o.shard = "instance-a";
  o.origin = "sigverify.test/audit/instance-a";
  auto log = AuditLog::Open(std::make_unique<CountingStore>(*SqliteAuditStore::Open(path_), &sent),
                            signer_, o);
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string cert_der(1500, 'c');
  auto crl = std::make_shared<const std::string>(100000, 'r');
  const std::string crl_sha256 = crypto::ToHex(crypto::Sha256(*crl));
  auto entry = [&](const std::string& id) {
    AuditEntry e{Record(id), {std::make_shared<const std::string>(cert_der), {{crl, crl_sha256}}}};
    e.record.add_revocation()->add_response_sha256(crl_sha256);
    return e;
  };
  auto append = [&](std::vector<AuditEntry> entries) {
    absl::Notification done;
    absl::Status result;
    (*log)->Append(std::move(entries), [&](absl::Status s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  };
  // A failed commit: nothing is taken as stored.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(other, "PRAGMA busy_timeout=0; BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_FALSE(append({entry("locked")}).ok());
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  sent = 0;
  // Three records in one commit, then three more: the certificate and the
  // CRL reach the store once, with the first commit that succeeds.
  ASSERT_TRUE(append({entry("a"), entry("b"), entry("c")}).ok());
  EXPECT_EQ(sent.load(), cert_der.size() + crl->size());
  sent = 0;
  ASSERT_TRUE(append({entry("d"), entry("e"), entry("f")}).ok());
  EXPECT_EQ(sent.load(), 0u);
  auto cert = (*log)->store().Certificate(std::string(64, 'a'));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->der, cert_der);
  EXPECT_EQ(*(*log)->store().RevocationResponse(crl_sha256), *crl);
  EXPECT_EQ((*log)->store().RevocationResponse(std::string(64, '0')).status().code(),
            absl::StatusCode::kNotFound);
}

// A commit waits for a record on its way (announced by Expect) and takes it
// with the records already queued, instead of committing without it.
TEST_F(AuditLogTest, ACommitWaitsForTheRecordsOnTheirWay) {
  AuditLog::Options o;
  o.shard = "instance-a";
  o.origin = "sigverify.test/audit/instance-a";
  o.expect_wait = absl::Hours(1);  // only the record's arrival ends the wait
  auto log = AuditLog::Open(*SqliteAuditStore::Open(path_), signer_, o);
  ASSERT_TRUE(log.ok()) << log.status();
  AuditLog::Expected on_its_way = (*log)->Expect();
  absl::Notification first_done, second_done;
  (*log)->Append((*log)->Prepare({AuditEntry{Record("first"), {}}}), [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    first_done.Notify();
  });
  // Not committed while the other is on its way.
  EXPECT_FALSE(first_done.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  (*log)->Append((*log)->Prepare({AuditEntry{Record("second"), {}}}),
                 [&](absl::Status s) {
                   EXPECT_TRUE(s.ok()) << s;
                   second_done.Notify();
                 },
                 std::move(on_its_way));
  first_done.WaitForNotification();
  second_done.WaitForNotification();
  EXPECT_EQ((*log)->stats().commits, 1u);
  EXPECT_EQ((*log)->stats().appended, 2u);

  // A record that will not come (its verification failed) releases the
  // wait when its announcement is dropped.
  AuditLog::Expected never = (*log)->Expect();
  absl::Notification third_done;
  (*log)->Append((*log)->Prepare({AuditEntry{Record("third"), {}}}),
                 [&](absl::Status s) { third_done.Notify(); });
  never = AuditLog::Expected();
  third_done.WaitForNotification();
  EXPECT_EQ((*log)->stats().commits, 2u);
}

// Records prepared with their signer handed over (the fingerprint in the
// row, the rest in the message): the store's certificate row still has the
// subject, issuer and serial, taken from the record that brought the DER.
TEST_F(AuditLogTest, ASignerHandedOverIsStoredWhole) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  auto signer = std::make_shared<v1::Certificate>();
  signer->set_subject("CN=Trần Thị Bình,O=UBND,C=VN");
  signer->set_issuer("CN=CA phục vụ các cơ quan Nhà nước,C=VN");
  signer->set_serial_number("0B5C");
  signer->set_sha256_fingerprint(std::string(64, 'b'));
  const auto der = std::make_shared<const std::string>(900, 'd');
  auto prepared = [&](const std::string& id) {
    v1::AuditRecord r = Record(id);
    *r.mutable_signer() = *signer;
    PreparedRecord p = log->Prepare(r, {});
    p.row.signer = CertificateRow{signer->sha256_fingerprint()};
    p.signer_der = der;
    p.signer = signer;
    return p;
  };
  for (int commit = 0; commit < 2; ++commit) {
    std::vector<PreparedRecord> records;
    for (int i = 0; i < 3; ++i) records.push_back(prepared(absl::StrCat("r", commit, i)));
    absl::Notification done;
    absl::Status result;
    log->Append(std::move(records), [&](absl::Status s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotification();
    ASSERT_TRUE(result.ok()) << result;
  }
  auto cert = log->store().Certificate(signer->sha256_fingerprint());
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->subject, signer->subject());
  EXPECT_EQ(cert->issuer, signer->issuer());
  EXPECT_EQ(cert->serial, signer->serial_number());
  EXPECT_EQ(cert->der, *der);
}

TEST_F(AuditLogTest, RetentionPrunesOldBodiesAndTheShardStillVerifies) {
  // Records carry their verdict time: 1,790,000,000 s (2026-09-22), long
  // before now; a 30-day retention prunes them at the next commit.
  auto log = OpenLog(absl::Hours(24 * 30));
  std::vector<v1::AuditRecord> old;
  for (int i = 0; i < 5; ++i) old.push_back(Record(absl::StrCat("old-", i)));
  ASSERT_TRUE(AppendAndWait(*log, old).ok());
  v1::AuditRecord recent = Record("recent");
  recent.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  ASSERT_TRUE(AppendAndWait(*log, {recent}).ok());
  EXPECT_EQ(log->stats().pruned, 5u);
  EXPECT_EQ(log->store().Leaf("instance-a", 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(log->store().Leaf("instance-a", 5).ok());
  const std::string note = *log->store().Checkpoint("instance-a", 0);
  uint64_t pruned = 0;
  auto verified = VerifyShard(log->store(), "instance-a", note, log->verifier_key(), &pruned);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->size, 6u);
  EXPECT_EQ(pruned, 5u);
  // The kept record is still proven against the tree the pruned ones are in.
  auto proof = InclusionProof(log->Nodes("instance-a"), 5, 6);
  EXPECT_TRUE(
      VerifyInclusion(LeafHash(*log->store().Leaf("instance-a", 5)), 5, 6, *proof, verified->root)
          .ok());
}

// Two instances writing one PostgreSQL log (a real server started here),
// each its own shard: neither disturbs the other's tree, and a query sees
// both.
// The server closes the log's connections (as a restart or failover does):
// the commit that finds them closed fails UNAVAILABLE and is rolled back,
// the next ones reconnect; no hole, no duplicate, queries work again.
TEST(SharedPostgresLogTest, ALogGoesOnAfterTheServerClosedItsConnections) {
  sigverify::testing::PostgresServer server;
  AuditLog::Options o;
  o.shard = "instance-a";
  o.origin = "sigverify.test/instance-a";
  auto log = AuditLog::Open(*PostgresAuditStore::Open(server.conninfo()),
                            *CheckpointSigner::Generate(o.origin), o);
  ASSERT_TRUE(log.ok()) << log.status();
  auto append = [&](const std::string& id) {
    absl::Notification done;
    absl::Status result;
    v1::AuditRecord r;
    r.set_record_id(id);
    (*log)->Append({r}, [&](absl::Status s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  };
  ASSERT_TRUE(append("before").ok());
  PGconn* admin = PQconnectdb(server.conninfo().c_str());
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK);
  PGresult* killed = PQexec(admin,
                            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                            "pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                            "backend_type = 'client backend') t");
  ASSERT_EQ(PQresultStatus(killed), PGRES_TUPLES_OK);
  EXPECT_EQ(std::string(PQgetvalue(killed, 0, 0)), "2");  // the writer's and the reader's
  PQclear(killed);
  PQfinish(admin);
  const absl::Status during = append("found the connection closed");
  EXPECT_EQ(during.code(), absl::StatusCode::kUnavailable) << during;
  ASSERT_TRUE(append("after").ok());
  EXPECT_EQ((*log)->stats().tree_size, 2u);
  LeafQuery q;
  q.record_id = "after";
  auto found = (*log)->store().Find(q, nullptr, 10);  // the reader reconnected too
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 1u);
  EXPECT_TRUE(VerifyShard((*log)->store(), "instance-a",
                          *(*log)->store().Checkpoint("instance-a", 0), (*log)->verifier_key())
                  .ok());
}

TEST(SharedPostgresLogTest, TwoInstancesWriteTheirOwnShardsOfOneLog) {
  sigverify::testing::PostgresServer server;
  std::vector<std::unique_ptr<AuditLog>> logs;
  for (const char* shard : {"instance-a", "instance-b"}) {
    auto store = PostgresAuditStore::Open(server.conninfo());
    ASSERT_TRUE(store.ok()) << store.status();
    AuditLog::Options o;
    o.shard = shard;
    o.origin = absl::StrCat("sigverify.test/", shard);
    auto log = AuditLog::Open(*std::move(store), *CheckpointSigner::Generate(o.origin), o);
    ASSERT_TRUE(log.ok()) << log.status();
    logs.push_back(*std::move(log));
  }
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 40; ++i) {
        absl::Notification done;
        v1::AuditRecord r;
        r.set_record_id(absl::StrCat("w", w, "-", i));
        r.mutable_time()->set_seconds(1'790'000'000 + i);
        logs[w]->Append({r}, [&](absl::Status s) {
          if (s.ok()) ++ok;
          done.Notify();
        });
        done.WaitForNotification();
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ok.load(), 80);
  for (auto& log : logs) {
    EXPECT_EQ(log->stats().tree_size, 40u);
    auto checkpoint =
        OpenCheckpoint(*log->store().Checkpoint(log->shard(), 0), log->verifier_key());
    ASSERT_TRUE(checkpoint.ok());
    EXPECT_EQ(*RootAt(log->Nodes(log->shard()), 40), checkpoint->root);
    EXPECT_TRUE(VerifyShard(log->store(), log->shard(), *log->store().Checkpoint(log->shard(), 0),
                            log->verifier_key())
                    .ok());
  }
  auto both = logs[0]->store().Find({}, nullptr, 1000);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->size(), 80u);
  std::set<std::string> shards;
  for (const FoundLeaf& row : *both) shards.insert(row.shard);
  EXPECT_EQ(shards, (std::set<std::string>{"instance-a", "instance-b"}));
}

TEST_F(AuditLogTest, ARecordChangedInTheDatabaseIsFoundAndNamed) {
  std::string note, key;
  {
    auto log = OpenLog();
    std::vector<v1::AuditRecord> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(Record(absl::StrCat("doc-", i)));
    ASSERT_TRUE(AppendAndWait(*log, batch).ok());
    note = *log->store().Checkpoint("instance-a", 0);
    key = log->verifier_key();
    auto verified = VerifyShard(log->store(), "instance-a", note, key);
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_EQ(verified->size, 10u);
  }
  // Someone with database access turns record 3's verdict into a pass.
  v1::AuditRecord forged = Record("doc-3");
  forged.set_shard("instance-a");
  forged.set_sequence(3);
  forged.set_indication(v1::INDICATION_TOTAL_FAILED);
  const std::string bytes = forged.SerializeAsString();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* update = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "UPDATE leaves SET leaf = ? WHERE seq = 3", -1, &update, nullptr),
      SQLITE_OK);
  sqlite3_bind_blob(update, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(update), SQLITE_DONE);
  sqlite3_finalize(update);

  auto store = SqliteAuditStore::Open(path_);
  ASSERT_TRUE(store.ok());
  auto verified = VerifyShard(**store, "instance-a", note, key);
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find("record 3 of shard instance-a was changed"),
            std::string::npos)
      << verified.status();
  // Its inclusion proof no longer leads to the signed root either.
  auto checkpoint = OpenCheckpoint(note, key);
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 10; ++i) leaves.push_back(*(*store)->Node("instance-a", 0, i));
  auto proof = InclusionProof(NodesFromLeaves(&leaves), 3, 10);
  EXPECT_FALSE(
      VerifyInclusion(LeafHash(*(*store)->Leaf("instance-a", 3)), 3, 10, *proof, checkpoint->root)
          .ok());

  // Rewriting the stored leaf hash too still does not make the signed tree.
  const Hash h = LeafHash(bytes);
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "UPDATE leaves SET leaf_hash = ? WHERE seq = 3", -1, &update, nullptr),
      SQLITE_OK);
  sqlite3_bind_blob(update, 1, h.data(), 32, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(update), SQLITE_DONE);
  sqlite3_finalize(update);
  sqlite3_close(db);
  verified = VerifyShard(**store, "instance-a", note, key);
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find("do not make the tree"), std::string::npos)
      << verified.status();
}

}  // namespace
}  // namespace sigverify::audit
