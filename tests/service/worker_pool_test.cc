#include "service/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

// Takes one of `pool`'s threads with a task of `cost` that runs until
// `release` is notified; returns once the task is running.
void HoldThread(WorkerPool& pool, absl::Notification& release, size_t cost,
                const std::string& caller = "",
                WorkerPool::Lane lane = WorkerPool::Lane::kInteractive) {
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit(
      [&] {
        started.Notify();
        release.WaitForNotification();
      },
      cost, caller, lane));
  started.WaitForNotification();
}

// The order tasks ran in, by the names they were made with.
class RunOrder {
 public:
  std::function<void()> Task(std::string name) {
    return [this, name] {
      absl::MutexLock lock(&mu_);
      order_.push_back(name);
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu_);
    return order_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> order_;
};

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
  HoldThread(pool, release, 4);
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
  HoldThread(pool, release, 1, "flood");
  RunOrder run;
  std::vector<std::function<void()>> flood(100, run.Task("flood"));
  ASSERT_TRUE(pool.TrySubmitAll(flood, 100, "flood"));
  ASSERT_TRUE(pool.TrySubmit(run.Task("polite"), 1, "polite"));
  ASSERT_TRUE(pool.TrySubmit(run.Task("polite"), 1, "polite"));
  release.Notify();
  while (pool.queued_cost() != 0) std::this_thread::yield();
  const std::vector<std::string> order = run.Get();
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
  HoldThread(pool, release, 50, "flood");
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

// Interactive work goes before bulk work already queued, even the same
// caller's: the one thread, held by a first task, runs 50 queued bulk tasks
// only after the unary call that came last.
TEST(WorkerPoolTest, InteractiveWorkGoesBeforeQueuedBulkWork) {
  WorkerPool pool(1, 10000);
  absl::Notification release;
  HoldThread(pool, release, 1, "dms", WorkerPool::Lane::kBulk);
  RunOrder run;
  std::vector<std::function<void()>> batch(50, run.Task("batch"));
  ASSERT_TRUE(pool.TrySubmitAll(batch, 50, "dms", WorkerPool::Lane::kBulk));
  ASSERT_TRUE(pool.TrySubmit(run.Task("unary"), 1, "dms", WorkerPool::Lane::kInteractive));
  release.Notify();
  while (pool.queued_cost() != 0) std::this_thread::yield();
  const std::vector<std::string> order = run.Get();
  ASSERT_EQ(order.size(), 51u);
  EXPECT_EQ(order[0], "unary");
  EXPECT_EQ(std::count(order.begin(), order.end(), "batch"), 50);
}

// Bulk threads run at nice +10 and the interactive ones at the process's
// priority; a unary call finds its thread free while the bulk thread is busy.
TEST(WorkerPoolTest, BulkThreadsRunAtALowerPriorityAndLeaveInteractiveThreadsFree) {
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  WorkerPool pool(1, 10000, 1);
  std::atomic<int> bulk_nice{-100};
  std::atomic<int> interactive_nice{-100};
  absl::Notification release;
  absl::Notification bulk_started;
  ASSERT_TRUE(pool.TrySubmit(
      [&] {
        bulk_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
        bulk_started.Notify();
        release.WaitForNotification();
      },
      1, "", WorkerPool::Lane::kBulk));
  bulk_started.WaitForNotification();
  // More bulk work queued behind the held task (left to the bulk thread);
  // the unary call runs anyway.
  std::atomic<int> queued_bulk_nice{-100};
  ASSERT_TRUE(pool.TrySubmit(
      [&] { queued_bulk_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())); }, 1, "",
      WorkerPool::Lane::kBulk));
  absl::Notification unary_ran;
  ASSERT_TRUE(pool.TrySubmit(
      [&] {
        interactive_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
        unary_ran.Notify();
      },
      1, "", WorkerPool::Lane::kInteractive));
  unary_ran.WaitForNotification();
  release.Notify();
  while (pool.queued_cost() != 0) std::this_thread::yield();
  EXPECT_EQ(bulk_nice.load(), std::min(base + 10, 19));
  EXPECT_EQ(queued_bulk_nice.load(), std::min(base + 10, 19));
  EXPECT_EQ(interactive_nice.load(), base);
  EXPECT_EQ(pool.threads(), 1u);
}

}  // namespace
}  // namespace sigverify::service
