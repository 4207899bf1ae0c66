// How path validation asks for revocation status (RFC 5280 6.1.3(a)(3)).
// crypto/ declares it and applies the anchor's requirement to the answers;
// cache/ implements it (OCSP and CRLs), with its fetching and caching.
// A checker is asked only about certificates of a path that already
// validated to a configured anchor, so an untrusted certificate never makes
// it fetch anything.
#ifndef SIGVERIFY_CRYPTO_REVOCATION_H_
#define SIGVERIFY_CRYPTO_REVOCATION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/certificate.h"
#include "crypto/failure.h"

namespace sigverify::crypto {

// A signed revocation response a status came from (an OCSP response, a CRL,
// DER), shared with the cache that holds it, and its SHA-256 (hex), computed
// once when it was validated: the audit log keeps each one once, by hash.
struct SignedRevocationData {
  std::shared_ptr<const std::string> der;
  std::string sha256;
};

struct RevocationEvidence {
  enum class State {
    kGood,
    kRevoked,      // see revocation_time: revoked at or before it, or later
    kUnknown,      // the responder does not know the certificate
    kNoSource,     // the certificate names no OCSP responder or CRL
    kUnavailable,  // it names one, but no fresh and valid status was had
  };
  State state = State::kNoSource;
  std::string source;  // "ocsp", "crl", "stapled" (OCSP), "stapled_crl"
  bool from_cache = false;
  absl::Time this_update = absl::InfinitePast();
  absl::Time next_update = absl::InfinitePast();
  absl::Time revocation_time = absl::InfinitePast();
  int revocation_reason = -1;
  std::string responder;  // who signed it: the OCSP responder, the CRL issuer
  std::string location;   // where it was fetched from, as the certificate names it
  // Why kUnavailable / kUnknown: each source asked and what went wrong.
  std::vector<SourceProblem> problems;
  // What the status was read from (kGood, kRevoked, kUnknown): the OCSP
  // response, or the CRL and its delta CRL.
  std::vector<SignedRevocationData> responses;
  // A CRL signed by another certificate than the certificate's issuer:
  // that certificate's validated path (RFC 5280 6.3.3 (f)), itself first.
  std::vector<CertificatePtr> crl_issuer_path;
};

// Which source an anchor's certificates are asked first; the other is the
// fallback when the first gives no fresh status.
enum class RevocationOrder { kOcspFirst, kCrlFirst };

// Who besides the CA may have signed a CRL for a path (RFC 5280 6.3.3
// (f)): a CA's separate CRL-signing certificate, the CA's new key after a
// rollover, the issuer of an indirect CRL. Set by the path validator for
// the path being checked.
struct CrlSigner {
  CertificatePtr certificate;
  std::vector<CertificatePtr> path;  // the certificate first, the anchor last
};

class CrlSigners {
 public:
  virtual ~CrlSigners() = default;
  // The certificates named `name` (a CRL's issuer) that may sign CRLs
  // (keyUsage cRLSign when keyUsage is present) and whose own path
  // validates to the anchor of the path being checked, at its validation
  // time, with its revocation status checked under the same anchor's
  // requirement. Empty when there is none.
  virtual std::vector<CrlSigner> Named(const X509_NAME* name) const = 0;
};

// What a request brings for revocation checking, and the anchor's order.
struct RevocationInputs {
  absl::Span<const std::string_view> ocsp_responses;  // stapled, DER
  absl::Span<const std::string_view> crls;            // DER, as signed PDFs and CMS carry them
  // The certificates the request brought (its intermediates): candidates,
  // with the trust store's, for CRL signers' paths.
  absl::Span<const CertificatePtr> certificates;
  RevocationOrder order = RevocationOrder::kOcspFirst;
  const CrlSigners* crl_signers = nullptr;  // set by PathValidator::CheckRevocation
  // Only what the request brought: no cache, no fetch. A source that said
  // "good" has the other one asked this way, so that a revocation at hand
  // is never outweighed (cache::RevocationSources).
  bool at_hand_only = false;
};

class RevocationChecker {
 public:
  virtual ~RevocationChecker() = default;
  // The status of `cert`, issued by `issuer`. OCSP responses and CRLs that
  // came with the request are validated like fetched ones; one valid for
  // `cert` is used (and may fill the cache) before anything is fetched. May
  // block, bounded by the checker's own time limits, when it has no fresh
  // status. Thread-safe.
  virtual RevocationEvidence Check(const CertificatePtr& cert, const CertificatePtr& issuer,
                                   const RevocationInputs& inputs = {}) const = 0;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_REVOCATION_H_
