// Revocation in path validation, end to end: the path validator asks the
// OCSP checker, which fetches from OpenSSL's own responder through URL
// rewriting, caches, refreshes and single-flights. Faults must never pass.
#include "cache/ocsp_revocation_checker.h"

#include <filesystem>
#include <thread>

#include "cache/ocsp.h"
#include "cache/ocsp_fetch.h"
#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/testing/fixture_certificates.h"
#include "tests/testing/ocsp_responder.h"
#include "tests/testing/test_files.h"

namespace sigverify::cache {
namespace {

using crypto::CertificatePtr;
using crypto::Language;
using crypto::PathResult;
using crypto::SubIndication;
using State = crypto::RevocationEvidence::State;
using sigverify::testing::OcspResponder;

std::string Dir() { return sigverify::testing::TestPkiDir() + "/ocsp"; }

using sigverify::testing::LoadCertificate;

class OcspRevocationTest : public ::testing::Test {
 protected:
  void SetUp() override { responder_ = std::make_unique<OcspResponder>(Dir(), "ca"); }

  std::shared_ptr<OcspRevocationChecker> Checker(
      const std::string& target, std::function<absl::Time()> clock = nullptr,
      std::shared_ptr<const RevocationStore> store = nullptr) {
    OcspRevocationChecker::Options o;
    o.store = std::move(store);
    auto rewriter = UrlRewriter::FromRules({"http://ocsp.sigverify.invalid/=" + target});
    EXPECT_TRUE(rewriter.ok());
    o.rewriter = *rewriter;
    o.limits.total_timeout = absl::Seconds(2);
    if (clock) o.clock = std::move(clock);
    return std::make_shared<OcspRevocationChecker>(std::move(o));
  }
  // A DER response from the real responder (or `responder`) for `name`.
  std::string Fetched(const std::string& name, OcspResponder* responder = nullptr) {
    auto request = BuildOcspRequest(*LoadCertificate(Dir() + "/" + name + ".pem"),
                                    *LoadCertificate(Dir() + "/ca.pem"));
    EXPECT_TRUE(request.ok());
    auto der = FetchOcsp((responder ? responder : responder_.get())->url(), *request, {});
    EXPECT_TRUE(der.ok()) << der.status();
    return der.ok() ? *der : std::string();
  }
  PathResult Validate(
      const std::shared_ptr<OcspRevocationChecker>& checker, const std::string& signer,
      crypto::RevocationRequirement requirement = crypto::RevocationRequirement::kHardFail,
      absl::Time at = absl::Now(), std::vector<std::string_view> stapled = {}) {
    CertificatePtr ca = LoadCertificate(Dir() + "/ca.pem");
    crypto::AnchorConfig anchor;
    anchor.revocation = requirement;
    auto store = crypto::TrustStore::FromCertificates(
        {ca}, {}, crypto::TrustConfig{{}, {{ca->fingerprint_hex(), anchor}}});
    EXPECT_TRUE(store.ok()) << store.status();
    crypto::PathValidator v(*store, 16, nullptr, checker);
    return v.Validate(LoadCertificate(Dir() + "/" + signer + ".pem"), {}, at,
                      *(*store)->FindPolicy("default"), crypto::RevocationInputs{stapled});
  }
  std::unique_ptr<OcspResponder> responder_;
};

TEST_F(OcspRevocationTest, AGoodSignerPassesWithItsOcspEvidenceThenFromTheCache) {
  auto checker = Checker(responder_->url());
  PathResult r = Validate(checker, "good");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  ASSERT_EQ(r.revocation.size(), 1u);
  EXPECT_EQ(r.revocation[0].state, State::kGood);
  EXPECT_EQ(r.revocation[0].source, "ocsp");
  EXPECT_FALSE(r.revocation[0].from_cache);
  EXPECT_NE(r.revocation[0].responder.find("OCSP Test CA"), std::string::npos);
  r = Validate(checker, "good");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.revocation[0].from_cache);
  EXPECT_EQ(responder_->Requests(), 1);
  EXPECT_EQ(checker->stats().upstream_requests, 1u);
  EXPECT_EQ(checker->stats().cache_hits, 1u);
}

TEST_F(OcspRevocationTest, ARevokedSignerIsRevokedWithItsTimeAndReason) {
  auto checker = Checker(responder_->url());
  PathResult r = Validate(checker, "revoked");
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_NE(English(r.failed).find("revoked at"), std::string::npos) << English(r.failed);
  EXPECT_NE(English(r.failed).find("reason 1"), std::string::npos) << English(r.failed);
  EXPECT_EQ(CheckName(r.failed.reason), "revocation");
  ASSERT_EQ(r.revocation.size(), 1u);
  EXPECT_EQ(r.revocation[0].state, State::kRevoked);
  // Validated at a time before its revocation (a day ago), it passes and the
  // evidence still says when it was revoked.
  r = Validate(checker, "revoked", crypto::RevocationRequirement::kHardFail,
               r.revocation[0].revocation_time - absl::Hours(1));
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].state, State::kRevoked);
}

TEST_F(OcspRevocationTest, ACertificateTheResponderDoesNotKnowDoesNotPass) {
  PathResult r = Validate(Checker(responder_->url()), "unlisted");
  EXPECT_EQ(r.sub_indication, SubIndication::kTryLater) << English(r.failed);
  EXPECT_NE(English(r.failed).find("does not know"), std::string::npos) << English(r.failed);
}

TEST_F(OcspRevocationTest, AResponderThatIsDownFailsHardUnlessTheAnchorSaysSoft) {
  // Port 9 on loopback: nothing listens.
  PathResult hard = Validate(Checker("http://127.0.0.1:9/"), "good");
  EXPECT_EQ(hard.sub_indication, SubIndication::kTryLater) << English(hard.failed);
  EXPECT_NE(English(hard.failed).find("no fresh revocation status"), std::string::npos);
  PathResult soft =
      Validate(Checker("http://127.0.0.1:9/"), "good", crypto::RevocationRequirement::kSoftFail);
  ASSERT_TRUE(soft.ok()) << English(soft.failed);
  EXPECT_EQ(soft.revocation[0].state, State::kUnavailable);
  // A revoked status is never softened.
  PathResult revoked =
      Validate(Checker(responder_->url()), "revoked", crypto::RevocationRequirement::kSoftFail);
  EXPECT_EQ(revoked.sub_indication, SubIndication::kRevokedNoPoe);
}

TEST_F(OcspRevocationTest, ADeadResponderIsNotAskedAgainUntilItsBackoffEnds) {
  std::atomic<int64_t> offset_s{0};
  auto checker =
      Checker("http://127.0.0.1:9/", [&] { return absl::Now() + absl::Seconds(offset_s.load()); });
  CertificatePtr ca = LoadCertificate(Dir() + "/ca.pem");
  EXPECT_EQ(checker->Check(LoadCertificate(Dir() + "/good.pem"), ca).state, State::kUnavailable);
  EXPECT_EQ(checker->stats().upstream_requests, 1u);
  // Another certificate naming the same responder: no new attempt.
  auto backing_off = checker->Check(LoadCertificate(Dir() + "/revoked.pem"), ca);
  EXPECT_EQ(backing_off.state, State::kUnavailable);
  EXPECT_NE(Render(backing_off.problems, Language::kEnglish).find("not asked again before"),
            std::string::npos)
      << Render(backing_off.problems, Language::kEnglish);
  EXPECT_EQ(checker->stats().upstream_requests, 1u);
  // After the backoff (1 s after one failure) and the failure TTL, it is
  // asked again.
  offset_s = 120;
  EXPECT_EQ(checker->Check(LoadCertificate(Dir() + "/good.pem"), ca).state, State::kUnavailable);
  EXPECT_EQ(checker->stats().upstream_requests, 2u);
}

TEST_F(OcspRevocationTest, AStapledResponseIsUsedWithoutAnyFetch) {
  const std::string good = Fetched("good");
  const int before = responder_->Requests();
  // The configured responder is unreachable: only the stapled response can
  // give a status.
  auto checker = Checker("http://127.0.0.1:9/");
  PathResult r =
      Validate(checker, "good", crypto::RevocationRequirement::kHardFail, absl::Now(), {good});
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "stapled");
  EXPECT_EQ(checker->stats().upstream_requests, 0u);
  EXPECT_EQ(checker->stats().stapled_used, 1u);
  EXPECT_EQ(responder_->Requests(), before);
  // It filled the cache: without it, the status is still there.
  r = Validate(checker, "good");
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_TRUE(r.revocation[0].from_cache);
}

TEST_F(OcspRevocationTest, StapledResponsesAreValidatedLikeFetchedOnes) {
  auto checker = Checker("http://127.0.0.1:9/");
  // Another certificate's response, and one signed by an unrelated key, are
  // not this certificate's evidence: no status, hard-fail.
  const std::string other = Fetched("revoked");
  OcspResponder rogue(Dir(), "rogue");
  const std::string forged = Fetched("good", &rogue);
  PathResult r = Validate(checker, "good", crypto::RevocationRequirement::kHardFail, absl::Now(),
                          {other, forged, "garbage"});
  EXPECT_EQ(r.sub_indication, SubIndication::kTryLater) << English(r.failed);
  // A stapled "revoked" is believed.
  r = Validate(checker, "revoked", crypto::RevocationRequirement::kHardFail, absl::Now(), {other});
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "stapled");
}

TEST_F(OcspRevocationTest, AThousandConcurrentChecksMakeOneUpstreamRequest) {
  auto checker = Checker(responder_->url());
  CertificatePtr good = LoadCertificate(Dir() + "/good.pem");
  CertificatePtr ca = LoadCertificate(Dir() + "/ca.pem");
  std::vector<std::thread> threads;
  std::atomic<int> good_answers{0};
  for (int i = 0; i < 1000; ++i) {
    threads.emplace_back([&] {
      if (checker->Check(good, ca).state == State::kGood) ++good_answers;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good_answers.load(), 1000);
  EXPECT_EQ(responder_->Requests(), 1);
  EXPECT_EQ(checker->stats().upstream_requests, 1u);
}

TEST_F(OcspRevocationTest, EntriesRefreshAheadAndAreNeverServedPastNextUpdate) {
  // The responder says nextUpdate = now + 10 min; the skew is 5 min.
  std::atomic<int64_t> offset_s{0};
  auto checker =
      Checker(responder_->url(), [&] { return absl::Now() + absl::Seconds(offset_s.load()); });
  CertificatePtr good = LoadCertificate(Dir() + "/good.pem");
  CertificatePtr ca = LoadCertificate(Dir() + "/ca.pem");
  ASSERT_EQ(checker->Check(good, ca).state, State::kGood);
  // Past the (jittered) midpoint: served from the cache, refreshed behind it.
  offset_s = 7 * 60;
  auto served = checker->Check(good, ca);
  EXPECT_EQ(served.state, State::kGood);
  EXPECT_TRUE(served.from_cache);
  for (int i = 0; i < 100 && checker->stats().refreshes == 0; ++i)
    absl::SleepFor(absl::Milliseconds(20));
  for (int i = 0; i < 100 && responder_->Requests() < 2; ++i)
    absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(checker->stats().refreshes, 1u);
  EXPECT_EQ(responder_->Requests(), 2);
  // 20 minutes on, every response the responder gives is stale for this
  // clock: nothing is served past nextUpdate + skew.
  offset_s = 20 * 60 + 10 * 60;
  auto stale = checker->Check(good, ca);
  EXPECT_EQ(stale.state, State::kUnavailable);
  EXPECT_NE(Render(stale.problems, Language::kEnglish).find("stale"), std::string::npos)
      << Render(stale.problems, Language::kEnglish);
}

TEST_F(OcspRevocationTest, ARestartServesKeptStatusesWithoutAskingTheResponder) {
  const std::string dir = ::testing::TempDir() + "/ocsp-kept";
  std::filesystem::remove_all(dir);
  std::vector<std::string> log;
  auto store = RevocationStore::Open(dir, [&](absl::string_view l) { log.emplace_back(l); });
  ASSERT_TRUE(store.ok());
  auto first = Checker(responder_->url(), nullptr, *store);
  ASSERT_TRUE(Validate(first, "good").ok());
  ASSERT_EQ(Validate(first, "revoked").sub_indication, SubIndication::kRevokedNoPoe);
  EXPECT_EQ(responder_->Requests(), 2);

  auto restarted = Checker(responder_->url(), nullptr, *store);
  auto stats = (*store)->Load(
      [&](const std::string& key, const PersistedRecord& r) { return restarted->Restore(key, r); },
      [](const std::string&, const PersistedRecord&) { return absl::InternalError("no CRLs"); });
  EXPECT_EQ(stats.loaded, 2);
  EXPECT_EQ(stats.dropped, 0) << (log.empty() ? "" : log[0]);
  PathResult good = Validate(restarted, "good");
  ASSERT_TRUE(good.ok()) << English(good.failed);
  EXPECT_TRUE(good.revocation[0].from_cache);
  EXPECT_EQ(good.revocation[0].location, "http://ocsp.sigverify.invalid/");
  EXPECT_EQ(Validate(restarted, "revoked").sub_indication, SubIndication::kRevokedNoPoe);
  EXPECT_EQ(responder_->Requests(), 2);

  // Loaded 20 minutes later, the responses (nextUpdate + 10 min) are stale:
  // dropped, with a log line each.
  auto later = Checker(
      responder_->url(), [] { return absl::Now() + absl::Minutes(20); }, *store);
  stats = (*store)->Load(
      [&](const std::string& key, const PersistedRecord& r) { return later->Restore(key, r); },
      [](const std::string&, const PersistedRecord&) { return absl::OkStatus(); });
  EXPECT_EQ(stats.loaded, 0);
  EXPECT_EQ(stats.dropped, 2);
  ASSERT_FALSE(log.empty());
  std::filesystem::remove_all(dir);
}

TEST_F(OcspRevocationTest, RequireFailsACertificateThatNamesNoSource) {
  // The test PKI's RSA signer and its CA name neither an OCSP responder nor
  // a CRL.
  auto checker = Checker(responder_->url());
  CertificatePtr root = LoadCertificate(sigverify::testing::TestPkiDir() + "/root.pem");
  std::vector<CertificatePtr> chain = {
      LoadCertificate(sigverify::testing::TestPkiDir() + "/ca.pem")};
  for (auto requirement :
       {crypto::RevocationRequirement::kHardFail, crypto::RevocationRequirement::kRequire}) {
    crypto::AnchorConfig anchor;
    anchor.revocation = requirement;
    auto store = crypto::TrustStore::FromCertificates(
        {root}, {}, crypto::TrustConfig{{}, {{root->fingerprint_hex(), anchor}}});
    ASSERT_TRUE(store.ok());
    crypto::PathValidator v(*store, 16, nullptr, checker);
    PathResult r = v.Validate(LoadCertificate(sigverify::testing::TestPkiDir() + "/signer-rsa.pem"),
                              chain, absl::Now());
    if (requirement == crypto::RevocationRequirement::kHardFail) {
      ASSERT_TRUE(r.ok()) << English(r.failed);
      ASSERT_EQ(r.revocation.size(), 2u);
      EXPECT_EQ(r.revocation[0].state, State::kNoSource);
    } else {
      EXPECT_EQ(r.sub_indication, SubIndication::kTryLater) << English(r.failed);
      EXPECT_NE(English(r.failed).find("names no revocation source"), std::string::npos);
    }
  }
  EXPECT_EQ(responder_->Requests(), 0);
}

}  // namespace
}  // namespace sigverify::cache
