// sigverifyd: the signature verification service.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cache/aia_issuer_source.h"
#include "cache/crl_revocation_checker.h"
#include "cache/ocsp_revocation_checker.h"
#include "cache/revocation_sources.h"
#include "cache/revocation_store.h"
#include "cache/url_rewriter.h"
#include "crypto/trust_profile.h"
#include "crypto/trust_store.h"
#include "service/audit/audit_log.h"
#include "service/audit/postgres_audit_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit_service.h"
#include "service/flags.h"
#include "service/metrics.h"
#include "service/trust_config.h"
#include "service/trust_store_reloader.h"
#include "service/verification_service.h"
#include "service/verifier.h"
#include "service/worker_pool.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC address, HOST:PORT");
ABSL_FLAG(std::string, trust_anchors, "", "directory of trust anchor certificates (PEM/DER)");
ABSL_FLAG(std::string, intermediates, "",
          "directory of CA certificates paths may use when callers do not send them (PEM/DER); "
          "not trusted by themselves");
ABSL_FLAG(std::vector<std::string>, trust_profile, {},
          "built-in trust profiles to trust as well (vn-gov); check their fingerprints first "
          "with 'sigverify trust-profile NAME'");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Prometheus /metrics address, HOST:PORT; empty to disable");
ABSL_FLAG(std::string, tls_cert, "", "server certificate chain (PEM); with --tls-key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(int, workers, 0, "verification threads; 0 = one per core");
ABSL_FLAG(int64_t, max_message_bytes, 32 << 20, "largest request accepted, bytes");
ABSL_FLAG(int64_t, max_batch_items, 10000, "most items in one VerifyBatch");
ABSL_FLAG(int64_t, max_data_bytes, 32 << 20, "largest signed data in one record, bytes");
ABSL_FLAG(int64_t, max_queued_items, 100000,
          "items admitted but not finished before new work is refused (RESOURCE_EXHAUSTED)");
ABSL_FLAG(int64_t, certificate_cache_size, 20000,
          "parsed certificates kept (about 8 KiB each for RSA-2048, measured)");
ABSL_FLAG(int64_t, path_cache_size, 100000, "validated paths kept");
ABSL_FLAG(int, min_rsa_bits, 2048,
          "smallest RSA key the default validation policy accepts, for the document signature "
          "and every key on the path");
ABSL_FLAG(std::vector<std::string>, aia_fetch, {},
          "URL prefixes (after --url-rewrite) from which issuer certificates named in AIA "
          "caIssuers may be fetched over http when a path cannot be built otherwise; empty: "
          "never fetch");
ABSL_FLAG(std::vector<std::string>, url_rewrite, {},
          "FROM=TO URL prefix rewrites applied to every fetch, e.g. "
          "http://ca.btc/=http://mirror.example/btc/ for intranet-only certificate URLs");
ABSL_FLAG(bool, check_revocation, true,
          "check every certificate of a validated path by OCSP and CRLs in the anchor's order "
          "(cached, refreshed ahead; --url-rewrite applies) and judge it by the anchor's "
          "revocation requirement (hard-fail unless --trust-config says otherwise); false: "
          "revocation is not checked and verdicts say so");
ABSL_FLAG(std::string, revocation_cache_dir, "",
          "directory where fetched OCSP responses and CRLs are kept across restarts (written "
          "whole: fsync, rename); at start they are validated again, damaged or expired ones "
          "dropped, and health reports NOT_SERVING until that is done; empty: not kept");
ABSL_FLAG(std::string, audit_db, "",
          "SQLite file of the verification audit log: every verdict is recorded (group "
          "committed, durable) before it is answered; empty: no audit log");
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
ABSL_FLAG(absl::Duration, audit_commit_window, absl::ZeroDuration(),
          "extra wait for more records before an audit commit (records arriving during a "
          "commit are grouped into the next one regardless)");
ABSL_FLAG(int, audit_max_batch, 2000,
          "at most this many records per audit commit (a commit ends at this size or when "
          "nothing more is queued, after --audit-commit-window)");
ABSL_FLAG(absl::Duration, audit_retention, absl::ZeroDuration(),
          "prune audit record bodies older than this (leaf hashes and the tree stay, so proofs "
          "still verify), checked at most hourly; 0: keep them forever");
ABSL_FLAG(std::string, audit_listen, "",
          "a separate listener for AuditService (auditors only); empty: the main listener");
ABSL_FLAG(std::string, trust_config, "",
          "trust configuration file (protobuf text format, sigverify.config.v1.TrustConfig): "
          "named validation policies and per-anchor settings; reloads with the anchors");
ABSL_FLAG(
    absl::Duration, trust_anchors_poll_interval, absl::Seconds(5),
    "how often the trust anchors directory is checked for changes; 0 to reload on SIGHUP only");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM, how long in-flight calls may take before they are cancelled");

namespace sigverify::service {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "%s sigverifyd: %s\n",
               absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()).c_str(),
               line.c_str());
}

bool IsLoopback(const std::string& address) {
  return absl::StartsWith(address, "127.") || absl::StartsWith(address, "localhost:") ||
         absl::StartsWith(address, "[::1]:");
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return buf.str();
}

// A scrape-time sample from an optional component's stats (0 when it is off).
template <typename Component, typename Field>
std::function<double()> StatOf(std::shared_ptr<Component> component, Field field) {
  return [component, field] { return component ? field(component->stats()) : 0.0; };
}

// The audit log of --audit-db: the store, the checkpoint key (created next
// to the database on the first start when --audit-key is not given) and the
// writer, with its metrics.
absl::StatusOr<std::unique_ptr<audit::AuditLog>> OpenAuditLog(const std::string& db,
                                                              prometheus::Registry& registry) {
  if (absl::GetFlag(FLAGS_audit_max_batch) < 1) {
    return absl::InvalidArgumentError("--audit-max-batch must be at least 1");
  }
  std::string instance = absl::GetFlag(FLAGS_instance_id);
  if (instance.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    instance = host[0] != '\0' ? host : "sigverifyd";
  }
  std::string origin = absl::GetFlag(FLAGS_audit_origin);
  if (origin.empty()) origin = absl::StrCat("sigverify/", instance);
  std::string key_file = absl::GetFlag(FLAGS_audit_key);
  const std::string postgres = absl::GetFlag(FLAGS_audit_postgres);
  if (!postgres.empty() && key_file.empty()) {
    return absl::InvalidArgumentError("--audit-postgres needs --audit-key (each instance's own)");
  }
  const bool default_key = key_file.empty();
  if (default_key) key_file = db + ".key";
  absl::StatusOr<audit::CheckpointSigner> signer = absl::NotFoundError("");
  if (auto pem = ReadSmallFile(key_file); pem.ok()) {
    signer = audit::CheckpointSigner::FromPem(*pem, origin);
  } else if (default_key) {
    signer = audit::CheckpointSigner::Generate(origin);
    if (signer.ok()) {
      auto pem_out = signer->PrivateKeyPem();
      if (!pem_out.ok()) return pem_out.status();
      const mode_t old_mask = umask(077);
      std::ofstream out(key_file, std::ios::binary | std::ios::trunc);
      out << *pem_out;
      out.close();
      umask(old_mask);
      if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", key_file));
      Log(absl::StrCat("audit log: created the checkpoint key ", key_file));
    }
  } else {
    return absl::NotFoundError(absl::StrCat("cannot read --audit-key ", key_file));
  }
  if (!signer.ok())
    return absl::Status(signer.status().code(),
                        absl::StrCat(key_file, ": ", signer.status().message()));
  absl::StatusOr<std::unique_ptr<audit::AuditStore>> store;
  if (!postgres.empty()) {
    store = audit::PostgresAuditStore::Open(postgres);
  } else {
    store = audit::SqliteAuditStore::Open(db);
  }
  if (!store.ok()) return store.status();
  audit::AuditLog::Options options;
  options.shard = instance;
  options.origin = origin;
  options.commit_window = absl::GetFlag(FLAGS_audit_commit_window);
  options.max_batch = static_cast<size_t>(absl::GetFlag(FLAGS_audit_max_batch));
  options.retention = absl::GetFlag(FLAGS_audit_retention);
  auto log = audit::AuditLog::Open(*std::move(store), *std::move(signer), options);
  if (!log.ok()) return log.status();
  auto& batch = prometheus::BuildHistogram()
                    .Name("sigverify_audit_commit_records")
                    .Help("Records per audit log commit (group commit)")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128,
                                                                     256, 512, 1024, 2048});
  auto& latency = prometheus::BuildHistogram()
                      .Name("sigverify_audit_commit_duration_seconds")
                      .Help("Audit log commit latency (one durable transaction)")
                      .Register(registry)
                      .Add({}, prometheus::Histogram::BucketBoundaries{
                                   0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1});
  (*log)->on_commit = [&batch, &latency](size_t records, absl::Duration took) {
    batch.Observe(static_cast<double>(records));
    latency.Observe(absl::ToDoubleSeconds(took));
  };
  return log;
}

int Run() {
  const std::string anchors_dir = absl::GetFlag(FLAGS_trust_anchors);
  TrustSources sources;
  sources.anchors_directory = anchors_dir;
  sources.intermediates_directory = absl::GetFlag(FLAGS_intermediates);
  sources.config_file = absl::GetFlag(FLAGS_trust_config);
  crypto::ValidationPolicy default_policy;
  default_policy.algorithms.min_rsa_bits = absl::GetFlag(FLAGS_min_rsa_bits);
  sources.config.policies.push_back(default_policy);
  for (const std::string& name : absl::GetFlag(FLAGS_trust_profile)) {
    auto profile = crypto::LoadTrustProfile(name);
    if (!profile.ok()) {
      Log(absl::StrCat("--trust-profile: ", profile.status().message()));
      return 2;
    }
    for (const auto& a : profile->anchors) {
      Log(absl::StrCat("trust profile ", name, ": anchor ", a->subject(), " sha256 ",
                       a->fingerprint_hex()));
      sources.anchors.push_back(a);
    }
    sources.intermediates.insert(sources.intermediates.end(), profile->intermediates.begin(),
                                 profile->intermediates.end());
    sources.config = MergeTrustConfig(std::move(sources.config), profile->config);
  }
  if (anchors_dir.empty() && sources.anchors.empty()) {
    Log("--trust-anchors=DIR (a directory of PEM/DER root certificates) or --trust-profile=NAME "
        "is required");
    return 2;
  }
  auto store = LoadTrustStore(sources);
  if (!store.ok()) {
    Log(absl::StrCat("cannot load trust anchors: ", store.status().ToString()));
    return 1;
  }

  // A bad setting fails here, naming the flag, never at the first request.
  for (const auto& [name, value, max] : std::vector<std::tuple<const char*, int64_t, int64_t>>{
           {"--max-message-bytes", absl::GetFlag(FLAGS_max_message_bytes), INT32_MAX},
           {"--max-batch-items", absl::GetFlag(FLAGS_max_batch_items), 1000000},
           {"--max-data-bytes", absl::GetFlag(FLAGS_max_data_bytes), INT32_MAX},
           {"--max-queued-items", absl::GetFlag(FLAGS_max_queued_items), int64_t{1} << 40},
           {"--certificate-cache-size", absl::GetFlag(FLAGS_certificate_cache_size), 100000000},
           {"--path-cache-size", absl::GetFlag(FLAGS_path_cache_size), 100000000},
           {"--min-rsa-bits", absl::GetFlag(FLAGS_min_rsa_bits), crypto::kMaxRsaBits},
           {"--workers", absl::GetFlag(FLAGS_workers), 1024}}) {
    const int64_t min = std::string_view(name) == "--workers" ? 0 : 1;
    if (value < min || value > max) {
      Log(absl::StrCat(name, "=", value, " is outside ", min, "..", max));
      return 2;
    }
  }

  Limits limits;
  limits.max_message_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_message_bytes));
  limits.max_batch_items = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch_items));
  limits.max_data_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_data_bytes));
  limits.max_queued_items = static_cast<size_t>(absl::GetFlag(FLAGS_max_queued_items));

  auto rewriter = cache::UrlRewriter::FromRules(absl::GetFlag(FLAGS_url_rewrite));
  if (!rewriter.ok()) {
    Log(absl::StrCat("--url-rewrite: ", rewriter.status().message()));
    return 2;
  }
  const cache::UrlRewriter url_rewriter = *std::move(rewriter);
  std::shared_ptr<cache::AiaIssuerSource> aia;
  if (!absl::GetFlag(FLAGS_aia_fetch).empty()) {
    cache::AiaIssuerSource::Options aia_options;
    aia_options.rewriter = url_rewriter;
    aia_options.allowed_prefixes = absl::GetFlag(FLAGS_aia_fetch);
    for (const std::string& prefix : aia_options.allowed_prefixes) {
      if (!absl::StartsWith(prefix, "http://") || !cache::IsHttpUrl(prefix)) {
        Log(absl::StrCat("--aia-fetch: '", prefix, "' is not an http:// URL prefix"));
        return 2;
      }
    }
    aia = std::make_shared<cache::AiaIssuerSource>(std::move(aia_options));
  }
  auto registry = std::make_shared<prometheus::Registry>();
  RevocationFetchMetrics fetch_metrics(*registry);
  std::shared_ptr<cache::OcspRevocationChecker> ocsp;
  std::shared_ptr<cache::CrlRevocationChecker> crl;
  std::shared_ptr<cache::RevocationSources> revocation;
  std::shared_ptr<const cache::RevocationStore> revocation_store;
  if (const std::string dir = absl::GetFlag(FLAGS_revocation_cache_dir);
      !dir.empty() && absl::GetFlag(FLAGS_check_revocation)) {
    auto opened =
        cache::RevocationStore::Open(dir, [](absl::string_view line) { Log(std::string(line)); });
    if (!opened.ok()) {
      Log(absl::StrCat("--revocation-cache-dir: ", opened.status().message()));
      return 2;
    }
    revocation_store = *std::move(opened);
  }
  if (absl::GetFlag(FLAGS_check_revocation)) {
    auto observe = [&fetch_metrics](const char* source) {
      return [&fetch_metrics, source](const char* outcome, absl::Duration took) {
        fetch_metrics.Observe(source, outcome, absl::ToDoubleSeconds(took));
      };
    };
    cache::OcspRevocationChecker::Options ocsp_options;
    ocsp_options.rewriter = url_rewriter;
    ocsp_options.on_fetch = observe("ocsp");
    ocsp_options.store = revocation_store;
    ocsp = std::make_shared<cache::OcspRevocationChecker>(std::move(ocsp_options));
    cache::CrlRevocationChecker::Options crl_options;
    crl_options.rewriter = url_rewriter;
    crl_options.on_fetch = observe("crl");
    crl_options.store = revocation_store;
    crl = std::make_shared<cache::CrlRevocationChecker>(std::move(crl_options));
    revocation = std::make_shared<cache::RevocationSources>(ocsp, crl);
  }
  auto paths = std::make_shared<crypto::PathValidator>(
      *store, static_cast<size_t>(absl::GetFlag(FLAGS_path_cache_size)), aia, revocation);
  auto verifier = std::make_shared<Verifier>(
      paths, limits, static_cast<size_t>(absl::GetFlag(FLAGS_certificate_cache_size)));

  TrustStoreReloader::Options reload_options;
  reload_options.sources = sources;
  reload_options.path_cache_size = static_cast<size_t>(absl::GetFlag(FLAGS_path_cache_size));
  reload_options.issuer_source = aia;
  reload_options.revocation = revocation;
  reload_options.poll_interval = absl::GetFlag(FLAGS_trust_anchors_poll_interval);
  reload_options.log = Log;
  TrustStoreReloader reloader(verifier.get(), reload_options);

  int workers = absl::GetFlag(FLAGS_workers);
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<size_t>(workers), limits.max_queued_items);

  ServiceMetrics metrics(*registry);
  std::unique_ptr<audit::AuditLog> audit_log;
  if (const std::string db = absl::GetFlag(FLAGS_audit_db);
      !db.empty() || !absl::GetFlag(FLAGS_audit_postgres).empty()) {
    auto opened = OpenAuditLog(db, *registry);
    if (!opened.ok()) {
      Log(absl::StrCat("audit log: ", opened.status().message()));
      return 1;
    }
    audit_log = *std::move(opened);
    Log(absl::StrCat("audit log ", db.empty() ? "(PostgreSQL)" : db, ", shard ", audit_log->shard(),
                     ", ", audit_log->stats().tree_size, " records; checkpoints verify with ",
                     audit_log->verifier_key()));
  } else {
    Log("no --audit-db or --audit-postgres: verdicts are not recorded");
  }
  std::vector<ScrapeTimeGauges::Sample> scrape_samples = {
      {"sigverify_certificate_cache_hits_total", "Parsed-certificate cache hits",
       prometheus::MetricType::Counter,
       [verifier] { return double(verifier->certificate_cache().Stats().hits); }},
      {"sigverify_certificate_cache_misses_total", "Parsed-certificate cache misses",
       prometheus::MetricType::Counter,
       [verifier] { return double(verifier->certificate_cache().Stats().misses); }},
      {"sigverify_certificate_cache_entries", "Parsed certificates cached",
       prometheus::MetricType::Gauge,
       [verifier] { return double(verifier->certificate_cache().Stats().entries); }},
      {"sigverify_path_cache_hits_total", "Validated-path memo hits (current trust store)",
       prometheus::MetricType::Counter,
       [verifier] { return double(verifier->paths()->MemoStats().hits); }},
      {"sigverify_path_cache_misses_total", "Validated-path memo misses (current trust store)",
       prometheus::MetricType::Counter,
       [verifier] { return double(verifier->paths()->MemoStats().misses); }},
      {"sigverify_trust_store_anchors", "Trust anchors in the current trust store",
       prometheus::MetricType::Gauge,
       [verifier] { return double(verifier->paths()->trust_store().anchors().size()); }},
      {"sigverify_trust_store_reloads_total", "Trust store reloads installed",
       prometheus::MetricType::Counter, [&reloader] { return double(reloader.reloads()); }},
      {"sigverify_trust_store_reload_failures_total",
       "Trust store reloads refused (the old store was kept)", prometheus::MetricType::Counter,
       [&reloader] { return double(reloader.failures()); }},
      {"sigverify_worker_queue_items", "Items admitted to the worker pool and not finished",
       prometheus::MetricType::Gauge, [&pool] { return double(pool.queued_cost()); }},
      {"sigverify_worker_queue_capacity_items", "Admission limit of the worker pool",
       prometheus::MetricType::Gauge, [&pool] { return double(pool.max_queued_cost()); }},
      {"sigverify_workers", "Verification threads", prometheus::MetricType::Gauge,
       [&pool] { return double(pool.threads()); }},
      {"sigverify_aia_fetches_total", "HTTP requests for AIA caIssuers certificates",
       prometheus::MetricType::Counter,
       StatOf(aia, [](const auto& s) { return double(s.fetches); })},
      {"sigverify_aia_fetch_failures_total",
       "AIA caIssuers requests that failed or returned no certificate",
       prometheus::MetricType::Counter,
       StatOf(aia, [](const auto& s) { return double(s.fetch_failures); })},
      {"sigverify_aia_cache_hits_total", "AIA caIssuers answers served from the cache",
       prometheus::MetricType::Counter,
       StatOf(aia, [](const auto& s) { return double(s.cache_hits); })},
      {"sigverify_aia_refused_total",
       "AIA caIssuers URLs not fetched: outside --aia-fetch prefixes, or too many at once",
       prometheus::MetricType::Counter,
       StatOf(aia, [](const auto& s) { return double(s.refused + s.skipped_busy); })},
  };
  if (revocation != nullptr) {
    // The same statistics of both sources, labelled source="ocsp" / "crl".
    struct Stat {
      const char* name;
      const char* help;
      double (*read)(const cache::SourceStats&);
    };
    const Stat stats[] = {
        {"sigverify_revocation_cache_hits_total", "Revocation lookups answered from the cache",
         [](const cache::SourceStats& s) { return double(s.cache_hits); }},
        {"sigverify_revocation_cache_misses_total", "Revocation lookups without fresh cached data",
         [](const cache::SourceStats& s) { return double(s.cache_misses); }},
        {"sigverify_revocation_cache_stale_served_total",
         "Lookups answered past the refresh point while a refresh runs (never past nextUpdate "
         "+ skew)",
         [](const cache::SourceStats& s) { return double(s.stale_served); }},
        {"sigverify_revocation_upstream_requests_total",
         "OCSP requests sent to responders and CRLs downloaded",
         [](const cache::SourceStats& s) { return double(s.upstream_requests); }},
        {"sigverify_revocation_upstream_failures_total",
         "Fetches that ended without a valid status or CRL",
         [](const cache::SourceStats& s) { return double(s.upstream_failures); }},
        {"sigverify_revocation_single_flight_joins_total",
         "Revocation misses that joined a fetch already in flight",
         [](const cache::SourceStats& s) { return double(s.single_flight_joins); }},
        {"sigverify_revocation_refreshes_total", "Background refreshes of cached data",
         [](const cache::SourceStats& s) { return double(s.refreshes); }},
        {"sigverify_revocation_stapled_used_total",
         "OCSP responses and CRLs from requests used as evidence",
         [](const cache::SourceStats& s) { return double(s.stapled_used); }},
    };
    for (const Stat& stat : stats) {
      scrape_samples.push_back({stat.name,
                                stat.help,
                                prometheus::MetricType::Counter,
                                [ocsp, f = stat.read] { return f(ocsp->stats()); },
                                {{"source", "ocsp"}}});
      scrape_samples.push_back({stat.name,
                                stat.help,
                                prometheus::MetricType::Counter,
                                [crl, f = stat.read] { return f(crl->stats()); },
                                {{"source", "crl"}}});
    }
    const char* entries_help =
        "Cached OCSP statuses (one per certificate) and CRLs (one per distribution point)";
    scrape_samples.push_back({"sigverify_revocation_cache_entries",
                              entries_help,
                              prometheus::MetricType::Gauge,
                              [ocsp] { return double(ocsp->stats().entries); },
                              {{"source", "ocsp"}}});
    scrape_samples.push_back({"sigverify_revocation_cache_entries",
                              entries_help,
                              prometheus::MetricType::Gauge,
                              [crl] { return double(crl->stats().crls); },
                              {{"source", "crl"}}});
    scrape_samples.push_back(
        {"sigverify_revocation_crl_entries", "Revoked certificates listed by the cached CRLs",
         prometheus::MetricType::Gauge, [crl] { return double(crl->stats().entries); }});
    scrape_samples.push_back({"sigverify_revocation_crl_max_age_seconds",
                              "Age (now - thisUpdate) of the oldest cached CRL",
                              prometheus::MetricType::Gauge,
                              [crl] { return absl::ToDoubleSeconds(crl->stats().max_age); }});
  }
  if (audit_log != nullptr) {
    audit::AuditLog* log = audit_log.get();
    scrape_samples.push_back({"sigverify_audit_records_total", "Verdicts recorded durably",
                              prometheus::MetricType::Counter,
                              [log] { return double(log->stats().appended); }});
    scrape_samples.push_back({"sigverify_audit_commit_failures_total",
                              "Audit commits that failed (their verdicts were not answered)",
                              prometheus::MetricType::Counter,
                              [log] { return double(log->stats().failures); }});
    scrape_samples.push_back(
        {"sigverify_audit_pruned_total", "Record bodies removed by --audit-retention",
         prometheus::MetricType::Counter, [log] { return double(log->stats().pruned); }});
    scrape_samples.push_back({"sigverify_audit_backlog_records",
                              "Records waiting for the audit writer", prometheus::MetricType::Gauge,
                              [log] { return double(log->stats().pending); }});
    scrape_samples.push_back({"sigverify_audit_tree_size",
                              "Leaves in this shard's Merkle tree",
                              prometheus::MetricType::Gauge,
                              [log] { return double(log->stats().tree_size); },
                              {{"shard", log->shard()}}});
  }
  auto scrape_gauges = std::make_shared<ScrapeTimeGauges>(std::move(scrape_samples));
  std::unique_ptr<prometheus::Exposer> exposer;
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!metrics_listen.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(metrics_listen);
    } catch (const std::exception& e) {
      Log(absl::StrCat("cannot serve metrics on ", metrics_listen, ": ", e.what()));
      return 1;
    }
    exposer->RegisterCollectable(registry);
    exposer->RegisterCollectable(scrape_gauges);
  }

  const std::string listen = absl::GetFlag(FLAGS_listen);
  std::shared_ptr<grpc::ServerCredentials> creds;
  const std::string tls_cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string tls_key = absl::GetFlag(FLAGS_tls_key);
  if (!tls_cert.empty() || !tls_key.empty()) {
    auto cert = ReadSmallFile(tls_cert);
    auto key = ReadSmallFile(tls_key);
    if (!cert.ok() || !key.ok()) {
      Log("--tls-cert and --tls-key must both name readable PEM files");
      return 2;
    }
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(options);
  } else if (IsLoopback(listen)) {
    creds = grpc::InsecureServerCredentials();
  } else {
    Log(absl::StrCat("refusing to listen on ", listen,
                     " without TLS: plaintext is allowed on loopback only "
                     "(give --tls-cert and --tls-key)"));
    return 2;
  }

  const std::string on_failure = absl::GetFlag(FLAGS_audit_on_failure);
  if (on_failure != "unavailable" && on_failure != "answer") {
    Log("--audit-on-failure must be 'unavailable' or 'answer'");
    return 2;
  }
  VerificationService service(
      verifier, &pool, &metrics, audit_log.get(),
      on_failure == "answer" ? AuditFailure::kAnswer : AuditFailure::kUnavailable);
  std::unique_ptr<AuditService> audit_service;
  if (audit_log != nullptr) audit_service = std::make_unique<AuditService>(audit_log.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(listen, creds, &bound_port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(limits.max_message_bytes));
  builder.RegisterService(&service);
  const std::string audit_listen = absl::GetFlag(FLAGS_audit_listen);
  if (audit_service != nullptr && audit_listen.empty())
    builder.RegisterService(audit_service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  std::unique_ptr<grpc::Server> audit_server;
  if (audit_service != nullptr && !audit_listen.empty()) {
    if (!IsLoopback(audit_listen) && tls_cert.empty()) {
      Log(absl::StrCat("refusing to serve the audit log on ", audit_listen,
                       " without TLS: plaintext is allowed on loopback only"));
      return 2;
    }
    grpc::ServerBuilder audit_builder;
    int audit_port = 0;
    audit_builder.AddListeningPort(audit_listen, creds, &audit_port);
    audit_builder.RegisterService(audit_service.get());
    audit_server = audit_builder.BuildAndStart();
    if (!audit_server || audit_port == 0) {
      Log(absl::StrCat("cannot listen on ", audit_listen));
      return 1;
    }
    Log(absl::StrCat("audit service on ", audit_listen));
  }
  if (!server || bound_port == 0) {
    Log(absl::StrCat("cannot listen on ", listen));
    return 1;
  }
  // Health says SERVING once kept revocation data is loaded ("warming"
  // until then; calls are answered meanwhile, fetching what is missing).
  absl::Mutex health_mu;
  bool stopping = false;
  std::thread warming;
  if (revocation_store != nullptr) {
    server->GetHealthCheckService()->SetServingStatus(false);
    warming = std::thread([&] {
      const absl::Time start = absl::Now();
      const cache::RevocationStore::LoadStats loaded = revocation_store->Load(
          [&](const std::string& key, const cache::PersistedRecord& r) {
            return ocsp->Restore(key, r);
          },
          [&](const std::string& key, const cache::PersistedRecord& r) {
            return crl->Restore(key, r);
          });
      Log(absl::StrCat(
          "revocation cache warmed from ", revocation_store->dir(), ": ", loaded.loaded, " kept, ",
          loaded.dropped, " dropped, in ",
          absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1)))));
      absl::MutexLock lock(&health_mu);
      if (!stopping) server->GetHealthCheckService()->SetServingStatus(true);
    });
  } else {
    server->GetHealthCheckService()->SetServingStatus(true);
  }
  Log(absl::StrCat("listening on ", listen, tls_cert.empty() ? " (plaintext, loopback)" : " (TLS)",
                   ", ", workers, " workers, trust store ", (*store)->version().substr(0, 16), " (",
                   (*store)->anchors().size(), " anchors)",
                   metrics_listen.empty() ? "" : absl::StrCat(", metrics on ", metrics_listen)));

  // Signals were blocked in main() before any thread started; take them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) (void)reloader.ReloadNow();
  Log(absl::StrCat("signal ", sig, ": draining in-flight calls"));
  {
    absl::MutexLock lock(&health_mu);
    stopping = true;
    server->GetHealthCheckService()->SetServingStatus(false);
  }
  if (warming.joinable()) warming.join();
  service.StopAccepting();
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoSeconds(absl::GetFlag(FLAGS_shutdown_grace)));
  server->Wait();
  if (audit_server != nullptr) {
    audit_server->Shutdown();
    audit_server->Wait();
  }
  Log("stopped");
  return 0;
}

}  // namespace
}  // namespace sigverify::service

int main(int argc, char** argv) {
  // Block SIGTERM/SIGINT/SIGHUP in every thread; Run() takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage(
      "sigverifyd --trust-anchors=DIR [--listen=127.0.0.1:50051] [--metrics-listen=...]");
  sigverify::service::ParseCommandLine(argc, argv);
  return sigverify::service::Run();
}
