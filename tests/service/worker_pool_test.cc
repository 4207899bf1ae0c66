#include "service/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

TEST(WorkerPoolTest, RunsEverySubmittedTask) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ran++; }, 1));
  }  // destructor drains
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPoolTest, RefusesWorkBeyondItsBudgetAllOrNothing) {
  WorkerPool pool(1, 10);
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit(
      [&] {
        started.Notify();
        release.WaitForNotification();
      },
      4));
  started.WaitForNotification();
  std::atomic<int> ran{0};
  std::vector<std::function<void()>> three(3, [&] { ran++; });
  // 4 in flight + 7 > 10: the whole batch is refused, none of it queued.
  EXPECT_FALSE(pool.TrySubmitAll(three, 7));
  EXPECT_EQ(pool.queued_cost(), 4u);
  EXPECT_TRUE(pool.TrySubmitAll(three, 6));
  release.Notify();
  while (ran.load() < 3) std::this_thread::yield();
  while (pool.queued_cost() != 0) std::this_thread::yield();
}

// One thread, held by a first task, while a flooding caller queues 100 tasks
// and a polite one queues one: the polite task runs second, not 101st.
TEST(WorkerPoolTest, CallersAreServedInTurn) {
  WorkerPool pool(1, 10000);
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit(
      [&] {
        started.Notify();
        release.WaitForNotification();
      },
      1, "flood"));
  started.WaitForNotification();
  absl::Mutex mu;
  std::vector<std::string> order;
  auto record = [&](std::string who) {
    return [&mu, &order, who] {
      absl::MutexLock lock(&mu);
      order.push_back(who);
    };
  };
  std::vector<std::function<void()>> flood(100, record("flood"));
  ASSERT_TRUE(pool.TrySubmitAll(flood, 100, "flood"));
  ASSERT_TRUE(pool.TrySubmit(record("polite"), 1, "polite"));
  ASSERT_TRUE(pool.TrySubmit(record("polite"), 1, "polite"));
  release.Notify();
  while (pool.queued_cost() != 0) std::this_thread::yield();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(order.size(), 102u);
  // flood's queue was first in line: one of its tasks, then polite's, and
  // so on in turn while both have work.
  EXPECT_EQ(order[0], "flood");
  EXPECT_EQ(order[1], "polite");
  EXPECT_EQ(order[2], "flood");
  EXPECT_EQ(order[3], "polite");
  EXPECT_EQ(std::count(order.begin(), order.end(), "polite"), 2);
}

// A known caller may hold three quarters of the budget; the rest stays for
// the others. The unknown caller ("", no access control) has no share.
TEST(WorkerPoolTest, OneCallerCannotTakeTheWholeBudget) {
  WorkerPool pool(1, 100);
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit(
      [&] {
        started.Notify();
        release.WaitForNotification();
      },
      50, "flood"));
  started.WaitForNotification();
  EXPECT_TRUE(pool.TrySubmit([] {}, 25, "flood"));
  EXPECT_FALSE(pool.TrySubmit([] {}, 1, "flood")) << "75 of 100 is its share";
  EXPECT_TRUE(pool.TrySubmit([] {}, 25, "polite"));
  EXPECT_FALSE(pool.TrySubmit([] {}, 1, "other")) << "the whole budget is still the limit";
  release.Notify();
  while (pool.queued_cost() != 0) std::this_thread::yield();
  // Alone, a call larger than the share passes.
  EXPECT_TRUE(pool.TrySubmit([] {}, 90, "flood"));
  while (pool.queued_cost() != 0) std::this_thread::yield();
  WorkerPool open(1, 100);
  EXPECT_TRUE(open.TrySubmit([] {}, 60, ""));
  EXPECT_TRUE(open.TrySubmit([] {}, 40, ""));
}

}  // namespace
}  // namespace sigverify::service
