// OCSP (RFC 6960) requests and the validation of responses, as a pure
// function of the response bytes, the certificate, its issuer, the time and
// the allowed clock skew. Fetching is cache/ocsp_fetch.h; what a status does
// to a verdict is the revocation checker's.
//
// A response is accepted only if every one of these holds (RFC 6960 3.2,
// 4.2.2.2; RFC 5019): the outer status is successful; it is a basic
// response; its signature verifies with the responder's key; the responder
// is the issuing CA itself, or a certificate issued directly by that CA with
// id-kp-OCSPSigning, valid at the time; it answers for exactly this
// certificate (CertID: issuer name and key hashes, serial); thisUpdate is not
// in the future and nextUpdate not in the past (both with skew); no
// unrecognised critical extension; the nonce, when one was sent and one came
// back, matches; a delegated responder without id-pkix-ocsp-nocheck is not
// listed by a valid CRL of the CA among the CRLs at hand (RFC 6960
// 4.2.2.2.1; with nocheck its status is not asked, as the RFC says).
#ifndef SIGVERIFY_CACHE_OCSP_H_
#define SIGVERIFY_CACHE_OCSP_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/certificate.h"

namespace sigverify::cache {

enum class CertStatus { kGood, kRevoked, kUnknown };

struct OcspStatus {
  CertStatus status = CertStatus::kUnknown;
  absl::Time this_update;
  absl::Time next_update;      // thisUpdate + max_age when the response has none
  absl::Time revocation_time;  // kRevoked only
  int revocation_reason = -1;  // CRLReason, -1 when absent
  std::string responder;       // the signer's subject (RFC 4514)
  bool delegated = false;      // signed by a delegated responder, not the CA
};

struct OcspCheck {
  absl::Time now;
  absl::Duration skew = absl::Minutes(5);
  // How long a response without nextUpdate counts as fresh after thisUpdate.
  absl::Duration max_age_without_next_update = absl::Minutes(10);
  // The nonce sent, if any (compared when the response carries one).
  std::string nonce;
  // CRLs at hand (DER), for a delegated responder's own status.
  absl::Span<const std::string_view> crls;
};

// A DER OCSPRequest for `cert` issued by `issuer`, CertID with SHA-1 (what
// RFC 5019 responders index by), with `nonce` as the nonce extension when
// not empty.
absl::StatusOr<std::string> BuildOcspRequest(const crypto::Certificate& cert,
                                             const crypto::Certificate& issuer,
                                             std::string_view nonce = {});

// The certificate's status from a DER OCSPResponse. An error carries the
// rule that failed as a SourceProblem (cache/source_error.h: ProblemOf):
// RESPONSE_MALFORMED, RESPONDER_ERROR (an error status such as tryLater),
// RESPONSE_SIGNATURE_INVALID, RESPONDER_NOT_AUTHORISED / _NOT_FOR_OCSP /
// _CERTIFICATE_EXPIRED, NO_ANSWER_FOR_CERTIFICATE, RESPONSE_NOT_YET_VALID,
// RESPONSE_STALE, NONCE_MISMATCH, RESPONSE_CRITICAL_EXTENSION,
// RESPONDER_REVOKED.
absl::StatusOr<OcspStatus> ValidateOcspResponse(std::string_view der,
                                                const crypto::Certificate& cert,
                                                const crypto::Certificate& issuer,
                                                const OcspCheck& check);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_OCSP_H_
