#include "service/server_config.h"

#include <cstdio>
#include <set>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "service/flags.h"
#include "service/server_flags.h"
#include "tests/testing/test_files.h"

ABSL_DECLARE_FLAG(std::string, config);
ABSL_DECLARE_FLAG(int64_t, max_batch_items);
ABSL_DECLARE_FLAG(std::vector<std::string>, url_rewrite);

namespace sigverify::service {
namespace {

namespace cfg = ::sigverify::config::v1;

ServerConfig Valid() {
  ServerConfig c = DefaultServerConfig();
  c.mutable_trust()->set_anchors_dir(sigverify::testing::TestPkiDir() + "/anchors");
  return c;
}

TEST(ServerConfigTest, DefaultsWithAnAnchorDirectoryAreValid) {
  EXPECT_TRUE(ValidateServerConfig(Valid()).ok()) << ValidateServerConfig(Valid());
}

TEST(ServerConfigTest, PlaintextIsAllowedOnAddressesThatResolveToLoopbackOnly) {
  for (const char* address : {"127.0.0.1:0", "127.0.0.2:0", "localhost:0", "[::1]:0"}) {
    ServerConfig c = Valid();
    c.mutable_listeners()->set_grpc(address);
    EXPECT_TRUE(ValidateServerConfig(c).ok()) << address << ": " << ValidateServerConfig(c);
  }
}

// /metrics off loopback: TLS, then client certificates and grants, as for
// gRPC.
TEST(ServerConfigTest, MetricsOffLoopbackNeedTlsAndAccessControl) {
  const std::string pki = sigverify::testing::TestPkiDir();
  ServerConfig c = Valid();
  c.mutable_listeners()->set_metrics("0.0.0.0:0");
  c.mutable_listeners()->set_tls_certificate_file(pki + "/tls-server.pem");
  c.mutable_listeners()->set_tls_private_key_file(pki + "/tls-server.key");
  absl::Status s = ValidateServerConfig(c);
  EXPECT_TRUE(absl::StrContains(s.message(), "plaintext /metrics is allowed on loopback only"))
      << s;

  c.mutable_listeners()->set_metrics_tls(true);
  s = ValidateServerConfig(c);
  EXPECT_TRUE(absl::StrContains(s.message(), "without access control")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "ROLE_MONITOR")) << s;

  c.mutable_listeners()->set_tls_client_ca_file(pki + "/client-ca.pem");
  c.mutable_access()->add_grants()->set_role(cfg::ROLE_MONITOR);
  c.mutable_access()->mutable_grants(0)->add_subject(
      "CN=Prometheus giám sát,O=Trung tâm dữ liệu,C=VN");
  EXPECT_TRUE(ValidateServerConfig(c).ok()) << ValidateServerConfig(c);
}

TEST(ServerConfigTest, DefaultsAloneNameTheMissingTrustAnchors) {
  const absl::Status s = ValidateServerConfig(DefaultServerConfig());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "--trust-anchors (trust.anchors_dir): ")) << s;
}

// Messages name a field's flag (FlagForField) and flags set fields
// (OverridingFlags): the two lists must be the same flags.
TEST(ServerConfigTest, EveryFlagOverridesTheFieldItIsNamedFor) {
  std::set<std::string> applied;
  for (absl::string_view f : OverridingFlags()) applied.insert(std::string(f));
  std::set<std::string> named;
  for (const auto& [field, flag] : FieldsWithFlags()) {
    named.insert(std::string(flag));
    EXPECT_EQ(FlagForField(field), flag);
    EXPECT_NE(
        ServerConfig::descriptor()->FindFieldByName(std::string(field.substr(0, field.find('.')))),
        nullptr)
        << field;
  }
  EXPECT_EQ(applied, named);
}

TEST(ServerConfigTest, OverlayReplacesWhatItSetsAndKeepsTheRest) {
  ServerConfig base = Valid();
  base.mutable_revocation()->add_aia_fetch_prefixes("http://a.example/");
  auto overlay = ParseServerConfig(R"pb(
    trust { poll_interval {} }
    limits { max_batch_items: 0 }
    revocation { aia_fetch_prefixes: "http://b.example/" }
  )pb");
  ASSERT_TRUE(overlay.ok()) << overlay.status();
  OverlayServerConfig(*overlay, &base);
  EXPECT_EQ(base.trust().poll_interval().seconds(), 0);       // a zero Duration replaces 5s
  EXPECT_EQ(base.limits().max_batch_items(), 0);              // an explicit 0 replaces 10000
  ASSERT_EQ(base.revocation().aia_fetch_prefixes_size(), 1);  // replaced, not appended
  EXPECT_EQ(base.revocation().aia_fetch_prefixes(0), "http://b.example/");
  EXPECT_EQ(base.limits().max_data_bytes(), 32 << 20);  // unset: the default stays
  EXPECT_FALSE(base.trust().anchors_dir().empty());
}

TEST(ServerConfigTest, ParseErrorsNameTheLine) {
  auto parsed = ParseServerConfig("limits {\n  max_batch_items: \"x\"\n}\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StartsWith(parsed.status().message(), "line 2:")) << parsed.status();
}

struct BadCase {
  const char* text;      // overlay in text format
  const char* expected;  // start of the message
};

class ServerConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ServerConfigRejects, NamingFlagAndField) {
  ServerConfig c = Valid();
  auto overlay = ParseServerConfig(GetParam().text);
  ASSERT_TRUE(overlay.ok()) << overlay.status();
  OverlayServerConfig(*overlay, &c);
  const absl::Status s = ValidateServerConfig(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), GetParam().expected)) << s;
}

INSTANTIATE_TEST_SUITE_P(
    Values, ServerConfigRejects,
    ::testing::Values(
        BadCase{"listeners { grpc: \"0.0.0.0:50051\" }",
                "--listen (listeners.grpc): refusing to listen on 0.0.0.0:50051 without TLS"},
        BadCase{"listeners { grpc: \"localhost\" }", "--listen (listeners.grpc): 'localhost'"},
        // Looks like loopback as text, resolves to nothing: refused (the probe).
        BadCase{"listeners { grpc: \"127.invalid:40000\" }",
                "--listen (listeners.grpc): refusing to listen on 127.invalid:40000 without TLS"},
        BadCase{"listeners { metrics: \"127.0.0.1:99999\" }", "--metrics-listen"},
        BadCase{"limits { max_message_bytes: 1000 max_inflight_bytes: 3999 }",
                "--max-inflight-bytes (limits.max_inflight_bytes): 3999 is below 4 x"},
        BadCase{"listeners { metrics: \"0.0.0.0:9464\" }",
                "--metrics-listen (listeners.metrics): refusing to serve metrics on 0.0.0.0:9464"},
        BadCase{"listeners { metrics_tls: true }",
                "--metrics-tls (listeners.metrics_tls): /metrics over TLS needs --tls-cert"},
        BadCase{"listeners { audit: \"127.0.0.1:1\" }",
                "--audit-listen (listeners.audit): set, but there is no audit log"},
        BadCase{"listeners { tls_certificate_file: \"/nonexistent\" }",
                "--tls-key (listeners.tls_private_key_file): TLS needs both"},
        BadCase{"trust { intermediates_dir: \"/nonexistent\" }",
                "--intermediates (trust.intermediates_dir)"},
        BadCase{"trust { profiles: \"nope\" }", "--trust-profile (trust.profiles)"},
        BadCase{"trust { trust_config_file: \"/nonexistent\" }",
                "--trust-config (trust.trust_config_file)"},
        BadCase{"trust { poll_interval { seconds: -1 } }",
                "--trust-anchors-poll-interval (trust.poll_interval)"},
        BadCase{"limits { max_message_bytes: 0 }", "--max-message-bytes"},
        BadCase{"limits { max_queued_items: -5 }", "--max-queued-items"},
        BadCase{"verification { workers: 5000 }",
                "--workers (verification.workers): 5000 is outside 0..1024"},
        BadCase{"verification { min_rsa_bits: 16384 }", "--min-rsa-bits"},
        BadCase{"revocation { aia_fetch_prefixes: \"ftp://x/\" }", "--aia-fetch"},
        BadCase{"revocation { url_rewrites { from: \"http://a/\" to: \"file:///\" } }",
                "--url-rewrite (revocation.url_rewrites)"},
        BadCase{"audit { sqlite_file: \"a.db\" postgres: \"dbname=x\" }",
                "--audit-postgres (audit.postgres): give one audit store"},
        BadCase{"audit { postgres: \"dbname=x\" }", "--audit-key (audit.key_file)"},
        BadCase{"audit { max_batch: 0 }", "--audit-max-batch (audit.max_batch): 0 is outside"},
        BadCase{"audit { commit_window { seconds: 2 } }", "--audit-commit-window"},
        BadCase{"audit { retention { seconds: -1 } }", "--audit-retention"},
        BadCase{"shutdown_grace { nanos: -1 }", "--shutdown-grace (shutdown_grace): "}));

TEST(ServerFlagsTest, SpecifiedFlagsAreTheOnesOnTheCommandLine) {
  const char* argv[] = {"sigverifyd",   "--max-batch-items", "5",  "--nocheck_revocation",
                        "--audit_db=x", "--unknown-flag",    "--", "--listen=y"};
  const std::set<std::string> got = SpecifiedFlags(8, const_cast<char**>(argv));
  EXPECT_EQ(got, (std::set<std::string>{"--max-batch-items", "--check-revocation", "--audit-db"}));
}

TEST(ServerFlagsTest, OnlySpecifiedFlagsOverrideTheFile) {
  const std::string file = ::testing::TempDir() + "/server_flags_test.textproto";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("limits { max_batch_items: 7 max_data_bytes: 1000 }\n", f);
    std::fclose(f);
  }
  absl::SetFlag(&FLAGS_config, file);
  absl::SetFlag(&FLAGS_max_batch_items, 9);
  auto unset = ServerConfigFromFlags({});
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(unset->limits().max_batch_items(), 7);  // the flag was not given
  auto given = ServerConfigFromFlags({"--max-batch-items"});
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->limits().max_batch_items(), 9);
  EXPECT_EQ(given->limits().max_data_bytes(), 1000);

  absl::SetFlag(&FLAGS_url_rewrite, std::vector<std::string>{"no-equals-sign"});
  auto bad = ServerConfigFromFlags({"--url-rewrite"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "--url-rewrite (revocation.url_rewrites)"));
  absl::SetFlag(&FLAGS_url_rewrite, std::vector<std::string>{});
  absl::SetFlag(&FLAGS_config, "");
  absl::SetFlag(&FLAGS_max_batch_items, 10000);
}

}  // namespace
}  // namespace sigverify::service
