// Which CRL speaks for which certificate (RFC 5280 6.3.3 (b)), and what a
// declared CRL source without a usable CRL means (never "no source"):
//   - a distribution point naming a cRLIssuer is served by that issuer's
//     indirect CRL only, not by the CA's own CRL (the probe's false pass);
//   - a distribution point of any form (a directory name, a cRLIssuer only)
//     is a declared source: without a CRL that covers the certificate the
//     status is unavailable;
//   - a CRL of the certificate's issuer at hand that cannot be used makes
//     the status unavailable, not absent; one that says revoked always wins.
// Ends with a property test: over random combinations of certificate
// shapes and CRLs at hand, "good" is answered only when a valid CRL that
// covers the certificate says so.
#include <random>

#include "absl/strings/str_cat.h"
#include "cache/crl.h"
#include "cache/crl_revocation_checker.h"
#include "cache/source_error.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/testing/issued_certificate.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;
using State = crypto::RevocationEvidence::State;
using sigverify::testing::AsCertificate;
using sigverify::testing::CertSpec;
using sigverify::testing::CrlEntrySpec;
using sigverify::testing::CrlSpec;
using sigverify::testing::Issued;

// The ways a certificate names (or does not name) its CRL.
enum class Points {
  kNone,           // no CRLDistributionPoints
  kUnreachable,    // an http URL no server answers
  kDirName,        // a directory name only
  kCrlIssuer,      // a URL, served by another CRL issuer (cRLIssuer)
  kCrlIssuerOnly,  // a cRLIssuer and no name
  kRelative,       // a name relative to the CRL issuer (here the CA)
  // Not in kAllPoints (the property test's oracle knows no reasons):
  kSomeReasons,  // a directory name for keyCompromise and cACompromise only
  kSplitReasons  // that one, and a second for all the other reasons
};

constexpr Points kAllPoints[] = {Points::kNone,      Points::kUnreachable,   Points::kDirName,
                                 Points::kCrlIssuer, Points::kCrlIssuerOnly, Points::kRelative};

// Where a distribution point's names come from, in OpenSSL's syntax.
constexpr char kSections[] =
    "[dp_dirname]\nfullname = dirName:dp_dn\n"
    "[dp_dn]\nC = VN\nO = sigverify scope tests\nCN = CRL partition 1\n"
    "[dp_crlissuer]\nfullname = URI:http://127.0.0.1:1/indirect.crl\nCRLissuer = dirName:other_dn\n"
    "[dp_crlissuer_only]\nCRLissuer = dirName:other_dn\n"
    "[other_dn]\nC = VN\nCN = Other CRL Issuer\n"
    "[idp_elsewhere]\nfullname = URI:http://elsewhere.invalid/x.crl\n"
    "[dp_relative]\nrelativename = partition_3\n"
    "[dp_relative_4]\nrelativename = partition_4\n"
    "[partition_3]\nCN = Partition 3\n"
    "[partition_4]\nCN = Partition 4\n"
    "[idp_relative]\nrelativename = partition_3\n"
    "[dp_key_reasons]\nfullname = dirName:dp_dn\nreasons = keyCompromise, CACompromise\n"
    "[dp_rest_reasons]\nfullname = dirName:dp_dn\nreasons = affiliationChanged, superseded, "
    "cessationOfOperation, certificateHold, privilegeWithdrawn, AACompromise\n"
    "[idp_key]\nonlysomereasons = keyCompromise, CACompromise\n"
    "[idp_rest]\nonlysomereasons = affiliationChanged, superseded, cessationOfOperation, "
    "certificateHold, privilegeWithdrawn, AACompromise\n"
    "[idp_full_3]\nfullname = dirName:full_3\n"
    "[full_3]\nC = VN\nO = sigverify scope tests\n1.CN = Scope CA\n2.CN = Partition 3\n";

class CrlScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = absl::Now();
    CertSpec ca;
    ca.subject = {{"C", "VN"}, {"O", "sigverify scope tests"}, {"CN", "Scope CA"}};
    ca.not_before = now_ - absl::Hours(24 * 30);
    ca.not_after = now_ + absl::Hours(24 * 365);
    ca.extensions = {{"basicConstraints", "critical,CA:TRUE"},
                     {"keyUsage", "critical,keyCertSign,cRLSign"}};
    ca_ = *sigverify::testing::Issue(ca, nullptr);
    ca_cert_ = AsCertificate(ca_);
    ca.subject = {{"C", "VN"}, {"CN", "Other CRL Issuer"}};
    other_ = *sigverify::testing::Issue(ca, nullptr);
  }

  crypto::CertificatePtr Leaf(Points points, long serial = 0x4001) {
    CertSpec spec;
    spec.subject = {{"C", "VN"}, {"CN", absl::StrCat("Scope leaf ", serial)}};
    spec.not_before = now_ - absl::Hours(24);
    spec.not_after = now_ + absl::Hours(24 * 30);
    spec.serial = serial;
    spec.extensions = {{"basicConstraints", "critical,CA:FALSE"},
                       {"keyUsage", "critical,digitalSignature,nonRepudiation"}};
    spec.sections = kSections;
    switch (points) {
      case Points::kNone:
        break;
      case Points::kUnreachable:
        spec.extensions.push_back({"crlDistributionPoints", "URI:http://127.0.0.1:1/ca.crl"});
        break;
      case Points::kDirName:
        spec.extensions.push_back({"crlDistributionPoints", "dp_dirname"});
        break;
      case Points::kCrlIssuer:
        spec.extensions.push_back({"crlDistributionPoints", "dp_crlissuer"});
        break;
      case Points::kCrlIssuerOnly:
        spec.extensions.push_back({"crlDistributionPoints", "dp_crlissuer_only"});
        break;
      case Points::kRelative:
        spec.extensions.push_back({"crlDistributionPoints", "dp_relative"});
        break;
      case Points::kSomeReasons:
        spec.extensions.push_back({"crlDistributionPoints", "dp_key_reasons"});
        break;
      case Points::kSplitReasons:
        spec.extensions.push_back({"crlDistributionPoints", "dp_key_reasons, dp_rest_reasons"});
        break;
    }
    auto issued = sigverify::testing::Issue(spec, &ca_);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return AsCertificate(*issued);
  }

  // A CRL signed by the CA (by `signer` when given, under its own name),
  // fresh unless `stale`, listing `revoked` serials.
  std::string IssueCrl(std::vector<std::string> revoked, bool stale = false,
                       std::vector<std::pair<std::string, std::string>> extensions = {},
                       const Issued* signer = nullptr) {
    CrlSpec spec;
    spec.this_update = now_ - absl::Hours(stale ? 48 : 1);
    spec.next_update = now_ + (stale ? -absl::Hours(24) : absl::Hours(23));
    for (const std::string& serial : revoked) {
      spec.entries.push_back({serial, now_ - absl::Hours(2), 1});
    }
    spec.extensions = std::move(extensions);
    spec.sections = kSections;
    const Issued& by = signer != nullptr ? *signer : ca_;
    auto der = sigverify::testing::IssueCrl(spec, by.cert.get(), by.key.get());
    EXPECT_TRUE(der.ok()) << der.status();
    return *der;
  }

  std::shared_ptr<const Crl> Parse(const std::string& der) {
    auto crl = Crl::Parse(der, *ca_cert_, {absl::Now()});
    EXPECT_TRUE(crl.ok()) << crl.status();
    return crl.ok() ? *crl : nullptr;
  }

  static std::shared_ptr<CrlRevocationChecker> Checker() {
    CrlRevocationChecker::Options o;
    o.limits.total_timeout = absl::Seconds(2);
    return std::make_shared<CrlRevocationChecker>(std::move(o));
  }

  crypto::RevocationEvidence Check(const CrlRevocationChecker& checker,
                                   const crypto::CertificatePtr& leaf,
                                   const std::vector<std::string>& crls) {
    std::vector<std::string_view> views(crls.begin(), crls.end());
    crypto::RevocationInputs inputs;
    inputs.crls = views;
    return checker.Check(leaf, ca_cert_, inputs);
  }

  absl::Time now_;
  Issued ca_, other_;
  crypto::CertificatePtr ca_cert_;
};

std::string ScopeRule(const absl::Status& s) {
  const crypto::SourceProblem p = ProblemOf(s);
  return p.reason == R::kCrlOutOfScope ? p.detail : std::string(crypto::ReasonName(p.reason));
}

// The probe's false pass: the CA's own CRL is not the CRL of a distribution
// point that names another CRL issuer (6.3.3 (b)(1)).
TEST_F(CrlScopeTest, ADistributionPointNamingACrlIssuerIsNotServedByTheCasOwnCrl) {
  auto crl = Parse(IssueCrl({}));
  ASSERT_NE(crl, nullptr);
  EXPECT_EQ(ScopeRule(crl->Covers(*Leaf(Points::kCrlIssuer))), "cRLIssuer");
  EXPECT_EQ(ScopeRule(crl->Covers(*Leaf(Points::kCrlIssuerOnly))), "cRLIssuer");
  // The CA's complete CRL does serve its plain distribution points.
  EXPECT_TRUE(crl->Covers(*Leaf(Points::kUnreachable)).ok());
  EXPECT_TRUE(crl->Covers(*Leaf(Points::kDirName)).ok());
  EXPECT_TRUE(crl->Covers(*Leaf(Points::kNone)).ok());
}

// 6.3.3 (b)(2)(i): a CRL for one distribution point (its IDP names it)
// serves the certificates that name that point, and no others.
TEST_F(CrlScopeTest, ACrlForOneDistributionPointServesTheCertificatesNamingIt) {
  auto partition =
      Parse(IssueCrl({}, false, {{"issuingDistributionPoint", "critical,@dp_dirname"}}));
  ASSERT_NE(partition, nullptr);
  EXPECT_TRUE(partition->Covers(*Leaf(Points::kDirName)).ok());
  EXPECT_EQ(ScopeRule(partition->Covers(*Leaf(Points::kUnreachable))), "distributionPoint");
  EXPECT_EQ(ScopeRule(partition->Covers(*Leaf(Points::kNone))), "distributionPoint");
}

// 6.3.3 (b)(2): a name relative to the CRL issuer stands for the issuer's
// name with that RDN appended, on either side: the certificate's point
// and the CRL's issuing distribution point, whichever form each takes.
TEST_F(CrlScopeTest, ANameRelativeToTheCrlIssuerIsMatchedAsTheNameItStandsFor) {
  const crypto::CertificatePtr partition_3 = Leaf(Points::kRelative);
  CertSpec spec;
  spec.subject = {{"C", "VN"}, {"CN", "Scope leaf in partition 4"}};
  spec.not_before = now_ - absl::Hours(24);
  spec.not_after = now_ + absl::Hours(24 * 30);
  spec.serial = 0x4444;
  spec.sections = kSections;
  spec.extensions = {{"crlDistributionPoints", "dp_relative_4"}};
  const crypto::CertificatePtr partition_4 = AsCertificate(*sigverify::testing::Issue(spec, &ca_));

  for (const char* idp : {"critical,@idp_relative", "critical,@idp_full_3"}) {
    SCOPED_TRACE(idp);
    auto crl = Parse(IssueCrl({}, false, {{"issuingDistributionPoint", idp}}));
    ASSERT_NE(crl, nullptr);
    EXPECT_TRUE(crl->Covers(*partition_3).ok());
    EXPECT_EQ(ScopeRule(crl->Covers(*partition_4)), "distributionPoint");
    EXPECT_EQ(ScopeRule(crl->Covers(*Leaf(Points::kDirName))), "distributionPoint");
  }
  // Through the checker: the partition's CRL at hand says revoked; without
  // it the declared point is a source without a status.
  auto checker = Checker();
  const std::string revoking =
      IssueCrl({"4001"}, false, {{"issuingDistributionPoint", "critical,@idp_relative"}});
  EXPECT_EQ(Check(*checker, partition_3, {revoking}).state, State::kRevoked);
  const crypto::RevocationEvidence none = Check(*Checker(), partition_4, {revoking});
  EXPECT_EQ(none.state, State::kUnavailable);
}

// 6.3.3 (d): CRLs partitioned by reason are combined until every reason is
// covered; with one missing the status is not "good"; an entry in any of
// them revokes, even for a reason outside that CRL's own scope.
TEST_F(CrlScopeTest, CrlsPartitionedByReasonAreCombinedUntilAllReasonsAreCovered) {
  const crypto::CertificatePtr leaf = Leaf(Points::kDirName);
  const std::vector<std::pair<std::string, std::string>> key = {
      {"issuingDistributionPoint", "critical,@idp_key"}};
  const std::vector<std::pair<std::string, std::string>> rest = {
      {"issuingDistributionPoint", "critical,@idp_rest"}};
  auto crl = Parse(IssueCrl({}, false, key));
  ASSERT_NE(crl, nullptr);
  EXPECT_EQ(crl->reasons(), (1 << 1) | (1 << 2));

  crypto::RevocationEvidence one = Check(*Checker(), leaf, {IssueCrl({}, false, key)});
  EXPECT_EQ(one.state, State::kUnavailable);
  ASSERT_FALSE(one.problems.empty());
  EXPECT_EQ(one.problems[0].detail, "onlySomeReasons");
  // The same reasons twice still leave the others uncovered.
  EXPECT_EQ(Check(*Checker(), leaf, {IssueCrl({}, false, key), IssueCrl({}, false, key)}).state,
            State::kUnavailable);

  crypto::RevocationEvidence both =
      Check(*Checker(), leaf, {IssueCrl({}, false, key), IssueCrl({}, false, rest)});
  EXPECT_EQ(both.state, State::kGood);
  EXPECT_EQ(both.responses.size(), 2u);
  // A complete CRL wins over partitions.
  EXPECT_EQ(Check(*Checker(), leaf, {IssueCrl({}, false, key), IssueCrl({"4001"})}).state,
            State::kRevoked);
  // Listed by one partition (its reason outside that partition's scope),
  // with or without the other: revoked.
  EXPECT_EQ(Check(*Checker(), leaf, {IssueCrl({"4001"}, false, rest)}).state, State::kRevoked);
  EXPECT_EQ(
      Check(*Checker(), leaf, {IssueCrl({}, false, key), IssueCrl({"4001"}, false, rest)}).state,
      State::kRevoked);
}

// A distribution point's own reasons field (6.3.3 (d)): its CRL covers
// the certificate for those reasons only, whatever the CRL covers itself;
// a CRL serving several points covers the union of theirs.
TEST_F(CrlScopeTest, ADistributionPointsReasonsLimitWhatItsCrlCovers) {
  const crypto::CertificatePtr some = Leaf(Points::kSomeReasons);
  ASSERT_EQ(some->urls().crl_points.size(), 1u);
  EXPECT_EQ(some->urls().crl_points[0].reasons, (1 << 1) | (1 << 2));
  auto complete = Parse(IssueCrl({}));
  ASSERT_NE(complete, nullptr);
  EXPECT_EQ(*complete->Scope(*some), (1 << 1) | (1 << 2));

  crypto::RevocationEvidence e = Check(*Checker(), some, {IssueCrl({})});
  EXPECT_EQ(e.state, State::kUnavailable);
  ASSERT_FALSE(e.problems.empty());
  EXPECT_EQ(e.problems[0].detail, "onlySomeReasons");
  EXPECT_EQ(Check(*Checker(), some, {IssueCrl({"4001"})}).state, State::kRevoked);

  const crypto::CertificatePtr split = Leaf(Points::kSplitReasons);
  EXPECT_EQ(*complete->Scope(*split), kAllReasons);
  EXPECT_EQ(Check(*Checker(), split, {IssueCrl({})}).state, State::kGood);
  // A CRL of keyCompromise and cACompromise only serves both points for
  // those two reasons: not enough for "good".
  const std::vector<std::pair<std::string, std::string>> key = {
      {"issuingDistributionPoint", "critical,@idp_key"}};
  EXPECT_EQ(Check(*Checker(), split, {IssueCrl({}, false, key)}).state, State::kUnavailable);
  const std::vector<std::pair<std::string, std::string>> rest = {
      {"issuingDistributionPoint", "critical,@idp_rest"}};
  EXPECT_EQ(Check(*Checker(), split, {IssueCrl({}, false, key), IssueCrl({}, false, rest)}).state,
            State::kGood);
}

// A delta CRL that cannot be merged with the base at hand (it is for a
// newer base) cannot answer "good", but its entry says revoked: a valid
// CRL at hand that lists the certificate is never outweighed.
TEST_F(CrlScopeTest, ADeltaForAnotherBaseThatListsTheCertificateRevokesIt) {
  const crypto::CertificatePtr leaf = Leaf(Points::kNone);
  const std::vector<std::pair<std::string, std::string>> for_base_9 = {
      {"deltaCRL", "critical,DER:02:01:09"}};
  const std::string base = IssueCrl({});
  EXPECT_EQ(Check(*Checker(), leaf, {base}).state, State::kGood);
  crypto::RevocationEvidence e =
      Check(*Checker(), leaf, {base, IssueCrl({"4001"}, false, for_base_9)});
  EXPECT_EQ(e.state, State::kRevoked);
  EXPECT_EQ(e.source, "stapled_crl");
  EXPECT_EQ(Check(*Checker(), leaf, {IssueCrl({"4001"}, false, for_base_9)}).state,
            State::kRevoked);
  // Listing another certificate, it changes nothing; alone, it is no base
  // but a source without a status (not "no source").
  EXPECT_EQ(Check(*Checker(), leaf, {base, IssueCrl({"4002"}, false, for_base_9)}).state,
            State::kGood);
  e = Check(*Checker(), leaf, {IssueCrl({"4002"}, false, for_base_9)});
  EXPECT_EQ(e.state, State::kUnavailable);
  ASSERT_EQ(e.problems.size(), 1u);
  EXPECT_EQ(e.problems[0].reason, R::kCrlIsDelta);
  EXPECT_EQ(e.problems[0].location, "crls[0]");
}

// A distribution point of any form is a declared source: without a CRL
// that covers the certificate the status is unavailable (INDETERMINATE
// under the default hard-fail), and the problem says why.
TEST_F(CrlScopeTest, ADistributionPointWithoutAUrlIsADeclaredSource) {
  auto checker = Checker();
  for (Points points : {Points::kDirName, Points::kCrlIssuerOnly}) {
    const crypto::RevocationEvidence e = Check(*checker, Leaf(points), {});
    EXPECT_EQ(e.state, State::kUnavailable);
    ASSERT_FALSE(e.problems.empty());
    EXPECT_EQ(e.problems.back().reason, R::kCrlNotFetchable);
    EXPECT_EQ(e.problems.back().detail,
              points == Points::kDirName ? "directoryName" : "cRLIssuer only");
  }
  // Through path validation with the default requirement.
  crypto::AnchorConfig anchor;
  anchor.revocation = crypto::RevocationRequirement::kHardFail;
  auto store = crypto::TrustStore::FromCertificates(
      {ca_cert_}, {}, crypto::TrustConfig{{}, {{ca_cert_->fingerprint_hex(), anchor}}});
  ASSERT_TRUE(store.ok()) << store.status();
  crypto::PathValidator validator(*store, 16, nullptr, checker);
  const crypto::ValidationPolicy& policy = *(*store)->FindPolicy("default");
  const crypto::CertificatePtr leaf = Leaf(Points::kDirName);
  crypto::PathResult r = validator.Validate(leaf, {}, absl::Now(), policy);
  EXPECT_EQ(r.sub_indication, crypto::SubIndication::kTryLater);
  // The CRL of that point, at hand: the status is read from it.
  const std::string revoking = IssueCrl({"4001"});
  const std::vector<std::string_view> crls = {revoking};
  r = validator.Validate(leaf, {}, absl::Now(), policy, crypto::RevocationInputs{{}, crls});
  EXPECT_EQ(r.sub_indication, crypto::SubIndication::kRevokedNoPoe);
}

// A CRL of the certificate's issuer at hand that cannot be used (stale,
// out of scope, badly signed) is a source without a status, not no source;
// a CRL of another issuer is simply not this certificate's.
TEST_F(CrlScopeTest, AnUnusableCrlOfTheIssuerAtHandIsNotNoSource) {
  auto checker = Checker();
  const crypto::CertificatePtr leaf = Leaf(Points::kNone);
  EXPECT_EQ(Check(*checker, leaf, {}).state, State::kNoSource);
  EXPECT_EQ(Check(*checker, leaf, {IssueCrl({}, false, {}, &other_)}).state, State::kNoSource);

  crypto::RevocationEvidence stale = Check(*checker, leaf, {IssueCrl({"4001"}, true)});
  EXPECT_EQ(stale.state, State::kUnavailable);
  ASSERT_EQ(stale.problems.size(), 1u);
  EXPECT_EQ(stale.problems[0].reason, R::kResponseStale);
  EXPECT_EQ(stale.problems[0].location, "crls[0]");

  const std::string partition =
      IssueCrl({"4001"}, false, {{"issuingDistributionPoint", "critical,@dp_dirname"}});
  crypto::RevocationEvidence other_scope = Check(*checker, leaf, {partition});
  EXPECT_EQ(other_scope.state, State::kUnavailable);
  ASSERT_EQ(other_scope.problems.size(), 1u);
  EXPECT_EQ(other_scope.problems[0].reason, R::kCrlOutOfScope);

  // Beside an unusable one, a valid CRL that lists it: revoked.
  EXPECT_EQ(Check(*checker, leaf, {IssueCrl({}, true), IssueCrl({"4001"})}).state, State::kRevoked);
}

// For random combinations of a certificate's distribution points and the
// CRLs at hand (none, the CA's valid one, a stale one, another issuer's, one
// for another distribution point), the status is "good" only when a valid
// CRL that covers the certificate is at hand and does not list it; "revoked"
// whenever such a CRL lists it; "no source" only when the certificate
// declares nothing and no CRL of its issuer is at hand. (The distribution
// point URL answers nothing, so nothing but the CRLs at hand can speak.)
TEST_F(CrlScopeTest, GoodOnlyWhenACoveringValidCrlSaysSo) {
  std::mt19937 rng(20261205);
  enum Kind { kValid, kStale, kOtherIssuer, kOtherScope, kSomeReasons, kKinds };
  int checked = 0;
  for (int round = 0; round < 60; ++round) {
    const Points points = kAllPoints[rng() % std::size(kAllPoints)];
    const bool revoked = rng() % 2 == 0;
    const long serial = 0x5000 + round;
    const crypto::CertificatePtr leaf = Leaf(points, serial);
    const std::string listed = revoked ? absl::StrCat(absl::Hex(serial)) : "9999";
    std::vector<std::string> crls;
    bool covering_valid = false, of_issuer = false;
    const int count = static_cast<int>(rng() % 3);
    for (int i = 0; i < count; ++i) {
      switch (static_cast<Kind>(rng() % kKinds)) {
        case kValid:
          crls.push_back(IssueCrl({listed}));
          // The CA's own complete CRL covers every point but a cRLIssuer's.
          covering_valid =
              covering_valid || (points != Points::kCrlIssuer && points != Points::kCrlIssuerOnly);
          of_issuer = true;
          break;
        case kStale:
          crls.push_back(IssueCrl({listed}, true));
          of_issuer = true;
          break;
        case kOtherIssuer:
          crls.push_back(IssueCrl({listed}, false, {}, &other_));
          break;
        case kSomeReasons:  // never enough alone
          crls.push_back(
              IssueCrl({listed}, false, {{"issuingDistributionPoint", "critical,@idp_key"}}));
          of_issuer = true;
          break;
        case kOtherScope:
          crls.push_back(
              IssueCrl({listed}, false, {{"issuingDistributionPoint", "critical,@idp_elsewhere"}}));
          of_issuer = true;
          break;
        case kKinds:
          break;
      }
    }
    // A checker of its own each round: a CRL at hand fills the cache for the
    // distribution points it covers, a valid source for later rounds.
    const crypto::RevocationEvidence e = Check(*Checker(), leaf, crls);
    SCOPED_TRACE(absl::StrCat("round ", round, ": points ", static_cast<int>(points), ", ",
                              crls.size(), " CRLs, revoked ", revoked));
    if (e.state == State::kGood) {
      EXPECT_TRUE(covering_valid && !revoked);
    }
    if (covering_valid) {
      EXPECT_EQ(e.state, revoked ? State::kRevoked : State::kGood);
    }
    if (e.state == State::kNoSource) {
      EXPECT_TRUE(points == Points::kNone && !of_issuer);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 60);
}

}  // namespace
}  // namespace sigverify::cache
