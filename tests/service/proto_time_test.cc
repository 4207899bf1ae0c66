#include "service/proto_time.h"

#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

TEST(ProtoTimeTest, BeforeNineteenSeventyNanosStayPositive) {
  const absl::Time t = absl::FromUnixMillis(-1500);  // 1969-12-31T23:59:58.5Z
  const google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500'000'000);
  EXPECT_EQ(FromTimestamp(ts), t);
  EXPECT_EQ(ToUnixMicros(ts), -1'500'000);
  EXPECT_EQ(TimestampFromMicros(-1'500'000).nanos(), 500'000'000);
}

TEST(ProtoTimeTest, FractionalSecondsAreKept) {
  const absl::Time t = absl::FromUnixNanos(1'767'225'600'123'456'789);
  EXPECT_EQ(FromTimestamp(ToTimestamp(t)), t);
  EXPECT_EQ(FormatTimestamp(ToTimestamp(t)), "2026-01-01T00:00:00.123456789Z");
  EXPECT_EQ(FormatTimestamp(ToTimestamp(absl::FromUnixSeconds(1'767'225'600))),
            "2026-01-01T00:00:00Z");
}

}  // namespace
}  // namespace sigverify::service
