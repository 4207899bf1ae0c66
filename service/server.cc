#include "service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cache/crl_revocation_checker.h"
#include "cache/ocsp_revocation_checker.h"
#include "cache/url_rewriter.h"
#include "crypto/trust_profile.h"
#include "service/audit/segmented_store.h"
#include "service/audit_log_setup.h"
#include "service/byte_budget.h"
#include "service/files.h"
#include "service/trust_config.h"

namespace sigverify::service {
namespace {

namespace cfg = ::sigverify::config::v1;

// --max-inflight-bytes, or a quarter of the machine's memory (at least 256
// MiB, and at least kMinInflightMessages largest messages).
size_t InflightBytes(const ServerConfig& config) {
  if (config.limits().max_inflight_bytes() > 0) {
    return static_cast<size_t>(config.limits().max_inflight_bytes());
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  const size_t quarter =
      pages > 0 && page_size > 0 ? static_cast<size_t>(pages) * page_size / 4 : size_t{1} << 30;
  return std::max(
      {quarter, size_t{256} << 20,
       kMinInflightMessages * static_cast<size_t>(config.limits().max_message_bytes())});
}

Limits LimitsOf(const ServerConfig& config) {
  Limits limits;
  limits.max_message_bytes = static_cast<size_t>(config.limits().max_message_bytes());
  limits.max_batch_items = static_cast<size_t>(config.limits().max_batch_items());
  limits.max_data_bytes = static_cast<size_t>(config.limits().max_data_bytes());
  limits.max_queued_items = static_cast<size_t>(config.limits().max_queued_items());
  limits.max_stream_window = static_cast<size_t>(config.limits().max_stream_window());
  limits.max_inflight_bytes = InflightBytes(config);
  return limits;
}

cache::UrlRewriter RewriterOf(const cfg::Revocation& revocation) {
  std::vector<std::pair<std::string, std::string>> rules;
  for (const cfg::UrlRewrite& r : revocation.url_rewrites()) rules.emplace_back(r.from(), r.to());
  return cache::UrlRewriter(std::move(rules));
}

// TLS when configured, from files gRPC reads again when they change (a
// renewed certificate or CA is used for new handshakes; open connections
// stay); with client CAs, a client certificate they validate is required at
// the handshake. gRPC's TLS is 1.2 or 1.3 with ECDHE and AEAD suites only.
// Plaintext otherwise (validation allowed it only on loopback).
std::shared_ptr<grpc::ServerCredentials> CredentialsOf(const cfg::Listeners& listeners,
                                                       absl::Duration poll_interval) {
  if (listeners.tls_certificate_file().empty()) return grpc::InsecureServerCredentials();
  namespace x = grpc::experimental;
  // The provider needs an interval; without polling, files are read hourly.
  const unsigned refresh_seconds = static_cast<unsigned>(std::max<int64_t>(
      1, poll_interval > absl::ZeroDuration() ? absl::ToInt64Seconds(poll_interval) : 3600));
  const bool clients = !listeners.tls_client_ca_file().empty();
  auto provider = clients ? std::make_shared<x::FileWatcherCertificateProvider>(
                                listeners.tls_private_key_file(), listeners.tls_certificate_file(),
                                listeners.tls_client_ca_file(), refresh_seconds)
                          : std::make_shared<x::FileWatcherCertificateProvider>(
                                listeners.tls_private_key_file(), listeners.tls_certificate_file(),
                                refresh_seconds);
  x::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (clients) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return x::TlsServerCredentials(options);
}

// A trust store that does not load is a configuration error.
absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadStore(const TrustSources& sources) {
  auto store = LoadTrustStore(sources);
  if (!store.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load trust anchors: ", store.status().ToString()));
  }
  return store;
}

// `address` as bound: its port (0 asks the system for one) replaced by
// the one gRPC chose; a Unix socket as it is.
std::string BoundAddress(const std::string& address, int port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || absl::StartsWith(address, "unix:")) return address;
  return absl::StrCat(address.substr(0, colon + 1), port);
}

}  // namespace

Server::Server(ServerConfig config, Log log)
    : config_(std::move(config)), log_(std::move(log)), started_(absl::Now()) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerConfig& config, Log log) {
  std::unique_ptr<Server> server(new Server(config, std::move(log)));
  server->registry_ = std::make_shared<prometheus::Registry>();
  if (auto s = server->BuildTrust(); !s.ok()) return s;
  if (auto s = server->BuildRevocation(); !s.ok()) return s;
  server->BuildVerification();
  if (auto s = server->BuildAudit(); !s.ok()) return s;
  if (auto s = server->BuildAccess(); !s.ok()) return s;
  server->BuildServices();
  return server;
}

Server::~Server() { Shutdown(); }

absl::StatusOr<TrustSources> TrustSourcesOf(const ServerConfig& config, const Server::Log& log) {
  const cfg::Trust& trust = config.trust();
  TrustSources sources;
  sources.anchors_directory = trust.anchors_dir();
  sources.intermediates_directory = trust.intermediates_dir();
  sources.config_file = trust.trust_config_file();
  crypto::ValidationPolicy default_policy;
  default_policy.algorithms.min_rsa_bits = config.verification().min_rsa_bits();
  sources.config.policies.push_back(default_policy);
  for (const std::string& name : trust.profiles()) {
    auto profile = crypto::LoadTrustProfile(name);
    if (!profile.ok()) return profile.status();
    for (const auto& a : profile->anchors) {
      log(absl::StrCat("trust profile ", name, ": anchor ", a->subject(), " sha256 ",
                       a->fingerprint_hex()));
      sources.anchors.push_back(a);
    }
    sources.intermediates.insert(sources.intermediates.end(), profile->intermediates.begin(),
                                 profile->intermediates.end());
    sources.config = MergeTrustConfig(std::move(sources.config), profile->config);
  }
  return sources;
}

absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadTrustStore(const ServerConfig& config,
                                                                         const Server::Log& log) {
  auto sources = TrustSourcesOf(config, log);
  if (!sources.ok()) return sources.status();
  return LoadStore(*sources);
}

absl::Status Server::BuildTrust() {
  auto sources = TrustSourcesOf(config_, log_);
  if (!sources.ok()) return sources.status();
  sources_ = *std::move(sources);
  auto store = LoadStore(sources_);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  return absl::OkStatus();
}

// AIA fetching (only from allowed prefixes) and, unless turned off, OCSP and
// CRL checkers in front of one on-disk store.
absl::Status Server::BuildRevocation() {
  const cfg::Revocation& r = config_.revocation();
  const cache::UrlRewriter rewriter = RewriterOf(r);
  if (!r.aia_fetch_prefixes().empty()) {
    cache::AiaIssuerSource::Options options;
    options.rewriter = rewriter;
    options.allowed_prefixes.assign(r.aia_fetch_prefixes().begin(), r.aia_fetch_prefixes().end());
    aia_ = std::make_shared<cache::AiaIssuerSource>(std::move(options));
  }
  fetch_metrics_ = std::make_unique<RevocationFetchMetrics>(*registry_);
  if (!r.check()) return absl::OkStatus();
  if (!r.cache_dir().empty()) {
    auto opened =
        cache::RevocationStore::Open(r.cache_dir(), [this](absl::string_view line) { log_(line); });
    if (!opened.ok()) {
      return absl::Status(opened.status().code(),
                          absl::StrCat("--revocation-cache-dir: ", opened.status().message()));
    }
    revocation_store_ = *std::move(opened);
  }
  auto observe = [metrics = fetch_metrics_.get()](const char* source) {
    return [metrics, source](const char* outcome, absl::Duration took) {
      metrics->Observe(source, outcome, absl::ToDoubleSeconds(took));
    };
  };
  cache::OcspRevocationChecker::Options ocsp_options;
  ocsp_options.rewriter = rewriter;
  ocsp_options.failure_ttl = ToAbslDuration(r.retry_after());
  ocsp_options.on_fetch = observe("ocsp");
  ocsp_options.store = revocation_store_;
  ocsp_ = std::make_shared<cache::OcspRevocationChecker>(std::move(ocsp_options));
  cache::CrlRevocationChecker::Options crl_options;
  crl_options.rewriter = rewriter;
  crl_options.failure_ttl = ToAbslDuration(r.retry_after());
  crl_options.on_fetch = observe("crl");
  crl_options.store = revocation_store_;
  crl_ = std::make_shared<cache::CrlRevocationChecker>(std::move(crl_options));
  revocation_ = std::make_shared<cache::RevocationSources>(ocsp_, crl_);
  return absl::OkStatus();
}

// The verification core on the trust store, its reloader and the workers.
void Server::BuildVerification() {
  const cfg::Verification& v = config_.verification();
  const size_t path_cache_size = static_cast<size_t>(v.path_cache_size());
  auto paths = std::make_shared<crypto::PathValidator>(store_, path_cache_size, aia_, revocation_);
  verifier_ = std::make_shared<Verifier>(paths, LimitsOf(config_),
                                         static_cast<size_t>(v.certificate_cache_size()));
  TrustStoreReloader::Options reload;
  reload.sources = sources_;
  reload.path_cache_size = path_cache_size;
  reload.issuer_source = aia_;
  reload.revocation = revocation_;
  reload.poll_interval = ToAbslDuration(config_.trust().poll_interval());
  reload.log = [this](const std::string& line) { log_(line); };
  reloader_ = std::make_unique<TrustStoreReloader>(verifier_.get(), std::move(reload));
  const int workers = v.workers() > 0
                          ? v.workers()
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // As many bulk threads, at a lower priority (worker_pool.h).
  pool_ = std::make_unique<WorkerPool>(static_cast<size_t>(workers),
                                       static_cast<size_t>(config_.limits().max_queued_items()),
                                       static_cast<size_t>(workers));
}

absl::Status Server::BuildAudit() {
  auto opened = OpenAuditLog(config_, log_);
  if (!opened.ok()) {
    return absl::Status(opened.status().code(),
                        absl::StrCat("audit log: ", opened.status().message()));
  }
  audit_log_ = *std::move(opened);
  if (audit_log_ == nullptr) {
    log_("no --audit-db or --audit-postgres: verdicts are not recorded");
    return absl::OkStatus();
  }
  commit_metrics_ = std::make_unique<AuditCommitMetrics>(*registry_);
  audit_log_->on_commit = [metrics = commit_metrics_.get()](size_t records, absl::Duration took) {
    metrics->Observe(records, absl::ToDoubleSeconds(took));
  };
  const std::string& db = config_.audit().sqlite_file();
  if (!db.empty() && config_.audit().min_free_bytes() > 0) {
    // The segments (the log) and the database (its index) may be on two
    // file systems: the fuller one counts.
    const std::string& segments = config_.audit().log_dir();
    disk_guard_ = std::make_unique<DiskSpaceGuard>(
        std::vector<std::string>{db, segments.empty() ? db + ".segments" : segments},
        config_.audit().min_free_bytes());
  }
  log_(absl::StrCat("audit log ", db.empty() ? "(PostgreSQL)" : db, ", shard ", audit_log_->shard(),
                    ", ", audit_log_->stats().tree_size, " records; checkpoints verify with ",
                    audit_log_->verifier_key()));
  return absl::OkStatus();
}

absl::Status Server::BuildAccess() {
  access::AccessControl::Options options = AccessOptionsOf(config_);
  options.log = [this](const std::string& line) { log_(line); };
  auto created = access::AccessControl::Create(std::move(options));
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat("access control: ", created.status().message()));
  }
  access_ = *std::move(created);
  if (!config_.access_log_file().empty()) {
    auto opened = AccessLog::Open(config_.access_log_file());
    if (!opened.ok()) {
      return absl::Status(opened.status().code(),
                          absl::StrCat("--access-log: ", opened.status().message()));
    }
    access_log_ = *std::move(opened);
  }
  if (access_->enabled()) {
    log_(
        absl::StrCat("access control on: ", access_->grants(), " grants (",
                     config_.access_config_file().empty() ? "inline" : config_.access_config_file(),
                     "), client certificates from ", config_.listeners().tls_client_ca_file()));
  } else {
    log_(
        "WARNING: ACCESS CONTROL IS OFF: any process that reaches the gRPC port may verify, "
        "read the whole audit log and reload the service (allowed on loopback only; give "
        "--tls-client-ca and --access-config to decide who may call what)");
  }
  return absl::OkStatus();
}

std::vector<std::string> Server::Reload() {
  std::vector<std::string> errors;
  if (absl::Status s = reloader_->ReloadNow(); !s.ok()) {
    errors.push_back(absl::StrCat("trust store: ", s.message()));
  }
  if (absl::Status s = access_->Reload(); !s.ok()) {
    errors.push_back(absl::StrCat("access control: ", s.message()));
  }
  if (access_log_ != nullptr) access_log_->Reopen().IgnoreError();
  return errors;
}

void Server::Status(v1::GetStatusResponse* out) const {
  const std::shared_ptr<const crypto::PathValidator> paths = verifier_->paths();
  out->set_trust_store_version(paths->trust_store().version());
  out->set_trust_anchors(static_cast<int32_t>(paths->trust_store().anchors().size()));
  out->set_workers(static_cast<int32_t>(pool_->threads()));
  out->set_access_control(access_->enabled());
  out->set_grants(static_cast<int32_t>(access_->grants()));
  out->set_access_config_version(access_->version());
  if (audit_log_ != nullptr) {
    out->set_audit_shard(audit_log_->shard());
    out->set_audit_tree_size(audit_log_->stats().tree_size);
  }
  out->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
}

void Server::BuildServices() {
  service_metrics_ = std::make_unique<ServiceMetrics>(*registry_);
  const AuditFailure on_failure = config_.audit().on_failure() == cfg::AUDIT_FAILURE_POLICY_ANSWER
                                      ? AuditFailure::kAnswer
                                      : AuditFailure::kUnavailable;
  verification_service_ = std::make_unique<VerificationService>(
      verifier_, pool_.get(), service_metrics_.get(), &drain_, audit_log_.get(), on_failure,
      disk_guard_.get(), access_.get(), access_log_.get());
  if (audit_log_ != nullptr) {
    audit_service_ = std::make_unique<AuditService>(
        audit_log_.get(), static_cast<size_t>(config_.audit().query_threads()), &drain_,
        access_.get(), access_log_.get());
  }
  AdminService::Operations operations;
  operations.reload = [this] { return Reload(); };
  operations.status = [this](v1::GetStatusResponse* out) { Status(out); };
  operations.trust_store_version = [this] { return verifier_->paths()->trust_store().version(); };
  admin_service_ = std::make_unique<AdminService>(std::move(operations), &drain_, access_.get(),
                                                  access_log_.get());
}

absl::Status Server::Start() {
  if (auto s = StartMetrics(); !s.ok()) return s;
  if (auto s = StartListeners(); !s.ok()) return s;
  StartWarming();
  const cfg::Listeners& l = config_.listeners();
  log_(absl::StrCat("listening on ", grpc_address_,
                    l.tls_certificate_file().empty() ? " (plaintext, loopback)"
                    : l.tls_client_ca_file().empty() ? " (TLS)"
                                                     : " (mutual TLS)",
                    ", ", pool_->threads(), " workers, trust store ",
                    store_->version().substr(0, 16), " (", store_->anchors().size(), " anchors)",
                    metrics_server_ == nullptr
                        ? ""
                        : absl::StrCat(", metrics on ", metrics_server_->address(),
                                       !l.metrics_tls()                 ? ""
                                       : l.tls_client_ca_file().empty() ? " (TLS)"
                                                                        : " (mutual TLS)")));
  return absl::OkStatus();
}

// Every component's stats table, read when Prometheus scrapes.
absl::Status Server::StartMetrics() {
  const std::string& address = config_.listeners().metrics();
  if (address.empty()) return absl::OkStatus();
  StatsTable stats = verifier_->stats_table();
  Append(stats, reloader_->stats_table());
  Append(stats, pool_->stats_table());
  if (aia_ != nullptr) Append(stats, aia_->stats_table());
  if (revocation_ != nullptr) Append(stats, revocation_->stats_table());
  if (audit_log_ != nullptr) {
    Append(stats, audit_log_->stats_table());
    if (auto* segmented = dynamic_cast<audit::SegmentedStore*>(&audit_log_->store())) {
      Append(stats, segmented->stats_table());
    }
  }
  if (disk_guard_ != nullptr) Append(stats, disk_guard_->stats_table());
  Append(stats, verification_service_->stats_table());
  Append(stats, access_->stats_table());
  if (access_log_ != nullptr) Append(stats, access_log_->stats_table());
  const cfg::Listeners& l = config_.listeners();
  metrics_http::MetricsServer::Options options;
  options.address = address;
  options.log = [this](const std::string& line) { log_(line); };
  if (l.metrics_tls()) {
    auto tls = metrics_http::TlsContext::Create(
        {l.tls_certificate_file(), l.tls_private_key_file(), l.tls_client_ca_file()},
        absl::Seconds(1), options.log);
    if (!tls.ok()) return tls.status();
    options.tls = *std::move(tls);
    if (!l.tls_client_ca_file().empty()) {
      // The client CRLs, and with access control a ROLE_MONITOR grant.
      options.authorize = [access = access_.get()](absl::string_view pem, absl::Time now) {
        return access->Authorize(pem, cfg::ROLE_MONITOR, "GET /metrics", now).status();
      };
    }
  }
  options.render = [this] {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    std::vector<prometheus::MetricFamily> gauges = scrape_gauges_->Collect();
    families.insert(families.end(), std::make_move_iterator(gauges.begin()),
                    std::make_move_iterator(gauges.end()));
    return prometheus::TextSerializer().Serialize(families);
  };
  auto bound = metrics_http::MetricsServer::Bind(std::move(options));
  if (!bound.ok()) return bound.status();
  metrics_server_ = *std::move(bound);
  Append(stats, metrics_server_->stats_table());
  scrape_gauges_ = std::make_shared<ScrapeTimeGauges>(std::move(stats));
  metrics_server_->Serve();
  return absl::OkStatus();
}

// The main listener (verification, health, reflection, and the audit log
// unless it has a listener of its own).
absl::Status Server::StartListeners() {
  const cfg::Listeners& l = config_.listeners();
  const std::shared_ptr<grpc::ServerCredentials> creds =
      CredentialsOf(l, ToAbslDuration(config_.trust().poll_interval()));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(l.grpc(), creds, &port);
  const int max_message = static_cast<int>(config_.limits().max_message_bytes());
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  // gRPC's own memory (received messages not yet handed over) within its
  // half of --max-inflight-bytes (byte_budget.h): it slows reading, then
  // resets streams (RESOURCE_EXHAUSTED) rather than buffer without bound.
  grpc::ResourceQuota quota("sigverifyd");
  quota.Resize(ReceivedShare(verifier_->limits().max_inflight_bytes));
  builder.SetResourceQuota(quota);
  builder.RegisterService(verification_service_.get());
  builder.RegisterService(admin_service_.get());
  if (audit_service_ != nullptr && l.audit().empty()) builder.RegisterService(audit_service_.get());
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", l.grpc()));
  }
  grpc_address_ = BoundAddress(l.grpc(), port);
  if (audit_service_ == nullptr || l.audit().empty()) return absl::OkStatus();
  grpc::ServerBuilder audit_builder;
  int audit_port = 0;
  audit_builder.AddListeningPort(l.audit(), creds, &audit_port);
  audit_builder.RegisterService(audit_service_.get());
  audit_server_ = audit_builder.BuildAndStart();
  if (audit_server_ == nullptr || audit_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", l.audit()));
  }
  log_(absl::StrCat("audit service on ", BoundAddress(l.audit(), audit_port)));
  return absl::OkStatus();
}

// Health says SERVING once kept revocation data is loaded ("warming" until
// then; calls are answered meanwhile, fetching what is missing).
void Server::StartWarming() {
  if (revocation_store_ == nullptr) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(true);
    return;
  }
  grpc_server_->GetHealthCheckService()->SetServingStatus(false);
  warming_ = std::thread([this] {
    const absl::Time start = absl::Now();
    const cache::RevocationStore::LoadStats loaded = revocation_store_->Load(
        [this](const std::string& key, const cache::PersistedRecord& r) {
          return ocsp_->Restore(key, r);
        },
        [this](const std::string& key, const cache::PersistedRecord& r) {
          return crl_->Restore(key, r);
        });
    log_(absl::StrCat(
        "revocation cache warmed from ", revocation_store_->dir(), ": ", loaded.loaded, " kept, ",
        loaded.dropped, " dropped, in ",
        absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1)))));
    absl::MutexLock lock(&health_mu_);
    if (!stopping_) grpc_server_->GetHealthCheckService()->SetServingStatus(true);
  });
}

void Server::Shutdown() {
  {
    absl::MutexLock lock(&health_mu_);
    if (stopping_) return;
    stopping_ = true;
    if (grpc_server_ != nullptr) grpc_server_->GetHealthCheckService()->SetServingStatus(false);
  }
  if (warming_.joinable()) warming_.join();
  // New calls get UNAVAILABLE from here on; connections close only once the
  // calls admitted before are answered and their answers had time to leave
  // (drain.h), or at the end of the grace period, which cancels the rest.
  const absl::Time deadline = absl::Now() + ToAbslDuration(config_.shutdown_grace());
  drain_.Stop();
  // Open streams read no more records, answer what they read and end.
  if (verification_service_ != nullptr) verification_service_->CloseStreams();
  if (const int64_t unanswered = drain_.Wait(deadline); unanswered > 0) {
    log_(absl::StrCat(unanswered, " calls unanswered at the end of --shutdown-grace: cancelled"));
  }
  const auto chrono_deadline = absl::ToChronoTime(deadline);
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(chrono_deadline);
    grpc_server_->Wait();
  }
  if (audit_server_ != nullptr) {
    audit_server_->Shutdown(chrono_deadline);
    audit_server_->Wait();
  }
}

}  // namespace sigverify::service
