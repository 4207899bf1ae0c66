// The few liburcu (membarrier flavour) operations the lock-free caches use:
// thread registration, a read-side critical section for a scope, and
// freeing an object after a grace period, when no reader can still hold it.
#ifndef SIGVERIFY_CACHE_RCU_H_
#define SIGVERIFY_CACHE_RCU_H_

namespace sigverify::cache {

// Registers the calling thread with RCU once (and unregisters it when the
// thread exits). Every reader and writer calls it first; it is one
// thread-local check after the first time.
void EnsureRcuRegistered();

// A read-side critical section: pointers loaded from RCU-published slots
// stay valid until it ends. Readers never block and never wait.
class RcuReadLock {
 public:
  RcuReadLock();
  ~RcuReadLock();
  RcuReadLock(const RcuReadLock&) = delete;
  RcuReadLock& operator=(const RcuReadLock&) = delete;
};

// Deletes `old` once every read-side critical section running now has
// ended (call_rcu); the caller has already unpublished it.
void RetireAfterGracePeriod(void* old, void (*destroy)(void*));
template <typename T>
void RetireAfterGracePeriod(T* old) {
  RetireAfterGracePeriod(old, [](void* p) { delete static_cast<T*>(p); });
}

// Waits until every retired object has been freed (for destructors).
void WaitForRetired();

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_RCU_H_
