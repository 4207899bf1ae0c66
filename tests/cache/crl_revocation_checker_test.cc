// CRL checking end to end: the path validator asks the CRL checker, which
// fetches from a real HTTP server (Python's http.server on loopback) through
// URL rewriting, validates, indexes, caches, refreshes and single-flights.
// The CRLs are issued by the test (tests/pki/crl_factory.h) and written into
// the directory the server serves; revoking a certificate is writing a new
// CRL. Faults must never pass.
#include "cache/crl_revocation_checker.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/testing/http_server.h"
#include "tests/testing/issued_certificate.h"
#include "tests/testing/test_files.h"

namespace sigverify::cache {
namespace {

using crypto::CertificatePtr;
using crypto::PathResult;
using crypto::SubIndication;
using State = crypto::RevocationEvidence::State;
using sigverify::testing::AsCertificate;
using sigverify::testing::CertSpec;
using sigverify::testing::CrlEntrySpec;
using sigverify::testing::CrlSpec;
using sigverify::testing::HttpServer;
using sigverify::testing::Issued;

constexpr char kCdp[] = "http://crl.sigverify.invalid/ca.crl";
constexpr char kDelta[] = "http://crl.sigverify.invalid/ca-delta.crl";

class CrlRevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sigverify-crl-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    const absl::Time now = absl::Now();
    CertSpec ca;
    ca.subject = {{"C", "VN"}, {"O", "sigverify CRL tests"}, {"CN", "CRL Test CA"}};
    ca.not_before = now - absl::Hours(24 * 30);
    ca.not_after = now + absl::Hours(24 * 365);
    ca.extensions = {{"basicConstraints", "critical,CA:TRUE"},
                     {"keyUsage", "critical,keyCertSign,cRLSign"}};
    ca_ = *sigverify::testing::Issue(ca, nullptr);
    ca.subject.back().second = "Rogue CA";
    rogue_ = *sigverify::testing::Issue(ca, nullptr);
    for (long serial : {0x3001, 0x3002}) {
      CertSpec leaf;
      leaf.subject = {{"C", "VN"}, {"CN", "CRL signer " + std::to_string(serial)}};
      leaf.not_before = now - absl::Hours(24);
      leaf.not_after = now + absl::Hours(24 * 90);
      leaf.serial = serial;
      leaf.extensions = {{"basicConstraints", "critical,CA:FALSE"},
                         {"keyUsage", "critical,digitalSignature,nonRepudiation"},
                         {"crlDistributionPoints", std::string("URI:") + kCdp}};
      leaves_.push_back(AsCertificate(*sigverify::testing::Issue(leaf, &ca_)));
    }
    ca_cert_ = AsCertificate(ca_);
    server_ = std::make_unique<HttpServer>(dir_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".http.log");
  }

  // Writes the CRL the server serves as `name`: this_update an hour ago,
  // next_update in `valid_for`, listing `revoked` serials (reason
  // keyCompromise), signed by `key` (the CA's when null).
  void Publish(const std::string& name, std::vector<CrlEntrySpec> entries,
               absl::Duration valid_for = absl::Hours(2), long number = 1,
               std::vector<std::pair<std::string, std::string>> extensions = {},
               EVP_PKEY* key = nullptr, absl::Time now = absl::Now()) {
    CrlSpec spec;
    spec.this_update = now - absl::Hours(1);
    spec.next_update = now - absl::Hours(1) + valid_for;
    spec.entries = std::move(entries);
    spec.number = number;
    spec.extensions = std::move(extensions);
    auto der = sigverify::testing::IssueCrl(spec, ca_.cert.get(), key ? key : ca_.key.get());
    ASSERT_TRUE(der.ok()) << der.status();
    ASSERT_TRUE(sigverify::testing::WriteFile(dir_ + "/" + name, *der).ok());
  }
  std::string Crl(std::vector<CrlEntrySpec> entries) {
    Publish("stapled.crl", std::move(entries));
    return sigverify::testing::ReadFile(dir_ + "/stapled.crl");
  }
  CrlEntrySpec Revoked(const std::string& serial, int reason = 1) {
    return {serial, absl::Now() - absl::Hours(3), reason};
  }

  std::shared_ptr<CrlRevocationChecker> Checker(
      const std::string& target, std::function<absl::Time()> clock = nullptr,
      std::shared_ptr<const RevocationStore> store = nullptr) {
    CrlRevocationChecker::Options o;
    o.store = std::move(store);
    auto rewriter =
        UrlRewriter::FromRules({std::string("http://crl.sigverify.invalid/=") + target});
    EXPECT_TRUE(rewriter.ok());
    o.rewriter = *rewriter;
    o.limits.total_timeout = absl::Seconds(2);
    if (clock) o.clock = std::move(clock);
    return std::make_shared<CrlRevocationChecker>(std::move(o));
  }
  PathResult Validate(
      const std::shared_ptr<const crypto::RevocationChecker>& checker, const CertificatePtr& signer,
      crypto::RevocationRequirement requirement = crypto::RevocationRequirement::kHardFail,
      std::vector<std::string_view> crls = {}) {
    crypto::AnchorConfig anchor;
    anchor.revocation = requirement;
    auto store = crypto::TrustStore::FromCertificates(
        {ca_cert_}, {}, crypto::TrustConfig{{}, {{ca_cert_->fingerprint_hex(), anchor}}});
    EXPECT_TRUE(store.ok()) << store.status();
    crypto::PathValidator v(*store, 16, nullptr, checker);
    return v.Validate(signer, {}, absl::Now(), *(*store)->FindPolicy("default"),
                      crypto::RevocationInputs{{}, crls});
  }

  std::string dir_;
  Issued ca_, rogue_;
  CertificatePtr ca_cert_;
  std::vector<CertificatePtr> leaves_;  // serials 3001, 3002
  std::unique_ptr<HttpServer> server_;
};

TEST_F(CrlRevocationTest, GoodThenRevokedWithEvidenceAndOneFetchPerDistributionPoint) {
  Publish("ca.crl", {Revoked("3002")});
  auto checker = Checker(server_->url());
  PathResult good = Validate(checker, leaves_[0]);
  ASSERT_TRUE(good.ok()) << English(good.failed);
  ASSERT_EQ(good.revocation.size(), 1u);
  const crypto::RevocationEvidence& e = good.revocation[0];
  EXPECT_EQ(e.state, State::kGood);
  EXPECT_EQ(e.source, "crl");
  EXPECT_EQ(e.location, kCdp);
  EXPECT_NE(e.responder.find("CN=CRL Test CA"), std::string::npos) << e.responder;
  EXPECT_FALSE(e.from_cache);
  EXPECT_GT(e.next_update, absl::Now());

  PathResult revoked = Validate(checker, leaves_[1]);
  EXPECT_EQ(revoked.sub_indication, SubIndication::kRevokedNoPoe) << English(revoked.failed);
  EXPECT_EQ(revoked.failed.reason, crypto::FailureReason::kRevoked);
  EXPECT_EQ(revoked.failed.actual, 1);  // keyCompromise
  EXPECT_EQ(revoked.failed.detail, "crl");
  EXPECT_EQ(revoked.failed.time, revoked.revocation[0].revocation_time);
  EXPECT_NE(English(revoked.failed).find("(reason 1)"), std::string::npos)
      << English(revoked.failed);
  EXPECT_NE(English(revoked.failed).find("source: CRL"), std::string::npos)
      << English(revoked.failed);
  EXPECT_TRUE(revoked.revocation[0].from_cache);  // the same CRL
  EXPECT_EQ(server_->Requests(), 1);
  EXPECT_EQ(checker->stats().upstream_requests, 1u);
  EXPECT_EQ(checker->stats().crls, 1u);
  EXPECT_EQ(checker->stats().entries, 1u);
}

TEST_F(CrlRevocationTest, ARevocationIsSeenAfterTheRefresh) {
  Publish("ca.crl", {});
  std::atomic<int64_t> offset_s{0};
  auto checker =
      Checker(server_->url(), [&] { return absl::Now() + absl::Seconds(offset_s.load()); });
  ASSERT_TRUE(Validate(checker, leaves_[0]).ok());
  // The CA revokes 3001 and publishes a new CRL.
  Publish("ca.crl", {Revoked("3001")}, absl::Hours(2), 2);
  // Before the refresh point the cached CRL still answers.
  ASSERT_TRUE(Validate(checker, leaves_[0]).ok());
  EXPECT_EQ(server_->Requests(), 1);
  // Past the middle of its window (1 h of 2, jittered +-12 min) and the
  // 5 min minimum interval: served, and refreshed behind the answer.
  offset_s = 20 * 60;
  EXPECT_TRUE(Validate(checker, leaves_[0]).ok());
  for (int i = 0; i < 200 && checker->stats().refreshes == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(checker->stats().refreshes, 1u);
  PathResult r = Validate(checker, leaves_[0]);
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_EQ(server_->Requests(), 2);
}

TEST_F(CrlRevocationTest, ACrlFetchedLateInItsWindowIsNotFetchedAgainOnEveryLookup) {
  // Published 10 h ago, valid 2 h more: past the middle of its window
  // already when fetched.
  Publish("ca.crl", {}, absl::Hours(12), 1, {}, nullptr, absl::Now() - absl::Hours(9));
  auto checker = Checker(server_->url());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Validate(checker, leaves_[0]).ok());
  // A refresh is scheduled on the lookup's own thread, counted as a stale
  // serve at that moment: none was asked for, and only the first lookup
  // fetched (synchronously).
  EXPECT_EQ(checker->stats().stale_served, 0u);
  EXPECT_EQ(checker->stats().cache_hits, 49u);
  EXPECT_EQ(server_->Requests(), 1);
}

TEST_F(CrlRevocationTest, AServerThatIsDownFailsHardUnlessTheAnchorSaysSoft) {
  auto down = Checker("http://127.0.0.1:9/");
  PathResult hard = Validate(down, leaves_[0]);
  EXPECT_EQ(hard.sub_indication, SubIndication::kTryLater) << English(hard.failed);
  EXPECT_EQ(hard.failed.reason, crypto::FailureReason::kRevocationUnavailable);
  ASSERT_EQ(hard.failed.problems.size(), 1u);
  EXPECT_EQ(hard.failed.problems[0].reason, crypto::FailureReason::kFetchFailed);
  EXPECT_EQ(hard.failed.problems[0].source, "crl");
  EXPECT_EQ(hard.failed.problems[0].location, kCdp);
  PathResult soft = Validate(down, leaves_[0], crypto::RevocationRequirement::kSoftFail);
  ASSERT_TRUE(soft.ok()) << English(soft.failed);
  EXPECT_EQ(soft.revocation[0].state, State::kUnavailable);
  // Missing on the server (404): the same.
  PathResult missing = Validate(Checker(server_->url()), leaves_[0]);
  EXPECT_EQ(missing.sub_indication, SubIndication::kTryLater) << English(missing.failed);
}

TEST_F(CrlRevocationTest, GarbageForgedStaleAndDeltaAsBaseNeverPass) {
  struct Case {
    std::string name;
    std::function<void()> publish;
    crypto::FailureReason why;
  };
  const std::vector<Case> cases = {
      {"garbage",
       [&] {
         ASSERT_TRUE(sigverify::testing::WriteFile(dir_ + "/ca.crl", "<html>oops</html>").ok());
       },
       crypto::FailureReason::kResponseMalformed},
      {"forged", [&] { Publish("ca.crl", {}, absl::Hours(2), 1, {}, rogue_.key.get()); },
       crypto::FailureReason::kResponseSignatureInvalid},
      {"stale",
       [&] { Publish("ca.crl", {}, absl::Hours(2), 1, {}, nullptr, absl::Now() - absl::Hours(5)); },
       crypto::FailureReason::kResponseStale},
      {"delta as base",
       [&] {
         Publish("ca.crl", {}, absl::Hours(2), 2, {{"deltaCRL", "critical,DER:02:01:01"}});
       },
       crypto::FailureReason::kCrlIsDelta},
  };
  for (const Case& c : cases) {
    c.publish();
    PathResult r = Validate(Checker(server_->url()), leaves_[0]);
    EXPECT_EQ(r.sub_indication, SubIndication::kTryLater) << c.name << ": " << English(r.failed);
    ASSERT_EQ(r.failed.problems.size(), 1u) << c.name;
    EXPECT_EQ(r.failed.problems[0].reason, c.why) << c.name << ": " << English(r.failed);
  }
}

TEST_F(CrlRevocationTest, AThousandConcurrentChecksMakeOneUpstreamRequest) {
  Publish("ca.crl", {Revoked("3002")});
  auto checker = Checker(server_->url());
  std::vector<std::thread> threads;
  std::atomic<int> answers{0};
  for (int i = 0; i < 1000; ++i) {
    threads.emplace_back([&, i] {
      const auto& cert = leaves_[i % 2];
      const State want = i % 2 == 0 ? State::kGood : State::kRevoked;
      if (checker->Check(cert, ca_cert_).state == want) ++answers;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answers.load(), 1000);
  EXPECT_EQ(server_->Requests(), 1);
  EXPECT_EQ(checker->stats().upstream_requests, 1u);
}

TEST_F(CrlRevocationTest, ACrlFromTheRequestIsUsedWithoutAFetchAndFillsTheCache) {
  const std::string stapled = Crl({Revoked("3002")});
  auto checker = Checker("http://127.0.0.1:9/");
  PathResult r = Validate(checker, leaves_[0], crypto::RevocationRequirement::kHardFail, {stapled});
  ASSERT_TRUE(r.ok()) << English(r.failed);
  EXPECT_EQ(r.revocation[0].source, "stapled_crl");
  EXPECT_EQ(checker->stats().upstream_requests, 0u);
  // It filled the cache for the distribution point: 3002 is revoked by it.
  r = Validate(checker, leaves_[1]);
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_TRUE(r.revocation[0].from_cache);
  EXPECT_EQ(checker->stats().upstream_requests, 0u);
}

TEST_F(CrlRevocationTest, ACrlFromTheRequestIsValidatedLikeAFetchedOne) {
  Publish("forged.crl", {}, absl::Hours(2), 1, {}, rogue_.key.get());
  const std::string forged = sigverify::testing::ReadFile(dir_ + "/forged.crl");
  PathResult r = Validate(Checker("http://127.0.0.1:9/"), leaves_[0],
                          crypto::RevocationRequirement::kHardFail, {forged, "garbage"});
  EXPECT_EQ(r.sub_indication, SubIndication::kTryLater) << English(r.failed);
}

TEST_F(CrlRevocationTest, ADeltaCrlNamedByTheBaseIsMergedWithIt) {
  // Base 7 puts 3001 on hold; the delta (base 7, number 8) releases it and
  // revokes 3002.
  Publish("ca.crl", {Revoked("3001", 6)}, absl::Hours(24), 7,
          {{"freshestCRL", std::string("URI:") + kDelta}});
  Publish("ca-delta.crl", {Revoked("3001", 8), Revoked("3002", 4)}, absl::Hours(2), 8,
          {{"deltaCRL", "critical,DER:02:01:07"}});
  auto checker = Checker(server_->url());
  PathResult released = Validate(checker, leaves_[0]);
  ASSERT_TRUE(released.ok()) << English(released.failed);
  // The merged status is valid only as long as the delta.
  EXPECT_LT(released.revocation[0].next_update, absl::Now() + absl::Hours(2));
  PathResult revoked = Validate(checker, leaves_[1]);
  EXPECT_EQ(revoked.sub_indication, SubIndication::kRevokedNoPoe) << English(revoked.failed);
  EXPECT_NE(English(revoked.failed).find("reason 4"), std::string::npos) << English(revoked.failed);
  EXPECT_EQ(server_->Requests(), 2);
}

class CrlPersistenceTest : public CrlRevocationTest {
 protected:
  std::shared_ptr<const RevocationStore> Store() {
    auto store = RevocationStore::Open(dir_ + "/kept",
                                       [this](absl::string_view line) { log_.emplace_back(line); });
    EXPECT_TRUE(store.ok()) << store.status();
    return *store;
  }
  // A new checker (a restart) that loads what the store keeps.
  std::shared_ptr<CrlRevocationChecker> Restarted(RevocationStore::LoadStats* stats) {
    auto store = Store();
    auto checker = Checker(server_->url(), nullptr, store);
    *stats = store->Load(
        [](const std::string&, const PersistedRecord&) {
          return absl::InternalError("no OCSP here");
        },
        [&](const std::string& key, const PersistedRecord& r) { return checker->Restore(key, r); });
    return checker;
  }
  std::string KeptFile() {
    for (const auto& f : std::filesystem::directory_iterator(dir_ + "/kept")) return f.path();
    return "";
  }
  std::vector<std::string> log_;
};

TEST_F(CrlPersistenceTest, ARestartServesTheKeptCrlWithoutAskingTheServer) {
  Publish("ca.crl", {Revoked("3002")});
  ASSERT_TRUE(Validate(Checker(server_->url(), nullptr, Store()), leaves_[0]).ok());
  EXPECT_EQ(server_->Requests(), 1);
  RevocationStore::LoadStats stats;
  auto restarted = Restarted(&stats);
  EXPECT_EQ(stats.loaded, 1);
  EXPECT_EQ(stats.dropped, 0);
  PathResult r = Validate(restarted, leaves_[1]);
  EXPECT_EQ(r.sub_indication, SubIndication::kRevokedNoPoe) << English(r.failed);
  EXPECT_TRUE(r.revocation[0].from_cache);
  EXPECT_EQ(server_->Requests(), 1);
}

TEST_F(CrlPersistenceTest, ATamperedFileIsRejectedAndTheCrlFetchedAgain) {
  Publish("ca.crl", {Revoked("3002")});
  ASSERT_TRUE(Validate(Checker(server_->url(), nullptr, Store()), leaves_[1]).sub_indication ==
              SubIndication::kRevokedNoPoe);
  // Someone with write access to the cache directory replaces the CRL by
  // one that lists nothing, and mends the checksum.
  const std::string path = KeptFile();
  auto record = DecodeRecord(sigverify::testing::ReadFile(path));
  ASSERT_TRUE(record.ok());
  Publish("empty.crl", {}, absl::Hours(2), 1, {}, rogue_.key.get());
  record->data = sigverify::testing::ReadFile(dir_ + "/empty.crl");
  ASSERT_TRUE(sigverify::testing::WriteFile(path, EncodeRecord(*record)).ok());
  RevocationStore::LoadStats stats;
  auto restarted = Restarted(&stats);
  EXPECT_EQ(stats.loaded, 0);
  EXPECT_EQ(stats.dropped, 1);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("signature"), std::string::npos) << log_[0];
  EXPECT_FALSE(std::filesystem::exists(path));
  // The revoked certificate is still revoked: fetched again.
  EXPECT_EQ(Validate(restarted, leaves_[1]).sub_indication, SubIndication::kRevokedNoPoe);
  EXPECT_EQ(server_->Requests(), 2);
}

TEST_F(CrlPersistenceTest, DamagedAndExpiredFilesAreDroppedWithALogLine) {
  Publish("ca.crl", {}, absl::Hours(2));
  ASSERT_TRUE(Validate(Checker(server_->url(), nullptr, Store()), leaves_[0]).ok());
  std::string bytes = sigverify::testing::ReadFile(KeptFile());
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(sigverify::testing::WriteFile(KeptFile(), bytes).ok());
  RevocationStore::LoadStats stats;
  Restarted(&stats);
  EXPECT_EQ(stats.dropped, 1);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("checksum"), std::string::npos) << log_[0];

  // Kept, then loaded three hours later: past nextUpdate + skew.
  ASSERT_TRUE(Validate(Checker(server_->url(), nullptr, Store()), leaves_[0]).ok());
  auto store = Store();
  auto later = Checker(
      server_->url(), [] { return absl::Now() + absl::Hours(3); }, store);
  stats = store->Load(
      [](const std::string&, const PersistedRecord&) { return absl::OkStatus(); },
      [&](const std::string& key, const PersistedRecord& r) { return later->Restore(key, r); });
  EXPECT_EQ(stats.loaded, 0);
  EXPECT_EQ(stats.dropped, 1);
  EXPECT_NE(log_.back().find("stale"), std::string::npos) << log_.back();
}

TEST_F(CrlPersistenceTest, AFileUnderAnotherNameIsRejected) {
  Publish("ca.crl", {});
  ASSERT_TRUE(Validate(Checker(server_->url(), nullptr, Store()), leaves_[0]).ok());
  // A valid file moved to the name of another CA's distribution point.
  std::filesystem::rename(KeptFile(), dir_ + "/kept/" + std::string(64, 'e') + ".rev");
  RevocationStore::LoadStats stats;
  Restarted(&stats);
  EXPECT_EQ(stats.dropped, 1);
  EXPECT_NE(log_[0].find("does not match"), std::string::npos) << log_[0];
}

}  // namespace
}  // namespace sigverify::cache
