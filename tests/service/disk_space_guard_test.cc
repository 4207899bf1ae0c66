#include "service/disk_space_guard.h"

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
}

}  // namespace
}  // namespace sigverify::service
