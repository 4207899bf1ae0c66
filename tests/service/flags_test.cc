#include "service/flags.h"

#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

TEST(FlagsTest, DashedFlagNamesBecomeAbseilNamesValuesUntouched) {
  const char* argv[] = {"prog",        "--trust-anchors=/a-b/c-d", "--metrics-listen", "x-y", "--",
                        "--not-a-flag"};
  auto out = DashesToUnderscores(6, const_cast<char**>(argv));
  EXPECT_EQ(out[1], "--trust_anchors=/a-b/c-d");
  EXPECT_EQ(out[2], "--metrics_listen");
  EXPECT_EQ(out[3], "x-y");
  EXPECT_EQ(out[5], "--not-a-flag");
}

}  // namespace
}  // namespace sigverify::service
