#include "service/disk_space_guard.h"

#include <sys/statvfs.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace sigverify::service {

DiskSpaceGuard::DiskSpaceGuard(std::vector<std::string> paths, int64_t floor_bytes,
                               std::function<absl::Time()> clock)
    : paths_(std::move(paths)), floor_bytes_(floor_bytes), clock_(std::move(clock)) {}

int64_t DiskSpaceGuard::FreeBytes(std::string* path) const {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (now - checked_ >= absl::Seconds(1)) {
    int64_t least = std::numeric_limits<int64_t>::max();
    size_t lowest = 0;
    for (size_t i = 0; i < paths_.size(); ++i) {
      struct statvfs st {};
      // Bytes an unprivileged writer may still use (f_bavail, not f_bfree).
      const int64_t free =
          statvfs(paths_[i].c_str(), &st) == 0
              ? static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize)
              : -1;
      if (free < least) {
        least = free;
        lowest = i;
      }
    }
    free_bytes_.store(least, std::memory_order_relaxed);
    lowest_.store(lowest, std::memory_order_relaxed);
    checked_ = now;
  }
  if (path != nullptr) *path = paths_[lowest_.load(std::memory_order_relaxed)];
  return free_bytes_.load(std::memory_order_relaxed);
}

absl::Status DiskSpaceGuard::Admit() const {
  std::string path;
  const int64_t free = FreeBytes(&path);
  if (free >= floor_bytes_) return absl::OkStatus();
  refused_.fetch_add(1, std::memory_order_relaxed);
  if (free < 0) {
    return absl::UnavailableError(
        absl::StrCat("the audit log's file system (", path, ") cannot be asked for free space"));
  }
  return absl::UnavailableError(absl::StrCat(
      "the audit log's file system (", path, ") has ", free, " bytes free, below the floor of ",
      floor_bytes_, " (--audit-min-free-bytes): verdicts are refused until space is freed"));
}

StatsTable DiskSpaceGuard::stats_table() const {
  return {
      {"sigverify_audit_disk_free_bytes",
       "Free bytes on the audit log's file system (the lowest, when its segments and index are "
       "apart)",
       StatKind::kGauge, [this] { return double(FreeBytes()); }},
      {"sigverify_audit_disk_floor_bytes",
       "Free-space floor below which verdicts are refused (--audit-min-free-bytes)",
       StatKind::kGauge, [this] { return double(floor_bytes_); }},
      {"sigverify_audit_disk_refused_total", "Calls refused because the audit disk is low",
       StatKind::kCounter, [this] { return double(refused_.load(std::memory_order_relaxed)); }},
  };
}

}  // namespace sigverify::service
