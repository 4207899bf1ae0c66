// Where path building may look for issuer certificates beyond the request
// and the trust store: an implementation fetches the AIA caIssuers URLs of a
// certificate whose issuer is not known (cache/aia_issuer_source.h). crypto/
// declares the interface and does no I/O itself.
#ifndef SIGVERIFY_CRYPTO_ISSUER_SOURCE_H_
#define SIGVERIFY_CRYPTO_ISSUER_SOURCE_H_

#include <vector>

#include "crypto/certificate.h"
#include "crypto/failure.h"

namespace sigverify::crypto {

struct IssuerLookup {
  std::vector<CertificatePtr> certificates;
  // Why nothing was found, for the verdict (e.g. a URL not allowed), or empty.
  std::vector<SourceProblem> problems;
};

class IssuerSource {
 public:
  virtual ~IssuerSource() = default;
  // Candidate issuers of `cert`. May block for a bounded time; thread-safe.
  virtual IssuerLookup IssuersOf(const Certificate& cert) const = 0;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_ISSUER_SOURCE_H_
