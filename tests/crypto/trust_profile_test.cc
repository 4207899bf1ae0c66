#include "crypto/trust_profile.h"

#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

constexpr char kG2RootSha256[] = "f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8";
constexpr char kG1RootSha256[] = "f7bc89054cec7f12730d7b8cd3eb7955b163835087e5eb873edfb584763b3f90";

using sigverify::testing::ReadFile;
using sigverify::testing::TestDataDir;

TEST(TrustProfileTest, VnGovTrustsBothRootsAndCarriesTheirIssuingCas) {
  auto profile = LoadTrustProfile("vn-gov");
  ASSERT_TRUE(profile.ok()) << profile.status();
  ASSERT_EQ(profile->anchors.size(), 2u);
  EXPECT_EQ(profile->anchors[0]->fingerprint_hex(), kG2RootSha256);
  EXPECT_EQ(profile->anchors[0]->display_name(), "RootCA chuyên dùng Chính phủ G2");
  EXPECT_EQ(profile->anchors[1]->fingerprint_hex(), kG1RootSha256);
  std::vector<std::string> cas;
  for (const auto& c : profile->intermediates) cas.push_back(c->display_name());
  EXPECT_EQ(cas,
            (std::vector<std::string>{
                "CA phục vụ các cơ quan Nhà nước G2", "CA phục vụ các cơ quan Đảng G2",
                "CA phục vụ cho dịch vụ phần mềm G2", "Co quan chung thuc so Chinh phu",
                "Co quan chung thuc so Bo Tai chinh", "Co quan chung thuc so Bo Cong an",
                "Cơ quan chứng thực số Bộ Ngoại giao", "Co quan chung thuc so Dang Cong san"}));
}

class VnGovProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto profile = LoadTrustProfile("vn-gov");
    ASSERT_TRUE(profile.ok()) << profile.status();
    // The profile's configuration names exactly its own anchors: a mistake
    // there would fail this load.
    auto store =
        TrustStore::FromCertificates(profile->anchors, profile->intermediates, profile->config);
    ASSERT_TRUE(store.ok()) << store.status();
    validator_ = std::make_unique<PathValidator>(*store, 64);
  }
  PathResult Validate(const std::string& file, absl::Time at, const std::string& policy) {
    auto cert = Certificate::Parse(ReadFile(TestDataDir() + "/vn-gca/" + file));
    EXPECT_TRUE(cert.ok());
    const ValidationPolicy* p = validator_->trust_store().FindPolicy(policy);
    EXPECT_NE(p, nullptr);
    return validator_->Validate(*cert, {}, at, *p);
  }
  static absl::Time At(int y, int m, int d) {
    return absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone());
  }
  std::unique_ptr<PathValidator> validator_;
};

TEST_F(VnGovProfileTest, G2SignerValidatesUnderDefaultWithTheRequiredCertificatePolicy) {
  PathResult r = Validate("ee-g2-cuc-thue-2025.pem", At(2026, 1, 15), "default");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.back()->fingerprint_hex(), kG2RootSha256);
}

TEST_F(VnGovProfileTest, G1SignerValidatesOnlyUnderTheLegacyPolicy) {
  PathResult r = Validate("ee-btc-tchq-2015.pem", At(2016, 6, 1), "default");
  EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound) << English(r.failed);
  EXPECT_NE(English(r.failed).find("not used under validation policy \"default\""),
            std::string::npos)
      << English(r.failed);
  r = Validate("ee-btc-tchq-2015.pem", At(2016, 6, 1), "legacy");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.back()->fingerprint_hex(), kG1RootSha256);
  EXPECT_EQ(Validate("ee-btc-tchq-2015.pem", At(2026, 11, 30), "legacy").sub_indication,
            SubIndication::kExpired);
}

TEST_F(VnGovProfileTest, LegacyPolicyStillAcceptsG2Paths) {
  EXPECT_TRUE(Validate("ee-g2-cuc-thue-2025.pem", At(2026, 1, 15), "legacy").ok());
}

TEST(TrustProfileTest, TheDocumentedFingerprintIsTheCompiledOne) {
  const std::string readme = sigverify::testing::ReadFile(
      sigverify::testing::TestDataDir() + "/../../crypto/profiles/vn-gov/README.md");
  for (const char* fingerprint : {kG2RootSha256, kG1RootSha256}) {
    std::string upper = fingerprint;
    for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    EXPECT_NE(readme.find(upper), std::string::npos) << upper;
  }
}

TEST(TrustProfileTest, UnknownProfileNamesTheOnesThereAre) {
  auto profile = LoadTrustProfile("vn-gov-g3");
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(profile.status().message().find("vn-gov"), std::string::npos);
}

}  // namespace
}  // namespace sigverify::crypto
