#include "service/trust_config.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/text_proto.h"
#include "sigverify/config/v1/trust_config.pb.h"

namespace sigverify::service {
namespace {

namespace cfg = ::sigverify::config::v1;

crypto::AlgorithmPolicy ToAlgorithms(const cfg::AlgorithmConstraints& c) {
  crypto::AlgorithmPolicy a;
  if (c.min_rsa_bits() != 0) a.min_rsa_bits = c.min_rsa_bits();
  a.allow_sha1 = c.allow_sha1();
  return a;
}

bool IsHexFingerprint(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), absl::ascii_isxdigit);
}

}  // namespace

absl::StatusOr<crypto::TrustConfig> ParseTrustConfig(std::string_view text) {
  cfg::TrustConfig proto;
  if (auto parsed = ParseTextProto(absl::string_view(text.data(), text.size()), &proto);
      !parsed.ok()) {
    return parsed;
  }
  crypto::TrustConfig config;
  for (int i = 0; i < proto.policies_size(); ++i) {
    const cfg::ValidationPolicy& p = proto.policies(i);
    const std::string field = absl::StrCat("policies[", i, "]");
    crypto::ValidationPolicy policy;
    policy.name = p.name();
    if (p.has_algorithms()) policy.algorithms = ToAlgorithms(p.algorithms());
    if (p.has_legacy_algorithms()) {
      policy.legacy = ToAlgorithms(p.legacy_algorithms());
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, p.legacy_until(), &policy.legacy_until, &error)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".legacy_until: '", p.legacy_until(), "' is not an RFC 3339 time"));
      }
    } else if (!p.legacy_until().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".legacy_until: set without legacy_algorithms"));
    }
    if (auto s = policy.Validate(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", s.message()));
    }
    config.policies.push_back(std::move(policy));
  }
  for (int i = 0; i < proto.anchors_size(); ++i) {
    const cfg::TrustAnchor& a = proto.anchors(i);
    const std::string fingerprint = absl::AsciiStrToLower(a.sha256_fingerprint());
    if (!IsHexFingerprint(fingerprint)) {
      return absl::InvalidArgumentError(
          absl::StrCat("anchors[", i, "].sha256_fingerprint: 64 hex digits expected, got '",
                       a.sha256_fingerprint(), "'"));
    }
    crypto::AnchorConfig anchor;
    anchor.required_certificate_policies.assign(a.required_certificate_policies().begin(),
                                                a.required_certificate_policies().end());
    anchor.validation_policies.assign(a.validation_policies().begin(),
                                      a.validation_policies().end());
    switch (a.revocation()) {
      case cfg::REVOCATION_REQUIREMENT_SOFT_FAIL:
        anchor.revocation = crypto::RevocationRequirement::kSoftFail;
        break;
      case cfg::REVOCATION_REQUIREMENT_REQUIRE:
        anchor.revocation = crypto::RevocationRequirement::kRequire;
        break;
      default:
        anchor.revocation = crypto::RevocationRequirement::kHardFail;
    }
    anchor.revocation_order = a.revocation_order() == cfg::REVOCATION_ORDER_CRL_FIRST
                                  ? crypto::RevocationOrder::kCrlFirst
                                  : crypto::RevocationOrder::kOcspFirst;
    config.anchors.emplace_back(fingerprint, std::move(anchor));
  }
  return config;
}

crypto::TrustConfig MergeTrustConfig(crypto::TrustConfig base, const crypto::TrustConfig& overlay) {
  for (const crypto::ValidationPolicy& p : overlay.policies) {
    auto same = std::find_if(base.policies.begin(), base.policies.end(),
                             [&](const crypto::ValidationPolicy& q) { return q.name == p.name; });
    if (same != base.policies.end()) {
      *same = p;
    } else {
      base.policies.push_back(p);
    }
  }
  for (const auto& entry : overlay.anchors) {
    auto same = std::find_if(base.anchors.begin(), base.anchors.end(),
                             [&](const auto& b) { return b.first == entry.first; });
    if (same != base.anchors.end()) {
      same->second = entry.second;
    } else {
      base.anchors.push_back(entry);
    }
  }
  return base;
}

}  // namespace sigverify::service
