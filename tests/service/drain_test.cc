#include "service/drain.h"

#include <thread>
#include <utility>

#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

TEST(DrainTest, AdmitsUntilStoppedAndCountsEachCallOnce) {
  Drain drain(absl::ZeroDuration());
  Drain::Ticket a = drain.Admit();
  Drain::Ticket b = drain.Admit();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(drain.in_flight(), 2);

  Drain::Ticket moved = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  a.Release();      // releases nothing
  EXPECT_EQ(drain.in_flight(), 2);
  moved.Release();
  moved.Release();  // once only
  EXPECT_EQ(drain.in_flight(), 1);

  drain.Stop();
  EXPECT_FALSE(drain.Admit());
  EXPECT_EQ(drain.in_flight(), 1);
  b = Drain::Ticket();  // assigning over a ticket answers its call
  EXPECT_EQ(drain.in_flight(), 0);
}

TEST(DrainTest, WaitGivesUpAtTheDeadlineWithTheCallsLeft) {
  Drain drain(absl::ZeroDuration());
  Drain::Ticket held = drain.Admit();
  drain.Stop();
  EXPECT_EQ(drain.Wait(absl::Now() + absl::Milliseconds(20)), 1);
  EXPECT_EQ(drain.Wait(absl::InfinitePast()), 1);
}

TEST(DrainTest, WaitEndsWhenTheLastCallIsAnsweredAndItsAnswerHadTimeToLeave) {
  const absl::Duration delivery = absl::Milliseconds(100);
  Drain drain(delivery);
  Drain::Ticket held = drain.Admit();
  drain.Stop();
  absl::Time answered;
  std::thread answer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    answered = absl::Now();
    held.Release();
  });
  EXPECT_EQ(drain.Wait(absl::Now() + absl::Minutes(1)), 0);
  const absl::Time returned = absl::Now();
  answer.join();
  // A lower bound only: Wait must not return before the answer had its time.
  EXPECT_GE(returned, answered + delivery);
}

TEST(DrainTest, DeliveryTimeIsCutShortByTheDeadline) {
  Drain drain(absl::Hours(1));
  drain.Admit().Release();
  drain.Stop();
  // Returns (the test would hang otherwise) with nothing left unanswered.
  EXPECT_EQ(drain.Wait(absl::Now() + absl::Milliseconds(20)), 0);
}

TEST(DrainTest, AnIdleServerStopsAtOnce) {
  Drain drain(absl::Hours(1));
  drain.Stop();
  // No call was ever answered: nothing to deliver, no wait.
  EXPECT_EQ(drain.Wait(absl::InfiniteFuture()), 0);
}

}  // namespace
}  // namespace sigverify::service
