#include "cache/rcu.h"

#include <urcu/urcu-memb.h>

#include <type_traits>

// ThreadSanitizer does not see liburcu's grace periods (membarrier and
// its own uninstrumented atomics), so it would report every object freed
// after one as racing with the readers that used it. The annotations say
// what RCU guarantees: a reader's accesses happen before its read-side
// critical section ends, and a callback runs only after every critical
// section that could see the object has ended. Compiled only under TSan.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
namespace {
char grace_period_token;
}
#define SIGVERIFY_RCU_RELEASE() __tsan_release(&grace_period_token)
#define SIGVERIFY_RCU_ACQUIRE() __tsan_acquire(&grace_period_token)
#else
#define SIGVERIFY_RCU_RELEASE() (void)0
#define SIGVERIFY_RCU_ACQUIRE() (void)0
#endif

namespace sigverify::cache {
namespace {

struct RcuThread {
  RcuThread() { urcu_memb_register_thread(); }
  ~RcuThread() { urcu_memb_unregister_thread(); }
};

// What call_rcu frees: standard layout, rcu_head first.
struct Retired {
  rcu_head head;
  void* object;
  void (*destroy)(void*);
};
static_assert(std::is_standard_layout_v<Retired>);

void FreeRetired(rcu_head* head) {
  SIGVERIFY_RCU_ACQUIRE();
  auto* retired = reinterpret_cast<Retired*>(head);
  retired->destroy(retired->object);
  delete retired;
}

}  // namespace

void EnsureRcuRegistered() { thread_local RcuThread registered; }

RcuReadLock::RcuReadLock() { urcu_memb_read_lock(); }
RcuReadLock::~RcuReadLock() {
  SIGVERIFY_RCU_RELEASE();
  urcu_memb_read_unlock();
}

void RetireAfterGracePeriod(void* old, void (*destroy)(void*)) {
  SIGVERIFY_RCU_RELEASE();  // the writer's last use of `old`
  urcu_memb_call_rcu(&(new Retired{{}, old, destroy})->head, FreeRetired);
}

void WaitForRetired() { urcu_memb_barrier(); }

}  // namespace sigverify::cache
