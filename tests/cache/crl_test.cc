// CRL validation and lookup (RFC 5280 5, 6.3) as a pure function of the
// bytes, the issuing CA and the time: each rule that makes a CRL unusable
// is broken once, and the index answers exactly for the serials listed.
#include "cache/crl.h"

#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "cache/source_error.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/pki/der_writer.h"
#include "tests/testing/issued_certificate.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;
using sigverify::testing::AsCertificate;
using sigverify::testing::CertSpec;
using sigverify::testing::CrlEntrySpec;
using sigverify::testing::CrlSpec;
using sigverify::testing::IssueCrl;
using sigverify::testing::Issued;

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);  // 2026-09-22

class CrlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = MakeCa("CRL Test CA", "critical,keyCertSign,cRLSign");
    other_ca_ = MakeCa("Other CA", "critical,keyCertSign,cRLSign");
    leaf_ = MakeLeaf(ca_, 0x3001, "URI:http://crl.example/ca.crl");
    sub_ca_ = MakeLeaf(ca_, 0x3003, "URI:http://crl.example/ca.crl", /*ca=*/true);
  }

  Issued MakeCa(const std::string& cn, const std::string& key_usage) {
    CertSpec spec;
    spec.subject = {{"C", "VN"}, {"CN", cn}};
    spec.not_before = kNow - absl::Hours(24 * 365);
    spec.not_after = kNow + absl::Hours(24 * 365);
    spec.extensions = {{"basicConstraints", "critical,CA:TRUE"}, {"keyUsage", key_usage}};
    auto issued = sigverify::testing::Issue(spec, nullptr);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *std::move(issued);
  }
  crypto::CertificatePtr MakeLeaf(const Issued& issuer, long serial, const std::string& cdp,
                                  bool ca = false) {
    CertSpec spec;
    spec.subject = {{"C", "VN"}, {"CN", absl::StrFormat("Serial %x", serial)}};
    spec.not_before = kNow - absl::Hours(24);
    spec.not_after = kNow + absl::Hours(24 * 30);
    spec.serial = serial;
    spec.extensions = {{"basicConstraints", ca ? "critical,CA:TRUE" : "critical,CA:FALSE"}};
    if (!cdp.empty()) spec.extensions.push_back({"crlDistributionPoints", cdp});
    auto issued = sigverify::testing::Issue(spec, &issuer);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return AsCertificate(*issued);
  }
  CrlSpec Spec(std::vector<CrlEntrySpec> entries = {}) {
    CrlSpec spec;
    spec.this_update = kNow - absl::Hours(1);
    spec.next_update = kNow + absl::Hours(23);
    spec.entries = std::move(entries);
    return spec;
  }
  absl::StatusOr<std::shared_ptr<const Crl>> Parse(const CrlSpec& spec, EVP_PKEY* key = nullptr,
                                                   const Issued* issuer = nullptr,
                                                   CrlCheck check = {kNow}) {
    const Issued& by = issuer ? *issuer : ca_;
    auto der = IssueCrl(spec, by.cert.get(), key ? key : by.key.get());
    EXPECT_TRUE(der.ok()) << der.status();
    return Crl::Parse(*der, *AsCertificate(ca_), check);
  }

  Issued ca_, other_ca_;
  crypto::CertificatePtr leaf_, sub_ca_;
};

TEST_F(CrlTest, FindsTheListedSerialWithItsTimeAndReasonAndNothingElse) {
  const absl::Time when = absl::FromUnixSeconds(1'789'000'000);
  auto crl = Parse(Spec({{"3001", when, 1}, {"77", when}}));
  ASSERT_TRUE(crl.ok()) << crl.status();
  EXPECT_TRUE((*crl)->Covers(*leaf_).ok());
  auto e = (*crl)->Find(*leaf_);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->revocation_time, when);
  EXPECT_EQ(e->reason, 1);  // keyCompromise
  EXPECT_FALSE((*crl)->Find(*sub_ca_).has_value());
  EXPECT_EQ((*crl)->size(), 2u);
  EXPECT_EQ((*crl)->number(), std::string("\x01", 1));
  EXPECT_NE((*crl)->issuer().find("CN=CRL Test CA"), std::string::npos);
}

TEST_F(CrlTest, RefusesAnotherKeyAnotherIssuerAndACaThatMayNotSignCrls) {
  auto forged = Parse(Spec(), other_ca_.key.get());
  EXPECT_EQ(ProblemOf(forged.status()).reason, R::kResponseSignatureInvalid) << forged.status();
  EXPECT_EQ(forged.status().code(), absl::StatusCode::kInvalidArgument);
  auto other = Parse(Spec(), nullptr, &other_ca_);
  EXPECT_EQ(ProblemOf(other.status()).reason, R::kCrlWrongIssuer) << other.status();
  EXPECT_NE(ProblemOf(other.status()).detail.find("CN=Other CA"), std::string::npos);

  Issued no_crl_sign = MakeCa("CRL Test CA", "critical,keyCertSign");
  auto der = IssueCrl(Spec(), no_crl_sign.cert.get(), no_crl_sign.key.get());
  ASSERT_TRUE(der.ok());
  auto refused = Crl::Parse(*der, *AsCertificate(no_crl_sign), {kNow});
  EXPECT_EQ(ProblemOf(refused.status()).reason, R::kCrlIssuerCannotSign) << refused.status();
}

TEST_F(CrlTest, RefusesStaleFutureAndOpenEndedCrls) {
  CrlSpec stale = Spec();
  stale.this_update = kNow - absl::Hours(48);
  stale.next_update = kNow - absl::Hours(1);
  EXPECT_EQ(Parse(stale).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProblemOf(Parse(stale).status()).reason, R::kResponseStale);
  EXPECT_EQ(ProblemOf(Parse(stale).status()).time, stale.next_update);
  // Within the skew is still fresh.
  stale.next_update = kNow - absl::Minutes(4);
  EXPECT_TRUE(Parse(stale).ok());

  CrlSpec future = Spec();
  future.this_update = kNow + absl::Hours(1);
  EXPECT_EQ(Parse(future).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProblemOf(Parse(future).status()).reason, R::kResponseNotYetValid);

  CrlSpec open_ended = Spec();
  open_ended.next_update = absl::InfinitePast();
  auto r = Parse(open_ended);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProblemOf(r.status()).reason, R::kCrlNoNextUpdate);
}

TEST_F(CrlTest, RefusesUnknownCriticalExtensionsOnTheCrlOrAnEntry) {
  CrlSpec on_crl = Spec();
  on_crl.extensions = {{"1.3.6.1.4.1.99999.1", "critical,DER:05:00"}};
  auto r = Parse(on_crl);
  EXPECT_EQ(ProblemOf(r.status()).reason, R::kResponseCriticalExtension);
  EXPECT_EQ(ProblemOf(r.status()).detail, "1.3.6.1.4.1.99999.1");
  // Not critical: ignored.
  on_crl.extensions = {{"1.3.6.1.4.1.99999.1", "DER:05:00"}};
  EXPECT_TRUE(Parse(on_crl).ok());

  CrlEntrySpec entry{"3001", kNow - absl::Hours(2)};
  entry.extensions = {{"1.3.6.1.4.1.99999.2", "critical,DER:05:00"}};
  r = Parse(Spec({entry}));
  EXPECT_EQ(ProblemOf(r.status()).reason, R::kResponseCriticalExtension);
  EXPECT_EQ(ProblemOf(r.status()).detail, "1.3.6.1.4.1.99999.2");
}

TEST_F(CrlTest, RefusesGarbageTrailingBytesAndTooManyEntries) {
  EXPECT_EQ(Crl::Parse("not a crl", *AsCertificate(ca_), {kNow}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto der = IssueCrl(Spec(), ca_.cert.get(), ca_.key.get());
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(Crl::Parse(*der + "x", *AsCertificate(ca_), {kNow}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Crl::Parse(der->substr(0, der->size() - 1), *AsCertificate(ca_), {kNow}).status().code(),
      absl::StatusCode::kInvalidArgument);
  CrlCheck small{kNow};
  small.max_entries = 2;
  auto r = Parse(Spec({{"1", kNow}, {"2", kNow}, {"3", kNow}}), nullptr, nullptr, small);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ProblemOf(r.status()).reason, R::kCrlTooLarge);
  EXPECT_EQ(ProblemOf(r.status()).limit, 2);
  EXPECT_EQ(ProblemOf(r.status()).actual, 3);
}

TEST_F(CrlTest, IssuingDistributionPointLimitsWhichCertificatesItCovers) {
  auto covers = [&](const std::string& idp, const crypto::Certificate& cert) {
    CrlSpec spec = Spec();
    spec.extensions = {{"issuingDistributionPoint", "critical,@idp"}};
    spec.sections = "[idp]\n" + idp;
    auto crl = Parse(spec);
    EXPECT_TRUE(crl.ok()) << crl.status();
    return crl.ok() ? (*crl)->Covers(cert) : crl.status();
  };
  EXPECT_TRUE(covers("onlyuser = TRUE\n", *leaf_).ok());
  EXPECT_EQ(covers("onlyuser = TRUE\n", *sub_ca_).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(covers("onlyCA = TRUE\n", *sub_ca_).ok());
  auto scope = [&](const std::string& idp, const crypto::Certificate& cert) {
    const crypto::SourceProblem p = ProblemOf(covers(idp, cert));
    EXPECT_EQ(p.reason, R::kCrlOutOfScope) << idp;
    return p.detail;
  };
  EXPECT_EQ(scope("onlyuser = TRUE\n", *sub_ca_), "onlyContainsUserCerts");
  EXPECT_EQ(scope("onlyCA = TRUE\n", *leaf_), "onlyContainsCACerts");
  EXPECT_EQ(scope("onlyAA = TRUE\n", *leaf_), "onlyContainsAttributeCerts");
  // Some reasons only: it speaks for the certificate, for those reasons.
  EXPECT_TRUE(covers("onlysomereasons = keyCompromise\n", *leaf_).ok());
  // A partitioned CRL: its distribution point must be one the certificate
  // names.
  EXPECT_TRUE(covers("fullname = URI:http://crl.example/ca.crl\n", *leaf_).ok());
  EXPECT_EQ(scope("fullname = URI:http://crl.example/part2.crl\n", *leaf_), "distributionPoint");
  crypto::CertificatePtr no_cdp = MakeLeaf(ca_, 0x3004, "");
  EXPECT_FALSE(covers("fullname = URI:http://crl.example/ca.crl\n", *no_cdp).ok());
  // A CRL of another issuer never covers.
  auto other_leaf = MakeLeaf(other_ca_, 0x3001, "URI:http://crl.example/ca.crl");
  auto crl = Parse(Spec());
  ASSERT_TRUE(crl.ok());
  EXPECT_FALSE((*crl)->Covers(*other_leaf).ok());
}

TEST_F(CrlTest, DeltaCrlEntriesWinAndRemoveFromCrlReleasesAHold) {
  // The base (number 5) holds 3001 and revokes 3003; the delta (number 6,
  // base 5) releases the hold and revokes 3005.
  const absl::Time t = kNow - absl::Hours(3);
  CrlSpec base_spec = Spec({{"3001", t, 6 /* certificateHold */}, {"3003", t, 1}});
  base_spec.number = 5;
  auto base = Parse(base_spec);
  ASSERT_TRUE(base.ok()) << base.status();
  CrlSpec delta_spec = Spec({{"3001", t, kRemoveFromCrl}, {"3005", t, 4}});
  delta_spec.number = 6;
  delta_spec.extensions = {{"deltaCRL", "critical,DER:02:01:05"}};
  auto delta = Parse(delta_spec);
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_TRUE((*delta)->is_delta());
  EXPECT_EQ((*delta)->base_number(), std::string("\x05", 1));
  ASSERT_TRUE(CheckDeltaFor(**delta, **base).ok());

  auto leaf_3005 = MakeLeaf(ca_, 0x3005, "URI:http://crl.example/ca.crl");
  EXPECT_TRUE((*base)->Find(*leaf_).has_value());
  EXPECT_FALSE(RevokedBy(**base, delta->get(), *leaf_).has_value());
  EXPECT_EQ(RevokedBy(**base, delta->get(), *sub_ca_)->reason, 1);
  EXPECT_EQ(RevokedBy(**base, delta->get(), *leaf_3005)->reason, 4);
  EXPECT_FALSE(RevokedBy(**base, nullptr, *leaf_3005).has_value());

  // A delta for a newer base, or one not newer than the base, is refused.
  delta_spec.extensions = {{"deltaCRL", "critical,DER:02:01:09"}};
  delta_spec.number = 10;
  EXPECT_FALSE(CheckDeltaFor(**Parse(delta_spec), **base).ok());
  delta_spec.extensions = {{"deltaCRL", "critical,DER:02:01:04"}};
  delta_spec.number = 5;
  EXPECT_FALSE(CheckDeltaFor(**Parse(delta_spec), **base).ok());
  // A complete CRL is not a delta.
  EXPECT_FALSE(CheckDeltaFor(**base, **base).ok());
  // A delta of another scope (user certificates only) is not this base's.
  delta_spec.extensions = {{"deltaCRL", "critical,DER:02:01:05"},
                           {"issuingDistributionPoint", "critical,@idp"}};
  delta_spec.sections = "[idp]\nonlyuser = TRUE\n";
  delta_spec.number = 6;
  absl::Status other_scope = CheckDeltaFor(**Parse(delta_spec), **base);
  EXPECT_EQ(ProblemOf(other_scope).reason, R::kDeltaCrlMismatch) << other_scope;
  EXPECT_EQ(ProblemOf(other_scope).detail, "issuingDistributionPoint");
}

TEST_F(CrlTest, IndirectCrlEntriesBelongToTheIssuerTheyName) {
  // An indirect CRL of this CA lists 3001 of "Other CA" (certificateIssuer)
  // and, after an entry naming this CA again, 3003 of this CA.
  CrlSpec spec = Spec({{"3001", kNow - absl::Hours(2), 1, {{"C", "VN"}, {"CN", "Other CA"}}},
                       {"3003", kNow - absl::Hours(2), 1, {{"C", "VN"}, {"CN", "CRL Test CA"}}}});
  spec.extensions = {{"issuingDistributionPoint", "critical,@idp"}};
  spec.sections = "[idp]\nindirectCRL = TRUE\n";
  auto crl = Parse(spec);
  ASSERT_TRUE(crl.ok()) << crl.status();
  EXPECT_FALSE((*crl)->Find(*leaf_).has_value());  // 3001 of this CA: not listed
  EXPECT_TRUE((*crl)->Find(*sub_ca_).has_value());
  auto other_leaf = MakeLeaf(other_ca_, 0x3001, "");
  EXPECT_TRUE((*crl)->Find(*other_leaf).has_value());

  // certificateIssuer in a CRL that is not indirect is malformed.
  spec.extensions.clear();
  spec.sections.clear();
  EXPECT_EQ(Parse(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CrlTest, TheIndexFindsEveryListedSerialAmongTenThousand) {
  std::mt19937_64 rng(42);
  std::vector<CrlEntrySpec> entries;
  std::vector<std::string> listed;
  for (int i = 0; i < 10000; ++i) {
    // 20-byte serials, as CAs issue them (RFC 5280 4.1.2.2), top bit clear.
    std::string hex = absl::StrFormat("%016x%016x%08x", rng() >> 1, rng(), rng() & 0xffffffff);
    listed.push_back(hex);
    entries.push_back({hex, kNow - absl::Seconds(i), i % 4});
  }
  entries.push_back({"3001", kNow - absl::Hours(1), 5});
  auto crl = Parse(Spec(entries));
  ASSERT_TRUE(crl.ok()) << crl.status();
  EXPECT_EQ((*crl)->size(), 10001u);
  const X509_NAME* issuer = X509_get_subject_name(ca_.cert.get());
  for (size_t i = 0; i < listed.size(); ++i) {
    std::string serial = absl::HexStringToBytes(listed[i]);
    serial.erase(0, serial.find_first_not_of('\0'));  // as DER's minimal encoding has it
    auto found = (*crl)->FindSerial(serial, issuer);
    ASSERT_TRUE(found.has_value()) << listed[i];
    EXPECT_EQ(found->reason, static_cast<int>(i % 4));
    EXPECT_EQ(found->revocation_time, kNow - absl::Seconds(static_cast<int64_t>(i)));
    serial.back() ^= 1;  // a neighbour serial is not listed (in this run: checked below)
    if (std::find(listed.begin(), listed.end(), absl::BytesToHexString(serial)) == listed.end()) {
      EXPECT_FALSE((*crl)->FindSerial(serial, issuer).has_value());
    }
  }
  auto e = (*crl)->Find(*leaf_);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, 5);
  EXPECT_FALSE((*crl)->Find(*sub_ca_).has_value());
  EXPECT_GE((*crl)->index_bytes(), 10001u * 16);
}

// The entries are read in place, apart from the decoding of the rest: the
// signature still covers them, and one malformed entry refuses the CRL
// however well it is signed.
TEST_F(CrlTest, EntriesAreCoveredByTheSignatureAndCheckedEvenWhenSigned) {
  auto der = IssueCrl(Spec({{"3001", kNow - absl::Hours(2), 1}}), ca_.cert.get(), ca_.key.get());
  ASSERT_TRUE(der.ok());
  std::string altered = *der;
  const size_t serial_at = altered.find(std::string("\x02\x02\x30\x01", 4));
  ASSERT_NE(serial_at, std::string::npos);
  altered[serial_at + 3] = '\x02';  // 3001 -> 3002: still DER, no longer signed
  auto forged = Crl::Parse(altered, *AsCertificate(ca_), {kNow});
  EXPECT_EQ(ProblemOf(forged.status()).reason, R::kResponseSignatureInvalid) << forged.status();

  using testing::IntegerHex;
  using testing::Seq;
  using testing::UtcTime;
  const X509_NAME* name = X509_get_subject_name(ca_.cert.get());
  auto signed_list = [&](const std::string& revoked) {
    auto der = testing::SignedCertificateList(name, UtcTime("260921000000Z"),
                                              UtcTime("260923000000Z"), revoked, "", ca_.key.get());
    EXPECT_TRUE(der.ok()) << der.status();
    return Crl::Parse(*der, *AsCertificate(ca_), {kNow});
  };
  auto good = signed_list(Seq({IntegerHex("3001"), UtcTime("260920000000Z")}));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE((*good)->Find(*leaf_).has_value());
  auto bad = signed_list(Seq({IntegerHex("3001"), UtcTime("260920000000Z")}) +
                         Seq({IntegerHex("003002"), UtcTime("260920000000Z")}));
  EXPECT_EQ(ProblemOf(bad.status()).reason, R::kResponseMalformed) << bad.status();
  EXPECT_EQ(ProblemOf(bad.status()).detail, "userCertificate");
}

// Serials are positive (RFC 5280 4.1.2.2), but a CA that listed a negative
// one revoked that certificate, not the positive one of the same magnitude.
TEST_F(CrlTest, ANegativeSerialIsListedWithItsSign) {
  using testing::IntegerHex;
  using testing::Seq;
  using testing::UtcTime;
  const std::string revoked = Seq({IntegerHex("85"), UtcTime("260920000000Z")}) +
                              Seq({IntegerHex("0080"), UtcTime("260920010000Z")}) +
                              Seq({IntegerHex("00"), UtcTime("260920020000Z")});
  auto der = testing::SignedCertificateList(X509_get_subject_name(ca_.cert.get()),
                                            UtcTime("260921000000Z"), UtcTime("260923000000Z"),
                                            revoked, "", ca_.key.get());
  ASSERT_TRUE(der.ok());
  auto crl = Crl::Parse(*der, *AsCertificate(ca_), {kNow});
  ASSERT_TRUE(crl.ok()) << crl.status();
  const X509_NAME* issuer = X509_get_subject_name(ca_.cert.get());
  EXPECT_TRUE((*crl)->FindSerial("\x7b", issuer, /*negative=*/true).has_value());
  EXPECT_FALSE((*crl)->FindSerial("\x7b", issuer, /*negative=*/false).has_value());
  auto e = (*crl)->FindSerial("\x80", issuer);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->revocation_time, absl::FromUnixSeconds(1'789'866'000));  // 2026-09-20T01:00Z
  EXPECT_FALSE((*crl)->FindSerial("\x80", issuer, /*negative=*/true).has_value());
  EXPECT_TRUE((*crl)->FindSerial(std::string(1, '\0'), issuer).has_value());  // zero
  EXPECT_TRUE((*crl)->FindSerial("", issuer).has_value());
}

}  // namespace
}  // namespace sigverify::cache
