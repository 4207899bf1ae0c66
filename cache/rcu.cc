#include "cache/rcu.h"

#include <urcu/urcu-memb.h>

#include <type_traits>

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
  auto* retired = reinterpret_cast<Retired*>(head);
  retired->destroy(retired->object);
  delete retired;
}

}  // namespace

void EnsureRcuRegistered() { thread_local RcuThread registered; }

RcuReadLock::RcuReadLock() { urcu_memb_read_lock(); }
RcuReadLock::~RcuReadLock() { urcu_memb_read_unlock(); }

void RetireAfterGracePeriod(void* old, void (*destroy)(void*)) {
  urcu_memb_call_rcu(&(new Retired{{}, old, destroy})->head, FreeRetired);
}

void WaitForRetired() { urcu_memb_barrier(); }

}  // namespace sigverify::cache
