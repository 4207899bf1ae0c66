// Builds and validates the signer's path: signer -> intermediates the caller
// sent -> a configured trust anchor, at a given time. Validated paths are
// memoised per (signer, intermediates) for the trust store this validator was
// built with, and reused while the validation time stays inside every
// certificate's validity, so a repeat signer costs one hash and one lookup.
#ifndef SIGVERIFY_CRYPTO_PATH_VALIDATOR_H_
#define SIGVERIFY_CRYPTO_PATH_VALIDATOR_H_

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/certificate.h"
#include "crypto/sharded_cache.h"
#include "crypto/trust_store.h"
#include "crypto/verdict.h"

namespace sigverify::crypto {

// Longest path accepted: signer + intermediates + anchor.
inline constexpr int kMaxPathLength = 10;

struct PathResult {
  SubIndication sub_indication = SubIndication::kNone;  // kNone: validated
  std::string message;
  std::vector<CertificatePtr> path;  // signer first, anchor last
  bool ok() const { return sub_indication == SubIndication::kNone; }
};

class PathValidator {
 public:
  PathValidator(std::shared_ptr<const TrustStore> store, size_t memo_capacity);

  PathResult Validate(const CertificatePtr& signer, absl::Span<const CertificatePtr> intermediates,
                      absl::Time at) const;

  const TrustStore& trust_store() const { return *store_; }
  CacheStats MemoStats() const { return memo_.Stats(); }

 private:
  struct ValidatedPath {
    std::vector<CertificatePtr> path;
    absl::Time valid_from;   // latest notBefore on the path
    absl::Time valid_until;  // earliest notAfter on the path
  };

  PathResult ValidateUncached(const CertificatePtr& signer,
                              absl::Span<const CertificatePtr> intermediates, absl::Time at) const;

  std::shared_ptr<const TrustStore> store_;
  mutable ShardedCache<ValidatedPath> memo_;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_PATH_VALIDATOR_H_
