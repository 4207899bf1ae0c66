#include "service/access/access_control.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/files.h"
#include "service/text_proto.h"

namespace sigverify::service::access {
namespace {

// Parsed peer certificates kept; a connection's certificate is parsed once,
// not once per call.
constexpr size_t kMaxIdentities = 4096;

std::string RoleConstant(cfg::Role role) { return cfg::Role_Name(role); }

std::string Format(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(Options options) {
  std::unique_ptr<AccessControl> control(new AccessControl(std::move(options)));
  control->enabled_ = !control->options_.config_file.empty() || control->options_.config;
  {
    absl::MutexLock lock(&control->reload_mu_);
    control->last_files_ = control->FilesState();
    auto state = control->Load();
    if (!state.ok()) return state.status();
    absl::MutexLock state_lock(&control->mu_);
    control->state_ = *std::move(state);
  }
  const Options& o = control->options_;
  if (o.poll_interval > absl::ZeroDuration() &&
      !(o.config_file.empty() && o.client_crl_file.empty())) {
    AccessControl* self = control.get();
    control->poller_ = std::thread([self] { self->Poll(); });
  }
  return control;
}

AccessControl::~AccessControl() {
  stop_.Notify();
  if (poller_.joinable()) poller_.join();
}

absl::StatusOr<AccessControl::State> AccessControl::Load() const {
  State state;
  if (!options_.config_file.empty() || options_.config) {
    cfg::AccessConfig config;
    if (options_.config) {
      config = *options_.config;
    } else {
      auto text = ReadSmallFile(options_.config_file);
      if (!text.ok()) return text.status();
      if (auto s = ParseTextProto(*text, &config); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(options_.config_file, ": ", s.message()));
      }
    }
    auto policy = AccessPolicy::Compile(config);
    if (!policy.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options_.config_file.empty() ? "access" : options_.config_file, ": ",
                       policy.status().message()));
    }
    state.policy = *std::move(policy);
  }
  if (options_.client_crl_file.empty()) {
    state.crls = std::make_shared<const ClientCrls>();
    return state;
  }
  auto ca_pem = ReadSmallFile(options_.client_ca_file);
  if (!ca_pem.ok()) return ca_pem.status();
  auto cas = crypto::Certificate::ParseAll(*ca_pem);
  if (!cas.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options_.client_ca_file, ": ", cas.status().message()));
  }
  auto crl_bytes = ReadSmallFile(options_.client_crl_file);
  if (!crl_bytes.ok()) return crl_bytes.status();
  auto crls = ClientCrls::Load(*crl_bytes, *cas);
  if (!crls.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options_.client_crl_file, ": ", crls.status().message()));
  }
  state.crls = std::make_shared<const ClientCrls>(*std::move(crls));
  return state;
}

std::string AccessControl::FilesState() const {
  std::string state;
  for (const std::string* file :
       {&options_.config_file, &options_.client_ca_file, &options_.client_crl_file}) {
    if (!file->empty()) absl::StrAppend(&state, FileState(*file), "\n");
  }
  return state;
}

absl::Status AccessControl::Reload() {
  // Nothing comes from a file: nothing to read again.
  if (options_.config_file.empty() && options_.client_crl_file.empty()) return absl::OkStatus();
  absl::MutexLock lock(&reload_mu_);
  last_files_ = FilesState();
  auto state = Load();
  if (!state.ok()) {
    reload_failures_.fetch_add(1);
    options_.log(absl::StrCat("access control not reloaded (the previous grants and CRLs stay): ",
                              state.status().message()));
    return state.status();
  }
  reloads_.fetch_add(1);
  options_.log(
      absl::StrCat("access control reloaded: ", state->policy ? state->policy->grants() : 0,
                   " grants, ", state->crls->size(), " client CRLs"));
  absl::MutexLock state_lock(&mu_);
  state_ = *std::move(state);
  return absl::OkStatus();
}

void AccessControl::Poll() {
  while (!stop_.WaitForNotificationWithTimeout(options_.poll_interval)) {
    bool changed;
    {
      absl::MutexLock lock(&reload_mu_);
      changed = FilesState() != last_files_;
    }
    if (changed) Reload().IgnoreError();  // logged and counted
  }
}

AccessControl::State AccessControl::Current() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::StatusOr<ClientIdentityPtr> AccessControl::Identify(absl::string_view pem) const {
  const std::string key(pem);
  {
    absl::MutexLock lock(&identities_mu_);
    if (auto it = identities_.find(key); it != identities_.end()) return it->second;
  }
  auto identity = IdentityFromPem(pem);
  if (!identity.ok()) return identity.status();
  absl::MutexLock lock(&identities_mu_);
  if (identities_.size() >= kMaxIdentities) identities_.clear();
  identities_.emplace(key, *identity);
  return identity;
}

absl::StatusOr<Caller> AccessControl::Authorize(absl::string_view peer_pem, cfg::Role role,
                                                absl::string_view method, absl::Time now) const {
  const State state = Current();
  Caller caller;
  if (peer_pem.empty()) {
    if (state.policy == nullptr) return caller;
    denied_certificate_.fetch_add(1);
    return absl::UnauthenticatedError(
        absl::StrCat(method,
                     ": no client certificate (access control is on: connect with "
                     "mutual TLS)"));
  }
  auto identity = Identify(peer_pem);
  if (!identity.ok()) {
    denied_certificate_.fetch_add(1);
    return absl::UnauthenticatedError(identity.status().message());
  }
  const ClientIdentity& id = **identity;
  if (!id.client_auth) {
    denied_certificate_.fetch_add(1);
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate ", id.subject(),
                     " is not for client authentication (its extendedKeyUsage has no clientAuth)"));
  }
  if (now > id.certificate->not_after() || now < id.certificate->not_before()) {
    denied_certificate_.fetch_add(1);
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate ", id.subject(), " is valid from ",
                     Format(id.certificate->not_before()), " to ",
                     Format(id.certificate->not_after()), ", not at ", Format(now)));
  }
  if (absl::Status s = state.crls->Check(id, now); !s.ok()) {
    denied_revoked_.fetch_add(1);
    return s;
  }
  caller.identity = *std::move(identity);
  if (state.policy == nullptr) return caller;
  const Decision decision = state.policy->Match(id, role);
  if (decision.grant == nullptr) {
    denied_no_grant_.fetch_add(1);
    return absl::PermissionDeniedError(absl::StrCat(
        method, " needs ", RoleConstant(role), ": no grant of it names the client certificate ",
        id.subject(), " (sha256 ", id.sha256_hex(), ")"));
  }
  caller.label = decision.grant->name;
  caller.may_set_validation_time = decision.may_set_validation_time;
  caller.quota = decision.grant->quota;
  return caller;
}

size_t AccessControl::grants() const {
  const State state = Current();
  return state.policy ? state.policy->grants() : 0;
}

std::string AccessControl::version() const {
  const State state = Current();
  return state.policy ? state.policy->version() : "";
}

StatsTable AccessControl::stats_table() const {
  const char* denied = "sigverify_access_denied_total";
  const char* denied_help =
      "Calls refused by access control: no grant for the method's role (PERMISSION_DENIED), a "
      "revoked client certificate or a stale client CRL, a certificate unusable for client "
      "authentication (UNAUTHENTICATED)";
  return {
      {"sigverify_access_reloads_total", "Access configuration and client CRL reloads installed",
       StatKind::kCounter, [this] { return double(reloads_.load()); }},
      {"sigverify_access_reload_failures_total",
       "Access configuration or client CRL reloads refused (the previous ones were kept)",
       StatKind::kCounter, [this] { return double(reload_failures_.load()); }},
      {denied,
       denied_help,
       StatKind::kCounter,
       [this] { return double(denied_no_grant_.load()); },
       {{"reason", "no_grant"}}},
      {denied,
       denied_help,
       StatKind::kCounter,
       [this] { return double(denied_revoked_.load()); },
       {{"reason", "revoked"}}},
      {denied,
       denied_help,
       StatKind::kCounter,
       [this] { return double(denied_certificate_.load()); },
       {{"reason", "certificate"}}},
  };
}

}  // namespace sigverify::service::access
