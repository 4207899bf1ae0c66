#include "crypto/validation_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sigverify::crypto {

absl::Status ValidationPolicy::Validate() const {
  if (name.empty()) return absl::InvalidArgumentError("validation policy without a name");
  for (const AlgorithmPolicy* a : {&algorithms, legacy ? &*legacy : nullptr}) {
    if (a == nullptr) continue;
    if (a->min_rsa_bits < 1024 || a->min_rsa_bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(absl::StrCat("policy ", name, ": min_rsa_bits ",
                                                     a->min_rsa_bits, " is outside [1024, ",
                                                     kMaxRsaBits, "]"));
    }
  }
  if (legacy.has_value() && legacy_until == absl::InfinitePast()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", name, ": legacy algorithms need a cut-off time"));
  }
  return absl::OkStatus();
}

ValidationPolicy LegacySha1Policy(std::string name, absl::Time until) {
  ValidationPolicy p;
  p.name = std::move(name);
  p.legacy = AlgorithmPolicy{.min_rsa_bits = p.algorithms.min_rsa_bits, .allow_sha1 = true};
  p.legacy_until = until;
  return p;
}

bool AnchorConfig::Serves(const std::string& policy_name) const {
  return validation_policies.empty() ||
         std::find(validation_policies.begin(), validation_policies.end(), policy_name) !=
             validation_policies.end();
}

std::optional<Failure> CheckKeyStrength(const AlgorithmPolicy& policy, const PublicKey& key) {
  if ((key.type() == KeyType::kRsa || key.type() == KeyType::kRsaPss) &&
      key.bits() < policy.min_rsa_bits) {
    Failure f;
    f.reason = FailureReason::kKeyTooSmall;
    f.names = {key.Describe()};
    f.limit = policy.min_rsa_bits;
    f.actual = key.bits();
    return f;
  }
  if (key.type() == KeyType::kUnsupported) {
    Failure f;
    f.reason = FailureReason::kKeyTypeUnsupported;
    return f;
  }
  return std::nullopt;
}

std::optional<Failure> CheckSignatureHash(const AlgorithmPolicy& policy, HashAlgorithm hash,
                                          FailureReason refused) {
  if (hash == HashAlgorithm::kSha1 && !policy.allow_sha1) {
    Failure f;
    f.reason = refused;
    f.names = {std::string(HashName(hash))};
    return f;
  }
  return std::nullopt;
}

}  // namespace sigverify::crypto
