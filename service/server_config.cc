#include "service/server_config.h"

#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/util/time_util.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cache/url_rewriter.h"
#include "crypto/certificate.h"
#include "crypto/public_key.h"
#include "crypto/trust_profile.h"
#include "service/byte_budget.h"
#include "service/files.h"
#include "service/text_proto.h"
#include "service/trust_config.h"

namespace sigverify::service {
namespace {

namespace cfg = ::sigverify::config::v1;
using google::protobuf::util::TimeUtil;

// The configuration every start begins with; a file and flags go on top.
constexpr char kDefaults[] = R"pb(
  listeners {
    grpc: "127.0.0.1:50051"
    metrics: "127.0.0.1:9464"
    audit: ""
    tls_certificate_file: ""
    tls_private_key_file: ""
    tls_client_ca_file: ""
    tls_client_crl_file: ""
    metrics_tls: false
  }
  trust {
    anchors_dir: ""
    intermediates_dir: ""
    trust_config_file: ""
    poll_interval { seconds: 5 }
  }
  limits {
    max_message_bytes: 33554432
    max_batch_items: 10000
    max_data_bytes: 33554432
    max_queued_items: 100000
    max_inflight_bytes: 0
    max_stream_window: 256
  }
  verification {
    workers: 0
    certificate_cache_size: 20000
    path_cache_size: 100000
    min_rsa_bits: 2048
  }
  revocation {
    check: true
    cache_dir: ""
    retry_after { seconds: 60 }
  }
  audit {
    sqlite_file: ""
    postgres: ""
    key_file: ""
    instance_id: ""
    origin: ""
    on_failure: AUDIT_FAILURE_POLICY_UNAVAILABLE
    commit_window {}
    max_batch: 2000
    retention {}
    min_free_bytes: 1073741824
    query_threads: 2
    log_dir: ""
  }
  shutdown_grace { seconds: 10 }
  access_config_file: ""
  access_log_file: ""
)pb";

// Which flag overrides which field: sigverifyd's flags are a second spelling
// of these fields (service/server_flags.cc applies them).
constexpr std::array<std::pair<absl::string_view, absl::string_view>, 43> kFlagOfField = {{
    {"listeners.grpc", "--listen"},
    {"listeners.metrics", "--metrics-listen"},
    {"listeners.audit", "--audit-listen"},
    {"listeners.tls_certificate_file", "--tls-cert"},
    {"listeners.tls_private_key_file", "--tls-key"},
    {"listeners.tls_client_ca_file", "--tls-client-ca"},
    {"listeners.tls_client_crl_file", "--tls-client-crl"},
    {"listeners.metrics_tls", "--metrics-tls"},
    {"trust.anchors_dir", "--trust-anchors"},
    {"trust.intermediates_dir", "--intermediates"},
    {"trust.profiles", "--trust-profile"},
    {"trust.trust_config_file", "--trust-config"},
    {"trust.poll_interval", "--trust-anchors-poll-interval"},
    {"limits.max_message_bytes", "--max-message-bytes"},
    {"limits.max_batch_items", "--max-batch-items"},
    {"limits.max_data_bytes", "--max-data-bytes"},
    {"limits.max_queued_items", "--max-queued-items"},
    {"limits.max_inflight_bytes", "--max-inflight-bytes"},
    {"limits.max_stream_window", "--max-stream-window"},
    {"verification.workers", "--workers"},
    {"verification.certificate_cache_size", "--certificate-cache-size"},
    {"verification.path_cache_size", "--path-cache-size"},
    {"verification.min_rsa_bits", "--min-rsa-bits"},
    {"revocation.check", "--check-revocation"},
    {"revocation.cache_dir", "--revocation-cache-dir"},
    {"revocation.aia_fetch_prefixes", "--aia-fetch"},
    {"revocation.url_rewrites", "--url-rewrite"},
    {"revocation.retry_after", "--revocation-retry-after"},
    {"audit.sqlite_file", "--audit-db"},
    {"audit.postgres", "--audit-postgres"},
    {"audit.key_file", "--audit-key"},
    {"audit.instance_id", "--instance-id"},
    {"audit.origin", "--audit-origin"},
    {"audit.on_failure", "--audit-on-failure"},
    {"audit.commit_window", "--audit-commit-window"},
    {"audit.max_batch", "--audit-max-batch"},
    {"audit.retention", "--audit-retention"},
    {"audit.min_free_bytes", "--audit-min-free-bytes"},
    {"audit.query_threads", "--audit-query-threads"},
    {"audit.log_dir", "--audit-log-dir"},
    {"shutdown_grace", "--shutdown-grace"},
    {"access_config_file", "--access-config"},
    {"access_log_file", "--access-log"},
}};

// "--flag (field): detail", or "field: detail" for a field without a flag.
absl::Status Bad(absl::string_view field, absl::string_view detail) {
  const absl::string_view flag = FlagForField(field);
  return absl::InvalidArgumentError(flag.empty() ? absl::StrCat(field, ": ", detail)
                                                 : absl::StrCat(flag, " (", field, "): ", detail));
}

absl::Status InRange(absl::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return Bad(field, absl::StrCat(value, " is outside ", min, "..", max));
}

absl::Status NonNegative(absl::string_view field, const google::protobuf::Duration& d) {
  if (d.seconds() < 0 || d.nanos() < 0) {
    return Bad(field, absl::StrCat(TimeUtil::ToString(d), " is not a duration >= 0"));
  }
  return absl::OkStatus();
}

// Whether every address HOST of HOST:PORT resolves to is a loopback address
// (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). Resolved, not read as text:
// "127.invalid:40000" starts like a loopback address and is not one. A host
// that does not resolve is not loopback (fail closed).
bool IsLoopback(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (host.empty() || getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool all_loopback = found != nullptr;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      all_loopback = all_loopback && (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
      all_loopback = all_loopback && (IN6_IS_ADDR_LOOPBACK(&v6) ||
                                      (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127));
    } else {
      all_loopback = false;
    }
  }
  freeaddrinfo(found);
  return all_loopback;
}

// HOST:PORT with a numeric port (0: any free port); an IPv6 host in brackets.
absl::Status IsListenAddress(absl::string_view field, absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return Bad(field, absl::StrCat("'", address, "' is not HOST:PORT"));
  }
  return absl::OkStatus();
}

absl::Status IsDirectory(absl::string_view field, const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Bad(field, absl::StrCat("'", path, "' is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status IsReadable(absl::string_view field, const std::string& path) {
  if (auto content = ReadSmallFile(path); !content.ok()) {
    return Bad(field, content.status().message());
  }
  return absl::OkStatus();
}

absl::Status IsCertificates(absl::string_view field, const std::string& path) {
  auto pem = ReadSmallFile(path);
  if (!pem.ok()) return Bad(field, pem.status().message());
  if (auto certs = crypto::Certificate::ParseAll(*pem); !certs.ok()) {
    return Bad(field, absl::StrCat(path, ": ", certs.status().message()));
  }
  return absl::OkStatus();
}

absl::Status ValidateListeners(const cfg::ServerConfig& c) {
  const cfg::Listeners& l = c.listeners();
  const bool tls = !l.tls_certificate_file().empty() || !l.tls_private_key_file().empty();
  if (tls && (l.tls_certificate_file().empty() || l.tls_private_key_file().empty())) {
    return Bad(l.tls_certificate_file().empty() ? "listeners.tls_certificate_file"
                                                : "listeners.tls_private_key_file",
               "TLS needs both the certificate chain and the private key");
  }
  if (tls) {
    if (auto s = IsReadable("listeners.tls_certificate_file", l.tls_certificate_file()); !s.ok())
      return s;
    if (auto s = IsReadable("listeners.tls_private_key_file", l.tls_private_key_file()); !s.ok())
      return s;
  }
  if (!l.tls_client_ca_file().empty()) {
    if (!tls) {
      return Bad("listeners.tls_client_ca_file",
                 "client certificates need TLS (--tls-cert and --tls-key)");
    }
    if (auto s = IsCertificates("listeners.tls_client_ca_file", l.tls_client_ca_file()); !s.ok()) {
      return s;
    }
  }
  if (!l.tls_client_crl_file().empty() && l.tls_client_ca_file().empty()) {
    return Bad("listeners.tls_client_crl_file", "client CRLs need --tls-client-ca");
  }
  const bool access = HasAccessConfig(c);
  for (const auto& [field, address] :
       {std::pair<absl::string_view, std::string>{"listeners.grpc", l.grpc()},
        {"listeners.audit", l.audit()}}) {
    if (field == "listeners.audit" && address.empty()) continue;
    if (auto s = IsListenAddress(field, address); !s.ok()) return s;
    if (IsLoopback(address)) continue;
    if (!tls) {
      return Bad(field, absl::StrCat("refusing to listen on ", address,
                                     " without TLS: plaintext is allowed on loopback only "
                                     "(give --tls-cert and --tls-key)"));
    }
    if (!access) {
      return Bad(field, absl::StrCat("refusing to listen on ", address,
                                     " without access control: off loopback, give "
                                     "--tls-client-ca and --access-config (who may call what)"));
    }
  }
  if (l.metrics_tls() && !tls) {
    return Bad("listeners.metrics_tls", "/metrics over TLS needs --tls-cert and --tls-key");
  }
  if (!l.metrics().empty()) {
    if (auto s = IsListenAddress("listeners.metrics", l.metrics()); !s.ok()) return s;
    // Off loopback as for gRPC: TLS, client certificates, grants.
    if (!IsLoopback(l.metrics()) && !l.metrics_tls()) {
      return Bad("listeners.metrics",
                 absl::StrCat("refusing to serve metrics on ", l.metrics(),
                              ": plaintext /metrics is allowed on loopback only (give "
                              "--metrics-tls, or scrape it through a local agent)"));
    }
    if (!IsLoopback(l.metrics()) && !access) {
      return Bad("listeners.metrics",
                 absl::StrCat("refusing to serve metrics on ", l.metrics(),
                              " without access control: off loopback, give --tls-client-ca and "
                              "--access-config with a ROLE_MONITOR grant for the scraper"));
    }
  }
  const bool audit_log = !c.audit().sqlite_file().empty() || !c.audit().postgres().empty();
  if (!l.audit().empty() && !audit_log) {
    return Bad("listeners.audit",
               "set, but there is no audit log (--audit-db or --audit-postgres)");
  }
  return absl::OkStatus();
}

// The grants and client CRLs load as access control will load them.
absl::Status ValidateAccess(const cfg::ServerConfig& c) {
  if (!c.access_config_file().empty() && c.has_access()) {
    return Bad("access_config_file",
               "give the grants once: in the configuration's `access` or in --access-config");
  }
  if (HasAccessConfig(c) && c.listeners().tls_client_ca_file().empty()) {
    return Bad(c.has_access() ? "access" : "access_config_file",
               "callers are known by their client certificates: give --tls-client-ca");
  }
  access::AccessControl::Options options = AccessOptionsOf(c);
  options.poll_interval = absl::ZeroDuration();
  if (auto loaded = access::AccessControl::Create(std::move(options)); !loaded.ok()) {
    return Bad(
        !c.listeners().tls_client_crl_file().empty() &&
                absl::StrContains(loaded.status().message(), c.listeners().tls_client_crl_file())
            ? "listeners.tls_client_crl_file"
            : (c.has_access() ? "access" : "access_config_file"),
        loaded.status().message());
  }
  return absl::OkStatus();
}

absl::Status ValidateTrust(const cfg::Trust& t) {
  if (t.anchors_dir().empty() && t.profiles().empty()) {
    return Bad("trust.anchors_dir",
               "a directory of PEM/DER root certificates (or --trust-profile=NAME) is required");
  }
  if (!t.anchors_dir().empty()) {
    if (auto s = IsDirectory("trust.anchors_dir", t.anchors_dir()); !s.ok()) return s;
  }
  if (!t.intermediates_dir().empty()) {
    if (auto s = IsDirectory("trust.intermediates_dir", t.intermediates_dir()); !s.ok()) return s;
  }
  for (const std::string& name : t.profiles()) {
    if (auto p = crypto::LoadTrustProfile(name); !p.ok()) {
      return Bad("trust.profiles", p.status().message());
    }
  }
  if (!t.trust_config_file().empty()) {
    auto text = ReadSmallFile(t.trust_config_file());
    if (!text.ok()) return Bad("trust.trust_config_file", text.status().message());
    if (auto parsed = ParseTrustConfig(*text); !parsed.ok()) {
      return Bad("trust.trust_config_file",
                 absl::StrCat(t.trust_config_file(), ": ", parsed.status().message()));
    }
  }
  return NonNegative("trust.poll_interval", t.poll_interval());
}

absl::Status ValidateSizes(const cfg::ServerConfig& c) {
  const cfg::Limits& l = c.limits();
  const cfg::Verification& v = c.verification();
  for (const auto& [field, value, min, max] :
       std::initializer_list<std::tuple<absl::string_view, int64_t, int64_t, int64_t>>{
           {"limits.max_message_bytes", l.max_message_bytes(), 1, INT32_MAX},
           {"limits.max_batch_items", l.max_batch_items(), 1, 1000000},
           {"limits.max_data_bytes", l.max_data_bytes(), 1, INT32_MAX},
           {"limits.max_queued_items", l.max_queued_items(), 1, int64_t{1} << 40},
           {"limits.max_stream_window", l.max_stream_window(), 1, 100000},
           {"verification.workers", v.workers(), 0, 1024},
           {"verification.certificate_cache_size", v.certificate_cache_size(), 1, 100000000},
           {"verification.path_cache_size", v.path_cache_size(), 1, 100000000},
           {"verification.min_rsa_bits", v.min_rsa_bits(), 1, crypto::kMaxRsaBits}}) {
    if (auto s = InRange(field, value, min, max); !s.ok()) return s;
  }
  const int64_t least = static_cast<int64_t>(kMinInflightMessages) * l.max_message_bytes();
  if (l.max_inflight_bytes() != 0 && l.max_inflight_bytes() < least) {
    return Bad(
        "limits.max_inflight_bytes",
        absl::StrCat(l.max_inflight_bytes(), " is below ", kMinInflightMessages,
                     " x --max-message-bytes (", least, "): a largest request could never run"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRevocation(const cfg::Revocation& r) {
  if (auto s = NonNegative("revocation.retry_after", r.retry_after()); !s.ok()) return s;
  const absl::Duration retry = ToAbslDuration(r.retry_after());
  if (retry < absl::Seconds(1) || retry > absl::Hours(1)) {
    return Bad("revocation.retry_after", "between 1s and 1h");
  }
  for (const std::string& prefix : r.aia_fetch_prefixes()) {
    auto url = cache::ParseHttpUrl(prefix);
    if (!url.ok() || url->scheme != "http") {
      return Bad("revocation.aia_fetch_prefixes",
                 absl::StrCat("'", prefix, "' is not an http:// URL prefix",
                              url.ok() ? "" : absl::StrCat(": ", url.status().message())));
    }
  }
  for (const cfg::UrlRewrite& rule : r.url_rewrites()) {
    for (const std::string* side : {&rule.from(), &rule.to()}) {
      if (auto url = cache::ParseHttpUrl(*side); !url.ok()) {
        return Bad("revocation.url_rewrites",
                   absl::StrCat("'", rule.from(), "=", rule.to(), "': ", url.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAudit(const cfg::Audit& a) {
  if (!a.sqlite_file().empty() && !a.postgres().empty()) {
    return Bad("audit.postgres", "give one audit store: --audit-db (SQLite) or --audit-postgres");
  }
  if (!a.postgres().empty() && !a.log_dir().empty()) {
    return Bad("audit.log_dir",
               "segment files are the SQLite log's (--audit-db), not PostgreSQL's");
  }
  if (!a.postgres().empty() && a.key_file().empty()) {
    return Bad("audit.key_file", "--audit-postgres needs --audit-key (each instance's own)");
  }
  if (!a.key_file().empty()) {
    if (auto s = IsReadable("audit.key_file", a.key_file()); !s.ok()) return s;
  }
  if (auto s = InRange("audit.max_batch", a.max_batch(), 1, 100000); !s.ok()) return s;
  if (auto s = InRange("audit.query_threads", a.query_threads(), 1, 64); !s.ok()) return s;
  if (auto s = NonNegative("audit.commit_window", a.commit_window()); !s.ok()) return s;
  if (ToAbslDuration(a.commit_window()) > absl::Seconds(1)) {
    return Bad("audit.commit_window", "at most 1s: every verdict waits for it");
  }
  if (auto s = InRange("audit.min_free_bytes", a.min_free_bytes(), 0, int64_t{1} << 50); !s.ok()) {
    return s;
  }
  return NonNegative("audit.retention", a.retention());
}

// Replaces `f` of `to` with `from`'s: a copy of `from` holding only `f`,
// merged into `to` after `f` was cleared there (so a repeated field is
// replaced, not appended to).
void ReplaceField(const google::protobuf::Message& from, const google::protobuf::FieldDescriptor* f,
                  google::protobuf::Message* to) {
  std::unique_ptr<google::protobuf::Message> only(from.New());
  only->CopyFrom(from);
  std::vector<const google::protobuf::FieldDescriptor*> all;
  only->GetReflection()->ListFields(*only, &all);
  for (const google::protobuf::FieldDescriptor* g : all) {
    if (g != f) only->GetReflection()->ClearField(only.get(), g);
  }
  to->GetReflection()->ClearField(to, f);
  to->MergeFrom(*only);
}

void Overlay(const google::protobuf::Message& overlay, google::protobuf::Message* base) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  overlay.GetReflection()->ListFields(overlay, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    const bool section = !f->is_repeated() &&
                         f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
                         f->message_type() != google::protobuf::Duration::descriptor();
    if (section) {
      Overlay(overlay.GetReflection()->GetMessage(overlay, f),
              base->GetReflection()->MutableMessage(base, f));
    } else {
      ReplaceField(overlay, f, base);
    }
  }
}

}  // namespace

ServerConfig DefaultServerConfig() {
  static const ServerConfig* const defaults = [] {
    auto* c = new ServerConfig;
    const absl::Status parsed = ParseTextProto(kDefaults, c);
    if (!parsed.ok()) std::abort();  // built in; tested
    return c;
  }();
  return *defaults;
}

absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view text) {
  ServerConfig config;
  if (auto s = ParseTextProto(text, &config); !s.ok()) return s;
  return config;
}

void OverlayServerConfig(const ServerConfig& overlay, ServerConfig* base) {
  Overlay(overlay, base);
}

absl::string_view FlagForField(absl::string_view field) {
  for (const auto& [f, flag] : kFlagOfField) {
    if (f == field) return flag;
  }
  return {};
}

std::vector<std::pair<absl::string_view, absl::string_view>> FieldsWithFlags() {
  return {kFlagOfField.begin(), kFlagOfField.end()};
}

absl::Status ValidateServerConfig(const ServerConfig& config) {
  if (auto s = ValidateListeners(config); !s.ok()) return s;
  if (auto s = ValidateTrust(config.trust()); !s.ok()) return s;
  if (auto s = ValidateSizes(config); !s.ok()) return s;
  if (auto s = ValidateRevocation(config.revocation()); !s.ok()) return s;
  if (auto s = ValidateAudit(config.audit()); !s.ok()) return s;
  if (auto s = ValidateAccess(config); !s.ok()) return s;
  return NonNegative("shutdown_grace", config.shutdown_grace());
}

bool HasAccessConfig(const ServerConfig& config) {
  return config.has_access() || !config.access_config_file().empty();
}

access::AccessControl::Options AccessOptionsOf(const ServerConfig& config) {
  access::AccessControl::Options options;
  options.config_file = config.access_config_file();
  if (config.has_access()) options.config = config.access();
  options.client_ca_file = config.listeners().tls_client_ca_file();
  options.client_crl_file = config.listeners().tls_client_crl_file();
  options.poll_interval = ToAbslDuration(config.trust().poll_interval());
  return options;
}

absl::Duration ToAbslDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string AuditInstanceId(const ServerConfig& config) {
  if (!config.audit().instance_id().empty()) return config.audit().instance_id();
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host[0] != '\0' ? host : "sigverifyd";
}

}  // namespace sigverify::service
