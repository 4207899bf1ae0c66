#include "crypto/trust_profile.h"

#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

constexpr char kG2RootSha256[] = "f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8";

TEST(TrustProfileTest, VnGovTrustsTheG2RootAndCarriesItsIssuingCas) {
  auto profile = LoadTrustProfile("vn-gov");
  ASSERT_TRUE(profile.ok()) << profile.status();
  ASSERT_EQ(profile->anchors.size(), 1u);
  EXPECT_EQ(profile->anchors[0]->fingerprint_hex(), kG2RootSha256);
  EXPECT_EQ(profile->anchors[0]->display_name(), "RootCA chuyên dùng Chính phủ G2");
  std::vector<std::string> cas;
  for (const auto& c : profile->intermediates) cas.push_back(c->display_name());
  EXPECT_EQ(cas, (std::vector<std::string>{"CA phục vụ các cơ quan Nhà nước G2",
                                           "CA phục vụ các cơ quan Đảng G2",
                                           "CA phục vụ cho dịch vụ phần mềm G2"}));
}

TEST(TrustProfileTest, TheDocumentedFingerprintIsTheCompiledOne) {
  const std::string readme = sigverify::testing::ReadFile(
      sigverify::testing::TestDataDir() + "/../../crypto/profiles/vn-gov/README.md");
  std::string upper = kG2RootSha256;
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(readme.find(upper), std::string::npos);
}

TEST(TrustProfileTest, UnknownProfileNamesTheOnesThereAre) {
  auto profile = LoadTrustProfile("vn-gov-g3");
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(profile.status().message().find("vn-gov"), std::string::npos);
}

}  // namespace
}  // namespace sigverify::crypto
