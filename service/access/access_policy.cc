#include "service/access/access_policy.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "crypto/sha256.h"
#include "service/access/distinguished_name.h"

namespace sigverify::service::access {
namespace {

constexpr size_t kMaxNameLength = 48;

// Lower-case hex of 32 bytes, ':' between bytes allowed; empty when it is not.
std::string NormalizedSha256(const std::string& written) {
  std::string hex = absl::AsciiStrToLower(absl::StrReplaceAll(written, {{":", ""}}));
  if (hex.size() != 64) return "";
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
  }
  return hex;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

absl::string_view RoleName(cfg::Role role) {
  switch (role) {
    case cfg::ROLE_VERIFIER:
      return "verifier";
    case cfg::ROLE_AUDITOR:
      return "auditor";
    case cfg::ROLE_ADMIN:
      return "admin";
    case cfg::ROLE_MONITOR:
      return "monitor";
    default:
      return "none";
  }
}

absl::StatusOr<std::shared_ptr<const AccessPolicy>> AccessPolicy::Compile(
    const cfg::AccessConfig& config) {
  if (config.grants_size() > kMaxGrants) {
    return absl::InvalidArgumentError(
        absl::StrCat("grants: ", config.grants_size(), ", more than ", kMaxGrants));
  }
  std::shared_ptr<AccessPolicy> policy(new AccessPolicy());
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < config.grants_size(); ++i) {
    const cfg::Grant& g = config.grants(i);
    auto bad = [i](absl::string_view field, absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("grants[", i + 1, "].", field, ": ", what));
    };
    if (g.role() != cfg::ROLE_VERIFIER && g.role() != cfg::ROLE_AUDITOR &&
        g.role() != cfg::ROLE_ADMIN && g.role() != cfg::ROLE_MONITOR) {
      return bad("role", "ROLE_VERIFIER, ROLE_AUDITOR, ROLE_ADMIN or ROLE_MONITOR");
    }
    if (g.certificate_sha256().empty() && g.subject().empty() && g.san_uri().empty()) {
      return bad("certificate_sha256",
                 "a grant names at least one certificate_sha256, subject "
                 "or san_uri");
    }
    if (g.may_set_validation_time() && g.role() != cfg::ROLE_VERIFIER) {
      return bad("may_set_validation_time", "only for ROLE_VERIFIER");
    }
    GrantInfo info;
    info.role = g.role();
    info.may_set_validation_time = g.may_set_validation_time();
    if (g.has_quota() && g.role() != cfg::ROLE_VERIFIER) {
      return bad("quota", "only for ROLE_VERIFIER (quotas bound verification)");
    }
    const cfg::Quota& quota = g.has_quota() ? g.quota() : config.default_quota();
    if (!(quota.items_per_second() >= 0) || quota.items_per_second() > 1e9) {
      return bad("quota.items_per_second", "a number of records per second, 0 to 1e9");
    }
    info.quota = QuotaOf(quota);
    info.name = g.name().empty() ? absl::StrCat(RoleName(g.role()), "-", i + 1) : g.name();
    if (!ValidName(info.name)) {
      return bad("name", absl::StrCat("'", g.name(), "': [a-z0-9._-], 1 to ", kMaxNameLength,
                                      " characters"));
    }
    if (!names.insert(info.name).second) {
      return bad("name", absl::StrCat("'", info.name, "' names another grant too"));
    }
    for (const std::string& written : g.certificate_sha256()) {
      const std::string hex = NormalizedSha256(written);
      if (hex.empty()) {
        return bad("certificate_sha256",
                   absl::StrCat("'", written, "' is not 32 bytes of hex (64 digits)"));
      }
      policy->by_sha256_[hex].push_back(i);
    }
    for (const std::string& written : g.subject()) {
      auto subject = CanonicalName(written);
      if (!subject.ok()) return bad("subject", subject.status().message());
      policy->by_subject_[*subject].push_back(i);
    }
    for (const std::string& uri : g.san_uri()) {
      if (uri.empty()) return bad("san_uri", "empty");
      policy->by_san_uri_[uri].push_back(i);
    }
    policy->grants_.push_back(std::move(info));
  }
  std::string encoded;
  config.SerializeToString(&encoded);  // deterministic for one binary
  policy->version_ = crypto::ToHex(crypto::Sha256(encoded));
  return std::shared_ptr<const AccessPolicy>(std::move(policy));
}

void AccessPolicy::Consider(const std::vector<int>* matches, cfg::Role role,
                            Decision& decision) const {
  if (matches == nullptr) return;
  for (int i : *matches) {
    const GrantInfo& g = grants_[static_cast<size_t>(i)];
    if (g.role != role) continue;
    if (decision.grant == nullptr || &g < decision.grant) decision.grant = &g;
    decision.may_set_validation_time =
        decision.may_set_validation_time || g.may_set_validation_time;
  }
}

Decision AccessPolicy::Match(const ClientIdentity& identity, cfg::Role role) const {
  Decision decision;
  auto find = [](const auto& index, const std::string& key) -> const std::vector<int>* {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &it->second;
  };
  Consider(find(by_sha256_, identity.sha256_hex()), role, decision);
  Consider(find(by_subject_, identity.canonical_subject), role, decision);
  for (const std::string& uri : identity.san_uris) Consider(find(by_san_uri_, uri), role, decision);
  return decision;
}

}  // namespace sigverify::service::access
