#include "crypto/path_builder.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/testing/fixture_certificates.h"

namespace sigverify::crypto {
namespace {

CertificatePtr One(const std::string& case_name, const std::string& role) {
  return sigverify::testing::FixtureCertificate(case_name, role);
}
std::vector<CertificatePtr> All(const std::string& case_name, const std::string& role) {
  return sigverify::testing::FixtureCertificates(case_name, role);
}

std::vector<std::string> Names(const CandidatePath& p) {
  std::vector<std::string> names;
  for (const CertificatePtr& c : p.certs) names.push_back(c->display_name());
  return names;
}

class CrossCertifiedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_root_ = One("cross-certified", "old-root");
    new_root_ = One("cross-certified", "new-root");
    cross_ = One("cross-certified", "cross");
    expired_cross_ = One("cross-certified", "expired-cross");
    ca_ = One("cross-certified", "ca");
    leaf_ = One("cross-certified", "leaf");
  }
  std::shared_ptr<const TrustStore> Store(std::vector<CertificatePtr> anchors,
                                          TrustConfig config = {}) {
    auto store = TrustStore::FromCertificates(std::move(anchors), {}, std::move(config));
    EXPECT_TRUE(store.ok()) << store.status();
    return *store;
  }
  CertificatePtr old_root_, new_root_, cross_, expired_cross_, ca_, leaf_;
};

TEST_F(CrossCertifiedTest, OldRootReachesTheNewHierarchyThroughTheCrossCertificate) {
  auto store = Store({old_root_});
  std::vector<CertificatePtr> sent = {ca_, cross_};
  PathCandidates c = BuildCandidatePaths(leaf_, sent, *store);
  ASSERT_EQ(c.paths.size(), 1u);
  EXPECT_EQ(Names(c.paths[0]), (std::vector<std::string>{"Signer", "CA", "New Root", "Old Root"}));
  PathValidator v(store, 16);
  PathResult r = v.Validate(leaf_, sent, absl::Now());
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.size(), 4u);
}

TEST_F(CrossCertifiedTest, BothRootsTrustedGivesTwoCandidatesShortestFirst) {
  auto store = Store({old_root_, new_root_});
  std::vector<CertificatePtr> sent = {cross_, ca_};
  PathCandidates c = BuildCandidatePaths(leaf_, sent, *store);
  ASSERT_EQ(c.paths.size(), 2u);
  EXPECT_EQ(c.paths[0].certs.back()->display_name(), "New Root");
  EXPECT_EQ(c.paths[1].certs.back()->display_name(), "Old Root");
  EXPECT_FALSE(c.truncated);
}

TEST_F(CrossCertifiedTest, AFailingCandidateFallsBackToTheNextOne) {
  // The new root demands a certificate policy this hierarchy does not carry:
  // its path fails, the one through the cross-certificate to the old root
  // does not.
  TrustConfig config;
  config.anchors.push_back({new_root_->fingerprint_hex(), {{"2.16.704.1.1.1.1.1"}, {}}});
  PathValidator v(Store({old_root_, new_root_}, config), 16);
  std::vector<CertificatePtr> sent = {cross_, ca_};
  PathResult r = v.Validate(leaf_, sent, absl::Now());
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.path.back()->display_name(), "Old Root");
}

TEST_F(CrossCertifiedTest, AllCandidatesFailingReportsTheFirstAndHowManyWereTried) {
  // Only the expired cross-certificate links the hierarchy to the old root.
  TrustConfig config;
  config.anchors.push_back({new_root_->fingerprint_hex(), {{"2.16.704.1.1.1.1.1"}, {}}});
  PathValidator v(Store({old_root_, new_root_}, config), 16);
  std::vector<CertificatePtr> sent = {expired_cross_, ca_};
  PathResult r = v.Validate(leaf_, sent, absl::Now());
  EXPECT_EQ(r.sub_indication, SubIndication::kChainConstraintsFailure) << English(r.failed);
  EXPECT_NE(English(r.failed).find("2 candidate paths tried"), std::string::npos)
      << English(r.failed);
}

TEST_F(CrossCertifiedTest, AnAnchorServesOnlyTheValidationPoliciesItNames) {
  ValidationPolicy legacy;
  legacy.name = "legacy";
  TrustConfig config;
  config.policies.push_back(legacy);
  config.anchors.push_back({new_root_->fingerprint_hex(), {{}, {"legacy"}}});
  auto store = Store({new_root_}, config);
  PathValidator v(store, 16);
  std::vector<CertificatePtr> sent = {ca_};
  PathResult r = v.Validate(leaf_, sent, absl::Now());
  EXPECT_EQ(r.sub_indication, SubIndication::kNoCertificateChainFound);
  EXPECT_NE(English(r.failed).find("not used under validation policy \"default\""),
            std::string::npos)
      << English(r.failed);
  EXPECT_TRUE(v.Validate(leaf_, sent, absl::Now(), *store->FindPolicy("legacy")).ok());
}

TEST(PathBuilderTest, ALoopOfCrossCertifiedCasEnds) {
  auto store = TrustStore::FromCertificates(All("loop", "anchors"));
  ASSERT_TRUE(store.ok());
  PathCandidates c = BuildCandidatePaths(One("loop", "leaf"), All("loop", "chain"), **store);
  EXPECT_TRUE(c.paths.empty());
  EXPECT_FALSE(c.truncated);
  PathValidator v(*store, 16);
  EXPECT_EQ(v.Validate(One("loop", "leaf"), All("loop", "chain"), absl::Now()).sub_indication,
            SubIndication::kNoCertificateChainFound);
}

TEST(PathBuilderTest, AFloodOfSameNamedCasIsBounded) {
  // 24 CAs with one name and no key identifiers: every one may have issued
  // every other, so an unbounded search would try ~24^8 paths.
  auto store = TrustStore::FromCertificates(All("name-flood", "anchors"));
  ASSERT_TRUE(store.ok());
  PathBuilderLimits limits;
  PathCandidates c =
      BuildCandidatePaths(One("name-flood", "leaf"), All("name-flood", "chain"), **store, limits);
  EXPECT_TRUE(c.paths.empty());
  EXPECT_TRUE(c.truncated);
}

TEST(PathBuilderTest, KeyIdentifiersTellApartIssuersWithOneName) {
  // pathlen-self-issued-not-counted: the CA and its re-keyed successor share
  // a name; the signer's authorityKeyIdentifier picks the successor.
  auto store = TrustStore::FromCertificates(All("pathlen-self-issued-not-counted", "anchors"));
  ASSERT_TRUE(store.ok());
  auto chain = All("pathlen-self-issued-not-counted", "chain");
  ASSERT_EQ(chain.size(), 2u);
  const CertificatePtr leaf = One("pathlen-self-issued-not-counted", "leaf");
  EXPECT_FALSE(MayHaveIssued(*chain[0], *leaf));
  EXPECT_TRUE(MayHaveIssued(*chain[1], *leaf));
  PathCandidates c = BuildCandidatePaths(leaf, chain, **store);
  ASSERT_EQ(c.paths.size(), 1u);
  EXPECT_EQ(c.paths[0].certs.size(), 4u);
}

}  // namespace
}  // namespace sigverify::crypto
