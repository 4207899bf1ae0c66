// A validation time the caller claims is not proof of existence: what is
// known now (a revocation, an expiry since) still counts.
#include "crypto/claimed_time.h"

#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

CertificatePtr Pki(const std::string& name) {
  auto c = Certificate::Parse(testing::PkiFile(name));
  EXPECT_TRUE(c.ok()) << name;
  return c.ok() ? *c : nullptr;
}

RevocationEvidence Good() {
  RevocationEvidence e;
  e.state = RevocationEvidence::State::kGood;
  e.source = "ocsp";
  return e;
}

TEST(ClaimedTimeTest, APathThatStillHoldsStands) {
  const std::vector<CertificatePtr> path = {Pki("signer-rsa.pem"), Pki("ca.pem"), Pki("root.pem")};
  const absl::Time now = absl::Now();
  EXPECT_FALSE(JudgeClaimedTime(path, {Good(), Good()}, now - absl::Hours(1), now).has_value());
  // A claimed time that is not in the past claims nothing.
  EXPECT_FALSE(JudgeClaimedTime(path, {}, now, now).has_value());
}

TEST(ClaimedTimeTest, ARevocationAfterTheClaimedTimeStillRevokes) {
  const std::vector<CertificatePtr> path = {Pki("signer-rsa.pem"), Pki("ca.pem"), Pki("root.pem")};
  const absl::Time now = absl::Now();
  const absl::Time claimed = now - absl::Hours(2);
  RevocationEvidence revoked = Good();
  revoked.state = RevocationEvidence::State::kRevoked;
  revoked.revocation_time = now - absl::Hours(1);
  revoked.revocation_reason = 1;
  auto signer = JudgeClaimedTime(path, {revoked, Good()}, claimed, now);
  ASSERT_TRUE(signer.has_value());
  EXPECT_EQ(signer->sub_indication, SubIndication::kRevokedNoPoe);
  EXPECT_EQ(signer->failed.reason, FailureReason::kRevokedAfterClaimedTime);
  EXPECT_EQ(signer->failed.time, revoked.revocation_time);
  EXPECT_EQ(signer->failed.validation_time, claimed);
  EXPECT_EQ(signer->failed.actual, 1);
  auto ca = JudgeClaimedTime(path, {Good(), revoked}, claimed, now);
  ASSERT_TRUE(ca.has_value());
  EXPECT_EQ(ca->sub_indication, SubIndication::kRevokedCaNoPoe);
  EXPECT_EQ(ca->failed.position, 2);
}

TEST(ClaimedTimeTest, AnExpirySinceTheClaimedTimeIsOutOfBounds) {
  const CertificatePtr expired = Pki("signer-expired.pem");
  ASSERT_NE(expired, nullptr);
  const std::vector<CertificatePtr> path = {expired, Pki("ca.pem"), Pki("root.pem")};
  const absl::Time claimed = expired->not_after() - absl::Hours(1);
  auto v = JudgeClaimedTime(path, {Good(), Good()}, claimed, absl::Now());
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->indication, Indication::kIndeterminate);
  EXPECT_EQ(v->sub_indication, SubIndication::kOutOfBoundsNoPoe);
  EXPECT_EQ(v->failed.reason, FailureReason::kExpiredAfterClaimedTime);
  EXPECT_EQ(v->failed.time, expired->not_after());
  EXPECT_EQ(v->failed.position, 1);
}

}  // namespace
}  // namespace sigverify::crypto
