// OCSP and CRLs together, in the order the trust anchor asks for, against
// the real peers: OpenSSL's own OCSP responder and Python's http.server
// serving the CA's CRL. The certificate names both.
#include "cache/revocation_sources.h"

#include <openssl/pem.h>
#include <stdlib.h>

#include <filesystem>

#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/pki/crl_factory.h"
#include "tests/testing/fixture_certificates.h"
#include "tests/testing/http_server.h"
#include "tests/testing/ocsp_responder.h"
#include "tests/testing/test_files.h"

namespace sigverify::cache {
namespace {

using crypto::CertificatePtr;
using crypto::PathResult;
using crypto::RevocationOrder;
using crypto::SubIndication;
using State = crypto::RevocationEvidence::State;
using sigverify::testing::HttpServer;
using sigverify::testing::OcspResponder;

std::string Dir() { return sigverify::testing::TestPkiDir() + "/ocsp"; }

using sigverify::testing::LoadCertificate;

class RevocationSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sigverify-sources-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    crl_dir_ = dir;
    // The OCSP test CA's CRL (it lists nothing: 1004 is good).
    const std::string key_pem = sigverify::testing::ReadFile(Dir() + "/ca.key");
    crypto::BioPtr bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
    key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ASSERT_NE(key_, nullptr);
    ca_ = LoadCertificate(Dir() + "/ca.pem");
    sigverify::testing::CrlSpec spec;
    spec.this_update = absl::Now() - absl::Hours(1);
    spec.next_update = absl::Now() + absl::Hours(23);
    auto der = sigverify::testing::IssueCrl(spec, ca_->x509(), key_.get());
    ASSERT_TRUE(der.ok()) << der.status();
    ASSERT_TRUE(sigverify::testing::WriteFile(crl_dir_ + "/ocsp-ca.crl", *der).ok());
    crl_server_ = std::make_unique<HttpServer>(crl_dir_);
    ocsp_server_ = std::make_unique<OcspResponder>(Dir(), "ca");
  }
  void TearDown() override {
    crl_server_.reset();
    std::filesystem::remove_all(crl_dir_);
    std::filesystem::remove(crl_dir_ + ".http.log");
  }

  PathResult Validate(const std::string& ocsp_target, const std::string& crl_target,
                      RevocationOrder order, std::vector<std::string_view> crls = {},
                      std::vector<std::string_view> ocsp_responses = {}) {
    OcspRevocationChecker::Options ocsp;
    ocsp.rewriter = *UrlRewriter::FromRules({"http://ocsp.sigverify.invalid/=" + ocsp_target});
    ocsp.limits.total_timeout = absl::Seconds(2);
    CrlRevocationChecker::Options crl;
    crl.rewriter = *UrlRewriter::FromRules({"http://crl.sigverify.invalid/=" + crl_target});
    crl.limits.total_timeout = absl::Seconds(2);
    auto sources = std::make_shared<RevocationSources>(
        std::make_shared<OcspRevocationChecker>(ocsp), std::make_shared<CrlRevocationChecker>(crl));
    crypto::AnchorConfig anchor;
    anchor.revocation_order = order;
    auto store = crypto::TrustStore::FromCertificates(
        {ca_}, {}, crypto::TrustConfig{{}, {{ca_->fingerprint_hex(), anchor}}});
    EXPECT_TRUE(store.ok()) << store.status();
    crypto::PathValidator v(*store, 16, nullptr, sources);
    crypto::RevocationInputs inputs;
    inputs.crls = crls;
    inputs.ocsp_responses = ocsp_responses;
    return v.Validate(LoadCertificate(Dir() + "/with-crl.pem"), {}, absl::Now(),
                      *(*store)->FindPolicy("default"), inputs);
  }

  std::string crl_dir_;
  crypto::EvpPkeyPtr key_;
  CertificatePtr ca_;
  std::unique_ptr<HttpServer> crl_server_;
  std::unique_ptr<OcspResponder> ocsp_server_;
};

constexpr char kDown[] = "http://127.0.0.1:9/";

TEST_F(RevocationSourcesTest, OcspFirstAsksOnlyTheResponderWhenItAnswers) {
  PathResult r = Validate(ocsp_server_->url(), crl_server_->url(), RevocationOrder::kOcspFirst);
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "ocsp");
  EXPECT_EQ(r.revocation[0].location, "http://ocsp.sigverify.invalid/");
  EXPECT_EQ(ocsp_server_->Requests(), 1);
  EXPECT_EQ(crl_server_->Requests(), 0);
}

TEST_F(RevocationSourcesTest, CrlFirstAsksOnlyTheCrlServerWhenItAnswers) {
  PathResult r = Validate(ocsp_server_->url(), crl_server_->url(), RevocationOrder::kCrlFirst);
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "crl");
  EXPECT_EQ(ocsp_server_->Requests(), 0);
  EXPECT_EQ(crl_server_->Requests(), 1);
}

TEST_F(RevocationSourcesTest, EachFallsBackToTheOtherWhenItsSourceIsDown) {
  PathResult r = Validate(kDown, crl_server_->url(), RevocationOrder::kOcspFirst);
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "crl");
  r = Validate(ocsp_server_->url(), kDown, RevocationOrder::kCrlFirst);
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "ocsp");
}

// The responder says good; the request brings the CA's newer CRL, which
// lists the certificate: revoked, from the CRL at hand, and no CRL is
// downloaded for it. A CRL at hand that lists nothing leaves OCSP's answer.
TEST_F(RevocationSourcesTest, AGoodFromOneSourceDoesNotOutweighARevocationAtHand) {
  sigverify::testing::CrlSpec spec;
  spec.this_update = absl::Now() - absl::Minutes(5);
  spec.next_update = absl::Now() + absl::Hours(23);
  spec.entries.push_back(
      {LoadCertificate(Dir() + "/with-crl.pem")->serial_hex(), absl::Now() - absl::Minutes(10), 1});
  auto listing = sigverify::testing::IssueCrl(spec, ca_->x509(), key_.get());
  ASSERT_TRUE(listing.ok()) << listing.status();
  spec.entries.clear();
  auto empty = sigverify::testing::IssueCrl(spec, ca_->x509(), key_.get());
  ASSERT_TRUE(empty.ok()) << empty.status();

  PathResult r =
      Validate(ocsp_server_->url(), crl_server_->url(), RevocationOrder::kOcspFirst, {*listing});
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_EQ(ocsp_server_->Requests(), 1);
  EXPECT_EQ(crl_server_->Requests(), 0);
  r = Validate(ocsp_server_->url(), crl_server_->url(), RevocationOrder::kOcspFirst, {*empty});
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "ocsp");
  EXPECT_EQ(crl_server_->Requests(), 0);
}

// The other way: CRL first, the CRL server's CRL says good; the request
// brings an OCSP response (from OpenSSL's responder over a database where
// the CA has since revoked the certificate) that says revoked.
TEST_F(RevocationSourcesTest, AGoodCrlDoesNotOutweighARevokedOcspResponseAtHand) {
  const std::string dir = crl_dir_ + "/revoked-since";
  std::filesystem::create_directories(dir);
  for (const char* f : {"ca.pem", "ca.key"}) {
    std::filesystem::copy_file(Dir() + "/" + f, dir + "/" + f);
  }
  std::string index = sigverify::testing::ReadFile(Dir() + "/index.txt");
  const size_t line = index.rfind('\n', index.find("CN=with-crl")) + 1;
  ASSERT_EQ(index[line], 'V');
  index[line] = 'R';
  const size_t revocation = index.find('\t', index.find('\t', line) + 1);  // the empty field
  index.insert(revocation + 1, absl::FormatTime("%y%m%d%H%M%SZ", absl::Now() - absl::Hours(1),
                                                absl::UTCTimeZone()) +
                                   ",keyCompromise");
  ASSERT_TRUE(sigverify::testing::WriteFile(dir + "/index.txt", index).ok());
  std::string response;
  {
    OcspResponder since(dir, "ca");
    const std::string command = "openssl ocsp -issuer " + Dir() + "/ca.pem -cert " + Dir() +
                                "/with-crl.pem -url " + since.url() + " -respout " + dir +
                                "/r.der -noverify >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    response = sigverify::testing::ReadFile(dir + "/r.der");
  }
  PathResult r =
      Validate(ocsp_server_->url(), crl_server_->url(), RevocationOrder::kCrlFirst, {}, {response});
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_EQ(crl_server_->Requests(), 1);
  EXPECT_EQ(ocsp_server_->Requests(), 0);
}

TEST_F(RevocationSourcesTest, BothDownFailsHardAndSaysWhyForBoth) {
  PathResult r = Validate(kDown, kDown, RevocationOrder::kOcspFirst);
  EXPECT_EQ(r.sub_indication, SubIndication::kTryLater) << English(r.failed);
  ASSERT_EQ(r.failed.problems.size(), 2u) << English(r.failed);
  EXPECT_EQ(r.failed.problems[0].source, "ocsp");
  EXPECT_EQ(r.failed.problems[1].source, "crl");
  for (const crypto::SourceProblem& p : r.failed.problems) {
    EXPECT_EQ(p.reason, crypto::FailureReason::kFetchFailed) << English(r.failed);
    EXPECT_NE(English(r.failed).find(p.location), std::string::npos) << English(r.failed);
  }
}

}  // namespace
}  // namespace sigverify::cache
