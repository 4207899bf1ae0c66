// RecordGatherer: records queued while the pool is busy are verified in
// chunks, each in its own call's scope; a refused record is handed back.
#include "service/record_gatherer.h"

#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/service/test_service.h"

namespace sigverify::service {
namespace {

std::shared_ptr<Verifier> TestVerifier() {
  auto root = crypto::Certificate::Parse(sigverify::testing::PkiFile("root.pem"));
  auto store = crypto::TrustStore::FromCertificates({*root});
  return std::make_shared<Verifier>(std::make_shared<crypto::PathValidator>(*store, 1024), Limits{},
                                    1024);
}

TEST(RecordGathererTest, RecordsQueuedWhileThePoolIsBusyShareTasksAndKeepTheirOwnScopes) {
  auto verifier = TestVerifier();
  WorkerPool pool(/*threads=*/1, /*max_queued_cost=*/1000);
  // The only worker is busy until released: everything below queues.
  absl::Notification release;
  ASSERT_TRUE(pool.TrySubmit([&] { release.WaitForNotification(); }, 1));
  RecordGatherer gatherer(verifier.get(), &pool);

  constexpr int kRecords = 20;
  const v1::VerifyRequest request = RsaRequest();
  std::vector<v1::VerifyResponse> responses(kRecords);
  std::vector<absl::Status> statuses(kRecords);
  absl::BlockingCounter done(kRecords);
  const absl::Time now = absl::Now();
  for (int i = 0; i < kRecords; ++i) {
    RecordGatherer::Record record;
    record.request = &request;
    record.response = &responses[i];
    // Each record in its call's scope: every other one arrives in 2100 (its
    // signer has expired by then), every third one asks for English.
    record.now =
        i % 2 == 0 ? now : absl::FromCivil(absl::CivilDay(2100, 1, 1), absl::UTCTimeZone());
    record.language = i % 3 == 0 ? crypto::Language::kEnglish : crypto::Language::kVietnamese;
    record.done = [&, i](const absl::Status& s) {
      statuses[i] = s;
      done.DecrementCount();
    };
    ASSERT_TRUE(gatherer.Submit(std::move(record), 1, "", WorkerPool::Lane::kInteractive));
  }
  // The blocker and one task per 8 records queued: 1 + 3 cost units, not
  // 1 + 20.
  EXPECT_EQ(pool.queued_cost(), 4u);
  release.Notify();
  done.Wait();
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << statuses[i];
    const v1::VerifyResponse& r = responses[i];
    if (i % 2 == 0) {
      EXPECT_EQ(r.indication(), v1::INDICATION_TOTAL_PASSED) << i << ": " << r.message();
    } else {
      EXPECT_EQ(r.sub_indication(), v1::SUB_INDICATION_EXPIRED) << i << ": " << r.message();
      EXPECT_EQ(
          r.validation_time().seconds(),
          absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2100, 1, 1), absl::UTCTimeZone())));
      const bool english = r.message().find("certificate has expired") != std::string::npos;
      const bool vietnamese = r.message().find("đã hết hạn") != std::string::npos;
      EXPECT_EQ(english, i % 3 == 0) << i << ": " << r.message();
      EXPECT_EQ(vietnamese, i % 3 != 0) << i << ": " << r.message();
    }
  }
}

TEST(RecordGathererTest, ARecordThePoolRefusesIsHandedBack) {
  auto verifier = TestVerifier();
  WorkerPool pool(/*threads=*/1, /*max_queued_cost=*/2);
  absl::Notification release;
  ASSERT_TRUE(pool.TrySubmit([&] { release.WaitForNotification(); }, 2));  // the budget, all of it
  RecordGatherer gatherer(verifier.get(), &pool);
  const v1::VerifyRequest request = RsaRequest();
  v1::VerifyResponse response;
  bool called = false;
  RecordGatherer::Record record;
  record.request = &request;
  record.response = &response;
  record.now = absl::Now();
  record.done = [&](const absl::Status&) { called = true; };
  EXPECT_FALSE(gatherer.Submit(std::move(record), 1, "", WorkerPool::Lane::kInteractive));
  release.Notify();
  // Once the pool has room, records pass again; the refused one never ran.
  absl::Notification second;
  RecordGatherer::Record next;
  next.request = &request;
  next.response = &response;
  next.now = absl::Now();
  next.done = [&](const absl::Status& s) {
    EXPECT_TRUE(s.ok()) << s;
    second.Notify();
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (pool.queued_cost() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(gatherer.Submit(std::move(next), 1, "", WorkerPool::Lane::kInteractive));
  second.WaitForNotification();
  EXPECT_FALSE(called);
  EXPECT_EQ(response.indication(), v1::INDICATION_TOTAL_PASSED);
}

}  // namespace
}  // namespace sigverify::service
