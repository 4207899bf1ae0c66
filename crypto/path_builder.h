// Candidate certification paths from a target certificate to a trust anchor,
// built in the forward direction (RFC 4158, 2.3): from the target, through
// certificates whose subject is the current certificate's issuer, until a
// trust anchor issued one. Several paths can exist (cross-certificates, an
// old and a new root side by side, re-keyed CAs); the validator tries them
// in the order given here until one validates.
//
// A candidate is chained by name and, where both certificates carry them, by
// key identifier; signatures, validity and constraints are the validator's.
// Loops (A certifies B certifies A) and name floods are bounded: no subject
// and key occur twice on one path, and both the paths returned and the
// issuer candidates examined are capped.
#ifndef SIGVERIFY_CRYPTO_PATH_BUILDER_H_
#define SIGVERIFY_CRYPTO_PATH_BUILDER_H_

#include <vector>

#include "absl/types/span.h"
#include "crypto/certificate.h"
#include "crypto/trust_store.h"

namespace sigverify::crypto {

struct PathBuilderLimits {
  int max_path_length = 10;  // certificates, target and anchor included
  int max_paths = 8;
  int max_issuer_checks = 512;
};

struct CandidatePath {
  std::vector<CertificatePtr> certs;  // target first, anchor last
};

struct PathCandidates {
  std::vector<CandidatePath> paths;
  bool truncated = false;  // a limit stopped the search
  // Certificates reached from the target whose issuer is neither an anchor
  // nor among the certificates given (at most a few): where fetching an
  // issuer could still complete a path.
  std::vector<CertificatePtr> dead_ends;
};

// Shorter paths and paths through certificates the caller sent come first.
PathCandidates BuildCandidatePaths(const CertificatePtr& target,
                                   absl::Span<const CertificatePtr> sent, const TrustStore& store,
                                   const PathBuilderLimits& limits = {});

// True when `subject` names `issuer` as its issuer and their key
// identifiers, where both are present, agree.
bool MayHaveIssued(const Certificate& issuer, const Certificate& subject);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_PATH_BUILDER_H_
