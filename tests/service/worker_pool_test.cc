#include "service/worker_pool.h"

#include <atomic>

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

}  // namespace
}  // namespace sigverify::service
