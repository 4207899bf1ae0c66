// A fixed set of database connections that reading threads take turns on:
// a read takes one for its duration and gives it back, waiting while all
// are taken. The audit stores keep their auditors' connections in one, so
// that a broad query holds one connection, not every reader.
#ifndef SIGVERIFY_SERVICE_AUDIT_CONNECTION_POOL_H_
#define SIGVERIFY_SERVICE_AUDIT_CONNECTION_POOL_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sigverify::audit {

// `Connection` is what the store keeps per connection (its handle, its
// prepared statements, settings applied to it); movable.
template <typename Connection>
class ConnectionPool {
 public:
  // Gives the connection back when it goes.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->GiveBack(std::move(connection_));
    }
    Connection& operator*() { return connection_; }
    Connection* operator->() { return &connection_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, Connection connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ConnectionPool* pool_;
    Connection connection_;
  };

  explicit ConnectionPool(std::vector<Connection> connections)
      : size_(connections.size()), free_(std::move(connections)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // Every lease must have ended.
  ~ConnectionPool() = default;

  // A connection, once one is free.
  Lease Take() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_, absl::Condition(this, &ConnectionPool::HasFree));
    Connection c = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(c));
  }

  size_t size() const { return size_; }

 private:
  bool HasFree() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); }
  void GiveBack(Connection c) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    free_.push_back(std::move(c));
  }

  const size_t size_;
  absl::Mutex mu_;
  std::vector<Connection> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_CONNECTION_POOL_H_
