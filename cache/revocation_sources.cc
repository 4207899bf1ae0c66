#include "cache/revocation_sources.h"

#include "absl/strings/str_cat.h"

namespace sigverify::cache {
namespace {

using State = crypto::RevocationEvidence::State;

bool Definite(const crypto::RevocationEvidence& e) {
  return e.state == State::kGood || e.state == State::kRevoked;
}

}  // namespace

crypto::RevocationEvidence RevocationSources::Check(const crypto::CertificatePtr& cert,
                                                    const crypto::CertificatePtr& issuer,
                                                    const crypto::RevocationInputs& inputs) const {
  const bool ocsp_first = inputs.order == crypto::RevocationOrder::kOcspFirst;
  const crypto::RevocationChecker& first =
      ocsp_first ? static_cast<const crypto::RevocationChecker&>(*ocsp_) : *crl_;
  const crypto::RevocationChecker& second =
      ocsp_first ? static_cast<const crypto::RevocationChecker&>(*crl_) : *ocsp_;
  crypto::RevocationEvidence a = first.Check(cert, issuer, inputs);
  if (Definite(a)) return a;
  crypto::RevocationEvidence b = second.Check(cert, issuer, inputs);
  if (Definite(b)) return b;
  if (b.state == State::kNoSource) return a;
  if (a.state == State::kNoSource) return b;
  // Both named, neither answered: the first one's state, both reasons.
  a.detail = {absl::StrCat(a.source, ": ", a.detail.vi, "; ", b.source, ": ", b.detail.vi),
              absl::StrCat(a.source, ": ", a.detail.en, "; ", b.source, ": ", b.detail.en)};
  return a;
}

}  // namespace sigverify::cache
