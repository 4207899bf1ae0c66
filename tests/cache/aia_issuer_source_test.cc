// AIA issuer fetching end to end: the test PKI's aia/ directory served by a
// real HTTP server, the signers' intranet-style caIssuers URLs mapped to it
// by URL rewriting, path validation completing through the fetched CA.
#include "cache/aia_issuer_source.h"

#include "absl/time/clock.h"
#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/testing/http_server.h"
#include "tests/testing/issued_certificate.h"
#include "tests/testing/test_files.h"

namespace sigverify::cache {
namespace {

using crypto::CertificatePtr;
using sigverify::testing::PkiFile;

CertificatePtr Pki(const std::string& name) {
  auto c = crypto::Certificate::Parse(PkiFile(name));
  EXPECT_TRUE(c.ok()) << name;
  return c.ok() ? *c : nullptr;
}

class AiaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ =
        std::make_unique<sigverify::testing::HttpServer>(sigverify::testing::TestPkiDir() + "/aia");
    auto store = crypto::TrustStore::FromCertificates({Pki("root.pem")});
    ASSERT_TRUE(store.ok());
    store_ = *store;
  }
  AiaIssuerSource::Options Options(std::vector<std::string> allowed) {
    AiaIssuerSource::Options o;
    auto rewriter = UrlRewriter::FromRules({"http://ca.sigverify.invalid/=" + server_->url()});
    EXPECT_TRUE(rewriter.ok());
    o.rewriter = *rewriter;
    o.allowed_prefixes = std::move(allowed);
    return o;
  }
  crypto::PathResult Validate(const std::shared_ptr<const AiaIssuerSource>& aia,
                              const std::string& signer) {
    crypto::PathValidator v(store_, 16, aia);
    return v.Validate(Pki(signer), {}, absl::Now());
  }
  std::unique_ptr<sigverify::testing::HttpServer> server_;
  std::shared_ptr<const crypto::TrustStore> store_;
};

TEST_F(AiaTest, TheMissingIssuerIsFetchedThroughARewrittenUrlAndCached) {
  auto aia = std::make_shared<AiaIssuerSource>(Options({server_->url() + "pki/"}));
  crypto::PathResult r = Validate(aia, "signer-aia.pem");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  ASSERT_EQ(r.path.size(), 3u);
  EXPECT_EQ(r.path[1]->display_name(), "CA AIA thử nghiệm G2");
  EXPECT_EQ(aia->stats().fetches, 1u);
  // A new validator (no memo) asks again: the answer comes from the cache.
  ASSERT_TRUE(Validate(aia, "signer-aia.pem").ok());
  EXPECT_EQ(aia->stats().fetches, 1u);
  EXPECT_EQ(aia->stats().cache_hits, 1u);
  EXPECT_EQ(server_->Requests(), 1);
}

TEST_F(AiaTest, APkcs7CertsOnlyAnswerIsAccepted) {
  auto aia = std::make_shared<AiaIssuerSource>(Options({server_->url() + "pki/"}));
  crypto::PathResult r = Validate(aia, "signer-aia-p7c.pem");
  EXPECT_TRUE(r.ok()) << English(r.failed);
}

TEST_F(AiaTest, NothingIsFetchedOutsideTheAllowedPrefixes) {
  // The default: no prefix allowed, so a certificate's URL causes no traffic.
  auto none = std::make_shared<AiaIssuerSource>(Options({}));
  crypto::PathResult r = Validate(none, "signer-aia.pem");
  EXPECT_EQ(r.sub_indication, crypto::SubIndication::kNoCertificateChainFound);
  EXPECT_NE(English(r.failed).find("not under an allowed prefix"), std::string::npos)
      << English(r.failed);
  // Allowed prefixes do not cover another host named by a certificate.
  auto some = std::make_shared<AiaIssuerSource>(Options({server_->url() + "pki/"}));
  EXPECT_FALSE(Validate(some, "signer-aia-elsewhere.pem").ok());
  EXPECT_EQ(none->stats().fetches + some->stats().fetches, 0u);
  EXPECT_EQ(server_->Requests(), 0);
}

// The probe: with an allowed prefix that names a host and port without a
// path, a certificate's caIssuers URL put the allowed text before an '@' (it
// is user-info) and made sigverifyd fetch from the host after it.
TEST_F(AiaTest, AnAllowedPrefixCannotBeSmuggledAsUserInfo) {
  auto issuer = sigverify::testing::Issue({{{"CN", "CA ngoài danh sách"}},
                                           {},
                                           absl::Now() - absl::Hours(1),
                                           absl::Now() + absl::Hours(24),
                                           1,
                                           {{"basicConstraints", "critical,CA:TRUE"}}},
                                          nullptr);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  // server_->url() is http://127.0.0.1:PORT/; the allowed prefix is port 9.
  const std::string smuggled = "http://127.0.0.1:9@" + server_->url().substr(7) + "pki/ca-aia.crt";
  sigverify::testing::CertSpec spec{
      {{"CN", "Người ký"}},          {}, absl::Now() - absl::Hours(1),
      absl::Now() + absl::Hours(24), 2,  {{"authorityInfoAccess", "caIssuers;URI:" + smuggled}}};
  auto leaf = sigverify::testing::Issue(spec, &*issuer);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  auto aia = std::make_shared<AiaIssuerSource>(Options({"http://127.0.0.1:9"}));
  crypto::PathValidator v(store_, 16, aia);
  crypto::PathResult r = v.Validate(sigverify::testing::AsCertificate(*leaf), {}, absl::Now());
  EXPECT_EQ(r.sub_indication, crypto::SubIndication::kNoCertificateChainFound);
  ASSERT_EQ(r.failed.problems.size(), 1u) << English(r.failed);
  EXPECT_EQ(r.failed.problems[0].reason, crypto::FailureReason::kUrlNotAllowed);
  EXPECT_EQ(server_->Requests(), 0);
  EXPECT_EQ(aia->stats().fetches, 0u);
}

TEST_F(AiaTest, AGarbageAnswerFailsThePathAndIsNotFetchedAgainAtOnce) {
  auto aia = std::make_shared<AiaIssuerSource>(Options({server_->url() + "pki/"}));
  crypto::PathResult r = Validate(aia, "signer-aia-garbage.pem");
  EXPECT_EQ(r.sub_indication, crypto::SubIndication::kNoCertificateChainFound);
  EXPECT_NE(English(r.failed).find("neither a DER certificate nor a PKCS#7"), std::string::npos)
      << English(r.failed);
  EXPECT_FALSE(Validate(aia, "signer-aia-garbage.pem").ok());
  EXPECT_EQ(aia->stats().fetches, 1u);
  EXPECT_EQ(aia->stats().fetch_failures, 1u);
}

TEST_F(AiaTest, AFailedFetchIsRetriedAfterItsNegativeTtl) {
  absl::Time now = absl::Now();
  auto options = Options({server_->url() + "pki/"});
  options.failure_ttl = absl::Minutes(1);
  auto aia = std::make_shared<AiaIssuerSource>(options, [&now] { return now; });
  EXPECT_FALSE(Validate(aia, "signer-aia-garbage.pem").ok());
  now += absl::Minutes(2);
  EXPECT_FALSE(Validate(aia, "signer-aia-garbage.pem").ok());
  EXPECT_EQ(aia->stats().fetches, 2u);
}

TEST(CaIssuersUrlsTest, ReadsTheRealG1CustomsCertificatesIntranetUrl) {
  auto cert = crypto::Certificate::Parse(sigverify::testing::ReadFile(
      sigverify::testing::TestDataDir() + "/vn-gca/ee-btc-tchq-2015.pem"));
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ((*cert)->urls().ca_issuers,
            std::vector<std::string>{"http://ca.btc/pki/pub/cert/btc.crt"});
}

}  // namespace
}  // namespace sigverify::cache
