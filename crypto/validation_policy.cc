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

std::optional<Message> CheckKeyStrength(const AlgorithmPolicy& policy, const PublicKey& key,
                                        const std::string& whose_vi, const std::string& whose_en) {
  if ((key.type() == KeyType::kRsa || key.type() == KeyType::kRsaPss) &&
      key.bits() < policy.min_rsa_bits) {
    return Message{
        absl::StrCat("khóa ", key.Describe(), " của ", whose_vi,
                     " nhỏ hơn mức tối thiểu của chính sách (", policy.min_rsa_bits, " bit)"),
        absl::StrCat(whose_en, " ", key.Describe(), " key is below the policy minimum of ",
                     policy.min_rsa_bits, " bits")};
  }
  if (key.type() == KeyType::kUnsupported) {
    return Message{absl::StrCat("khóa của ", whose_vi, " thuộc loại không được hỗ trợ"),
                   absl::StrCat(whose_en, " key is of an unsupported type")};
  }
  return std::nullopt;
}

std::optional<Message> CheckSignatureHash(const AlgorithmPolicy& policy, HashAlgorithm hash,
                                          const std::string& what_vi, const std::string& what_en) {
  if (hash == HashAlgorithm::kSha1 && !policy.allow_sha1) {
    return Message{absl::StrCat(what_vi, " dùng SHA-1, bị chính sách xác thực từ chối"),
                   absl::StrCat(what_en, " uses SHA-1, refused by the validation policy")};
  }
  return std::nullopt;
}

}  // namespace sigverify::crypto
