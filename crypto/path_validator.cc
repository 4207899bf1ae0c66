#include "crypto/path_validator.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/distinguished_name.h"
#include "crypto/path_builder.h"

namespace sigverify::crypto {
namespace {

// RFC 5280 4.2.1.3.
constexpr uint32_t kKeyUsageKeyCertSign = 0x04;

// AIA chains rarely need more than one fetch (the issuing CA); two allow a
// missing intermediate above it.
constexpr int kMaxIssuerFetchRounds = 2;

// Extended key usages that allow signing documents (RFC 5280 4.2.1.12 leaves
// the list to the application): anyExtendedKeyUsage, emailProtection (what
// the public-service CA puts in signers' certificates), id-kp-documentSigning
// (RFC 9336), Microsoft's and Adobe's document-signing purposes.
constexpr const char* kDocumentSigningEkus[] = {
    "2.5.29.37.0",          "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36", "1.3.6.1.4.1.311.10.3.12",
    "1.2.840.113583.1.1.5",
};

PathResult Failed(SubIndication sub, Failure failure) {
  PathResult r;
  r.sub_indication = sub;
  r.failed = std::move(failure);
  return r;
}

struct X509Error {
  SubIndication sub;
  FailureReason reason;
};

X509Error Classify(int error) {
  using S = SubIndication;
  using R = FailureReason;
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return {S::kExpired, R::kCertificateExpired};
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return {S::kNotYetValid, R::kCertificateNotYetValid};
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return {S::kNoCertificateChainFound, R::kIssuerNotFound};
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return {S::kNoCertificateChainFound, R::kNotTrusted};
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return {S::kCertificateChainGeneralFailure, R::kCertificateSignatureInvalid};
    case X509_V_ERR_INVALID_CA:
      return {S::kChainConstraintsFailure, R::kNotACa};
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return {S::kChainConstraintsFailure, R::kPathLengthExceeded};
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return {S::kChainConstraintsFailure, R::kNoKeyCertSign};
    case X509_V_ERR_INVALID_PURPOSE:
      return {S::kChainConstraintsFailure, R::kPurposeMismatch};
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
      return {S::kChainConstraintsFailure, R::kUnhandledCriticalExtension};
    case X509_V_ERR_INVALID_EXTENSION:
      return {S::kChainConstraintsFailure, R::kInvalidExtension};
    case X509_V_ERR_INVALID_POLICY_EXTENSION:
      return {S::kChainConstraintsFailure, R::kInvalidPolicyExtension};
    case X509_V_ERR_NO_EXPLICIT_POLICY:
      return {S::kChainConstraintsFailure, R::kNoValidPolicy};
    case X509_V_ERR_PERMITTED_VIOLATION:
      return {S::kChainConstraintsFailure, R::kNameNotPermitted};
    case X509_V_ERR_EXCLUDED_VIOLATION:
      return {S::kChainConstraintsFailure, R::kNameExcluded};
#ifdef X509_V_ERR_NAME_CONSTRAINTS_WITHOUT_SANS  // BoringSSL
    case X509_V_ERR_NAME_CONSTRAINTS_WITHOUT_SANS:
#endif
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
      return {S::kChainConstraintsFailure, R::kNameConstraintUnsupported};
    default:
      return {S::kCertificateChainGeneralFailure, R::kPathInvalid};
  }
}

// RFC 5280 4.2.1.3 and 4.2.1.12 for the signer: its key must be meant for
// signatures, and an extendedKeyUsage, when present, must allow documents.
std::optional<PathResult> CheckSignerUsage(const CertificatePtr& signer_ptr) {
  const Certificate& signer = *signer_ptr;
  const std::vector<CertificatePtr> path = {signer_ptr};
  if (signer.has_key_usage() &&
      (signer.key_usage() & (kKeyUsageDigitalSignature | kKeyUsageNonRepudiation)) == 0) {
    return Failed(SubIndication::kChainConstraintsFailure,
                  FailureAt(FailureReason::kSignerKeyUsage, path, 0));
  }
  int critical = 0;
  auto* ekus = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(signer.x509(), NID_ext_key_usage, &critical, nullptr));
  if (ekus == nullptr) return std::nullopt;
  Asn1ObjectStackPtr owned(ekus);
  std::vector<std::string> names;
  for (int i = 0; i < static_cast<int>(sk_ASN1_OBJECT_num(ekus)); ++i) {
    const std::string oid = OidText(sk_ASN1_OBJECT_value(ekus, i));
    for (const char* allowed : kDocumentSigningEkus) {
      if (oid == allowed) return std::nullopt;
    }
    names.push_back(oid);
  }
  Failure f = FailureAt(FailureReason::kSignerExtendedKeyUsage, path, 0);
  f.names = std::move(names);
  return Failed(SubIndication::kChainConstraintsFailure, std::move(f));
}

// RFC 3161 2.3 for a TSA: exactly one extendedKeyUsage, critical, whose
// only purpose is id-kp-timeStamping. (The keyUsage, when present, must
// still allow signatures.)
std::optional<PathResult> CheckTsaUsage(const CertificatePtr& tsa) {
  const std::vector<CertificatePtr> path = {tsa};
  if (tsa->has_key_usage() &&
      (tsa->key_usage() & (kKeyUsageDigitalSignature | kKeyUsageNonRepudiation)) == 0) {
    return Failed(SubIndication::kChainConstraintsFailure,
                  FailureAt(FailureReason::kSignerKeyUsage, path, 0));
  }
  int critical = 0;
  auto* ekus = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(tsa->x509(), NID_ext_key_usage, &critical, nullptr));
  Asn1ObjectStackPtr owned(ekus);
  std::vector<std::string> names;
  for (int i = 0; ekus != nullptr && i < static_cast<int>(sk_ASN1_OBJECT_num(ekus)); ++i) {
    names.push_back(OidText(sk_ASN1_OBJECT_value(ekus, i)));
  }
  // critical is -1 when absent, -2 when the extension occurs more than once.
  if (critical == 1 && names.size() == 1 && names[0] == "1.3.6.1.5.5.7.3.8") return std::nullopt;
  Failure f = FailureAt(FailureReason::kTsaExtendedKeyUsage, path, 0);
  f.names = std::move(names);
  if (critical != 1) f.detail = critical == 0 ? "not critical" : "absent or repeated";
  return Failed(SubIndication::kChainConstraintsFailure, std::move(f));
}

// The NID of the hash a certificate is signed with; NID_undef when the
// algorithm has none of its own (Ed25519, RSA-PSS with parameters).
int CertificateDigestNid(const Certificate& cert) {
  int digest_nid = NID_undef;
  int pkey_nid = NID_undef;
  if (!OBJ_find_sigid_algs(X509_get_signature_nid(cert.x509()), &digest_nid, &pkey_nid)) {
    return NID_undef;
  }
  return digest_nid;
}

bool IsWeakDigest(int digest_nid) {
  return digest_nid == NID_md5 || digest_nid == NID_md4 || digest_nid == NID_md2;
}

// The algorithm policy over the path: every key (the anchor's too, since it
// verifies the next signature) and every certificate signature except the
// anchor's own (RFC 5280 6.1.1(d): a trust anchor is an input, not a
// certificate that is verified).
std::optional<PathResult> CheckAlgorithms(const std::vector<CertificatePtr>& path,
                                          const AlgorithmPolicy& policy) {
  // The facts come from the policy check; the place on the path from here.
  auto on = [&path](Failure f, size_t i) {
    Failure placed = FailureAt(f.reason, path, i);
    placed.names = std::move(f.names);
    placed.limit = f.limit;
    placed.actual = f.actual;
    return Failed(SubIndication::kCryptoConstraintsFailure, std::move(placed));
  };
  for (size_t i = 0; i < path.size(); ++i) {
    const Certificate& c = *path[i];
    if (auto refused = CheckKeyStrength(policy, c.public_key())) return on(*refused, i);
    if (i + 1 == path.size()) break;
    const int digest_nid = CertificateDigestNid(c);
    if (IsWeakDigest(digest_nid)) {
      return Failed(SubIndication::kCryptoConstraintsFailure,
                    FailureAt(FailureReason::kCertificateWeakHash, path, i));
    }
    if (auto refused = CheckSignatureHash(policy, HashFromNid(digest_nid),
                                          FailureReason::kCertificateHashRefused)) {
      return on(*refused, i);
    }
  }
  return std::nullopt;
}

// RFC 5280 6.1.3(a)(2): every certificate is within its validity at the
// validation time (OpenSSL checks this as well, and the anchor's too; doing
// it first makes an expired path EXPIRED rather than a weaker algorithm's
// CRYPTO_CONSTRAINTS_FAILURE).
std::optional<PathResult> CheckValidity(const std::vector<CertificatePtr>& path, absl::Time at) {
  for (size_t i = 0; i < path.size(); ++i) {
    const Certificate& c = *path[i];
    if (at > c.not_after()) {
      Failure f = FailureAt(FailureReason::kCertificateExpired, path, i, at);
      f.time = c.not_after();
      return Failed(SubIndication::kExpired, std::move(f));
    }
    if (at < c.not_before()) {
      Failure f = FailureAt(FailureReason::kCertificateNotYetValid, path, i, at);
      f.time = c.not_before();
      return Failed(SubIndication::kNotYetValid, std::move(f));
    }
  }
  return std::nullopt;
}

// RFC 5280 6.1.4(n): an intermediate's keyUsage, if present, has keyCertSign.
// OpenSSL checks it too, but reports it as a missing issuer.
std::optional<PathResult> CheckIssuerKeyUsage(const std::vector<CertificatePtr>& path) {
  for (size_t i = 1; i + 1 < path.size(); ++i) {
    const Certificate& c = *path[i];
    if (c.has_key_usage() && (c.key_usage() & kKeyUsageKeyCertSign) == 0) {
      return Failed(SubIndication::kChainConstraintsFailure,
                    FailureAt(FailureReason::kNoKeyCertSign, path, i));
    }
  }
  return std::nullopt;
}

// `tag` tells apart the questions asked of the same certificates: a policy
// name, or (beginning with a NUL, which no policy name has) a CRL signer's
// anchor.
Sha256Digest MemoKey(const CertificatePtr& signer, absl::Span<const CertificatePtr> intermediates,
                     std::string_view tag) {
  // Order-independent: the same set of intermediates is the same question.
  std::vector<const Sha256Digest*> fps;
  fps.reserve(intermediates.size());
  for (const CertificatePtr& c : intermediates) fps.push_back(&c->fingerprint());
  std::sort(fps.begin(), fps.end(), [](auto* a, auto* b) { return *a < *b; });
  std::string buf;
  buf.reserve(32 * (fps.size() + 1) + tag.size() + 1);
  buf.append(reinterpret_cast<const char*>(signer->fingerprint().data()), 32);
  for (const Sha256Digest* fp : fps) buf.append(reinterpret_cast<const char*>(fp->data()), 32);
  buf.push_back('\0');
  buf.append(tag);
  return Sha256(buf);
}

}  // namespace

PathValidator::PathValidator(std::shared_ptr<const TrustStore> store, size_t memo_capacity,
                             std::shared_ptr<const IssuerSource> issuers,
                             std::shared_ptr<const RevocationChecker> revocation)
    : store_(std::move(store)),
      issuers_(std::move(issuers)),
      revocation_(std::move(revocation)),
      memo_(memo_capacity) {}

PathResult PathValidator::Validate(const CertificatePtr& signer,
                                   absl::Span<const CertificatePtr> intermediates,
                                   absl::Time at) const {
  return Validate(signer, intermediates, at, *store_->FindPolicy(kDefaultPolicyName));
}

PathResult PathValidator::Validate(const CertificatePtr& signer,
                                   absl::Span<const CertificatePtr> intermediates, absl::Time at,
                                   const ValidationPolicy& policy, RevocationInputs revocation,
                                   KeyPurpose purpose) const {
  PathResult result = ValidatePath(signer, intermediates, at, policy, purpose);
  if (!result.ok()) return result;
  // The path may be memoised; its revocation status is asked every time (a
  // cache lookup in the checker).
  return CheckRevocation(std::move(result.path), at, revocation);
}

PathResult PathValidator::ValidatePath(const CertificatePtr& signer,
                                       absl::Span<const CertificatePtr> intermediates,
                                       absl::Time at, const ValidationPolicy& policy,
                                       KeyPurpose purpose) const {
  // A TSA's paths are remembered apart (a policy name never has a newline).
  const Sha256Digest key =
      MemoKey(signer, intermediates,
              purpose == KeyPurpose::kTimeStamping ? policy.name + "\ntsa" : policy.name);
  PathResult result;
  if (Recall(key, at, &result.path)) return result;
  result = ValidateUncached(signer, intermediates, at, policy, purpose);
  if (result.ok()) Remember(key, result.path, at, policy);
  return result;
}

bool PathValidator::Recall(const Sha256Digest& key, absl::Time at,
                           std::vector<CertificatePtr>* path) const {
  auto hit = memo_.Find(key);
  if (!hit || at < hit->valid_from || at > hit->valid_until) return false;
  *path = hit->path;
  return true;
}

void PathValidator::Remember(const Sha256Digest& key, const std::vector<CertificatePtr>& path,
                             absl::Time at, const ValidationPolicy& policy) const {
  auto validated = std::make_shared<ValidatedPath>();
  validated->path = path;
  validated->valid_from = absl::InfinitePast();
  validated->valid_until = absl::InfiniteFuture();
  for (const CertificatePtr& c : path) {
    validated->valid_from = std::max(validated->valid_from, c->not_before());
    validated->valid_until = std::min(validated->valid_until, c->not_after());
  }
  // A legacy policy judges algorithms differently on each side of its
  // cut-off: the memo answers only on the side it was validated on.
  if (policy.legacy.has_value()) {
    if (at < policy.legacy_until) {
      validated->valid_until =
          std::min(validated->valid_until, policy.legacy_until - absl::Nanoseconds(1));
    } else {
      validated->valid_from = std::max(validated->valid_from, policy.legacy_until);
    }
  }
  memo_.Insert(key, std::move(validated));
}

// The CRL signers of one path being checked, validated when the checker
// asks (a CRL at hand names an issuer the CA's key does not sign for).
class PathValidator::PathCrlSigners final : public CrlSigners {
 public:
  PathCrlSigners(const PathValidator* validator, const Certificate* anchor, absl::Time at,
                 const RevocationInputs& inputs)
      : validator_(validator), anchor_(anchor), at_(at), inputs_(inputs) {}

  std::vector<CrlSigner> Named(const X509_NAME* name) const override {
    std::vector<CrlSigner> out;
    const TrustStore& store = validator_->trust_store();
    int considered = 0;
    auto consider = [&](const CertificatePtr& c) {
      if (X509_NAME_cmp(X509_get_subject_name(c->x509()), name) != 0) return;
      if (c->has_key_usage() && (c->key_usage() & KU_CRL_SIGN) == 0) return;
      for (const CrlSigner& known : out) {
        if (known.certificate->fingerprint() == c->fingerprint()) return;
      }
      if (++considered > kMaxCrlSignerCandidates) return;
      if (c->fingerprint() == anchor_->fingerprint()) {
        out.push_back({c, {c}});  // the anchor itself
        return;
      }
      std::vector<CertificatePtr> path =
          validator_->CrlSignerPath(c, *anchor_, at_, inputs_.certificates);
      if (path.empty()) return;
      // Its own status, from its issuers' CRLs and responses only.
      PathResult checked = validator_->CheckRevocationAt(std::move(path), at_, inputs_, 1);
      if (checked.ok()) out.push_back({c, std::move(checked.path)});
    };
    for (const CertificatePtr& c : inputs_.certificates) consider(c);
    for (const CertificatePtr& c : store.intermediates()) consider(c);
    for (const CertificatePtr& c : store.anchors()) {
      if (c->fingerprint() == anchor_->fingerprint()) consider(c);
    }
    return out;
  }

 private:
  // Certificates of one name tried per CRL: a bound on the work a request
  // can cause.
  static constexpr int kMaxCrlSignerCandidates = 4;

  const PathValidator* validator_;
  const Certificate* anchor_;
  absl::Time at_;
  RevocationInputs inputs_;
};

std::vector<CertificatePtr> PathValidator::CrlSignerPath(
    const CertificatePtr& signer, const Certificate& anchor, absl::Time at,
    absl::Span<const CertificatePtr> certificates) const {
  std::string tag(1, '\0');
  tag.append(reinterpret_cast<const char*>(anchor.fingerprint().data()), 32);
  const Sha256Digest key = MemoKey(signer, certificates, tag);
  std::vector<CertificatePtr> path;
  if (Recall(key, at, &path)) return path;
  // The store's default policy judges the algorithms; the anchor's required
  // certificate policies apply as to any path under it.
  const ValidationPolicy& policy = *store_->FindPolicy(kDefaultPolicyName);
  PathBuilderLimits limits;
  limits.max_path_length = kMaxPathLength;
  for (const CandidatePath& candidate :
       BuildCandidatePaths(signer, certificates, *store_, limits).paths) {
    if (candidate.certs.back()->fingerprint() != anchor.fingerprint()) continue;
    if (ValidateCandidate(candidate.certs, at, policy).ok()) {
      Remember(key, candidate.certs, at, policy);
      return candidate.certs;
    }
  }
  return {};
}

PathResult PathValidator::CheckRevocation(std::vector<CertificatePtr> path, absl::Time at,
                                          RevocationInputs inputs) const {
  return CheckRevocationAt(std::move(path), at, inputs, /*depth=*/0);
}

PathResult PathValidator::CheckRevocationAt(std::vector<CertificatePtr> path, absl::Time at,
                                            RevocationInputs inputs, int depth) const {
  PathResult result;
  result.path = std::move(path);
  if (revocation_ == nullptr || result.path.size() < 2) return result;
  const AnchorConfig& anchor = store_->ConfigFor(*result.path.back());
  const RevocationRequirement requirement = anchor.revocation;
  inputs.order = anchor.revocation_order;
  std::optional<PathCrlSigners> signers;
  inputs.crl_signers = nullptr;
  if (depth == 0) {
    signers.emplace(this, result.path.back().get(), at, inputs);
    inputs.crl_signers = &*signers;
  }
  using State = RevocationEvidence::State;
  for (size_t i = 0; i + 1 < result.path.size(); ++i) {
    RevocationEvidence e = revocation_->Check(result.path[i], result.path[i + 1], inputs);
    if (result.ok()) {
      if (e.state == State::kRevoked && e.revocation_time <= at) {
        result.sub_indication =
            i == 0 ? SubIndication::kRevokedNoPoe : SubIndication::kRevokedCaNoPoe;
        result.failed = FailureAt(FailureReason::kRevoked, result.path, i, at);
        result.failed.time = e.revocation_time;
        result.failed.actual = e.revocation_reason;
        result.failed.detail = e.source;
      } else if ((e.state == State::kUnavailable || e.state == State::kUnknown) &&
                 requirement != RevocationRequirement::kSoftFail) {
        result.sub_indication = SubIndication::kTryLater;
        result.failed = FailureAt(FailureReason::kRevocationUnavailable, result.path, i, at);
        result.failed.problems = e.problems;
      } else if (e.state == State::kNoSource && requirement == RevocationRequirement::kRequire) {
        result.sub_indication = SubIndication::kTryLater;
        result.failed = FailureAt(FailureReason::kRevocationSourceMissing, result.path, i, at);
      }
    }
    result.revocation.push_back(std::move(e));
  }
  if (!result.ok()) result.path.clear();
  return result;
}

PathResult PathValidator::ValidateUncached(const CertificatePtr& signer,
                                           absl::Span<const CertificatePtr> intermediates,
                                           absl::Time at, const ValidationPolicy& policy,
                                           KeyPurpose purpose) const {
  if (auto failed =
          purpose == KeyPurpose::kTimeStamping ? CheckTsaUsage(signer) : CheckSignerUsage(signer)) {
    return *std::move(failed);
  }

  PathBuilderLimits limits;
  limits.max_path_length = kMaxPathLength;
  PathCandidates candidates = BuildCandidatePaths(signer, intermediates, *store_, limits);
  // No path from what is at hand: ask the issuer source (AIA) for the issuers
  // of the certificates where building stopped, a bounded number of rounds.
  std::vector<CertificatePtr> gathered(intermediates.begin(), intermediates.end());
  std::vector<SourceProblem> fetch_problems;
  for (int round = 0; issuers_ != nullptr && candidates.paths.empty() &&
                      !candidates.dead_ends.empty() && round < kMaxIssuerFetchRounds;
       ++round) {
    bool added = false;
    for (const CertificatePtr& dead_end : candidates.dead_ends) {
      IssuerLookup found = issuers_->IssuersOf(*dead_end);
      if (!found.problems.empty()) fetch_problems = std::move(found.problems);
      for (CertificatePtr& c : found.certificates) {
        const bool known = std::any_of(gathered.begin(), gathered.end(), [&](const auto& g) {
          return g->fingerprint() == c->fingerprint();
        });
        if (!known && MayHaveIssued(*c, *dead_end)) {
          gathered.push_back(std::move(c));
          added = true;
        }
      }
    }
    if (!added) break;
    candidates = BuildCandidatePaths(signer, gathered, *store_, limits);
  }
  if (candidates.paths.empty()) {
    // Where building stopped: the signer, or a CA above it (whose position
    // is known only when it is the signer).
    const CertificatePtr& stuck =
        candidates.dead_ends.empty() ? signer : candidates.dead_ends.front();
    Failure f;
    f.reason = FailureReason::kIssuerNotFound;
    f.position = stuck == signer ? 1 : 0;
    f.certificate = stuck;
    f.validation_time = at;
    f.names = {stuck->issuer(), stuck->display_name()};
    f.problems = std::move(fetch_problems);
    return Failed(SubIndication::kNoCertificateChainFound, std::move(f));
  }

  std::optional<PathResult> first_failure;
  std::vector<std::string> refusing_anchors;
  int tried = 0;
  for (const CandidatePath& candidate : candidates.paths) {
    const Certificate& anchor = *candidate.certs.back();
    if (!store_->ConfigFor(anchor).Serves(policy.name)) {
      refusing_anchors.push_back(anchor.display_name());
      continue;
    }
    ++tried;
    PathResult r = ValidateCandidate(candidate.certs, at, policy);
    if (r.ok()) return r;
    if (!first_failure) first_failure = std::move(r);
  }
  if (!first_failure) {
    std::sort(refusing_anchors.begin(), refusing_anchors.end());
    refusing_anchors.erase(std::unique(refusing_anchors.begin(), refusing_anchors.end()),
                           refusing_anchors.end());
    Failure f;
    f.reason = FailureReason::kPolicyNotServed;
    f.validation_time = at;
    f.names = {policy.name};
    f.names.insert(f.names.end(), refusing_anchors.begin(), refusing_anchors.end());
    return Failed(SubIndication::kNoCertificateChainFound, std::move(f));
  }
  first_failure->failed.candidates_tried = tried;
  return *std::move(first_failure);
}

PathResult PathValidator::ValidateCandidate(const std::vector<CertificatePtr>& candidate,
                                            absl::Time at, const ValidationPolicy& policy) const {
  if (auto failed = CheckValidity(candidate, at)) return *std::move(failed);
  // Nothing is computed with a key or hash the policy refuses.
  if (auto failed = CheckAlgorithms(candidate, policy.AlgorithmsAt(at))) return *std::move(failed);
  if (auto failed = CheckIssuerKeyUsage(candidate)) return *std::move(failed);

  const Certificate& anchor = *candidate.back();
  const AnchorConfig& anchor_config = store_->ConfigFor(anchor);
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  auto no_memory = [] {
    Failure f;
    f.reason = FailureReason::kOutOfMemory;
    return Failed(SubIndication::kCertificateChainGeneralFailure, std::move(f));
  };
  if (!untrusted || !ctx) return no_memory();
  for (size_t i = 1; i + 1 < candidate.size(); ++i) {
    if (!sk_X509_push(untrusted.get(), candidate[i]->x509())) return no_memory();
  }
  if (X509_STORE_CTX_init(ctx.get(), store_->StoreFor(anchor), candidate.front()->x509(),
                          untrusted.get()) != 1) {
    ERR_clear_error();
    return no_memory();
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
  // Depth counts the certificates after the signer.
  X509_VERIFY_PARAM_set_depth(param, kMaxPathLength - 1);
  // RFC 5280 6.1: policy processing always runs, so that requireExplicitPolicy,
  // inhibitPolicyMapping and inhibitAnyPolicy in certificates are honoured.
  // The user-initial-policy-set is the anchor's required policies with
  // initial-explicit-policy set, or else anyPolicy. OpenSSL 3.0 must be
  // given anyPolicy explicitly: with an empty set it fails every path on
  // which a certificate's requireExplicitPolicy takes effect, however valid
  // its policies (measured: tests/crypto/rfc5280_test.cc,
  // RequireExplicitPolicyFromACertificate).
  static const std::vector<std::string> kAnyPolicy = {"2.5.29.32.0"};
  const std::vector<std::string>& user_policies =
      anchor_config.required_certificate_policies.empty()
          ? kAnyPolicy
          : anchor_config.required_certificate_policies;
  Asn1ObjectStackPtr policies(sk_ASN1_OBJECT_new_null());
  if (!policies) return no_memory();
  for (const std::string& oid : user_policies) {
    ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), /*dont_search_for_name=*/1);
    if (obj == nullptr || !sk_ASN1_OBJECT_push(policies.get(), obj)) {
      ASN1_OBJECT_free(obj);
      ERR_clear_error();
      return no_memory();
    }
  }
  X509_VERIFY_PARAM_set1_policies(param, policies.get());
  unsigned long flags = X509_V_FLAG_POLICY_CHECK;
  if (!anchor_config.required_certificate_policies.empty()) flags |= X509_V_FLAG_EXPLICIT_POLICY;
  X509_VERIFY_PARAM_set_flags(param, flags);

  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const X509* current = X509_STORE_CTX_get_current_cert(ctx.get());
    ERR_clear_error();
    CertificatePtr failed;
    int index = X509_STORE_CTX_get_error_depth(ctx.get());
    for (size_t i = 0; i < candidate.size(); ++i) {
      if (current != nullptr && candidate[i]->x509() == current) {
        failed = candidate[i];
        index = static_cast<int>(i);
      }
    }
    const X509Error classified = Classify(error);
    Failure f;
    f.reason = classified.reason;
    f.position = failed ? index + 1 : 0;
    f.certificate = failed;
    f.validation_time = at;
    f.detail = absl::StrCat(error);  // OpenSSL's X509_V_ERR code
    if (failed && classified.reason == FailureReason::kCertificateExpired) {
      f.time = failed->not_after();
    } else if (failed && classified.reason == FailureReason::kCertificateNotYetValid) {
      f.time = failed->not_before();
    } else if (classified.reason == FailureReason::kIssuerNotFound && failed) {
      f.names = {failed->issuer(), failed->display_name()};
    } else if (classified.reason == FailureReason::kNoValidPolicy &&
               !anchor_config.required_certificate_policies.empty()) {
      f.names = {anchor.display_name()};
      f.names.insert(f.names.end(), anchor_config.required_certificate_policies.begin(),
                     anchor_config.required_certificate_policies.end());
    }
    return Failed(classified.sub, std::move(f));
  }
  // X509_verify_cert had only this candidate's certificates, so the chain it
  // built is the candidate (the anchor may be OpenSSL's own reference).
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  if (static_cast<size_t>(sk_X509_num(chain)) != candidate.size()) {
    Failure f;
    f.reason = FailureReason::kPathMismatch;
    return Failed(SubIndication::kCertificateChainGeneralFailure, std::move(f));
  }
  PathResult ok;
  ok.path = candidate;
  return ok;
}

}  // namespace sigverify::crypto
