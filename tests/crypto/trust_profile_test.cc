#include "crypto/trust_profile.h"

#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

constexpr char kG2RootSha256[] =
    "f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8";

TEST(TrustProfileTest, VnGovCarriesTheG2RootAndNothingElse) {
  auto anchors = TrustProfileAnchors("vn-gov");
  ASSERT_TRUE(anchors.ok()) << anchors.status();
  ASSERT_EQ(anchors->size(), 1u);
  EXPECT_EQ((*anchors)[0]->fingerprint_hex(), kG2RootSha256);
  EXPECT_EQ((*anchors)[0]->display_name(), "RootCA chuyên dùng Chính phủ G2");
}

TEST(TrustProfileTest, TheDocumentedFingerprintIsTheCompiledOne) {
  const std::string readme = sigverify::testing::ReadFile(
      sigverify::testing::TestDataDir() + "/../../crypto/profiles/vn-gov/README.md");
  std::string upper = kG2RootSha256;
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(readme.find(upper), std::string::npos);
}

TEST(TrustProfileTest, UnknownProfileNamesTheOnesThereAre) {
  auto anchors = TrustProfileAnchors("vn-gov-g3");
  EXPECT_EQ(anchors.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(anchors.status().message().find("vn-gov"), std::string::npos);
}

}  // namespace
}  // namespace sigverify::crypto
