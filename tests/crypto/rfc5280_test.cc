// RFC 5280 section 6.1, one rule at a time, each with a path that satisfies
// it and one that breaks it (fixtures: tests/pki/rfc5280_fixtures.cc). The
// same tests run against OpenSSL 3 and BoringSSL builds of crypto/.
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

constexpr char kP1[] = "2.16.704.1.1.1.1.1";

using sigverify::testing::FixtureCertificates;

// Validates <case>/leaf.pem with <case>/chain.pem against <case>/anchors.pem,
// the anchors requiring `required_policies`.
PathResult ValidateCase(const std::string& name, std::vector<std::string> required_policies = {}) {
  std::vector<CertificatePtr> anchors = FixtureCertificates(name, "anchors");
  TrustConfig config;
  for (const CertificatePtr& a : anchors) {
    config.anchors.push_back({a->fingerprint_hex(), {required_policies, {}}});
  }
  auto store = TrustStore::FromCertificates(anchors, {}, config);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  PathValidator validator(*store, 16);
  const std::vector<CertificatePtr> leaf = FixtureCertificates(name, "leaf");
  if (leaf.empty()) return {SubIndication::kFormatFailure, {}, {}};
  return validator.Validate(leaf[0], FixtureCertificates(name, "chain"), absl::Now());
}

#define EXPECT_VALID(result)                                       \
  do {                                                             \
    const PathResult r_ = (result);                                \
    EXPECT_TRUE(r_.ok()) << #result << ": " << English(r_.failed); \
  } while (0)

#define EXPECT_SUB(result, expected)                                        \
  do {                                                                      \
    const PathResult r_ = (result);                                         \
    EXPECT_EQ(r_.sub_indication, SubIndication::expected)                   \
        << #result << ": " << (r_.ok() ? "validated" : English(r_.failed)); \
  } while (0)

// 6.1.3(a)(1): the signature on each certificate verifies with its issuer's key.
TEST(Rfc5280Test, CertificateSignatures) {
  EXPECT_VALID(ValidateCase("valid"));
  EXPECT_SUB(ValidateCase("intermediate-bad-signature"), kCertificateChainGeneralFailure);
}

// 6.1.3(a)(2): every certificate is valid at the validation time.
TEST(Rfc5280Test, ValidityPeriods) {
  PathResult r = ValidateCase("intermediate-expired");
  EXPECT_SUB(r, kExpired);
  EXPECT_NE(English(r.failed).find("certificate 2 of the path (CA)"), std::string::npos)
      << English(r.failed);
  EXPECT_NE(Vietnamese(r.failed).find("chứng thư số thứ 2 của đường dẫn (CA)"), std::string::npos)
      << Vietnamese(r.failed);
  EXPECT_EQ(CheckName(r.failed.reason), "validity");
  EXPECT_EQ(r.failed.position, 2);
  ASSERT_NE(r.failed.certificate, nullptr);
  EXPECT_EQ(r.failed.certificate->display_name(), "CA");
  EXPECT_SUB(ValidateCase("intermediate-not-yet-valid"), kNotYetValid);
}

// 6.1.3(a)(4): each issuer name is the previous certificate's subject,
// compared as section 7.1 says (case-insensitive, spaces collapsed).
TEST(Rfc5280Test, NameChaining) {
  EXPECT_VALID(ValidateCase("name-chaining-case-and-spaces"));
  EXPECT_SUB(ValidateCase("name-chaining-mismatch"), kNoCertificateChainFound);
}

// 6.1.4(k): intermediates must be CAs (basicConstraints cA = TRUE).
TEST(Rfc5280Test, BasicConstraints) {
  EXPECT_VALID(ValidateCase("valid"));
  EXPECT_SUB(ValidateCase("intermediate-not-ca"), kChainConstraintsFailure);
  EXPECT_EQ(CheckName(ValidateCase("intermediate-not-ca").failed.reason), "basicConstraints");
  EXPECT_SUB(ValidateCase("intermediate-no-basic-constraints"), kChainConstraintsFailure);
}

// 6.1.4(l), (m): pathLenConstraint, not counting self-issued certificates.
TEST(Rfc5280Test, PathLengthConstraint) {
  EXPECT_VALID(ValidateCase("pathlen-respected"));
  EXPECT_SUB(ValidateCase("pathlen-exceeded"), kChainConstraintsFailure);
  EXPECT_EQ(CheckName(ValidateCase("pathlen-exceeded").failed.reason), "pathLength");
  EXPECT_VALID(ValidateCase("pathlen-self-issued-not-counted"));
}

// 6.1.4(n): an intermediate's keyUsage, when present, allows keyCertSign.
TEST(Rfc5280Test, IssuerKeyUsage) {
  EXPECT_VALID(ValidateCase("intermediate-without-keyusage"));
  PathResult r = ValidateCase("intermediate-keyusage-without-certsign");
  EXPECT_SUB(r, kChainConstraintsFailure);
  EXPECT_EQ(CheckName(r.failed.reason), "keyUsage");
  EXPECT_EQ(r.failed.position, 2);
  EXPECT_NE(English(r.failed).find("keyCertSign"), std::string::npos) << English(r.failed);
}

// 4.2.1.3: the signer's keyUsage, when present, allows digitalSignature or
// nonRepudiation.
TEST(Rfc5280Test, SignerKeyUsage) {
  EXPECT_VALID(ValidateCase("leaf-keyusage-nonrepudiation-only"));
  EXPECT_VALID(ValidateCase("leaf-without-keyusage"));
  EXPECT_SUB(ValidateCase("leaf-keyusage-keyencipherment"), kChainConstraintsFailure);
}

// 4.2.1.12: an extendedKeyUsage, when present, must allow document signing.
TEST(Rfc5280Test, SignerExtendedKeyUsage) {
  EXPECT_VALID(ValidateCase("leaf-eku-emailprotection"));
  EXPECT_VALID(ValidateCase("leaf-eku-documentsigning"));
  EXPECT_VALID(ValidateCase("leaf-eku-any"));
  PathResult r = ValidateCase("leaf-eku-serverauth");
  EXPECT_SUB(r, kChainConstraintsFailure);
  EXPECT_EQ(CheckName(r.failed.reason), "extendedKeyUsage");
  EXPECT_EQ(r.failed.position, 1);
  EXPECT_NE(English(r.failed).find("1.3.6.1.5.5.7.3.1"), std::string::npos) << English(r.failed);
}

// 6.1.4(o), 6.1.5(f): an unrecognised critical extension fails the path; a
// non-critical one is ignored.
TEST(Rfc5280Test, UnknownCriticalExtensions) {
  EXPECT_VALID(ValidateCase("leaf-unknown-noncritical-extension"));
  EXPECT_SUB(ValidateCase("leaf-unknown-critical-extension"), kChainConstraintsFailure);
  EXPECT_SUB(ValidateCase("intermediate-unknown-critical-extension"), kChainConstraintsFailure);
}

// 6.1.3(b), (c) and 6.1.4(g): permitted and excluded subtrees.
TEST(Rfc5280Test, NameConstraints) {
#if defined(SIGVERIFY_BORINGSSL)
  // Measured divergence: this BoringSSL (Android 13) refuses any leaf without
  // subjectAltName under an issuer with name constraints (a rule for TLS
  // names, X509_V_ERR_NAME_CONSTRAINTS_WITHOUT_SANS), where RFC 5280
  // 6.1.3(b) checks the subject DN against the directoryName subtree.
  EXPECT_SUB(ValidateCase("nameconstraints-permitted"), kChainConstraintsFailure);
#else
  EXPECT_VALID(ValidateCase("nameconstraints-permitted"));
#endif
  EXPECT_SUB(ValidateCase("nameconstraints-outside-permitted"), kChainConstraintsFailure);
  EXPECT_SUB(ValidateCase("nameconstraints-excluded"), kChainConstraintsFailure);
}

// 6.1.1(c), (f) with initial-explicit-policy: the anchor's required policy.
TEST(Rfc5280Test, RequiredCertificatePolicy) {
  EXPECT_VALID(ValidateCase("policy-p1", {kP1}));
  PathResult r = ValidateCase("policy-leaf-p2", {kP1});
  EXPECT_SUB(r, kChainConstraintsFailure);
  EXPECT_EQ(CheckName(r.failed.reason), "certificatePolicies");
  EXPECT_NE(English(r.failed).find(kP1), std::string::npos) << English(r.failed);
  EXPECT_SUB(ValidateCase("policy-leaf-none", {kP1}), kChainConstraintsFailure);
  // Without a requirement the same paths are valid.
  EXPECT_VALID(ValidateCase("policy-leaf-p2"));
  EXPECT_VALID(ValidateCase("policy-leaf-none"));
}

// 6.1.3(d)(1)(ii) and 6.1.3(d)(2): anyPolicy in a CA matches any policy below.
TEST(Rfc5280Test, AnyPolicy) {
  EXPECT_VALID(ValidateCase("policy-anypolicy-ca", {kP1}));
  EXPECT_VALID(ValidateCase("policy-anypolicy-two-levels", {kP1}));
}

// 6.1.4(j), 6.1.3(d)(2): inhibitAnyPolicy 0 stops anyPolicy below the CA.
TEST(Rfc5280Test, InhibitAnyPolicy) {
  EXPECT_SUB(ValidateCase("policy-inhibit-any-policy", {kP1}), kChainConstraintsFailure);
}

// 6.1.4(a), (b)(1): a mapping makes the issuer-domain policy valid for
// certificates that assert the subject-domain one.
TEST(Rfc5280Test, PolicyMapping) {
  EXPECT_VALID(ValidateCase("policy-mapping", {kP1}));
  // 6.1.4(a): a mapping to or from anyPolicy fails the path.
  EXPECT_SUB(ValidateCase("policy-mapping-anypolicy"), kChainConstraintsFailure);
}

// 6.1.4(i)(2), (b)(2): inhibitPolicyMapping 0 deletes the mapped policy.
TEST(Rfc5280Test, InhibitPolicyMapping) {
  EXPECT_SUB(ValidateCase("policy-mapping-inhibited", {kP1}), kChainConstraintsFailure);
}

// 6.1.4(i)(1), 6.1.5(b): requireExplicitPolicy in a certificate demands a
// valid policy even when the relying party asked for none.
TEST(Rfc5280Test, RequireExplicitPolicyFromACertificate) {
  EXPECT_VALID(ValidateCase("policy-require-explicit-met"));
  EXPECT_SUB(ValidateCase("policy-require-explicit-unmet"), kChainConstraintsFailure);
}

// The algorithm policy reaches every certificate of the path.
TEST(Rfc5280Test, AlgorithmPolicyOnThePath) {
  PathResult r = ValidateCase("leaf-signed-with-sha1");
  EXPECT_SUB(r, kCryptoConstraintsFailure);
  EXPECT_NE(English(r.failed).find("the signature on certificate 1 of the path"), std::string::npos)
      << English(r.failed);
  r = ValidateCase("intermediate-rsa1024");
  EXPECT_SUB(r, kCryptoConstraintsFailure);
  EXPECT_EQ(CheckName(r.failed.reason), "keySize");
  EXPECT_EQ(r.failed.position, 2);
  EXPECT_NE(English(r.failed).find("RSA-1024"), std::string::npos) << English(r.failed);
}

}  // namespace
}  // namespace sigverify::crypto
