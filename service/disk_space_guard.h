// The free-space floor of the audit log's file systems (the segments' and the
// index's, when they are apart, the lowest counting): below it sigverifyd
// answers UNAVAILABLE rather than fill the disk (anyone who may verify makes
// records; a full disk stops the log for everyone and can take the host's
// other services with it). statvfs is asked at most once a second.
#ifndef SIGVERIFY_SERVICE_DISK_SPACE_GUARD_H_
#define SIGVERIFY_SERVICE_DISK_SPACE_GUARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/stats_table.h"

namespace sigverify::service {

class DiskSpaceGuard {
 public:
  // `paths`: a file or directory on each file system to watch; `floor_bytes` > 0.
  DiskSpaceGuard(std::vector<std::string> paths, int64_t floor_bytes,
                 std::function<absl::Time()> clock = absl::Now);
  DiskSpaceGuard(std::string path, int64_t floor_bytes,
                 std::function<absl::Time()> clock = absl::Now)
      : DiskSpaceGuard(std::vector<std::string>{std::move(path)}, floor_bytes, std::move(clock)) {}

  // OK above the floor; UNAVAILABLE saying how much is free otherwise (and
  // when the file system cannot be asked: fail closed).
  absl::Status Admit() const;

  // sigverify_audit_disk_free_bytes, sigverify_audit_disk_floor_bytes,
  // sigverify_audit_disk_refused_total
  StatsTable stats_table() const;

 private:
  // The least free of the paths' file systems (-1 when one cannot be
  // asked), and which path that is.
  int64_t FreeBytes(std::string* path = nullptr) const;

  const std::vector<std::string> paths_;
  const int64_t floor_bytes_;
  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  mutable absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable std::atomic<int64_t> free_bytes_{0};
  mutable std::atomic<size_t> lowest_{0};  // index into paths_
  mutable std::atomic<uint64_t> refused_{0};
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_DISK_SPACE_GUARD_H_
