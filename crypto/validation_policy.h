// What a validation accepts, by name, and what each trust anchor demands.
//
// A ValidationPolicy is chosen per request ("default" unless the caller names
// another). It sets the algorithm constraints for every signature the
// verdict rests on: the document's and every certificate's on the path. A
// legacy policy relaxes them (e.g. sha1WithRSA, as the G1 hierarchy signs
// with) only for validation times before a cut-off.
//
// An AnchorConfig belongs to one trust anchor: the certificate policies
// (RFC 5280 user-initial-policy-set, with initial-explicit-policy set) every
// path to it must be valid for, and the validation policies under which the
// anchor may be used at all.
#ifndef SIGVERIFY_CRYPTO_VALIDATION_POLICY_H_
#define SIGVERIFY_CRYPTO_VALIDATION_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "crypto/algorithm.h"
#include "crypto/failure.h"
#include "crypto/public_key.h"
#include "crypto/revocation.h"

namespace sigverify::crypto {

struct AlgorithmPolicy {
  int min_rsa_bits = 2048;
  bool allow_sha1 = false;  // SHA-1 signatures (SHAttered, 2017)
};

inline constexpr char kDefaultPolicyName[] = "default";

struct ValidationPolicy {
  std::string name = kDefaultPolicyName;
  AlgorithmPolicy algorithms;
  // Set for a legacy policy: `legacy` applies to validation times strictly
  // before `legacy_until`, `algorithms` from then on.
  std::optional<AlgorithmPolicy> legacy;
  absl::Time legacy_until = absl::InfinitePast();

  const AlgorithmPolicy& AlgorithmsAt(absl::Time at) const {
    return legacy.has_value() && at < legacy_until ? *legacy : algorithms;
  }
  absl::Status Validate() const;
};

// What a certificate without fresh revocation status does to a verdict
// (enforced by revocation checking; carried here with the anchor).
enum class RevocationRequirement { kHardFail, kSoftFail, kRequire };

// A legacy policy named `name`: the default constraints, except that SHA-1
// signatures are accepted for validation times before `until`.
ValidationPolicy LegacySha1Policy(std::string name, absl::Time until);

struct AnchorConfig {
  // Dotted OIDs; empty: no certificate policy is required.
  std::vector<std::string> required_certificate_policies;
  // Names of the validation policies the anchor serves; empty: all of them.
  std::vector<std::string> validation_policies;
  RevocationRequirement revocation = RevocationRequirement::kHardFail;
  RevocationOrder revocation_order = RevocationOrder::kOcspFirst;

  bool Serves(const std::string& policy_name) const;
};

// Why `key` is too weak under `policy` (KEY_TOO_SMALL with the minimum and
// the key's bits, KEY_TYPE_UNSUPPORTED), or nothing. The caller names the
// certificate (position, certificate).
std::optional<Failure> CheckKeyStrength(const AlgorithmPolicy& policy, const PublicKey& key);

// Why a signature made with `hash` is refused under `policy`, as
// `refused` (DOCUMENT_HASH_REFUSED or CERTIFICATE_HASH_REFUSED) naming the
// hash, or nothing.
std::optional<Failure> CheckSignatureHash(const AlgorithmPolicy& policy, HashAlgorithm hash,
                                          FailureReason refused);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_VALIDATION_POLICY_H_
