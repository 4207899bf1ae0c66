// The revocation checker path validation uses: OCSP and CRLs in the order
// the path's trust anchor asks for (RevocationInputs::order). The first
// source that gives a definite status (good or revoked) answers; the second
// is asked when the first has none (the certificate names no such source,
// or no fresh, valid status could be had, or the OCSP responder does not
// know the certificate). When neither answers, the evidence says why for
// both.
#ifndef SIGVERIFY_CACHE_REVOCATION_SOURCES_H_
#define SIGVERIFY_CACHE_REVOCATION_SOURCES_H_

#include <memory>

#include "cache/crl_revocation_checker.h"
#include "cache/ocsp_revocation_checker.h"
#include "crypto/revocation.h"
#include "crypto/stats_table.h"

namespace sigverify::cache {

class RevocationSources : public crypto::RevocationChecker {
 public:
  RevocationSources(std::shared_ptr<const OcspRevocationChecker> ocsp,
                    std::shared_ptr<const CrlRevocationChecker> crl)
      : ocsp_(std::move(ocsp)), crl_(std::move(crl)) {}

  crypto::RevocationEvidence Check(const crypto::CertificatePtr& cert,
                                   const crypto::CertificatePtr& issuer,
                                   const crypto::RevocationInputs& inputs = {}) const override;

  const OcspRevocationChecker& ocsp() const { return *ocsp_; }
  const CrlRevocationChecker& crl() const { return *crl_; }

  // Both sources' statistics, labelled source="ocsp" / "crl", and the CRLs'
  // own (sigverify_revocation_*).
  StatsTable stats_table() const;

 private:
  std::shared_ptr<const OcspRevocationChecker> ocsp_;
  std::shared_ptr<const CrlRevocationChecker> crl_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_REVOCATION_SOURCES_H_
