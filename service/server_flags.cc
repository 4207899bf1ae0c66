#include "service/server_flags.h"

#include <google/protobuf/util/time_util.h>

#include <functional>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/files.h"

namespace {

const sigverify::service::ServerConfig& D() {
  static const auto* const defaults =
      new sigverify::service::ServerConfig(sigverify::service::DefaultServerConfig());
  return *defaults;
}

absl::Duration DefaultDuration(const google::protobuf::Duration& d) {
  return sigverify::service::ToAbslDuration(d);
}

}  // namespace

// Defaults come from DefaultServerConfig(), so that --help shows the values in
// force; only flags given on the command line override (ServerConfigFromFlags).
ABSL_FLAG(std::string, config, "",
          "server configuration file (protobuf text format, sigverify.config.v1.ServerConfig); "
          "flags given on the command line override its fields");
ABSL_FLAG(bool, check_config, false,
          "check the configuration, print the effective one and exit (0: valid, 2: not)");
ABSL_FLAG(std::string, listen, D().listeners().grpc(), "gRPC address, HOST:PORT");
ABSL_FLAG(std::string, metrics_listen, D().listeners().metrics(),
          "Prometheus /metrics address, HOST:PORT; empty to disable");
ABSL_FLAG(std::string, audit_listen, D().listeners().audit(),
          "a separate listener for AuditService (auditors only); empty: the main listener");
ABSL_FLAG(std::string, tls_cert, "", "server certificate chain (PEM); with --tls-key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA certificates (PEM) of client certificates: every gRPC listener then requires one "
          "this CA validates, and callers are known by it; reloaded when it changes");
ABSL_FLAG(std::string, tls_client_crl, "",
          "CRLs (PEM or DER) of client certificates, signed by a --tls-client-ca CA: a revoked "
          "certificate's calls are refused, on open connections too; reloaded when it changes");
ABSL_FLAG(std::string, access_config, "",
          "access configuration file (protobuf text format, sigverify.config.v1.AccessConfig): "
          "which client certificates may verify, audit or administer; reloaded when it "
          "changes; without it every caller may call everything (allowed on loopback only)");
ABSL_FLAG(std::string, access_log, "",
          "access log file: one JSON line per call (time, peer, client certificate, grant, "
          "method, status, records, latency; never document content); reopened on SIGHUP");
ABSL_FLAG(std::string, trust_anchors, "", "directory of trust anchor certificates (PEM/DER)");
ABSL_FLAG(std::string, intermediates, "",
          "directory of CA certificates paths may use when callers do not send them (PEM/DER); "
          "not trusted by themselves");
ABSL_FLAG(std::vector<std::string>, trust_profile, {},
          "built-in trust profiles to trust as well (vn-gov); check their fingerprints first "
          "with 'sigverify trust-profile NAME'");
ABSL_FLAG(std::string, trust_config, "",
          "trust configuration file (protobuf text format, sigverify.config.v1.TrustConfig): "
          "named validation policies and per-anchor settings; reloads with the anchors");
ABSL_FLAG(absl::Duration, trust_anchors_poll_interval, DefaultDuration(D().trust().poll_interval()),
          "how often the trust anchors directory is checked for changes; 0 to reload on SIGHUP "
          "only");
ABSL_FLAG(int64_t, max_message_bytes, D().limits().max_message_bytes(),
          "largest request accepted, bytes");
ABSL_FLAG(int64_t, max_batch_items, D().limits().max_batch_items(),
          "most items in one VerifyBatch");
ABSL_FLAG(int64_t, max_stream_window, D().limits().max_stream_window(),
          "records of one VerifyStream read and not yet answered; the next is read only below "
          "it");
ABSL_FLAG(int64_t, max_data_bytes, D().limits().max_data_bytes(),
          "largest signed data in one record, bytes");
ABSL_FLAG(int64_t, max_inflight_bytes, D().limits().max_inflight_bytes(),
          "memory for calls in flight: half is gRPC's quota for messages being received, half "
          "for calls being verified (twice their size each; beyond it RESOURCE_EXHAUSTED "
          "before parsing); 0: a quarter of the machine's memory");
ABSL_FLAG(int64_t, max_queued_items, D().limits().max_queued_items(),
          "items admitted but not finished before new work is refused (RESOURCE_EXHAUSTED)");
ABSL_FLAG(int, workers, D().verification().workers(), "verification threads; 0 = one per core");
ABSL_FLAG(int64_t, certificate_cache_size, D().verification().certificate_cache_size(),
          "parsed certificates kept (about 8 KiB each for RSA-2048, measured)");
ABSL_FLAG(int64_t, path_cache_size, D().verification().path_cache_size(), "validated paths kept");
ABSL_FLAG(int, min_rsa_bits, D().verification().min_rsa_bits(),
          "smallest RSA key the default validation policy accepts, for the document signature "
          "and every key on the path");
ABSL_FLAG(bool, metrics_tls, D().listeners().metrics_tls(),
          "serve /metrics over TLS with --tls-cert/--tls-key; with --tls-client-ca a client "
          "certificate is required (with --access-config: granted ROLE_MONITOR)");
ABSL_FLAG(bool, check_revocation, D().revocation().check(),
          "check every certificate of a validated path by OCSP and CRLs in the anchor's order "
          "(cached, refreshed ahead; --url-rewrite applies) and judge it by the anchor's "
          "revocation requirement (hard-fail unless --trust-config says otherwise); false: "
          "revocation is not checked and verdicts say so");
ABSL_FLAG(std::string, revocation_cache_dir, "",
          "directory where fetched OCSP responses and CRLs are kept across restarts (written "
          "whole: fsync, rename); at start they are validated again, damaged or expired ones "
          "dropped, and health reports NOT_SERVING until that is done; empty: not kept");
ABSL_FLAG(std::vector<std::string>, aia_fetch, {},
          "URL prefixes (after --url-rewrite) from which issuer certificates named in AIA "
          "caIssuers may be fetched over http when a path cannot be built otherwise; empty: "
          "never fetch");
ABSL_FLAG(std::vector<std::string>, url_rewrite, {},
          "FROM=TO URL prefix rewrites applied to every fetch, e.g. "
          "http://ca.btc/=http://mirror.example/btc/ for intranet-only certificate URLs");
ABSL_FLAG(absl::Duration, revocation_retry_after, DefaultDuration(D().revocation().retry_after()),
          "after an OCSP responder or CRL server fails, how long the failure stands before the "
          "next lookup asks again (the server also backs off 1s, 2s, ... up to 5m)");
ABSL_FLAG(std::string, audit_db, "",
          "SQLite file of the verification audit log: every verdict is recorded (group "
          "committed, durable) before it is answered; empty: no audit log");
ABSL_FLAG(std::string, audit_log_dir, "",
          "SQLite audit log: directory of its segment files, the durable log (the SQLite file "
          "is the index auditors query, filled behind it); empty: <audit-db>.segments");
ABSL_FLAG(std::string, audit_postgres, "",
          "PostgreSQL connection string (libpq) of a verification audit log shared by several "
          "instances, each writing its own shard (--instance-id); needs --audit-key");
ABSL_FLAG(std::string, audit_key, "",
          "Ed25519 private key (PEM) that signs the audit log's checkpoints; empty: "
          "<audit-db>.key, created (mode 0600) on the first start");
ABSL_FLAG(std::string, instance_id, "",
          "this instance's audit shard (its own Merkle tree); empty: the host name");
ABSL_FLAG(std::string, audit_origin, "",
          "origin line of the audit checkpoints; empty: sigverify/<instance-id>");
ABSL_FLAG(std::string, audit_on_failure, "unavailable",
          "when a verdict cannot be recorded: 'unavailable' (the call fails, nothing is "
          "answered unlogged) or 'answer' (answered anyway, counted in "
          "sigverify_audit_unlogged_verdicts_total)");
ABSL_FLAG(absl::Duration, audit_commit_window, DefaultDuration(D().audit().commit_window()),
          "extra wait for more records before an audit commit (records arriving during a "
          "commit are grouped into the next one regardless)");
ABSL_FLAG(int, audit_max_batch, D().audit().max_batch(),
          "at most this many records per audit commit (a commit ends at this size or when "
          "nothing more is queued, after --audit-commit-window)");
ABSL_FLAG(absl::Duration, audit_retention, DefaultDuration(D().audit().retention()),
          "prune audit record bodies older than this (leaf hashes and the tree stay, so proofs "
          "still verify), checked at most hourly; 0: keep them forever");
ABSL_FLAG(int64_t, audit_min_free_bytes, D().audit().min_free_bytes(),
          "Embedded audit log: below this many free bytes on the file system of its segments "
          "or of its SQLite index (the fuller), verdicts are refused UNAVAILABLE rather than "
          "fill the disk; 0: no floor");
ABSL_FLAG(int, audit_query_threads, D().audit().query_threads(),
          "AuditService searches (QueryRecords, ExportRecords) run at once, each on its own "
          "store connection; lookups and proofs have two more of their own");
ABSL_FLAG(absl::Duration, shutdown_grace, DefaultDuration(D().shutdown_grace()),
          "on SIGTERM, how long in-flight calls may take before they are cancelled");

namespace sigverify::service {
namespace {

namespace cfg = ::sigverify::config::v1;
using google::protobuf::util::TimeUtil;

google::protobuf::Duration ToProto(absl::Duration d) {
  return TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

using Apply = std::function<absl::Status(ServerConfig&)>;

template <typename T, typename Setter>
std::pair<absl::string_view, Apply> Set(absl::string_view flag, const absl::Flag<T>& value,
                                        Setter set) {
  return {flag, [&value, set](ServerConfig& c) {
            set(c, absl::GetFlag(value));
            return absl::OkStatus();
          }};
}

// Each flag and how it overrides its field (server_config.cc maps the fields
// back to these names for messages).
// Flags of listeners and trust.
std::vector<std::pair<absl::string_view, Apply>> ListenerAndTrustFlags() {
  return {
      Set("--listen", FLAGS_listen,
          [](ServerConfig& c, std::string v) { c.mutable_listeners()->set_grpc(v); }),
      Set("--metrics-listen", FLAGS_metrics_listen,
          [](ServerConfig& c, std::string v) { c.mutable_listeners()->set_metrics(v); }),
      Set("--audit-listen", FLAGS_audit_listen,
          [](ServerConfig& c, std::string v) { c.mutable_listeners()->set_audit(v); }),
      Set("--tls-cert", FLAGS_tls_cert,
          [](ServerConfig& c, std::string v) {
            c.mutable_listeners()->set_tls_certificate_file(v);
          }),
      Set("--tls-key", FLAGS_tls_key,
          [](ServerConfig& c, std::string v) {
            c.mutable_listeners()->set_tls_private_key_file(v);
          }),
      Set("--tls-client-ca", FLAGS_tls_client_ca,
          [](ServerConfig& c, std::string v) { c.mutable_listeners()->set_tls_client_ca_file(v); }),
      Set("--tls-client-crl", FLAGS_tls_client_crl,
          [](ServerConfig& c, std::string v) {
            c.mutable_listeners()->set_tls_client_crl_file(v);
          }),
      Set("--metrics-tls", FLAGS_metrics_tls,
          [](ServerConfig& c, bool v) { c.mutable_listeners()->set_metrics_tls(v); }),
      Set("--access-config", FLAGS_access_config,
          [](ServerConfig& c, std::string v) { c.set_access_config_file(v); }),
      Set("--access-log", FLAGS_access_log,
          [](ServerConfig& c, std::string v) { c.set_access_log_file(v); }),
      Set("--trust-anchors", FLAGS_trust_anchors,
          [](ServerConfig& c, std::string v) { c.mutable_trust()->set_anchors_dir(v); }),
      Set("--intermediates", FLAGS_intermediates,
          [](ServerConfig& c, std::string v) { c.mutable_trust()->set_intermediates_dir(v); }),
      Set("--trust-profile", FLAGS_trust_profile,
          [](ServerConfig& c, const std::vector<std::string>& v) {
            c.mutable_trust()->mutable_profiles()->Assign(v.begin(), v.end());
          }),
      Set("--trust-config", FLAGS_trust_config,
          [](ServerConfig& c, std::string v) { c.mutable_trust()->set_trust_config_file(v); }),
      Set("--trust-anchors-poll-interval", FLAGS_trust_anchors_poll_interval,
          [](ServerConfig& c, absl::Duration v) {
            *c.mutable_trust()->mutable_poll_interval() = ToProto(v);
          }),
  };
}

// Flags of limits and caches.
std::vector<std::pair<absl::string_view, Apply>> LimitFlags() {
  return {
      Set("--max-message-bytes", FLAGS_max_message_bytes,
          [](ServerConfig& c, int64_t v) { c.mutable_limits()->set_max_message_bytes(v); }),
      Set("--max-batch-items", FLAGS_max_batch_items,
          [](ServerConfig& c, int64_t v) { c.mutable_limits()->set_max_batch_items(v); }),
      Set("--max-stream-window", FLAGS_max_stream_window,
          [](ServerConfig& c, int64_t v) { c.mutable_limits()->set_max_stream_window(v); }),
      Set("--max-data-bytes", FLAGS_max_data_bytes,
          [](ServerConfig& c, int64_t v) { c.mutable_limits()->set_max_data_bytes(v); }),
      Set("--max-inflight-bytes", FLAGS_max_inflight_bytes,
          [](ServerConfig& c, int64_t v) { c.mutable_limits()->set_max_inflight_bytes(v); }),
      Set("--max-queued-items", FLAGS_max_queued_items,
          [](ServerConfig& c, int64_t v) { c.mutable_limits()->set_max_queued_items(v); }),
      Set("--workers", FLAGS_workers,
          [](ServerConfig& c, int v) { c.mutable_verification()->set_workers(v); }),
      Set("--certificate-cache-size", FLAGS_certificate_cache_size,
          [](ServerConfig& c, int64_t v) {
            c.mutable_verification()->set_certificate_cache_size(v);
          }),
      Set("--path-cache-size", FLAGS_path_cache_size,
          [](ServerConfig& c, int64_t v) { c.mutable_verification()->set_path_cache_size(v); }),
      Set("--min-rsa-bits", FLAGS_min_rsa_bits,
          [](ServerConfig& c, int v) { c.mutable_verification()->set_min_rsa_bits(v); }),
  };
}

// Flags of revocation and AIA.
std::vector<std::pair<absl::string_view, Apply>> RevocationFlags() {
  return {
      Set("--check-revocation", FLAGS_check_revocation,
          [](ServerConfig& c, bool v) { c.mutable_revocation()->set_check(v); }),
      Set("--revocation-cache-dir", FLAGS_revocation_cache_dir,
          [](ServerConfig& c, std::string v) { c.mutable_revocation()->set_cache_dir(v); }),
      Set("--revocation-retry-after", FLAGS_revocation_retry_after,
          [](ServerConfig& c, absl::Duration v) {
            *c.mutable_revocation()->mutable_retry_after() = ToProto(v);
          }),
      Set("--aia-fetch", FLAGS_aia_fetch,
          [](ServerConfig& c, const std::vector<std::string>& v) {
            c.mutable_revocation()->mutable_aia_fetch_prefixes()->Assign(v.begin(), v.end());
          }),
      {"--url-rewrite",
       [](ServerConfig& c) {
         auto* rules = c.mutable_revocation()->mutable_url_rewrites();
         rules->Clear();
         for (const std::string& rule : absl::GetFlag(FLAGS_url_rewrite)) {
           const size_t eq = rule.find('=');
           if (eq == std::string::npos) {
             return absl::InvalidArgumentError(absl::StrCat(
                 "--url-rewrite (revocation.url_rewrites): '", rule, "': FROM=TO expected"));
           }
           cfg::UrlRewrite* r = rules->Add();
           r->set_from(rule.substr(0, eq));
           r->set_to(rule.substr(eq + 1));
         }
         return absl::OkStatus();
       }},
  };
}

// Flags of the audit log and shutdown.
std::vector<std::pair<absl::string_view, Apply>> AuditFlags() {
  return {
      Set("--audit-db", FLAGS_audit_db,
          [](ServerConfig& c, std::string v) { c.mutable_audit()->set_sqlite_file(v); }),
      Set("--audit-log-dir", FLAGS_audit_log_dir,
          [](ServerConfig& c, std::string v) { c.mutable_audit()->set_log_dir(v); }),
      Set("--audit-postgres", FLAGS_audit_postgres,
          [](ServerConfig& c, std::string v) { c.mutable_audit()->set_postgres(v); }),
      Set("--audit-key", FLAGS_audit_key,
          [](ServerConfig& c, std::string v) { c.mutable_audit()->set_key_file(v); }),
      Set("--instance-id", FLAGS_instance_id,
          [](ServerConfig& c, std::string v) { c.mutable_audit()->set_instance_id(v); }),
      Set("--audit-origin", FLAGS_audit_origin,
          [](ServerConfig& c, std::string v) { c.mutable_audit()->set_origin(v); }),
      {"--audit-on-failure",
       [](ServerConfig& c) {
         const std::string v = absl::GetFlag(FLAGS_audit_on_failure);
         if (v == "unavailable") {
           c.mutable_audit()->set_on_failure(cfg::AUDIT_FAILURE_POLICY_UNAVAILABLE);
         } else if (v == "answer") {
           c.mutable_audit()->set_on_failure(cfg::AUDIT_FAILURE_POLICY_ANSWER);
         } else {
           return absl::InvalidArgumentError(
               absl::StrCat("--audit-on-failure (audit.on_failure): '", v,
                            "' is neither 'unavailable' nor 'answer'"));
         }
         return absl::OkStatus();
       }},
      Set("--audit-commit-window", FLAGS_audit_commit_window,
          [](ServerConfig& c, absl::Duration v) {
            *c.mutable_audit()->mutable_commit_window() = ToProto(v);
          }),
      Set("--audit-max-batch", FLAGS_audit_max_batch,
          [](ServerConfig& c, int v) { c.mutable_audit()->set_max_batch(v); }),
      Set("--audit-min-free-bytes", FLAGS_audit_min_free_bytes,
          [](ServerConfig& c, int64_t v) { c.mutable_audit()->set_min_free_bytes(v); }),
      Set("--audit-query-threads", FLAGS_audit_query_threads,
          [](ServerConfig& c, int v) { c.mutable_audit()->set_query_threads(v); }),
      Set("--audit-retention", FLAGS_audit_retention,
          [](ServerConfig& c, absl::Duration v) {
            *c.mutable_audit()->mutable_retention() = ToProto(v);
          }),
      Set("--shutdown-grace", FLAGS_shutdown_grace,
          [](ServerConfig& c, absl::Duration v) { *c.mutable_shutdown_grace() = ToProto(v); }),
  };
}

const std::vector<std::pair<absl::string_view, Apply>>& Overrides() {
  static const auto* const table = [] {
    auto* all = new std::vector<std::pair<absl::string_view, Apply>>();
    for (auto group : {ListenerAndTrustFlags, LimitFlags, RevocationFlags, AuditFlags}) {
      for (auto& row : group()) all->push_back(std::move(row));
    }
    return all;
  }();
  return *table;
}

}  // namespace

absl::StatusOr<ServerConfig> ServerConfigFromFlags(const std::set<std::string>& specified) {
  ServerConfig config = DefaultServerConfig();
  if (const std::string file = absl::GetFlag(FLAGS_config); !file.empty()) {
    auto text = ReadSmallFile(file);
    if (!text.ok())
      return absl::InvalidArgumentError(absl::StrCat("--config: ", text.status().message()));
    auto parsed = ParseServerConfig(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config: ", file, ": ", parsed.status().message()));
    }
    OverlayServerConfig(*parsed, &config);
  }
  for (const auto& [flag, apply] : Overrides()) {
    if (!specified.contains(std::string(flag))) continue;
    if (auto s = apply(config); !s.ok()) return s;
  }
  return config;
}

bool CheckConfigOnly() { return absl::GetFlag(FLAGS_check_config); }

std::vector<absl::string_view> OverridingFlags() {
  std::vector<absl::string_view> out;
  for (const auto& [flag, apply] : Overrides()) out.push_back(flag);
  return out;
}

}  // namespace sigverify::service
