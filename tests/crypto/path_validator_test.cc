#include "crypto/path_validator.h"

#include "absl/time/clock.h"
#include "crypto/message_catalog.h"
#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

using sigverify::testing::PkiFile;
using sigverify::testing::ReadFile;
using sigverify::testing::TestDataDir;

CertificatePtr Load(const std::string& pem) {
  auto c = Certificate::Parse(pem);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : nullptr;
}
CertificatePtr Pki(const std::string& name) { return Load(PkiFile(name)); }
CertificatePtr VnGca(const std::string& name) {
  return Load(ReadFile(TestDataDir() + "/vn-gca/" + name));
}

absl::Time At(int y, int m, int d) {
  return absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone());
}

class PathValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = TrustStore::FromCertificates({Pki("root.pem")});
    ASSERT_TRUE(store.ok()) << store.status();
    validator_ = std::make_unique<PathValidator>(*store, 1024);
    ca_ = Pki("ca.pem");
  }
  PathResult Validate(const std::string& signer, absl::Time at = absl::Now()) {
    std::vector<CertificatePtr> chain = {ca_};
    return validator_->Validate(Pki(signer), chain, at);
  }
  std::unique_ptr<PathValidator> validator_;
  CertificatePtr ca_;
};

TEST_F(PathValidatorTest, ValidatesSignerThroughIssuingCaToRoot) {
  PathResult r = Validate("signer-rsa.pem");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  ASSERT_EQ(r.path.size(), 3u);
  EXPECT_EQ(r.path[0]->display_name(), "Nguyễn Văn An");
  EXPECT_EQ(r.path[1]->fingerprint(), ca_->fingerprint());
  EXPECT_EQ(r.path[2]->display_name(), "RootCA chuyên dùng Chính phủ thử nghiệm G2");
}

TEST_F(PathValidatorTest, EcAndEd25519SignersValidate) {
  EXPECT_TRUE(Validate("signer-ec.pem").ok());
  EXPECT_TRUE(Validate("signer-ed25519.pem").ok());
}

TEST_F(PathValidatorTest, ExpiredSignerIsExpiredAndNamesTheDates) {
  PathResult r = Validate("signer-expired.pem");
  EXPECT_EQ(r.sub_indication, SubIndication::kExpired);
  EXPECT_NE(English(r.failed).find("certificate 1 of the path (Phạm Thị Dung)"), std::string::npos)
      << English(r.failed);
  EXPECT_NE(English(r.failed).find("notAfter"), std::string::npos) << English(r.failed);
}

TEST_F(PathValidatorTest, NotYetValidSigner) {
  EXPECT_EQ(Validate("signer-notyet.pem").sub_indication, SubIndication::kNotYetValid);
}

TEST_F(PathValidatorTest, ValidationTimeIsAParameter) {
  // The expired signer was valid 100 days ago; the valid one not 10 years on.
  EXPECT_TRUE(Validate("signer-expired.pem", absl::Now() - absl::Hours(24 * 100)).ok());
  EXPECT_EQ(Validate("signer-rsa.pem", absl::Now() + absl::Hours(24 * 3650)).sub_indication,
            SubIndication::kExpired);
}

TEST_F(PathValidatorTest, WrongKeyUsageIsAChainConstraintFailure) {
  PathResult r = Validate("signer-wrong-ku.pem");
  EXPECT_EQ(r.sub_indication, SubIndication::kChainConstraintsFailure);
  EXPECT_NE(English(r.failed).find("keyUsage"), std::string::npos);
}

TEST_F(PathValidatorTest, UntrustedRootFindsNoChain) {
  std::vector<CertificatePtr> chain = {Pki("untrusted-root.pem")};
  PathResult r = validator_->Validate(Pki("signer-untrusted.pem"), chain, absl::Now());
  EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound) << English(r.failed);
}

TEST_F(PathValidatorTest, MissingIntermediateFindsNoChain) {
  PathResult r = validator_->Validate(Pki("signer-rsa.pem"), {}, absl::Now());
  EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound) << English(r.failed);
}

TEST_F(PathValidatorTest, MemoisedPathIsReusedOnlyInsideItsValidity) {
  const CertificatePtr signer = Pki("signer-rsa.pem");
  std::vector<CertificatePtr> chain = {ca_};
  ASSERT_TRUE(validator_->Validate(signer, chain, absl::Now()).ok());
  const CacheStats before = validator_->MemoStats();
  ASSERT_TRUE(validator_->Validate(signer, chain, absl::Now()).ok());
  EXPECT_EQ(validator_->MemoStats().hits, before.hits + 1);
  // Past the signer's notAfter the memo must not answer: full validation runs.
  EXPECT_EQ(
      validator_->Validate(signer, chain, signer->not_after() + absl::Seconds(1)).sub_indication,
      SubIndication::kExpired);
  // At notAfter itself the certificate is still valid (RFC 5280 4.1.2.5).
  EXPECT_TRUE(validator_->Validate(signer, chain, signer->not_after()).ok());
}

TEST_F(PathValidatorTest, MemoDistinguishesIntermediateSets) {
  const CertificatePtr signer = Pki("signer-rsa.pem");
  std::vector<CertificatePtr> chain = {ca_};
  ASSERT_TRUE(validator_->Validate(signer, chain, absl::Now()).ok());
  EXPECT_FALSE(validator_->Validate(signer, {}, absl::Now()).ok());
}

TEST(RealPathTest, G2TaxDepartmentChainsToG2Root) {
  auto store = TrustStore::FromCertificates({VnGca("g2-root.pem")});
  ASSERT_TRUE(store.ok());
  PathValidator v(*store, 16);
  std::vector<CertificatePtr> chain = {VnGca("g2-ca-nha-nuoc.pem")};
  PathResult r = v.Validate(VnGca("ee-g2-cuc-thue-2025.pem"), chain, At(2026, 1, 15));
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.size(), 3u);
  // The wrong sub-CA (the Party's) does not issue it.
  std::vector<CertificatePtr> wrong = {VnGca("g2-ca-dang.pem")};
  EXPECT_EQ(v.Validate(VnGca("ee-g2-cuc-thue-2025.pem"), wrong, At(2026, 1, 15)).sub_indication,
            SubIndication::kNoCertificateChainFound);
}

TEST(RealPathTest, G1ChainsAreRefusedByTheDefaultPolicyForTheirSha1Signatures) {
  auto store = TrustStore::FromCertificates({VnGca("g1-root.pem")});
  ASSERT_TRUE(store.ok());
  PathValidator v(*store, 16);
  std::vector<CertificatePtr> btc = {VnGca("g1-btc.pem")};
  PathResult r = v.Validate(VnGca("ee-btc-tchq-2015.pem"), btc, At(2016, 6, 1));
  EXPECT_EQ(r.sub_indication, SubIndication::kCryptoConstraintsFailure) << English(r.failed);
  EXPECT_NE(English(r.failed).find("SHA-1"), std::string::npos) << English(r.failed);
  EXPECT_NE(Vietnamese(r.failed).find("SHA-1"), std::string::npos) << Vietnamese(r.failed);
}

TEST(RealPathTest, G1ChainsValidateUnderALegacyPolicyBeforeItsCutOff) {
  const ValidationPolicy legacy = LegacySha1Policy("legacy", At(2018, 8, 22));
  auto store = TrustStore::FromCertificates({VnGca("g1-root.pem")}, {}, TrustConfig{{legacy}, {}});
  ASSERT_TRUE(store.ok()) << store.status();
  PathValidator v(*store, 16);
  const ValidationPolicy& policy = *(*store)->FindPolicy("legacy");
  std::vector<CertificatePtr> btc = {VnGca("g1-btc.pem")};
  PathResult r = v.Validate(VnGca("ee-btc-tchq-2015.pem"), btc, At(2016, 6, 1), policy);
  EXPECT_TRUE(r.ok()) << English(r.failed);
  std::vector<CertificatePtr> cp = {VnGca("g1-cp.pem")};
  r = v.Validate(VnGca("ee-cp-vgca-license-keygen-2017.pem"), cp, At(2018, 6, 1), policy);
  EXPECT_TRUE(r.ok()) << English(r.failed);
  // Still valid in 2019, but past the cut-off: SHA-1 is refused again.
  r = v.Validate(VnGca("ee-cp-vgca-license-keygen-2017.pem"), cp, At(2019, 6, 1), policy);
  EXPECT_EQ(r.sub_indication, SubIndication::kCryptoConstraintsFailure) << English(r.failed);
  // The customs certificate expired in 2020: expiry is the reason given.
  EXPECT_EQ(v.Validate(VnGca("ee-btc-tchq-2015.pem"), btc, At(2026, 11, 1), policy).sub_indication,
            SubIndication::kExpired);
}

TEST(RealPathTest, G2ChainDoesNotValidateUnderG1Root) {
  auto store = TrustStore::FromCertificates({VnGca("g1-root.pem")});
  ASSERT_TRUE(store.ok());
  PathValidator v(*store, 16);
  std::vector<CertificatePtr> chain = {VnGca("g2-ca-nha-nuoc.pem")};
  EXPECT_EQ(v.Validate(VnGca("ee-g2-cuc-thue-2025.pem"), chain, At(2026, 1, 15)).sub_indication,
            SubIndication::kNoCertificateChainFound);
}

TEST(RealPathTest, G1CertificateNeverValidatesAgainstTheG2Root) {
  const ValidationPolicy legacy = LegacySha1Policy("legacy", At(2018, 8, 22));
  auto store = TrustStore::FromCertificates({VnGca("g2-root.pem")},
                                            {VnGca("g1-btc.pem"), VnGca("g1-root.pem")},
                                            TrustConfig{{legacy}, {}});
  ASSERT_TRUE(store.ok()) << store.status();
  PathValidator v(*store, 16);
  for (const char* policy : {"default", "legacy"}) {
    PathResult r = v.Validate(VnGca("ee-btc-tchq-2015.pem"), {}, At(2016, 6, 1),
                              *(*store)->FindPolicy(policy));
    EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound) << policy;
  }
}

TEST(IntermediatePoolTest, PoolCompletesAPathTheCallerDidNotSend) {
  auto store = TrustStore::FromCertificates({VnGca("g2-root.pem")},
                                            {VnGca("g2-ca-dang.pem"), VnGca("g2-ca-nha-nuoc.pem")});
  ASSERT_TRUE(store.ok());
  PathValidator v(*store, 16);
  PathResult r = v.Validate(VnGca("ee-g2-cuc-thue-2025.pem"), {}, At(2026, 1, 15));
  ASSERT_TRUE(r.ok()) << English(r.failed);
  ASSERT_EQ(r.path.size(), 3u);
  EXPECT_EQ(r.path[1]->display_name(), "CA phục vụ các cơ quan Nhà nước G2");
}

TEST(IntermediatePoolTest, PoolCertificatesAreNotTrustAnchors) {
  // The issuing CA in the pool but no root: no path.
  auto store = TrustStore::FromCertificates({VnGca("g1-root.pem")}, {VnGca("g2-ca-nha-nuoc.pem")});
  ASSERT_TRUE(store.ok());
  PathValidator v(*store, 16);
  EXPECT_EQ(v.Validate(VnGca("ee-g2-cuc-thue-2025.pem"), {}, At(2026, 1, 15)).sub_indication,
            SubIndication::kNoCertificateChainFound);
}

TEST(IntermediatePoolTest, ThePoolIsPartOfTheVersion) {
  auto bare = TrustStore::FromCertificates({VnGca("g2-root.pem")});
  auto pooled = TrustStore::FromCertificates({VnGca("g2-root.pem")}, {VnGca("g2-ca-dang.pem")});
  ASSERT_TRUE(bare.ok() && pooled.ok());
  EXPECT_NE((*bare)->version(), (*pooled)->version());
}

TEST(TrustStoreTest, VersionIsAContentHashIndependentOfOrder) {
  auto a = TrustStore::FromCertificates({VnGca("g1-root.pem"), VnGca("g2-root.pem")});
  auto b = TrustStore::FromCertificates({VnGca("g2-root.pem"), VnGca("g1-root.pem")});
  auto c = TrustStore::FromCertificates({VnGca("g2-root.pem")});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)->version(), (*b)->version());
  EXPECT_NE((*a)->version(), (*c)->version());
  EXPECT_EQ((*a)->version().size(), 64u);
}

TEST(TrustStoreTest, EmptyOrMissingDirectoryIsRefused) {
  EXPECT_FALSE(TrustStore::FromCertificates({}).ok());
  EXPECT_EQ(TrustStore::LoadDirectory("/nonexistent/anchors").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(TrustStoreTest, LoadsTheGeneratedAnchorsDirectory) {
  auto store = TrustStore::LoadDirectory(sigverify::testing::TestPkiDir() + "/anchors");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->anchors().size(), 1u);
}

// The test PKI's two hierarchies: G2-shaped (SHA-256, RSA-4096 root) and
// G1-shaped (sha1WithRSA, nonRepudiation-only signer), the G1 root
// cross-certifying the G2 root. The G1 root serves only "legacy".
class TwoHierarchiesTest : public ::testing::Test {
 protected:
  std::shared_ptr<const TrustStore> Store(std::vector<std::string> anchor_files,
                                          absl::Time legacy_until) {
    std::vector<CertificatePtr> anchors;
    for (const std::string& f : anchor_files) anchors.push_back(Pki(f));
    const ValidationPolicy legacy = LegacySha1Policy("legacy", legacy_until);
    TrustConfig config{{legacy}, {}};
    for (const CertificatePtr& a : anchors) {
      if (a->display_name().ends_with("G1"))
        config.anchors.push_back({a->fingerprint_hex(), {{}, {"legacy"}}});
    }
    auto store = TrustStore::FromCertificates(anchors, {}, config);
    EXPECT_TRUE(store.ok()) << store.status();
    return *store;
  }
  PathResult Validate(const std::shared_ptr<const TrustStore>& store, const std::string& signer,
                      std::vector<std::string> chain, const std::string& policy) {
    std::vector<CertificatePtr> sent;
    for (const std::string& f : chain) sent.push_back(Pki(f));
    PathValidator v(store, 16);
    return v.Validate(Pki(signer), sent, absl::Now(), *store->FindPolicy(policy));
  }
  const absl::Time tomorrow_ = absl::Now() + absl::Hours(24);
  const absl::Time yesterday_ = absl::Now() - absl::Hours(24);
};

TEST_F(TwoHierarchiesTest, G2SignerTakesTheG2PathEvenWhenTheCrossCertificateIsSent) {
  auto store = Store({"root.pem", "g1-root.pem"}, tomorrow_);
  PathResult r = Validate(store, "signer-rsa.pem", {"ca.pem", "g2-root-cross-g1.pem"}, "default");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.size(), 3u);
  EXPECT_EQ(r.path.back()->display_name(), "RootCA chuyên dùng Chính phủ thử nghiệm G2");
}

TEST_F(TwoHierarchiesTest, G2SignerReachesTheG1RootThroughTheCrossCertificateOnlyUnderLegacy) {
  auto store = Store({"g1-root.pem"}, tomorrow_);
  PathResult r = Validate(store, "signer-rsa.pem", {"ca.pem", "g2-root-cross-g1.pem"}, "default");
  EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound) << English(r.failed);
  r = Validate(store, "signer-rsa.pem", {"ca.pem", "g2-root-cross-g1.pem"}, "legacy");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  ASSERT_EQ(r.path.size(), 4u);
  EXPECT_EQ(r.path.back()->display_name(),
            "Co quan chung thuc so chuyen dung Chinh phu thu nghiem G1");
}

TEST_F(TwoHierarchiesTest, G1SignerValidatesOnlyUnderLegacyAndOnlyBeforeTheCutOff) {
  auto before = Store({"root.pem", "g1-root.pem"}, tomorrow_);
  EXPECT_EQ(Validate(before, "g1-signer.pem", {"g1-ca.pem"}, "default").sub_indication,
            SubIndication::kNoCertificateChainFound);
  PathResult r = Validate(before, "g1-signer.pem", {"g1-ca.pem"}, "legacy");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.size(), 3u);
  auto after = Store({"root.pem", "g1-root.pem"}, yesterday_);
  r = Validate(after, "g1-signer.pem", {"g1-ca.pem"}, "legacy");
  EXPECT_EQ(r.sub_indication, SubIndication::kCryptoConstraintsFailure) << English(r.failed);
  EXPECT_NE(English(r.failed).find("SHA-1"), std::string::npos) << English(r.failed);
}

TEST_F(TwoHierarchiesTest, G1SignerNeverValidatesAgainstTheG2Root) {
  auto store = Store({"root.pem"}, tomorrow_);
  for (const char* policy : {"default", "legacy"}) {
    PathResult r =
        Validate(store, "g1-signer.pem", {"g1-ca.pem", "g2-root-cross-g1.pem", "ca.pem"}, policy);
    EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound) << policy;
  }
}

}  // namespace
}  // namespace sigverify::crypto
