#include "service/access/access_control.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "service/access/access_policy.h"
#include "service/access/caller_quotas.h"
#include "service/access/client_crls.h"
#include "service/access/distinguished_name.h"
#include "tests/testing/test_files.h"

namespace sigverify::service::access {
namespace {

using ::sigverify::testing::PkiFile;
using ::sigverify::testing::TestPkiDir;

ClientIdentityPtr Identity(const std::string& name) {
  auto identity = IdentityFromPem(PkiFile(name + ".pem"));
  EXPECT_TRUE(identity.ok()) << identity.status();
  return identity.ok() ? *identity : nullptr;
}

cfg::AccessConfig Config(std::initializer_list<cfg::Grant> grants) {
  cfg::AccessConfig config;
  for (const cfg::Grant& g : grants) *config.add_grants() = g;
  return config;
}

cfg::Grant Grant(cfg::Role role) {
  cfg::Grant g;
  g.set_role(role);
  return g;
}

TEST(DistinguishedNameTest, SpellingsOfOneNameAreOneCanonicalName) {
  const auto canonical = CanonicalName("CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN");
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  for (const char* spelling :
       {"cn=Kiểm toán viên, o=Thanh tra Thành phố, c=VN",
        "commonName=Kiểm toán viên,organizationName=Thanh tra Thành phố,C=VN",
        "2.5.4.3=Kiểm toán viên,2.5.4.10=Thanh tra Thành phố,2.5.4.6=VN",
        "CN=Ki\\E1\\BB\\83m toán viên,O=Thanh tra Thành phố,C=VN"}) {
    EXPECT_EQ(CanonicalName(spelling).value_or("?"), *canonical) << spelling;
  }
  EXPECT_NE(CanonicalName("CN=Kiểm toán viên,O=Thanh tra Thành phố").value_or("?"), *canonical);
  EXPECT_NE(CanonicalName("CN=kiểm toán viên,O=Thanh tra Thành phố,C=VN").value_or("?"), *canonical)
      << "values compare exactly";
  // The certificate's subject, read from its DER, is the same name.
  ClientIdentityPtr auditor = Identity("client-auditor");
  ASSERT_NE(auditor, nullptr);
  EXPECT_EQ(auditor->canonical_subject, *canonical);
}

TEST(DistinguishedNameTest, EscapesAndMultiValuedRdns) {
  EXPECT_EQ(CanonicalName("CN=Nguyễn\\, Văn A,O=A\\+B").value_or("?"),
            "CN=Nguyễn\\, Văn A,O=A\\+B");
  EXPECT_EQ(CanonicalName("OU=b+CN=a,C=VN").value_or("?"),
            CanonicalName("CN=a+OU=b,C=VN").value_or("!"))
      << "the attributes of one RDN are a set";
  EXPECT_EQ(CanonicalName("CN=a\\20").value_or("?"), "CN=a\\ ")
      << "an escaped trailing space stays";
  EXPECT_EQ(CanonicalName("CN=a  ").value_or("?"), "CN=a") << "an unescaped one does not";
}

TEST(DistinguishedNameTest, MistakesAreNamedByPosition) {
  for (const auto& [text, what] :
       std::vector<std::pair<std::string, std::string>>{{"", "empty"},
                                                        {"CN", "without '='"},
                                                        {"CN=a,", "ends with a separator"},
                                                        {"CN=#0403616263", "hex-encoded"},
                                                        {"CN=a\"b", "must be escaped"},
                                                        {"CN=a\\", "at the end"},
                                                        {"C N=a", "a name or a dotted OID"},
                                                        {"CN=a\\q", "an escape is"}}) {
    const auto r = CanonicalName(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << text << ": " << r.status();
  }
}

TEST(ClientIdentityTest, FingerprintSanAndClientAuth) {
  ClientIdentityPtr verifier = Identity("client-verifier");
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->sha256_hex().size(), 64u);
  EXPECT_EQ(verifier->san_uris, std::vector<std::string>{"spiffe://sigverify.test/dms/so-noi-vu"});
  EXPECT_TRUE(verifier->client_auth);
  EXPECT_FALSE(Identity("client-serverauth")->client_auth);
  EXPECT_TRUE(Identity("signer-rsa")->client_auth) << "no extendedKeyUsage: no restriction";
  EXPECT_FALSE(
      IdentityFromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

TEST(AccessPolicyTest, GrantsMatchByFingerprintSubjectOrUri) {
  ClientIdentityPtr verifier = Identity("client-verifier");
  ClientIdentityPtr attester = Identity("client-attester");
  ClientIdentityPtr auditor = Identity("client-auditor");
  cfg::Grant by_uri = Grant(cfg::ROLE_VERIFIER);
  by_uri.add_san_uri("spiffe://sigverify.test/dms/so-noi-vu");
  cfg::Grant by_sha = Grant(cfg::ROLE_VERIFIER);
  by_sha.set_name("attester");
  // Upper case with colons is the same fingerprint.
  std::string sha = absl::AsciiStrToUpper(attester->sha256_hex());
  std::string with_colons;
  for (size_t i = 0; i < sha.size(); i += 2) {
    with_colons += (i ? ":" : "") + sha.substr(i, 2);
  }
  by_sha.add_certificate_sha256(with_colons);
  by_sha.set_may_set_validation_time(true);
  cfg::Grant by_subject = Grant(cfg::ROLE_AUDITOR);
  by_subject.add_subject("CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN");
  auto policy = AccessPolicy::Compile(Config({by_uri, by_sha, by_subject}));
  ASSERT_TRUE(policy.ok()) << policy.status();

  Decision d = (*policy)->Match(*verifier, cfg::ROLE_VERIFIER);
  ASSERT_NE(d.grant, nullptr);
  EXPECT_EQ(d.grant->name, "verifier-1");
  EXPECT_FALSE(d.may_set_validation_time);
  d = (*policy)->Match(*attester, cfg::ROLE_VERIFIER);
  ASSERT_NE(d.grant, nullptr);
  EXPECT_EQ(d.grant->name, "attester");
  EXPECT_TRUE(d.may_set_validation_time);
  EXPECT_NE((*policy)->Match(*auditor, cfg::ROLE_AUDITOR).grant, nullptr);
  // A grant is for its role only.
  EXPECT_EQ((*policy)->Match(*auditor, cfg::ROLE_VERIFIER).grant, nullptr);
  EXPECT_EQ((*policy)->Match(*verifier, cfg::ROLE_AUDITOR).grant, nullptr);
  EXPECT_EQ((*policy)->Match(*verifier, cfg::ROLE_ADMIN).grant, nullptr);
  EXPECT_EQ((*policy)->Match(*Identity("client-unknown"), cfg::ROLE_VERIFIER).grant, nullptr);
}

TEST(AccessPolicyTest, MistakesNameTheGrantAndField) {
  cfg::Grant ok = Grant(cfg::ROLE_VERIFIER);
  ok.add_subject("CN=a");
  cfg::Grant no_role = ok;
  no_role.set_role(cfg::ROLE_UNSPECIFIED);
  cfg::Grant nothing = Grant(cfg::ROLE_AUDITOR);
  cfg::Grant short_sha = Grant(cfg::ROLE_ADMIN);
  short_sha.add_certificate_sha256("abcd");
  cfg::Grant bad_subject = Grant(cfg::ROLE_AUDITOR);
  bad_subject.add_subject("CN");
  cfg::Grant time_for_auditor = Grant(cfg::ROLE_AUDITOR);
  time_for_auditor.add_subject("CN=a");
  time_for_auditor.set_may_set_validation_time(true);
  cfg::Grant bad_name = ok;
  bad_name.set_name("Sở Nội vụ");
  cfg::Grant named = ok;
  named.set_name("verifier-1");  // the default name of grant 1
  for (const auto& [config, what] : std::vector<std::pair<cfg::AccessConfig, std::string>>{
           {Config({ok, no_role}), "grants[2].role"},
           {Config({nothing}), "grants[1].certificate_sha256: a grant names at least one"},
           {Config({short_sha}), "grants[1].certificate_sha256: 'abcd' is not 32 bytes"},
           {Config({bad_subject}), "grants[1].subject"},
           {Config({time_for_auditor}),
            "grants[1].may_set_validation_time: only for ROLE_VERIFIER"},
           {Config({bad_name}), "grants[1].name"},
           {Config({ok, named}), "grants[2].name: 'verifier-1' names another grant too"}}) {
    const auto policy = AccessPolicy::Compile(config);
    ASSERT_FALSE(policy.ok()) << what;
    EXPECT_NE(policy.status().message().find(what), std::string::npos) << policy.status();
  }
}

std::vector<crypto::CertificatePtr> ClientCas() {
  auto cas = crypto::Certificate::ParseAll(PkiFile("client-ca.pem"));
  EXPECT_TRUE(cas.ok());
  return *cas;
}

TEST(ClientCrlsTest, RevokedStaleAndOtherCas) {
  const absl::Time now = absl::Now();
  auto crls = ClientCrls::Load(PkiFile("client-ca.crl"), ClientCas());
  ASSERT_TRUE(crls.ok()) << crls.status();
  const absl::Status revoked = crls->Check(*Identity("client-revoked"), now);
  EXPECT_EQ(revoked.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.message().find("serial 01FA"), std::string::npos) << revoked;
  EXPECT_TRUE(crls->Check(*Identity("client-verifier"), now).ok());
  EXPECT_TRUE(crls->Check(*Identity("client-foreign"), now).ok()) << "no CRL of its CA here";
  // Past its nextUpdate the CRL proves nothing: every certificate of its CA
  // is refused, until it is renewed.
  const absl::Status late = crls->Check(*Identity("client-verifier"), now + absl::Hours(24 * 8));
  EXPECT_EQ(late.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(late.message().find("due for renewal"), std::string::npos) << late;

  auto stale = ClientCrls::Load(PkiFile("client-ca-stale.crl"), ClientCas());
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->Check(*Identity("client-verifier"), now).ok());
}

TEST(ClientCrlsTest, ACrlNotSignedByAClientCaIsRefused) {
  // The CA's CRL checked against the server's own CA: wrong signer.
  auto wrong =
      ClientCrls::Load(PkiFile("client-ca.crl"), *crypto::Certificate::ParseAll(PkiFile("ca.pem")));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("not signed by a client CA"), std::string::npos);
  EXPECT_FALSE(ClientCrls::Load("not a CRL", ClientCas()).ok());
}

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / "access_control_test";
    std::filesystem::create_directories(dir_);
    config_ = (dir_ / "access.textproto").string();
  }
  void Write(const std::string& text) { std::ofstream(config_, std::ios::trunc) << text; }
  absl::StatusOr<std::unique_ptr<AccessControl>> Create() {
    AccessControl::Options options;
    options.config_file = config_;
    options.client_ca_file = TestPkiDir() + "/client-ca.pem";
    options.client_crl_file = TestPkiDir() + "/client-ca.crl";
    options.poll_interval = absl::ZeroDuration();
    return AccessControl::Create(std::move(options));
  }
  std::filesystem::path dir_;
  std::string config_;
};

TEST_F(AccessControlTest, DecisionsAtAGivenTime) {
  Write(absl::StrCat("grants { name: \"dms\" role: ROLE_VERIFIER certificate_sha256: \"",
                     Identity("client-verifier")->sha256_hex(), "\" }\n",
                     "grants { role: ROLE_VERIFIER certificate_sha256: \"",
                     Identity("client-revoked")->sha256_hex(), "\" }\n"));
  auto control = Create();
  ASSERT_TRUE(control.ok()) << control.status();
  const absl::Time now = absl::Now();
  const std::string method = "/sigverify.v1.VerificationService/Verify";
  auto caller =
      (*control)->Authorize(PkiFile("client-verifier.pem"), cfg::ROLE_VERIFIER, method, now);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->label, "dms");
  EXPECT_EQ(caller->identity->sha256_hex(), Identity("client-verifier")->sha256_hex());
  // The certificate's validity is checked at the time given (a connection
  // may outlive its certificate).
  auto expired = (*control)->Authorize(PkiFile("client-verifier.pem"), cfg::ROLE_VERIFIER, method,
                                       now + absl::Hours(24 * 400));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("is valid from"), std::string::npos);
  auto revoked =
      (*control)->Authorize(PkiFile("client-revoked.pem"), cfg::ROLE_VERIFIER, method, now);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  auto none = (*control)->Authorize("", cfg::ROLE_VERIFIER, method, now);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnauthenticated);
  auto wrong_role =
      (*control)->Authorize(PkiFile("client-verifier.pem"), cfg::ROLE_AUDITOR, "/x/Y", now);
  EXPECT_EQ(wrong_role.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(wrong_role.status().message().find("/x/Y needs ROLE_AUDITOR"), std::string::npos);
}

TEST_F(AccessControlTest, ReloadKeepsTheGrantsInForceOnAMistake) {
  Write("grants { role: ROLE_AUDITOR subject: \"CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN\" }");
  auto control = Create();
  ASSERT_TRUE(control.ok()) << control.status();
  const std::string version = (*control)->version();
  Write("grants { role: ROLE_AUDITOR subject: \"CN\" }");
  EXPECT_FALSE((*control)->Reload().ok());
  EXPECT_EQ((*control)->version(), version);
  EXPECT_TRUE((*control)
                  ->Authorize(PkiFile("client-auditor.pem"), cfg::ROLE_AUDITOR, "/m", absl::Now())
                  .ok());
  Write("grants { role: ROLE_ADMIN subject: \"CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN\" }");
  EXPECT_TRUE((*control)->Reload().ok());
  EXPECT_NE((*control)->version(), version);
  EXPECT_FALSE((*control)
                   ->Authorize(PkiFile("client-auditor.pem"), cfg::ROLE_AUDITOR, "/m", absl::Now())
                   .ok());
}

TEST(AccessControlOffTest, EverythingIsOpenAndCertificatesAreStillIdentified) {
  auto control = AccessControl::Create({});
  ASSERT_TRUE(control.ok());
  EXPECT_FALSE((*control)->enabled());
  auto anonymous = (*control)->Authorize("", cfg::ROLE_ADMIN, "/m", absl::Now());
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->identity, nullptr);
  EXPECT_EQ(anonymous->label, "open");
  EXPECT_FALSE(anonymous->may_set_validation_time);
  auto known =
      (*control)->Authorize(PkiFile("client-unknown.pem"), cfg::ROLE_ADMIN, "/m", absl::Now());
  ASSERT_TRUE(known.ok());
  ASSERT_NE(known->identity, nullptr);
}

TEST(CallerQuotasTest, TokenBucketAtGivenTimes) {
  CallerQuotas quotas;
  QuotaLimits limits;
  limits.items_per_second = 10;
  limits.burst_items = 20;
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  absl::Duration retry;
  CallerQuotas::Hold a, b, c;
  EXPECT_TRUE(quotas.Admit("dms", limits, 15, t0, &a, &retry).ok());
  const absl::Status refused = quotas.Admit("dms", limits, 10, t0, &b, &retry);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(retry, absl::Milliseconds(500)) << "5 tokens left, 10 wanted, 10 per second";
  EXPECT_NE(refused.message().find("quota of 'dms'"), std::string::npos) << refused;
  EXPECT_TRUE(quotas.Admit("dms", limits, 10, t0 + absl::Milliseconds(500), &b, &retry).ok());
  EXPECT_TRUE(quotas.Admit("other", limits, 20, t0, &c, &retry).ok()) << "buckets are per caller";
  // A call larger than the bucket passes once the bucket is full.
  CallerQuotas::Hold big;
  EXPECT_FALSE(quotas.Admit("dms", limits, 50, t0 + absl::Seconds(1), &big, &retry).ok());
  EXPECT_EQ(retry, absl::Milliseconds(1500)) << "until full: 15 of 20 missing";
  EXPECT_TRUE(quotas.Admit("dms", limits, 50, t0 + absl::Seconds(3), &big, &retry).ok());
  EXPECT_FALSE(quotas.Admit("dms", limits, 1, t0 + absl::Seconds(4), &big, &retry).ok())
      << "the big call left the bucket in debt";
}

TEST(CallerQuotasTest, InflightBoundAndRelease) {
  CallerQuotas quotas;
  QuotaLimits limits;
  limits.max_inflight_items = 100;
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  absl::Duration retry;
  CallerQuotas::Hold first, second;
  EXPECT_TRUE(quotas.Admit("dms", limits, 80, t0, &first, &retry).ok());
  EXPECT_EQ(quotas.inflight("dms"), 80u);
  EXPECT_EQ(quotas.Admit("dms", limits, 30, t0, &second, &retry).code(),
            absl::StatusCode::kResourceExhausted);
  first.Release();
  EXPECT_EQ(quotas.inflight("dms"), 0u);
  EXPECT_TRUE(quotas.Admit("dms", limits, 30, t0, &second, &retry).ok());
  {
    CallerQuotas::Hold alone;
    second.Release();
    EXPECT_TRUE(quotas.Admit("dms", limits, 500, t0, &alone, &retry).ok())
        << "nothing else in flight: a call over the bound is not refused forever";
  }
  EXPECT_EQ(quotas.inflight("dms"), 0u) << "the hold released on destruction";
  CallerQuotas::Hold unlimited;
  EXPECT_TRUE(quotas.Admit("open", QuotaLimits{}, 1000000, t0, &unlimited, &retry).ok());
}

TEST(AccessPolicyTest, QuotaOfTheGrantOrTheDefault) {
  cfg::AccessConfig config;
  config.mutable_default_quota()->set_items_per_second(100);
  cfg::Grant own = Grant(cfg::ROLE_VERIFIER);
  own.add_subject("CN=Hệ thống quản lý văn bản Sở Nội vụ,O=Sở Nội vụ Hà Nội,C=VN");
  own.mutable_quota()->set_max_inflight_items(7);
  *config.add_grants() = own;
  cfg::Grant plain = Grant(cfg::ROLE_VERIFIER);
  plain.add_san_uri("spiffe://sigverify.test/none");
  plain.add_subject("CN=Máy khách chưa được cấp quyền,C=VN");
  *config.add_grants() = plain;
  auto policy = AccessPolicy::Compile(config);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const Decision own_d = (*policy)->Match(*Identity("client-verifier"), cfg::ROLE_VERIFIER);
  ASSERT_NE(own_d.grant, nullptr);
  EXPECT_EQ(own_d.grant->quota.max_inflight_items, 7u);
  EXPECT_EQ(own_d.grant->quota.items_per_second, 0);
  const Decision plain_d = (*policy)->Match(*Identity("client-unknown"), cfg::ROLE_VERIFIER);
  ASSERT_NE(plain_d.grant, nullptr);
  EXPECT_EQ(plain_d.grant->quota.items_per_second, 100);
  EXPECT_EQ(plain_d.grant->quota.burst_items, 100) << "a second's worth";
  cfg::Grant auditor_quota = Grant(cfg::ROLE_AUDITOR);
  auditor_quota.add_subject("CN=a");
  auditor_quota.mutable_quota()->set_items_per_second(1);
  EXPECT_FALSE(AccessPolicy::Compile(Config({auditor_quota})).ok());
}

}  // namespace
}  // namespace sigverify::service::access
