// Builds and validates the signer's path: signer -> intermediates (sent by
// the caller or from the store's pool) -> a configured trust anchor, at a
// given time, under a named validation policy.
//
// RFC 5280 section 6.1 is split between OpenSSL's X509_verify_cert, which
// runs on one candidate path at a time against that path's anchor alone
// (signatures, validity, name chaining, basic constraints, path length,
// name constraints, unknown critical extensions, and, with the flags set
// here, the valid_policy_tree with mappings, requireExplicitPolicy,
// inhibitPolicyMapping and inhibitAnyPolicy), and checks of the project's
// own (the signer's keyUsage and extendedKeyUsage, keyCertSign on CAs, the
// algorithm policy for every signature and key on the path, the anchor's
// required certificate policies and the validation policies it serves).
// docs/rfc5280-coverage.md lists each check with where it is done and tested.
//
// Validated paths are memoised per (signer, intermediates, policy) for the
// trust store this validator was built with, and reused while the
// validation time stays inside every certificate's validity (and on the
// same side of a legacy policy's cut-off), so a repeat signer costs one hash
// and one lookup.
#ifndef SIGVERIFY_CRYPTO_PATH_VALIDATOR_H_
#define SIGVERIFY_CRYPTO_PATH_VALIDATOR_H_

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/certificate.h"
#include "crypto/failure.h"
#include "crypto/issuer_source.h"
#include "crypto/revocation.h"
#include "crypto/sharded_cache.h"
#include "crypto/trust_store.h"
#include "crypto/validation_policy.h"
#include "crypto/verdict.h"

namespace sigverify::crypto {

// Longest path accepted: signer + intermediates + anchor.
inline constexpr int kMaxPathLength = 10;

// What the end certificate of a path is judged for: signing documents (its
// keyUsage allows digitalSignature or nonRepudiation, its extendedKeyUsage,
// when present, allows documents), or issuing timestamps (RFC 3161 2.3: a
// critical extendedKeyUsage whose only purpose is id-kp-timeStamping).
enum class KeyPurpose { kDocumentSigning, kTimeStamping };

struct PathResult {
  SubIndication sub_indication = SubIndication::kNone;  // kNone: validated
  std::vector<CertificatePtr> path;                     // signer first, anchor last
  Failure failed;                                       // what failed, when not ok()
  std::vector<RevocationEvidence> revocation;           // see Verdict::revocation
  bool ok() const { return sub_indication == SubIndication::kNone; }
};

class PathValidator {
 public:
  // `issuers`, when given, is asked for the issuers of certificates whose
  // issuer is not known locally (AIA), only when no candidate path exists.
  // `revocation`, when given, is asked about every certificate of a
  // validated path but the anchor, and its answers are judged by the
  // anchor's RevocationRequirement.
  PathValidator(std::shared_ptr<const TrustStore> store, size_t memo_capacity,
                std::shared_ptr<const IssuerSource> issuers = nullptr,
                std::shared_ptr<const RevocationChecker> revocation = nullptr);

  // `policy` must be one of trust_store().policies(); `revocation` holds
  // the OCSP responses and CRLs from the request, for the revocation
  // checker (its order is set from the path's anchor).
  PathResult Validate(const CertificatePtr& signer, absl::Span<const CertificatePtr> intermediates,
                      absl::Time at, const ValidationPolicy& policy,
                      RevocationInputs revocation = {},
                      KeyPurpose purpose = KeyPurpose::kDocumentSigning) const;
  // Under the store's "default" policy.
  PathResult Validate(const CertificatePtr& signer, absl::Span<const CertificatePtr> intermediates,
                      absl::Time at) const;
  // The two halves of Validate, for callers that do other work between them
  // (crypto/record_verifier.cc: the document signature). ValidatePath builds
  // and validates the path without revocation; CheckRevocation asks about a
  // path ValidatePath returned. The checker is given the CRL signers of the
  // path (RFC 5280 6.3.3 (f)): certificates named as a CRL's issuer, from
  // `inputs.certificates` and the store, whose own path validates to the
  // same anchor at the same time and whose revocation status (asked of
  // their issuers' own CRLs and responses only, one level deep) passes the
  // anchor's requirement.
  PathResult ValidatePath(const CertificatePtr& signer,
                          absl::Span<const CertificatePtr> intermediates, absl::Time at,
                          const ValidationPolicy& policy,
                          KeyPurpose purpose = KeyPurpose::kDocumentSigning) const;
  PathResult CheckRevocation(std::vector<CertificatePtr> path, absl::Time at,
                             RevocationInputs inputs) const;

  const TrustStore& trust_store() const { return *store_; }
  CacheStats MemoStats() const { return memo_.Stats(); }

 private:
  struct ValidatedPath {
    std::vector<CertificatePtr> path;
    absl::Time valid_from;   // latest notBefore on the path
    absl::Time valid_until;  // earliest notAfter on the path
  };

  PathResult ValidateUncached(const CertificatePtr& signer,
                              absl::Span<const CertificatePtr> intermediates, absl::Time at,
                              const ValidationPolicy& policy, KeyPurpose purpose) const;
  PathResult ValidateCandidate(const std::vector<CertificatePtr>& candidate, absl::Time at,
                               const ValidationPolicy& policy) const;
  class PathCrlSigners;
  bool Recall(const Sha256Digest& key, absl::Time at, std::vector<CertificatePtr>* path) const;
  void Remember(const Sha256Digest& key, const std::vector<CertificatePtr>& path, absl::Time at,
                const ValidationPolicy& policy) const;
  // CheckRevocation; at `depth` 0 the checker may use CRLs of other signers.
  PathResult CheckRevocationAt(std::vector<CertificatePtr> path, absl::Time at,
                               RevocationInputs inputs, int depth) const;
  // The path of `signer` (a CRL issuer's certificate) to `anchor`, validated
  // at `at`, or empty.
  std::vector<CertificatePtr> CrlSignerPath(const CertificatePtr& signer, const Certificate& anchor,
                                            absl::Time at,
                                            absl::Span<const CertificatePtr> certificates) const;

  std::shared_ptr<const TrustStore> store_;
  std::shared_ptr<const IssuerSource> issuers_;
  std::shared_ptr<const RevocationChecker> revocation_;
  mutable ShardedCache<ValidatedPath> memo_;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_PATH_VALIDATOR_H_
