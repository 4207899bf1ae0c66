// CMS signatures and RFC 3161 timestamps (crypto/cms), made by independent
// tools: `openssl cms -sign` for the signatures, `openssl ts` as a TSA, and
// OpenSSL's TS responder with a chosen time (tests/pki/cms_factory.h) for
// timestamps in the past. Every verdict that `openssl cms -verify` can give
// too is cross-checked with it.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "crypto/cms/format_error.h"
#include "crypto/cms/signature_validation.h"
#include "crypto/cms/signed_data.h"
#include "crypto/message_catalog.h"
#include "crypto/trust_store.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/cms_factory.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto::cms {
namespace {

using sigverify::testing::PkiFile;
using sigverify::testing::ReadFile;
using sigverify::testing::TestPkiDir;

CertificatePtr PkiCertificate(const std::string& name) {
  auto c = Certificate::Parse(PkiFile(name));
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

class CmsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = TrustStore::FromCertificates({PkiCertificate("root.pem")});
    ASSERT_TRUE(store.ok());
    paths_ = std::make_unique<PathValidator>(*store, 64);
    char tmpl[] = "/tmp/sigverify-cms-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    content_ = PkiFile("sample.txt");
    ASSERT_TRUE(sigverify::testing::WriteFile(dir_ + "/content.txt", content_).ok());
    ASSERT_TRUE(sigverify::testing::WriteFile(dir_ + "/anchors.pem",
                                              PkiFile("root.pem") + PkiFile("ca.pem"))
                    .ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Pki(const std::string& file) const { return TestPkiDir() + "/" + file; }
  std::string Out(const std::string& file) const { return dir_ + "/" + file; }

  // Runs a shell command; its errors are printed on failure.
  int Run(const std::string& command) const {
    const int rc = std::system((command + " >/dev/null 2>" + Out("stderr.log")).c_str());
    if (rc != 0) std::cerr << command << ":\n" << ReadFile(Out("stderr.log"));
    return rc;
  }

  // `openssl cms -sign` over content.txt by <signer>.pem/.key with `flags`;
  // the CMS, DER.
  std::string Sign(const std::string& signer, const std::string& flags = "") {
    const std::string out = Out(signer + ".p7s");
    EXPECT_EQ(Run(absl::StrCat("openssl cms -sign -binary -in ", Out("content.txt"), " -signer ",
                               Pki(signer + ".pem"), " -inkey ", Pki(signer + ".key"),
                               " -outform DER -out ", out, " ", flags)),
              0);
    return ReadFile(out);
  }

  // Whether `openssl cms -verify` accepts the signature over `content`
  // (detached) with the test root and CA as anchors (it takes no separate
  // intermediates when verifying).
  bool OpenSslAccepts(const std::string& cms, const std::string& content, bool attached = false) {
    EXPECT_TRUE(sigverify::testing::WriteFile(Out("check.p7s"), cms).ok());
    EXPECT_TRUE(sigverify::testing::WriteFile(Out("check.txt"), content).ok());
    return Run(absl::StrCat("openssl cms -verify -binary -inform DER -in ", Out("check.p7s"),
                            attached ? "" : " -content " + Out("check.txt"), " -CAfile ",
                            Out("anchors.pem"), " -purpose any -out /dev/null")) == 0;
  }

  ValidationContext Context() {
    ValidationContext c;
    c.paths = paths_.get();
    c.policy = &policy_;
    c.now = absl::Now();
    c.certificates = extra_;
    return c;
  }

  SignatureVerdict Verify(const std::string& cms, std::string_view content) {
    auto parsed = SignedData::Parse(cms, CmsLimits{});
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return {};
    const std::string_view pieces[] = {content};
    return VerifyCmsSignature(*parsed, 0, {.pieces = pieces}, Context());
  }

  // A signature timestamp over `cms`'s signature value, by `tsa` at `at`.
  std::string Stamped(const std::string& cms, const std::string& tsa, absl::Time at) {
    auto value = sigverify::testing::SignatureValueOf(cms);
    EXPECT_TRUE(value.ok()) << value.status();
    auto token = sigverify::testing::MakeTimestampToken(*value, TestPkiDir(), tsa, at);
    EXPECT_TRUE(token.ok()) << token.status();
    auto out = sigverify::testing::AddSignatureTimestamp(cms, *token);
    EXPECT_TRUE(out.ok()) << out.status();
    return *out;
  }

  // A token whose TSTInfo is a genuine TSA's over `cms`'s signature value,
  // re-signed by <signer> with `openssl cms` (OpenSSL's TS responder refuses
  // a certificate without the timeStamping purpose): a TSA the validator
  // must refuse.
  std::string StampedBy(const std::string& cms, const std::string& signer) {
    auto value = sigverify::testing::SignatureValueOf(cms);
    EXPECT_TRUE(value.ok());
    auto token = sigverify::testing::MakeTimestampToken(*value, TestPkiDir(), "tsa",
                                                        absl::Now() - absl::Hours(1));
    EXPECT_TRUE(token.ok());
    auto parsed = SignedData::Parse(*token, CmsLimits{});
    EXPECT_TRUE(parsed.ok());
    EXPECT_TRUE(sigverify::testing::WriteFile(Out("tstinfo.der"), parsed->content()).ok());
    EXPECT_EQ(Run(absl::StrCat("openssl cms -sign -binary -nodetach -cades -econtent_type "
                               "1.2.840.113549.1.9.16.1.4 -in ",
                               Out("tstinfo.der"), " -signer ", Pki(signer + ".pem"), " -inkey ",
                               Pki(signer + ".key"), " -outform DER -out ", Out("resigned.tst"))),
              0);
    auto out = sigverify::testing::AddSignatureTimestamp(cms, ReadFile(Out("resigned.tst")));
    EXPECT_TRUE(out.ok());
    return *out;
  }

  std::unique_ptr<PathValidator> paths_;
  ValidationPolicy policy_;
  std::vector<CertificatePtr> extra_ = {CmsTest::PkiCert("ca.pem")};
  std::string dir_;
  std::string content_;

  static CertificatePtr PkiCert(const std::string& name) { return PkiCertificate(name); }
};

TEST_F(CmsTest, DetachedAndAttachedSignaturesFromOpenSslPass) {
  const std::string detached = Sign("signer-rsa");
  SignatureVerdict v = Verify(detached, content_);
  EXPECT_TRUE(v.ok()) << English(v.failed);
  EXPECT_EQ(v.path.size(), 3u);
  EXPECT_EQ(v.facts.digest, HashAlgorithm::kSha256);
  EXPECT_EQ(v.facts.signature_name, "RSA PKCS#1 v1.5");
  EXPECT_NE(v.facts.claimed_signing_time, absl::InfinitePast());
  EXPECT_FALSE(v.best_from_timestamp);
  EXPECT_TRUE(OpenSslAccepts(detached, content_));

  const std::string attached = Sign("signer-ec", "-nodetach -cades");
  auto parsed = SignedData::Parse(attached, CmsLimits{});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->attached());
  EXPECT_EQ(parsed->content(), content_);
  const std::string_view pieces[] = {parsed->content()};
  SignatureVerdict a = VerifyCmsSignature(*parsed, 0, {.pieces = pieces}, Context());
  EXPECT_TRUE(a.ok()) << English(a.failed);
  EXPECT_TRUE(a.facts.has_signing_certificate_attribute);  // -cades: signingCertificateV2
  EXPECT_TRUE(a.notes.empty());
  EXPECT_TRUE(OpenSslAccepts(attached, "", true));
}

TEST_F(CmsTest, PemAndIndefiniteLengthBerAreRead) {
  // -stream writes the attached content with indefinite lengths (BER).
  const std::string ber = Sign("signer-rsa", "-nodetach -stream");
  ASSERT_GE(ber.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(ber[1]), 0x80);  // indefinite length
  auto parsed = SignedData::Parse(ber, CmsLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->content(), content_);
  const std::string_view pieces[] = {parsed->content()};
  SignatureVerdict b = VerifyCmsSignature(*parsed, 0, {.pieces = pieces}, Context());
  EXPECT_TRUE(b.ok()) << English(b.failed);

  const std::string der = Sign("signer-ec");
  ASSERT_EQ(Run(absl::StrCat("openssl cms -cmsout -inform DER -in ", Out("signer-ec.p7s"),
                             " -outform PEM -out ", Out("signer-ec.pem"))),
            0);
  const std::string pem = ReadFile(Out("signer-ec.pem"));
  ASSERT_TRUE(pem.starts_with("-----BEGIN CMS-----"));
  SignatureVerdict p = Verify(pem, content_);
  EXPECT_TRUE(p.ok()) << English(p.failed);
  std::string broken = pem;
  broken[broken.size() / 2] = '*';
  EXPECT_EQ(FailureOf(SignedData::Parse(broken, CmsLimits{}).status()).reason,
            FailureReason::kFormatInvalid);
}

TEST_F(CmsTest, ChangedContentIsAHashFailureForBothValidators) {
  const std::string cms = Sign("signer-rsa");
  std::string changed = content_;
  changed[10] ^= 1;
  SignatureVerdict v = Verify(cms, changed);
  EXPECT_EQ(v.sub_indication, SubIndication::kHashFailure);
  EXPECT_EQ(v.failed.reason, FailureReason::kMessageDigestMismatch);
  EXPECT_FALSE(OpenSslAccepts(cms, changed));
}

TEST_F(CmsTest, WithoutSignedAttributesTheSignatureCoversTheContent) {
  const std::string cms = Sign("signer-ec", "-noattr");
  SignatureVerdict v = Verify(cms, content_);
  EXPECT_TRUE(v.ok()) << English(v.failed);
  EXPECT_FALSE(v.facts.has_signed_attributes);
  EXPECT_TRUE(OpenSslAccepts(cms, content_));
  std::string changed = content_ + " ";
  SignatureVerdict bad = Verify(cms, changed);
  EXPECT_EQ(bad.sub_indication, SubIndication::kSigCryptoFailure);
  EXPECT_FALSE(OpenSslAccepts(cms, changed));
}

TEST_F(CmsTest, RsaPssAndOtherHashesPass) {
  SignatureVerdict pss =
      Verify(Sign("signer-rsa", "-md sha384 -keyopt rsa_padding_mode:pss"), content_);
  EXPECT_TRUE(pss.ok()) << English(pss.failed);
  EXPECT_EQ(pss.facts.signature_name, "RSA-PSS");
  EXPECT_EQ(pss.facts.params.hash, HashAlgorithm::kSha384);
  SignatureVerdict ec = Verify(Sign("signer-ec", "-md sha512"), content_);
  EXPECT_TRUE(ec.ok()) << English(ec.failed);
}

TEST_F(CmsTest, Sha1IsRefusedByTheDefaultPolicy) {
  SignatureVerdict v = Verify(Sign("signer-rsa", "-md sha1"), content_);
  EXPECT_EQ(v.sub_indication, SubIndication::kCryptoConstraintsFailure);
  EXPECT_EQ(v.failed.reason, FailureReason::kDocumentHashRefused);
}

TEST_F(CmsTest, TheSignerMustBeFoundAndTrusted) {
  const std::string no_certs = Sign("signer-rsa", "-nocerts");
  SignatureVerdict missing = Verify(no_certs, content_);
  EXPECT_EQ(missing.sub_indication, SubIndication::kNoCertificateChainFound);
  EXPECT_EQ(missing.failed.reason, FailureReason::kSignerCertificateNotFound);
  extra_.push_back(PkiCert("signer-rsa.pem"));
  EXPECT_TRUE(Verify(no_certs, content_).ok());

  SignatureVerdict untrusted = Verify(Sign("signer-untrusted"), content_);
  EXPECT_EQ(untrusted.sub_indication, SubIndication::kNoCertificateChainFound);
  EXPECT_FALSE(OpenSslAccepts(Sign("signer-untrusted"), content_));
}

TEST_F(CmsTest, ASignatureTimestampFromOpenSslTsIsTheBestSignatureTime) {
  const std::string cms = Sign("signer-rsa");
  auto value = sigverify::testing::SignatureValueOf(cms);
  ASSERT_TRUE(value.ok());
  ASSERT_TRUE(sigverify::testing::WriteFile(Out("sig.bin"), *value).ok());
  ASSERT_TRUE(sigverify::testing::WriteFile(
                  Out("tsa.cnf"),
                  absl::StrCat("[tsa]\ndefault_tsa = t\n[t]\nserial = ", Out("serial"),
                               "\nsigner_cert = ", Pki("tsa.pem"), "\ncerts = ", Pki("ca.pem"),
                               "\nsigner_key = ", Pki("tsa.key"),
                               "\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n"
                               "digests = sha256\naccuracy = secs:1\ness_cert_id_alg = sha256\n"))
                  .ok());
  ASSERT_TRUE(sigverify::testing::WriteFile(Out("serial"), "01\n").ok());
  ASSERT_EQ(Run(absl::StrCat("openssl ts -query -data ", Out("sig.bin"), " -sha256 -cert -out ",
                             Out("q.tsq"))),
            0);
  ASSERT_EQ(Run(absl::StrCat("openssl ts -reply -config ", Out("tsa.cnf"), " -queryfile ",
                             Out("q.tsq"), " -token_out -out ", Out("t.tst"))),
            0);
  auto stamped = sigverify::testing::AddSignatureTimestamp(cms, ReadFile(Out("t.tst")));
  ASSERT_TRUE(stamped.ok());
  SignatureVerdict v = Verify(*stamped, content_);
  EXPECT_TRUE(v.ok()) << English(v.failed);
  ASSERT_EQ(v.timestamps.size(), 1u);
  EXPECT_TRUE(v.timestamps[0].ok()) << English(v.timestamps[0].failed);
  EXPECT_TRUE(v.best_from_timestamp);
  EXPECT_EQ(v.best_signature_time, v.timestamps[0].info.gen_time);
  EXPECT_EQ(v.timestamps[0].info.accuracy_micros, 1000000);
  EXPECT_EQ(v.timestamps[0].path.size(), 3u);
  EXPECT_TRUE(OpenSslAccepts(*stamped, content_));
}

TEST_F(CmsTest, ATimestampOverOtherDataProvesNothing) {
  const std::string cms = Sign("signer-rsa");
  auto token = sigverify::testing::MakeTimestampToken("other data", TestPkiDir(), "tsa",
                                                      absl::Now() - absl::Hours(1));
  ASSERT_TRUE(token.ok()) << token.status();
  auto stamped = sigverify::testing::AddSignatureTimestamp(cms, *token);
  ASSERT_TRUE(stamped.ok());
  SignatureVerdict v = Verify(*stamped, content_);
  EXPECT_TRUE(v.ok()) << English(v.failed);  // the signature itself is fine, now
  EXPECT_FALSE(v.best_from_timestamp);
  ASSERT_EQ(v.timestamps.size(), 1u);
  EXPECT_EQ(v.timestamps[0].sub_indication, SubIndication::kHashFailure);
  EXPECT_EQ(v.timestamps[0].failed.reason, FailureReason::kTimestampImprintMismatch);
  EXPECT_NE(std::find(v.notes.begin(), v.notes.end(), Note::kTimestampFailed), v.notes.end());
}

TEST_F(CmsTest, ATsaWithoutACriticalTimeStampingUsageIsRefused) {
  const std::string cms = Sign("signer-rsa");
  // The same TSTInfo re-signed by the real TSA passes: the re-signing is sound.
  SignatureVerdict control = Verify(StampedBy(cms, "tsa"), content_);
  ASSERT_EQ(control.timestamps.size(), 1u);
  EXPECT_TRUE(control.timestamps[0].ok()) << English(control.timestamps[0].failed);
  SignatureVerdict v = Verify(StampedBy(cms, "tsa-noncritical"), content_);
  ASSERT_EQ(v.timestamps.size(), 1u);
  EXPECT_EQ(v.timestamps[0].sub_indication, SubIndication::kChainConstraintsFailure);
  EXPECT_EQ(v.timestamps[0].failed.reason, FailureReason::kTsaExtendedKeyUsage);
  EXPECT_FALSE(v.best_from_timestamp);
  // A document signer's certificate cannot stamp either.
  SignatureVerdict by_signer = Verify(StampedBy(cms, "signer-ec"), content_);
  ASSERT_EQ(by_signer.timestamps.size(), 1u);
  EXPECT_EQ(by_signer.timestamps[0].failed.reason, FailureReason::kTsaExtendedKeyUsage);
}

TEST_F(CmsTest, ASignerExpiredAfterItsTimestampPasses) {
  // signer-expired was valid from 800 to 70 days ago.
  const std::string cms = Sign("signer-expired");
  SignatureVerdict now = Verify(cms, content_);
  EXPECT_EQ(now.sub_indication, SubIndication::kExpired);
  SignatureVerdict proven =
      Verify(Stamped(cms, "tsa", absl::Now() - absl::Hours(24 * 100)), content_);
  EXPECT_TRUE(proven.ok()) << English(proven.failed);
  EXPECT_TRUE(proven.best_from_timestamp);
  // A timestamp from after the expiry proves nothing useful.
  SignatureVerdict late = Verify(Stamped(cms, "tsa", absl::Now() - absl::Hours(24 * 10)), content_);
  EXPECT_EQ(late.sub_indication, SubIndication::kExpired);
}

TEST_F(CmsTest, Sha1PassesOnlyWhenATimestampProvesItBeforeThePolicysCutOff) {
  policy_ = LegacySha1Policy("legacy", absl::Now() - absl::Hours(24 * 30));
  const std::string cms = Sign("signer-rsa", "-md sha1");
  EXPECT_EQ(Verify(cms, content_).sub_indication, SubIndication::kCryptoConstraintsFailure);
  // signer-rsa's validity began a day ago: stamp within it, before the cut-off
  // of a policy whose cut-off is an hour ago.
  policy_ = LegacySha1Policy("legacy", absl::Now() - absl::Hours(1));
  SignatureVerdict proven = Verify(Stamped(cms, "tsa", absl::Now() - absl::Hours(2)), content_);
  EXPECT_TRUE(proven.ok()) << English(proven.failed);
  SignatureVerdict after = Verify(Stamped(cms, "tsa", absl::Now() - absl::Minutes(30)), content_);
  EXPECT_EQ(after.sub_indication, SubIndication::kCryptoConstraintsFailure);
}

TEST_F(CmsTest, ASigningTimeSevenHoursAheadOfItsTimestampIsFlagged) {
  // openssl writes the signing time as now; the timestamp says 7 hours ago:
  // what a signer whose clock writes Vietnam's local time as UTC produces.
  SignatureVerdict v =
      Verify(Stamped(Sign("signer-rsa"), "tsa", absl::Now() - absl::Hours(7)), content_);
  EXPECT_TRUE(v.ok()) << English(v.failed);
  EXPECT_NE(std::find(v.notes.begin(), v.notes.end(), Note::kSigningTimeSevenHoursAhead),
            v.notes.end());
  SignatureVerdict later =
      Verify(Stamped(Sign("signer-rsa"), "tsa", absl::Now() - absl::Hours(3)), content_);
  EXPECT_NE(std::find(later.notes.begin(), later.notes.end(), Note::kSigningTimeAfterTimestamp),
            later.notes.end());
}

TEST_F(CmsTest, GarbageAndTrailingBytesAreFormatErrors) {
  EXPECT_EQ(FailureOf(SignedData::Parse("not a cms", CmsLimits{}).status()).reason,
            FailureReason::kFormatInvalid);
  const std::string cms = Sign("signer-rsa");
  EXPECT_EQ(FailureOf(SignedData::Parse(cms + "x", CmsLimits{}).status()).reason,
            FailureReason::kFormatInvalid);
  EXPECT_FALSE(SignedData::Parse(cms + std::string(100, '\0'), CmsLimits{}).ok());
  EXPECT_TRUE(SignedData::Parse(cms + std::string(100, '\0'), CmsLimits{}, true).ok());
  EXPECT_FALSE(SignedData::Parse(cms + "\x01", CmsLimits{}, true).ok());
  CmsLimits small;
  small.max_certificates = 1;
  auto over = SignedData::Parse(Sign("signer-rsa", "-certfile " + Pki("ca.pem")), small);
  const Failure f = FailureOf(over.status());
  EXPECT_EQ(f.reason, FailureReason::kLimitExceeded);
  EXPECT_EQ(f.names, std::vector<std::string>{"cms_certificates"});
  EXPECT_EQ(f.limit, 1);
  EXPECT_EQ(f.actual, 2);
}

}  // namespace
}  // namespace sigverify::crypto::cms
