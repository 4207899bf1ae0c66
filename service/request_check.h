// Checks one VerifyRequest against the limits and the contract before any
// parsing or cryptography, and translates its algorithm. Errors are
// INVALID_ARGUMENT with the field and the limit named.
#ifndef SIGVERIFY_SERVICE_REQUEST_CHECK_H_
#define SIGVERIFY_SERVICE_REQUEST_CHECK_H_

#include "absl/status/statusor.h"
#include "crypto/algorithm.h"
#include "service/limits.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// The SignatureParams for a wire algorithm, or INVALID_ARGUMENT.
absl::StatusOr<crypto::SignatureParams> ParamsFor(v1::SignatureAlgorithm algorithm);

// Validates shape and sizes; returns the params to verify with.
absl::StatusOr<crypto::SignatureParams> CheckRequest(const v1::VerifyRequest& request,
                                                     const Limits& limits);

// Validates shape and sizes of a ValidateCertificate request.
absl::Status CheckRequest(const v1::ValidateCertificateRequest& request, const Limits& limits);

// Validates shape and sizes of a VerifyDocument request (the options of a
// stream included: `document`, `detached` are the bytes wherever they came
// from); returns the hash of its detached_digest (kNone when none).
absl::StatusOr<crypto::HashAlgorithm> CheckRequest(const v1::VerifyDocumentRequest& request,
                                                   size_t document_bytes, const Limits& limits);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_REQUEST_CHECK_H_
