// The AuditService in-process over a real loopback channel and a real
// SQLite file: searches that hold their threads do not hold up lookups,
// the search queue is bounded, and an export pages through the whole log.
#include "service/audit_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "service/audit/checkpoint.h"
#include "service/audit/sqlite_audit_store.h"
#include "tests/testing/forwarding_store.h"

namespace sigverify::service {
namespace {

// Find waits until the test lets it go, and counts who is waiting.
class HeldSearchStore : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::StatusOr<std::vector<audit::FoundLeaf>> Find(const audit::LeafQuery& query,
                                                     const audit::LeafCursor* after,
                                                     size_t limit) override {
    {
      absl::MutexLock lock(&mu_);
      ++held_;
      mu_.Await(absl::Condition(&released_));
      --held_;
    }
    return ForwardingStore::Find(query, after, limit);
  }
  // Waits (at most a minute) until `n` searches are held.
  bool AwaitHeld(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Minutes(1));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }

 private:
  absl::Mutex mu_;
  int held_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

class AuditServiceTest : public ::testing::Test {
 protected:
  void Open(bool hold_searches, size_t search_threads = 2) {
    const std::string path = ::testing::TempDir() + "/audit-service-test.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    auto sqlite = audit::SqliteAuditStore::Open(path, AuditService::ReaderConnections(2));
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    std::unique_ptr<audit::AuditStore> store = *std::move(sqlite);
    if (hold_searches) {
      auto held = std::make_unique<HeldSearchStore>(std::move(store));
      held_ = held.get();
      store = std::move(held);
    }
    audit::AuditLog::Options o;
    o.shard = "audit-service-test";
    o.origin = "sigverify.test/audit-service";
    auto log =
        audit::AuditLog::Open(std::move(store), *audit::CheckpointSigner::Generate(o.origin), o);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    service_ = std::make_unique<AuditService>(log_.get(), search_threads, &drain_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AuditService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (held_ != nullptr) held_->Release();
    if (server_ != nullptr) server_->Shutdown();
  }

  void Append(int n) {
    std::vector<v1::AuditRecord> records;
    for (int i = 0; i < n; ++i) {
      v1::AuditRecord r;
      r.set_method("Verify");
      r.set_record_id(absl::StrCat("doc-", i));
      r.mutable_signer()->set_subject("CN=Nguyễn Văn An");
      r.mutable_signer()->set_sha256_fingerprint(std::string(64, 'a'));
      r.set_indication(v1::INDICATION_TOTAL_PASSED);
      r.mutable_time()->set_seconds(1'790'000'000 + i);
      records.push_back(std::move(r));
    }
    absl::Notification done;
    absl::Status result;
    log_->Append(std::move(records), [&](const absl::Status& s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotification();
    ASSERT_TRUE(result.ok()) << result;
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
    return ctx;
  }

  Drain drain_{absl::ZeroDuration()};
  HeldSearchStore* held_ = nullptr;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<AuditService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AuditService::Stub> stub_;
};

// The probe: every query shared one reader under one lock, so broad
// searches starved auditors. Now, with every search thread held and the
// search queue full, a lookup and a proof still answer; one search more is
// refused at once; and once let go, every admitted search answers.
TEST_F(AuditServiceTest, HeldSearchesHoldUpNoLookupAndTheirQueueIsBounded) {
  ASSERT_NO_FATAL_FAILURE(Open(/*hold_searches=*/true));
  Append(10);
  const int admitted = 2 + static_cast<int>(AuditService::kMaxQueuedSearches);
  std::atomic<int> ok{0};
  std::atomic<int> exhausted{0};
  absl::Notification refused;
  std::vector<std::thread> searches;
  auto search = [&] {
    v1::QueryRecordsRequest request;
    request.mutable_filter()->set_subject_contains("Văn");
    v1::QueryRecordsResponse response;
    const grpc::Status s = stub_->QueryRecords(Context().get(), request, &response);
    if (s.ok() && response.records_size() == 10) ++ok;
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_NE(s.error_message().find("audit searches at their limit"), std::string::npos)
          << s.error_message();
      refused.Notify();
    }
  };
  for (int i = 0; i < 2; ++i) searches.emplace_back(search);
  ASSERT_TRUE(held_->AwaitHeld(2));  // both search threads are taken

  v1::GetCheckpointResponse checkpoint;
  ASSERT_TRUE(stub_->GetCheckpoint(Context().get(), {}, &checkpoint).ok());
  v1::GetInclusionProofRequest proof_request;
  proof_request.set_sequence(3);
  v1::GetInclusionProofResponse proof;
  const grpc::Status proved = stub_->GetInclusionProof(Context().get(), proof_request, &proof);
  ASSERT_TRUE(proved.ok()) << proved.error_message();
  EXPECT_EQ(proof.tree_size(), 10u);

  for (int i = 2; i < admitted + 1; ++i) searches.emplace_back(search);
  ASSERT_TRUE(refused.WaitForNotificationWithTimeout(absl::Minutes(1)));
  held_->Release();
  for (auto& t : searches) t.join();
  EXPECT_EQ(exhausted.load(), 1);
  EXPECT_EQ(ok.load(), admitted);
}

// Shutdown's drain: once stopped, a new call is refused with UNAVAILABLE,
// while a search admitted before keeps the drain waiting until it answers.
TEST_F(AuditServiceTest, DrainRefusesNewCallsAndWaitsForAdmittedOnes) {
  ASSERT_NO_FATAL_FAILURE(Open(/*hold_searches=*/true));
  Append(3);
  grpc::Status searched;
  v1::QueryRecordsResponse found;
  std::thread search([&] {
    v1::QueryRecordsRequest request;
    request.mutable_filter()->set_subject_contains("Văn");
    searched = stub_->QueryRecords(Context().get(), request, &found);
  });
  ASSERT_TRUE(held_->AwaitHeld(1));
  drain_.Stop();
  EXPECT_EQ(drain_.in_flight(), 1);
  EXPECT_EQ(drain_.Wait(absl::Now() + absl::Milliseconds(50)), 1);  // still held

  v1::GetCheckpointResponse checkpoint;
  const grpc::Status refused = stub_->GetCheckpoint(Context().get(), {}, &checkpoint);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.error_message(), "server is shutting down");
  grpc::ClientContext export_context;
  auto exported = stub_->ExportRecords(&export_context, {});
  v1::ExportRecordsResponse item;
  EXPECT_FALSE(exported->Read(&item));
  EXPECT_EQ(exported->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  held_->Release();
  EXPECT_EQ(drain_.Wait(absl::Now() + absl::Minutes(1)), 0);
  search.join();
  ASSERT_TRUE(searched.ok()) << searched.error_message();
  EXPECT_EQ(found.records_size(), 3);
}

// More records than one page: the export reads page after page and sends
// every record once, in tree order.
TEST_F(AuditServiceTest, ExportPagesThroughTheWholeShardInTreeOrder) {
  ASSERT_NO_FATAL_FAILURE(Open(/*hold_searches=*/false));
  const int n = 2 * AuditService::kMaxPageSize + 345;
  Append(n);
  auto ctx = Context();
  auto reader = stub_->ExportRecords(ctx.get(), {});
  v1::ExportRecordsResponse item;
  uint64_t expected = 0;
  while (reader->Read(&item)) {
    ASSERT_EQ(item.record().sequence(), expected);
    ++expected;
  }
  const grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(expected, static_cast<uint64_t>(n));
}

}  // namespace
}  // namespace sigverify::service
