// A revocation or issuer source's failure as an absl::Status that carries
// its crypto::SourceProblem (reason, time, limit, detail) as a payload, so
// that the reason travels through StatusOr code and reaches the verdict as
// data. The status code is a coarse class of the reason; its message is the
// English text, for logs.
#ifndef SIGVERIFY_CACHE_SOURCE_ERROR_H_
#define SIGVERIFY_CACHE_SOURCE_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "crypto/failure.h"

namespace sigverify::cache {

absl::Status SourceError(const crypto::SourceProblem& problem);
// Shorthand: a reason and, optionally, its detail.
absl::Status SourceError(crypto::FailureReason reason, std::string detail = {});

// The problem a SourceError carries; for any other non-OK status,
// SOURCE_INTERNAL with the status's message as the detail.
crypto::SourceProblem ProblemOf(const absl::Status& status);

// The status code a reason is reported under: INVALID_ARGUMENT (the bytes
// are not an acceptable response: malformed, wrongly signed, for another
// certificate or issuer), FAILED_PRECONDITION (not fresh at the time, or out
// of scope), NOT_FOUND (no answer for the certificate), UNAVAILABLE (the
// source failed or is backed off), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
// (over a size limit), INTERNAL.
absl::StatusCode CodeFor(crypto::FailureReason reason);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_SOURCE_ERROR_H_
