// CRLs signed by another key than the one that issued the certificate
// (RFC 5280 6.3.3 (f)), through path validation with the CRLs and the
// certificates at hand, each shape with its valid and its invalid case:
//   - a CA with a separate CRL-signing certificate (same name, other key);
//   - a CA key rollover, both ways, through self-issued link certificates;
//   - an indirect CRL from another entity (cRLIssuer in the distribution
//     point, indirectCRL in the IDP, certificateIssuer on its entries), and
//     the CA's own indirect CRL with entries of another issuer.
// The CRL signer's own path must reach the same anchor at the same time,
// allow cRLSign, and pass its own revocation check; the evidence names it.
// No distribution point here has a URL: nothing is fetched.
#include "absl/strings/str_cat.h"
#include "cache/crl_revocation_checker.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/testing/issued_certificate.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;
using Sub = crypto::SubIndication;
using sigverify::testing::AsCertificate;
using sigverify::testing::CertSpec;
using sigverify::testing::CrlEntrySpec;
using sigverify::testing::CrlSpec;
using sigverify::testing::Issued;
using sigverify::testing::Rdns;

const Rdns kRoot = {{"C", "VN"}, {"O", "sigverify signer tests"}, {"CN", "Signer Test Root"}};
const Rdns kOtherRoot = {{"C", "VN"}, {"CN", "Another Root"}};
const Rdns kCa = {{"C", "VN"}, {"O", "sigverify signer tests"}, {"CN", "Signer Test CA"}};
const Rdns kIndirect = {{"C", "VN"}, {"CN", "Indirect CRL Issuer"}};

constexpr char kSections[] =
    "[dp_dirname]\nfullname = dirName:dp_dn\n"
    "[dp_dn]\nC = VN\nCN = CRL partition 7\n"
    "[dp_indirect]\nfullname = dirName:dp_dn\nCRLissuer = dirName:indirect_dn\n"
    "[indirect_dn]\nC = VN\nCN = Indirect CRL Issuer\n"
    "[idp_indirect]\nfullname = dirName:dp_dn\nindirectCRL = TRUE\n"
    "[idp_indirect_only]\nindirectCRL = TRUE\n";

class CrlSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = absl::Now();
    checker_ = std::make_shared<CrlRevocationChecker>(CrlRevocationChecker::Options());
    root_ = Ca(kRoot, nullptr, "keyCertSign,cRLSign");
    other_root_ = Ca(kOtherRoot, nullptr, "keyCertSign,cRLSign");
  }

  CertSpec Spec(const Rdns& subject, long serial) const {
    CertSpec spec;
    spec.subject = subject;
    spec.not_before = now_ - absl::Hours(24 * 30);
    spec.not_after = now_ + absl::Hours(24 * 365);
    spec.serial = serial;
    spec.sections = kSections;
    return spec;
  }

  // A CA certificate for `subject` (with `key` when given), issued by
  // `issuer` (self-signed when null).
  Issued Ca(const Rdns& subject, const Issued* issuer, const std::string& usage,
            EVP_PKEY* key = nullptr) {
    CertSpec spec = Spec(subject, next_serial_++);
    spec.extensions = {{"basicConstraints", "critical,CA:TRUE"}, {"keyUsage", "critical," + usage}};
    auto issued = sigverify::testing::Issue(spec, issuer, {}, key);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *std::move(issued);
  }

  // A certificate that signs CRLs only, named `subject`.
  Issued CrlSigner(const Rdns& subject, const Issued& issuer,
                   const std::string& usage = "cRLSign") {
    CertSpec spec = Spec(subject, next_serial_++);
    spec.extensions = {{"basicConstraints", "critical,CA:FALSE"},
                       {"keyUsage", "critical," + usage}};
    auto issued = sigverify::testing::Issue(spec, &issuer);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *std::move(issued);
  }

  crypto::CertificatePtr Leaf(const Issued& ca, long serial, const std::string& points) {
    CertSpec spec = Spec({{"C", "VN"}, {"CN", absl::StrCat("Signer test leaf ", serial)}}, serial);
    spec.not_before = now_ - absl::Hours(24);
    spec.extensions = {{"basicConstraints", "critical,CA:FALSE"},
                       {"keyUsage", "critical,digitalSignature,nonRepudiation"},
                       {"crlDistributionPoints", points}};
    auto issued = sigverify::testing::Issue(spec, &ca);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return AsCertificate(*issued);
  }

  // A CRL naming `by`'s subject, signed with `by`'s key.
  std::string Crl(const Issued& by, std::vector<CrlEntrySpec> entries,
                  std::vector<std::pair<std::string, std::string>> extensions = {}) {
    CrlSpec spec;
    spec.this_update = now_ - absl::Hours(1);
    spec.next_update = now_ + absl::Hours(23);
    spec.entries = std::move(entries);
    spec.extensions = std::move(extensions);
    spec.sections = kSections;
    auto der = sigverify::testing::IssueCrl(spec, by.cert.get(), by.key.get());
    EXPECT_TRUE(der.ok()) << der.status();
    return *der;
  }

  CrlEntrySpec Entry(long serial, Rdns certificate_issuer = {}) const {
    return {absl::StrCat(absl::Hex(serial)), now_ - absl::Hours(2), 1,
            std::move(certificate_issuer)};
  }

  // Validates `leaf` with `intermediates` and `crls` at hand, both roots
  // anchors under hard-fail.
  crypto::PathResult Validate(const crypto::CertificatePtr& leaf,
                              const std::vector<const Issued*>& intermediates,
                              const std::vector<std::string>& crls) {
    crypto::AnchorConfig anchor;
    anchor.revocation = crypto::RevocationRequirement::kHardFail;
    const crypto::CertificatePtr root = AsCertificate(root_);
    const crypto::CertificatePtr other = AsCertificate(other_root_);
    auto store = crypto::TrustStore::FromCertificates(
        {root, other}, {},
        crypto::TrustConfig{
            {}, {{root->fingerprint_hex(), anchor}, {other->fingerprint_hex(), anchor}}});
    EXPECT_TRUE(store.ok()) << store.status();
    crypto::PathValidator validator(*store, 16, nullptr, checker_);
    std::vector<crypto::CertificatePtr> chain;
    for (const Issued* i : intermediates) chain.push_back(AsCertificate(*i));
    std::vector<std::string_view> views(crls.begin(), crls.end());
    crypto::RevocationInputs inputs;
    inputs.crls = views;
    inputs.certificates = chain;
    return validator.Validate(leaf, chain, now_, *(*store)->FindPolicy("default"), inputs);
  }

  static std::vector<std::string> Names(const std::vector<crypto::CertificatePtr>& path) {
    std::vector<std::string> out;
    for (const auto& c : path) out.push_back(c->display_name());
    return out;
  }

  absl::Time now_;
  long next_serial_ = 0x100;
  Issued root_, other_root_;
  // One per test: a CRL at hand fills its cache for the URLs it covers.
  std::shared_ptr<CrlRevocationChecker> checker_;
};

// A CA whose key does not sign CRLs; a certificate of the same name, issued
// by the root, does.
TEST_F(CrlSignerTest, SeparateCrlSigningCertificate) {
  const Issued ca = Ca(kCa, &root_, "keyCertSign");
  const Issued signer = CrlSigner(kCa, root_);
  const crypto::CertificatePtr leaf = Leaf(ca, 0x7001, "dp_dirname");

  crypto::PathResult good = Validate(leaf, {&ca, &signer}, {Crl(signer, {Entry(0x9999)})});
  ASSERT_TRUE(good.ok()) << crypto::ReasonName(good.failed.reason);
  ASSERT_EQ(good.revocation.size(), 2u);
  EXPECT_EQ(good.revocation[0].state, crypto::RevocationEvidence::State::kGood);
  EXPECT_EQ(Names(good.revocation[0].crl_issuer_path),
            (std::vector<std::string>{"Signer Test CA", "Signer Test Root"}));
  EXPECT_EQ(good.revocation[0].crl_issuer_path[0]->fingerprint(),
            AsCertificate(signer)->fingerprint());

  crypto::PathResult revoked = Validate(leaf, {&ca, &signer}, {Crl(signer, {Entry(0x7001)})});
  EXPECT_EQ(revoked.sub_indication, Sub::kRevokedNoPoe);

  // Invalid: the signing certificate is not at hand; it may not sign CRLs;
  // it chains to another anchor; it is revoked by the root's CRL.
  EXPECT_EQ(Validate(leaf, {&ca}, {Crl(signer, {Entry(0x7001)})}).sub_indication, Sub::kTryLater);
  const Issued cannot = CrlSigner(kCa, root_, "digitalSignature");
  EXPECT_EQ(Validate(leaf, {&ca, &cannot}, {Crl(cannot, {})}).sub_indication, Sub::kTryLater);
  const Issued elsewhere = CrlSigner(kCa, other_root_);
  EXPECT_EQ(Validate(leaf, {&ca, &elsewhere}, {Crl(elsewhere, {})}).sub_indication, Sub::kTryLater);
  const CrlEntrySpec signer_entry = {AsCertificate(signer)->serial_hex(), now_ - absl::Hours(2)};
  crypto::PathResult signer_revoked =
      Validate(leaf, {&ca, &signer}, {Crl(signer, {}), Crl(root_, {signer_entry})});
  EXPECT_EQ(signer_revoked.sub_indication, Sub::kTryLater);
}

// A CRL another key signed, cached for the distribution point's URL,
// serves a later call only while that call's path vouches for its signer.
TEST_F(CrlSignerTest, ACachedCrlOfAnotherKeyServesOnlyWhileItsSignerIsVouchedFor) {
  const Issued ca = Ca(kCa, &root_, "keyCertSign");
  const Issued signer = CrlSigner(kCa, root_);
  const crypto::CertificatePtr leaf = Leaf(ca, 0x7401, "URI:http://127.0.0.1:1/separate.crl");
  ASSERT_TRUE(Validate(leaf, {&ca, &signer}, {Crl(signer, {})}).ok());
  // From the cache (the URL answers nothing), with the signer at hand.
  crypto::PathResult cached = Validate(leaf, {&ca, &signer}, {});
  ASSERT_TRUE(cached.ok()) << crypto::ReasonName(cached.failed.reason);
  EXPECT_TRUE(cached.revocation[0].from_cache);
  EXPECT_EQ(cached.revocation[0].crl_issuer_path.size(), 2u);
  // Without it, nobody vouches for the cached CRL's signer.
  crypto::PathResult unvouched = Validate(leaf, {&ca}, {});
  EXPECT_EQ(unvouched.sub_indication, Sub::kTryLater);
  ASSERT_FALSE(unvouched.failed.problems.empty());
  EXPECT_EQ(unvouched.failed.problems[0].reason, R::kCrlSignerUntrusted);
  EXPECT_EQ(unvouched.failed.problems[0].detail, "Signer Test CA");
}

// Rollover: the CA's new key signs CRLs for certificates issued under the
// old one (reached through the self-issued old-with-new link certificate,
// RFC 4210 4.4), and the old key, still certified, for certificates issued
// under the new one.
TEST_F(CrlSignerTest, KeyRolloverBothWays) {
  const Issued old_ca = Ca(kCa, &root_, "keyCertSign,cRLSign");
  const Issued new_ca = Ca(kCa, &root_, "keyCertSign,cRLSign");
  const Issued old_with_new = Ca(kCa, &new_ca, "keyCertSign,cRLSign", old_ca.key.get());
  const Issued new_with_old = Ca(kCa, &old_ca, "keyCertSign,cRLSign", new_ca.key.get());

  // Under the old key, through the link: the new key's CRL speaks.
  const crypto::CertificatePtr old_leaf = Leaf(old_ca, 0x7101, "dp_dirname");
  crypto::PathResult r =
      Validate(old_leaf, {&old_with_new, &new_ca}, {Crl(new_ca, {Entry(0x7101)})});
  EXPECT_EQ(r.sub_indication, Sub::kRevokedNoPoe) << crypto::ReasonName(r.failed.reason);
  r = Validate(old_leaf, {&old_with_new, &new_ca}, {Crl(new_ca, {})});
  ASSERT_TRUE(r.ok()) << crypto::ReasonName(r.failed.reason);
  EXPECT_EQ(Names(r.path), (std::vector<std::string>{"Signer test leaf 28929", "Signer Test CA",
                                                     "Signer Test CA", "Signer Test Root"}));
  EXPECT_EQ(r.revocation[0].crl_issuer_path.size(), 2u);  // the new key's certificate, the root
  EXPECT_TRUE(r.revocation[1].crl_issuer_path.empty());   // the link: its issuer's own CRL

  // Under the new key: the old key's CRL, while its certificate holds.
  const crypto::CertificatePtr new_leaf = Leaf(new_ca, 0x7102, "dp_dirname");
  r = Validate(new_leaf, {&new_ca, &old_ca}, {Crl(old_ca, {Entry(0x7102)})});
  EXPECT_EQ(r.sub_indication, Sub::kRevokedNoPoe) << crypto::ReasonName(r.failed.reason);
  r = Validate(new_leaf, {&new_ca, &old_ca}, {Crl(old_ca, {})});
  EXPECT_TRUE(r.ok()) << crypto::ReasonName(r.failed.reason);

  // Invalid: without a certificate for the other key, its CRL is nobody's.
  EXPECT_EQ(Validate(old_leaf, {&old_ca}, {Crl(new_ca, {Entry(0x7101)})}).sub_indication,
            Sub::kTryLater);
  // A key of the same name that no anchor certified (self-signed).
  const Issued stranger = Ca(kCa, nullptr, "keyCertSign,cRLSign");
  EXPECT_EQ(Validate(old_leaf, {&old_ca, &stranger}, {Crl(stranger, {})}).sub_indication,
            Sub::kTryLater);
  // A key certified only by the link the same key's CRL would have to
  // clear (new-with-old): its status rests on its own CRL, which is no
  // status; refused (fail closed), never passed.
  EXPECT_EQ(Validate(old_leaf, {&old_ca, &new_with_old}, {Crl(new_ca, {})}).sub_indication,
            Sub::kTryLater);
}

// An indirect CRL: the certificate's distribution point names another CRL
// issuer, whose CRL says indirectCRL and lists entries by certificateIssuer.
TEST_F(CrlSignerTest, IndirectCrlFromAnotherEntity) {
  const Issued ca = Ca(kCa, &root_, "keyCertSign,cRLSign");
  const Issued indirect = CrlSigner(kIndirect, root_);
  const crypto::CertificatePtr leaf = Leaf(ca, 0x7201, "dp_indirect");
  const std::vector<std::pair<std::string, std::string>> idp = {
      {"issuingDistributionPoint", "critical,@idp_indirect"}};

  // The same serial under another issuer is not this certificate.
  crypto::PathResult r =
      Validate(leaf, {&ca, &indirect}, {Crl(indirect, {Entry(0x7201, kIndirect)}, idp)});
  ASSERT_TRUE(r.ok()) << crypto::ReasonName(r.failed.reason);
  EXPECT_EQ(r.revocation[0].responder, "CN=Indirect CRL Issuer,C=VN");
  EXPECT_EQ(Names(r.revocation[0].crl_issuer_path),
            (std::vector<std::string>{"Indirect CRL Issuer", "Signer Test Root"}));
  r = Validate(leaf, {&ca, &indirect}, {Crl(indirect, {Entry(0x7201, kCa)}, idp)});
  EXPECT_EQ(r.sub_indication, Sub::kRevokedNoPoe);

  // Invalid: the CRL does not say it is indirect; its issuer's certificate
  // is not at hand; the CA's own CRL does not serve this point.
  EXPECT_EQ(Validate(leaf, {&ca, &indirect}, {Crl(indirect, {})}).sub_indication, Sub::kTryLater);
  EXPECT_EQ(Validate(leaf, {&ca}, {Crl(indirect, {}, idp)}).sub_indication, Sub::kTryLater);
  EXPECT_EQ(Validate(leaf, {&ca, &indirect}, {Crl(ca, {})}).sub_indication, Sub::kTryLater);
}

// The CA's own CRL, marked indirect, lists certificates of another issuer
// too: only entries of this CA's (the first ones, or certificateIssuer
// naming it again) count for its certificates.
TEST_F(CrlSignerTest, TheCasOwnIndirectCrl) {
  const Issued ca = Ca(kCa, &root_, "keyCertSign,cRLSign");
  const crypto::CertificatePtr leaf = Leaf(ca, 0x7301, "dp_dirname");
  const std::vector<std::pair<std::string, std::string>> idp = {
      {"issuingDistributionPoint", "critical,@idp_indirect"}};
  crypto::PathResult r =
      Validate(leaf, {&ca}, {Crl(ca, {Entry(0x1), Entry(0x7301, kIndirect)}, idp)});
  ASSERT_TRUE(r.ok()) << crypto::ReasonName(r.failed.reason);
  EXPECT_TRUE(r.revocation[0].crl_issuer_path.empty());  // the CA signed it
  r = Validate(leaf, {&ca}, {Crl(ca, {Entry(0x1, kIndirect), Entry(0x7301, kCa)}, idp)});
  EXPECT_EQ(r.sub_indication, Sub::kRevokedNoPoe);
  r = Validate(leaf, {&ca}, {Crl(ca, {Entry(0x7301)}, idp)});
  EXPECT_EQ(r.sub_indication, Sub::kRevokedNoPoe);
}

}  // namespace
}  // namespace sigverify::cache
