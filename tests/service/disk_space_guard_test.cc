#include "service/disk_space_guard.h"

#include <sys/statvfs.h>

#include <algorithm>

#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

TEST(DiskSpaceGuardTest, AboveTheFloorAdmitsBelowItRefusesAndCounts) {
  DiskSpaceGuard low("/tmp", 1);
  EXPECT_TRUE(low.Admit().ok());
  DiskSpaceGuard high("/tmp", int64_t{1} << 60);
  absl::Status s = high.Admit();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("--audit-min-free-bytes"), std::string::npos) << s;
  for (const Stat& stat : high.stats_table()) {
    const std::string_view name = stat.name;
    if (name == "sigverify_audit_disk_refused_total") {
      EXPECT_EQ(stat.read(), 1.0);
    } else if (name == "sigverify_audit_disk_free_bytes") {
      EXPECT_GT(stat.read(), 0.0);
    }
  }
}

TEST(DiskSpaceGuardTest, AFileSystemThatCannotBeAskedFailsClosed) {
  DiskSpaceGuard missing("/nonexistent/audit.db", 1);
  EXPECT_EQ(missing.Admit().code(), absl::StatusCode::kUnavailable);
  // One of two (segments on a file system gone): closed, and named.
  DiskSpaceGuard one_missing(std::vector<std::string>{"/tmp", "/nonexistent/segments"}, 1);
  const absl::Status s = one_missing.Admit();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("/nonexistent/segments"), std::string::npos) << s;
}

// The segments and the index on two file systems: the fuller one counts.
TEST(DiskSpaceGuardTest, TheFullerOfTwoFileSystemsCounts) {
  auto free_of = [](const char* path) {
    struct statvfs st {};
    if (statvfs(path, &st) != 0) return -1.0;
    return static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
  };
  const double a = free_of("/"), b = free_of("/dev/shm");
  if (a < 0 || b < 0 || a == b) GTEST_SKIP() << "no two file systems to compare here";
  DiskSpaceGuard both(std::vector<std::string>{"/", "/dev/shm"}, 1);
  for (const Stat& stat : both.stats_table()) {
    if (std::string_view(stat.name) == "sigverify_audit_disk_free_bytes") {
      // Free space moves as other processes write: within 1 MiB.
      EXPECT_NEAR(stat.read(), std::min(a, b), 1 << 20);
    }
  }
  // A floor between the two refuses, naming the fuller one.
  const std::string fuller = a < b ? "/" : "/dev/shm";
  DiskSpaceGuard between(std::vector<std::string>{"/", "/dev/shm"},
                         static_cast<int64_t>((a + b) / 2));
  const absl::Status s = between.Admit();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("(" + fuller + ")"), std::string::npos) << s;
}

}  // namespace
}  // namespace sigverify::service
