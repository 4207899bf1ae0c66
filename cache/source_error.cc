#include "cache/source_error.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "crypto/message_catalog.h"

namespace sigverify::cache {
namespace {

constexpr absl::string_view kPayloadType = "type.sigverify/sigverify.SourceProblem";

// reason, time (Unix ns, or "-"), limit, actual, source, location, then
// the detail (which may hold anything, newlines too), one per line.
absl::Cord Encode(const crypto::SourceProblem& p) {
  const std::string time =
      p.time == absl::InfinitePast() ? "-" : absl::StrCat(absl::ToUnixNanos(p.time));
  return absl::Cord(absl::StrCat(static_cast<int>(p.reason), "\n", time, "\n", p.limit, "\n",
                                 p.actual, "\n", p.source, "\n", p.location, "\n", p.detail));
}

bool Decode(const absl::Cord& payload, crypto::SourceProblem* p) {
  const std::string flat(payload);
  std::vector<std::string> f = absl::StrSplit(flat, absl::MaxSplits('\n', 6));
  int reason = 0;
  int64_t nanos = 0;
  if (f.size() != 7 || !absl::SimpleAtoi(f[0], &reason) || reason <= 0 ||
      reason >= crypto::kFailureReasonCount || !absl::SimpleAtoi(f[2], &p->limit) ||
      !absl::SimpleAtoi(f[3], &p->actual) || (f[1] != "-" && !absl::SimpleAtoi(f[1], &nanos))) {
    return false;
  }
  p->reason = static_cast<crypto::FailureReason>(reason);
  p->time = f[1] == "-" ? absl::InfinitePast() : absl::FromUnixNanos(nanos);
  p->source = std::move(f[4]);
  p->location = std::move(f[5]);
  p->detail = std::move(f[6]);
  return true;
}

}  // namespace

absl::StatusCode CodeFor(crypto::FailureReason reason) {
  using R = crypto::FailureReason;
  using C = absl::StatusCode;
  switch (reason) {
    case R::kResponseMalformed:
    case R::kResponseSignatureInvalid:
    case R::kResponderNotAuthorised:
    case R::kResponderNotForOcsp:
    case R::kResponderCertificateExpired:
    case R::kResponseCriticalExtension:
    case R::kNonceMismatch:
    case R::kCrlWrongIssuer:
    case R::kCrlIssuerCannotSign:
    case R::kCrlIsDelta:
    case R::kNotACertificate:
    case R::kUrlNotAllowed:
      return C::kInvalidArgument;
    case R::kResponseNotYetValid:
    case R::kResponseStale:
    case R::kCrlNoNextUpdate:
    case R::kCrlOutOfScope:
    case R::kDeltaCrlMismatch:
      return C::kFailedPrecondition;
    case R::kNoAnswerForCertificate:
    case R::kResponderDoesNotKnow:
      return C::kNotFound;
    case R::kResponderError:
    case R::kFetchFailed:
    case R::kBackingOff:
    case R::kTooManyFetches:
      return C::kUnavailable;
    case R::kFetchTimedOut:
      return C::kDeadlineExceeded;
    case R::kFetchTooLarge:
    case R::kCrlTooLarge:
      return C::kResourceExhausted;
    default:
      return C::kInternal;
  }
}

absl::Status SourceError(const crypto::SourceProblem& problem) {
  absl::Status status(CodeFor(problem.reason), crypto::Render(problem, crypto::Language::kEnglish));
  status.SetPayload(kPayloadType, Encode(problem));
  return status;
}

absl::Status SourceError(crypto::FailureReason reason, std::string detail) {
  crypto::SourceProblem p;
  p.reason = reason;
  p.detail = std::move(detail);
  return SourceError(p);
}

crypto::SourceProblem ProblemOf(const absl::Status& status) {
  crypto::SourceProblem p;
  if (auto payload = status.GetPayload(kPayloadType); payload.has_value() && Decode(*payload, &p)) {
    return p;
  }
  p = {};
  p.reason = crypto::FailureReason::kSourceInternal;
  p.detail = std::string(status.message());
  return p;
}

}  // namespace sigverify::cache
