#include "service/trust_config.h"

#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::service {
namespace {

constexpr char kConfig[] = R"pb(
  # A legacy policy and two anchor settings.
  policies {
    name: "legacy"
    legacy_algorithms { allow_sha1: true }
    legacy_until: "2018-08-22T07:36:39Z"
  }
  anchors {
    sha256_fingerprint: "F04BA4B459A7C9A1B971AD9B1CB833E695A80C79AEA63B174B66A70EDFE2FDB8"
    required_certificate_policies: "2.16.704.1.1.1.1.1"
  }
  anchors {
    sha256_fingerprint: "f7bc89054cec7f12730d7b8cd3eb7955b163835087e5eb873edfb584763b3f90"
    validation_policies: "legacy"
    revocation: REVOCATION_REQUIREMENT_SOFT_FAIL
    revocation_order: REVOCATION_ORDER_CRL_FIRST
  }
)pb";

TEST(TrustConfigTest, ParsesPoliciesAndAnchors) {
  auto config = ParseTrustConfig(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->policies.size(), 1u);
  const crypto::ValidationPolicy& legacy = config->policies[0];
  EXPECT_EQ(legacy.name, "legacy");
  ASSERT_TRUE(legacy.legacy.has_value());
  EXPECT_TRUE(legacy.legacy->allow_sha1);
  EXPECT_EQ(legacy.legacy->min_rsa_bits, 2048);  // 0 means the default
  EXPECT_FALSE(legacy.algorithms.allow_sha1);
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, legacy.legacy_until, absl::UTCTimeZone()),
            "2018-08-22T07:36:39+00:00");
  ASSERT_EQ(config->anchors.size(), 2u);
  // Fingerprints are normalised to lower case.
  EXPECT_EQ(config->anchors[0].first,
            "f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8");
  EXPECT_EQ(config->anchors[0].second.required_certificate_policies,
            std::vector<std::string>{"2.16.704.1.1.1.1.1"});
  EXPECT_EQ(config->anchors[1].second.validation_policies, std::vector<std::string>{"legacy"});
  EXPECT_EQ(config->anchors[0].second.revocation, crypto::RevocationRequirement::kHardFail);
  EXPECT_EQ(config->anchors[1].second.revocation, crypto::RevocationRequirement::kSoftFail);
  EXPECT_EQ(config->anchors[1].second.revocation_order, crypto::RevocationOrder::kCrlFirst);
}

TEST(TrustConfigTest, MistakesNameTheirFieldOrLine) {
  auto syntax = ParseTrustConfig("policies {\n  name: \"x\"\n  colour: 3\n}\n");
  EXPECT_EQ(syntax.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.status().message().find("line 3"), std::string::npos) << syntax.status();

  auto fingerprint = ParseTrustConfig("anchors { sha256_fingerprint: \"abc\" }");
  EXPECT_NE(fingerprint.status().message().find("anchors[0].sha256_fingerprint"), std::string::npos)
      << fingerprint.status();

  auto time =
      ParseTrustConfig("policies { name: \"l\" legacy_algorithms {} legacy_until: \"last year\" }");
  EXPECT_NE(time.status().message().find("policies[0].legacy_until"), std::string::npos)
      << time.status();

  auto bits = ParseTrustConfig("policies { name: \"weak\" algorithms { min_rsa_bits: 512 } }");
  EXPECT_NE(bits.status().message().find("min_rsa_bits 512"), std::string::npos) << bits.status();

  auto cutoff_alone =
      ParseTrustConfig("policies { name: \"l\" legacy_until: \"2018-01-01T00:00:00Z\" }");
  EXPECT_FALSE(cutoff_alone.ok());
}

TEST(TrustConfigTest, AStoreRefusesAConfigurationForAnAnchorItDoesNotHave) {
  auto config = ParseTrustConfig(kConfig);
  ASSERT_TRUE(config.ok());
  auto root = crypto::Certificate::Parse(sigverify::testing::PkiFile("root.pem"));
  ASSERT_TRUE(root.ok());
  auto store = crypto::TrustStore::FromCertificates({*root}, {}, *config);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("which is not an anchor"), std::string::npos)
      << store.status();
}

TEST(TrustConfigTest, AnAnchorMayNotNameAnUndefinedPolicy) {
  auto root = crypto::Certificate::Parse(sigverify::testing::PkiFile("root.pem"));
  ASSERT_TRUE(root.ok());
  crypto::TrustConfig config;
  config.anchors.push_back({(*root)->fingerprint_hex(), {{}, {"nonexistent"}}});
  auto store = crypto::TrustStore::FromCertificates({*root}, {}, config);
  EXPECT_NE(store.status().message().find("names validation policy nonexistent"), std::string::npos)
      << store.status();
}

TEST(TrustConfigTest, TheConfigurationIsPartOfTheTrustStoreVersion) {
  auto root = crypto::Certificate::Parse(sigverify::testing::PkiFile("root.pem"));
  ASSERT_TRUE(root.ok());
  crypto::TrustConfig required;
  required.anchors.push_back({(*root)->fingerprint_hex(), {{"2.16.704.1.1.1.1.1"}, {}}});
  auto plain = crypto::TrustStore::FromCertificates({*root});
  auto with_policy = crypto::TrustStore::FromCertificates({*root}, {}, required);
  ASSERT_TRUE(plain.ok() && with_policy.ok());
  EXPECT_NE((*plain)->version(), (*with_policy)->version());
}

TEST(TrustConfigTest, MergeLetsTheOverlayReplaceByNameAndFingerprint) {
  crypto::TrustConfig base;
  crypto::ValidationPolicy strict;
  strict.name = "default";
  strict.algorithms.min_rsa_bits = 3072;
  base.policies.push_back(strict);
  base.anchors.push_back({"aa", {{"1.2.3"}, {}}});
  crypto::TrustConfig overlay;
  crypto::ValidationPolicy relaxed;
  relaxed.name = "default";
  overlay.policies.push_back(relaxed);
  overlay.anchors.push_back({"aa", {{}, {"default"}}});
  overlay.anchors.push_back({"bb", {}});
  crypto::TrustConfig merged = MergeTrustConfig(base, overlay);
  ASSERT_EQ(merged.policies.size(), 1u);
  EXPECT_EQ(merged.policies[0].algorithms.min_rsa_bits, 2048);
  ASSERT_EQ(merged.anchors.size(), 2u);
  EXPECT_TRUE(merged.anchors[0].second.required_certificate_policies.empty());
}

}  // namespace
}  // namespace sigverify::service
