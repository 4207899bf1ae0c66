// OCSP against OpenSSL's own responder (`openssl ocsp`), signing as the CA,
// as a delegated responder with and without id-kp-OCSPSigning, and with an
// unrelated key. Every fault must be refused with the rule it broke.
#include "cache/ocsp.h"

#include <openssl/pem.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "cache/ocsp_fetch.h"
#include "cache/source_error.h"
#include "gtest/gtest.h"
#include "tests/pki/crl_factory.h"
#include "tests/testing/ocsp_responder.h"
#include "tests/testing/test_files.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;
using crypto::CertificatePtr;
using sigverify::testing::OcspResponder;

std::string Dir() { return sigverify::testing::TestPkiDir() + "/ocsp"; }

CertificatePtr Load(const std::string& name) {
  auto c = crypto::Certificate::Parse(sigverify::testing::ReadFile(Dir() + "/" + name + ".pem"));
  EXPECT_TRUE(c.ok()) << name;
  return c.ok() ? *c : nullptr;
}

class OcspTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    by_ca_ = new OcspResponder(Dir(), "ca");
    delegated_ = new OcspResponder(Dir(), "responder");
    no_eku_ = new OcspResponder(Dir(), "responder-no-eku");
    nocheck_ = new OcspResponder(Dir(), "responder-nocheck");
    rogue_ = new OcspResponder(Dir(), "rogue");
  }
  static void TearDownTestSuite() {
    for (OcspResponder* r : {by_ca_, delegated_, no_eku_, nocheck_, rogue_}) delete r;
  }
  void SetUp() override { ca_ = Load("ca"); }

  // The raw response of `responder` for `name`, with `nonce`.
  std::string Ask(const OcspResponder& responder, const std::string& name,
                  const std::string& nonce = {}) {
    auto request = BuildOcspRequest(*Load(name), *ca_, nonce);
    EXPECT_TRUE(request.ok()) << request.status();
    auto response = FetchOcsp(responder.url(), *request, {});
    EXPECT_TRUE(response.ok()) << response.status() << "\n" << responder.Log();
    return response.ok() ? *response : std::string();
  }
  absl::StatusOr<OcspStatus> Check(const std::string& der, const std::string& name,
                                   absl::Time now = absl::Now(), const std::string& nonce = {},
                                   absl::Span<const std::string_view> crls = {}) {
    OcspCheck check;
    check.now = now;
    check.nonce = nonce;
    check.crls = crls;
    return ValidateOcspResponse(der, *Load(name), *ca_, check);
  }

  static OcspResponder* by_ca_;
  static OcspResponder* delegated_;
  static OcspResponder* no_eku_;
  static OcspResponder* nocheck_;
  static OcspResponder* rogue_;
  CertificatePtr ca_;
};
OcspResponder* OcspTest::by_ca_ = nullptr;
OcspResponder* OcspTest::delegated_ = nullptr;
OcspResponder* OcspTest::no_eku_ = nullptr;
OcspResponder* OcspTest::nocheck_ = nullptr;
OcspResponder* OcspTest::rogue_ = nullptr;

TEST_F(OcspTest, GoodRevokedAndUnknownFromTheCaItself) {
  auto good = Check(Ask(*by_ca_, "good"), "good");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->status, CertStatus::kGood);
  EXPECT_FALSE(good->delegated);
  // The responder is named as every name in the evidence is: RFC 4514, the
  // CA certificate's own subject string.
  EXPECT_EQ(good->responder, ca_->subject());
  EXPECT_TRUE(absl::StartsWith(good->responder, "CN=OCSP Test CA,")) << good->responder;
  EXPECT_LT(good->this_update, good->next_update);

  auto revoked = Check(Ask(*by_ca_, "revoked"), "revoked");
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->status, CertStatus::kRevoked);
  EXPECT_EQ(revoked->revocation_reason, 1);  // keyCompromise
  EXPECT_LT(revoked->revocation_time, absl::Now());

  auto unlisted = Check(Ask(*by_ca_, "unlisted"), "unlisted");
  ASSERT_TRUE(unlisted.ok()) << unlisted.status();
  EXPECT_EQ(unlisted->status, CertStatus::kUnknown);
}

TEST_F(OcspTest, ADelegatedResponderWithOcspSigningIsAccepted) {
  auto status = Check(Ask(*delegated_, "revoked"), "revoked");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->delegated);
  EXPECT_EQ(status->status, CertStatus::kRevoked);
}

TEST_F(OcspTest, ADelegatedResponderWithoutOcspSigningIsRefused) {
  auto status = Check(Ask(*no_eku_, "good"), "good");
  EXPECT_EQ(ProblemOf(status.status()).reason, R::kResponderNotForOcsp) << status.status();
  EXPECT_NE(status.status().message().find("id-kp-OCSPSigning"), std::string::npos)
      << status.status();
}

// RFC 6960 4.2.2.2.1: a delegated responder that a valid CRL of the CA at
// hand lists is refused; one whose certificate carries
// id-pkix-ocsp-nocheck is not asked about; the CA itself is no delegate.
TEST_F(OcspTest, ADelegatedResponderListedByACrlAtHandIsRefusedUnlessNocheck) {
  const std::string ca_pem = sigverify::testing::ReadFile(Dir() + "/ca.pem");
  const std::string key_pem = sigverify::testing::ReadFile(Dir() + "/ca.key");
  crypto::BioPtr cert_bio(BIO_new_mem_buf(ca_pem.data(), int(ca_pem.size())));
  crypto::BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), int(key_pem.size())));
  crypto::OpenSslPtr<X509, X509_free> ca(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  crypto::OpenSslPtr<EVP_PKEY, EVP_PKEY_free> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(key, nullptr);
  auto crl = [&](std::vector<std::string> serials) {
    sigverify::testing::CrlSpec spec;
    spec.this_update = absl::Now() - absl::Hours(1);
    spec.next_update = absl::Now() + absl::Hours(23);
    for (const std::string& s : serials)
      spec.entries.push_back({s, absl::Now() - absl::Hours(2), 1});
    auto der = sigverify::testing::IssueCrl(spec, ca.get(), key.get());
    EXPECT_TRUE(der.ok()) << der.status();
    return der.ok() ? *der : std::string();
  };
  const std::string revoking = crl({"2001", "2003"});
  const std::string clean = crl({"1002"});
  const std::vector<std::string_view> listed = {revoking};
  const std::vector<std::string_view> not_listed = {clean};

  auto refused = Check(Ask(*delegated_, "good"), "good", absl::Now(), {}, listed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ProblemOf(refused.status()).reason, R::kResponderRevoked);
  EXPECT_TRUE(Check(Ask(*delegated_, "good"), "good", absl::Now(), {}, not_listed).ok());
  EXPECT_TRUE(Check(Ask(*delegated_, "good"), "good").ok());  // no CRL at hand: not asked

  auto nocheck = Check(Ask(*nocheck_, "good"), "good", absl::Now(), {}, listed);
  ASSERT_TRUE(nocheck.ok()) << nocheck.status();
  EXPECT_TRUE(nocheck->delegated);
  EXPECT_TRUE(Check(Ask(*by_ca_, "good"), "good", absl::Now(), {}, listed).ok());
}

TEST_F(OcspTest, AResponseSignedByAnUnrelatedKeyIsRefused) {
  auto status = Check(Ask(*rogue_, "revoked"), "revoked");
  EXPECT_EQ(ProblemOf(status.status()).reason, R::kResponderNotAuthorised) << status.status();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OcspTest, StaleAndFutureResponsesAreRefused) {
  const std::string der = Ask(*by_ca_, "good");  // nextUpdate = now + 10 min
  EXPECT_TRUE(Check(der, "good", absl::Now() + absl::Minutes(12)).ok());  // within skew
  auto stale = Check(der, "good", absl::Now() + absl::Minutes(20));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProblemOf(stale.status()).reason, R::kResponseStale) << stale.status();
  EXPECT_NE(stale.status().message().find("stale"), std::string::npos) << stale.status();
  auto future = Check(der, "good", absl::Now() - absl::Minutes(10));
  EXPECT_EQ(future.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProblemOf(future.status()).reason, R::kResponseNotYetValid) << future.status();
  EXPECT_NE(future.status().message().find("in the future"), std::string::npos) << future.status();
}

TEST_F(OcspTest, AResponseForAnotherSerialIsRefused) {
  auto status = Check(Ask(*by_ca_, "revoked"), "good");
  EXPECT_EQ(status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ProblemOf(status.status()).reason, R::kNoAnswerForCertificate);
  EXPECT_EQ(ProblemOf(status.status()).detail, "1001") << status.status();
}

TEST_F(OcspTest, GarbageAndErrorResponsesAreRefused) {
  EXPECT_EQ(Check("not an OCSP response", "good").status().code(),
            absl::StatusCode::kInvalidArgument);
  // OCSPResponse { responseStatus tryLater(3) }, as a loaded responder sends.
  auto try_later = Check(std::string("\x30\x03\x0a\x01\x03", 5), "good");
  EXPECT_EQ(try_later.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ProblemOf(try_later.status()).reason, R::kResponderError);
  EXPECT_EQ(ProblemOf(try_later.status()).detail, "trylater") << try_later.status();
  // This responder does not answer a malformed request at all: the fetch
  // ends at its deadline, and the responder still serves the next one.
  FetchLimits quick;
  quick.total_timeout = absl::Milliseconds(500);
  auto answer = HttpPost(by_ca_->url(), "garbage", "application/ocsp-request", quick);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded) << answer.status();
  // A truncated response.
  const std::string der = Ask(*by_ca_, "good");
  EXPECT_EQ(Check(der.substr(0, der.size() - 3), "good").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OcspTest, TheNonceMustMatchWhenEchoed) {
  const std::string nonce = "0123456789abcdef";
  const std::string der = Ask(*by_ca_, "good", nonce);
  EXPECT_TRUE(Check(der, "good", absl::Now(), nonce).ok());
  auto replayed = Check(der, "good", absl::Now(), "fedcba9876543210");
  EXPECT_EQ(ProblemOf(replayed.status()).reason, R::kNonceMismatch) << replayed.status();
}

TEST_F(OcspTest, ShortRequestsUseGetAndLongOnesPost) {
  auto short_request = BuildOcspRequest(*Load("good"), *ca_);
  ASSERT_TRUE(short_request.ok());
  EXPECT_FALSE(OcspGetUrl(by_ca_->url(), *short_request).empty());
  const std::string long_nonce(200, 'n');
  auto long_request = BuildOcspRequest(*Load("good"), *ca_, long_nonce);
  ASSERT_TRUE(long_request.ok());
  EXPECT_TRUE(OcspGetUrl(by_ca_->url(), *long_request).empty());
  // Both reach the real responder and come back valid.
  EXPECT_TRUE(Check(Ask(*by_ca_, "good"), "good").ok());
  EXPECT_TRUE(Check(Ask(*by_ca_, "good", long_nonce), "good", absl::Now(), long_nonce).ok());
}

TEST(OcspUrlsTest, ReadsTheResponderUrls) {
  auto good = crypto::Certificate::Parse(sigverify::testing::ReadFile(Dir() + "/good.pem"));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ((*good)->urls().ocsp, std::vector<std::string>{"http://ocsp.sigverify.invalid/"});
  auto customs = crypto::Certificate::Parse(sigverify::testing::ReadFile(
      sigverify::testing::TestDataDir() + "/vn-gca/ee-btc-tchq-2015.pem"));
  ASSERT_TRUE(customs.ok());
  EXPECT_EQ((*customs)->urls().ocsp, std::vector<std::string>{"http://ocsp.ca.btc/"});
}

}  // namespace
}  // namespace sigverify::cache
