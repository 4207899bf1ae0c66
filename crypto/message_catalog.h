// The one place where a verdict's words are written: a table of texts per
// language, rendered from a Failure's data. Vietnamese is the default for
// this user base; English is for operators and for callers that ask for it.
// A third language is one more table in message_catalog.cc; a test holds
// every table complete and each in its own language.
//
// Texts name their parameters in braces:
//   {who}       the certificate's place on the path and its name, or "the path"
//   {position}, {name}   the same, apart
//   {time}, {at}         Failure::time and Failure::validation_time (UTC)
//   {limit}, {actual}    the limit crossed and the value found
//   {names}, {name0}, {name1}, {rest}   Failure::names: all, the first,
//                        the second, all but the first (", " between)
//   {detail}             Failure::detail or SourceProblem::detail
//   {problems}           each source's problem, rendered, "; " between
//   {required}           for NO_VALID_POLICY: the anchor's required policies
//   {revocation_reason}  for REVOKED: the CRLReason, when one was given
#ifndef SIGVERIFY_CRYPTO_MESSAGE_CATALOG_H_
#define SIGVERIFY_CRYPTO_MESSAGE_CATALOG_H_

#include <string>
#include <string_view>

#include "absl/types/span.h"
#include "crypto/failure.h"

namespace sigverify::crypto {

enum class Language { kVietnamese, kEnglish };
inline constexpr Language kLanguages[] = {Language::kVietnamese, Language::kEnglish};

// What a verdict says when nothing failed, and the notes a document's
// signature may carry beside its verdict.
enum class Outcome {
  kSignatureAndPathValid,
  kSignatureAndPathValidAtGivenTime,  // at a validation time the request gave
  kPathValid,
  kPathValidAtGivenTime,
  kDocumentValid,              // every signature of a document
  kSignatureValidAtTimestamp,  // at the time its timestamp proves
  kTimestampValid,
  kNoteNoSigningCertificate,        // no ESS signingCertificate(V2) attribute
  kNoteSigningTimeSevenHoursAhead,  // local time written as UTC
  kNoteSigningTimeAfterTimestamp,
  kNoteCounterSignatures,
  kNoteTimestampFailed,
  kNoteUnreadableCertificates,
  // At a validation time a caller trusted to attest times gave (access
  // control's may_set_validation_time): proof of existence.
  kSignatureAndPathValidAtAttestedTime,
  kPathValidAtAttestedTime,
};
inline constexpr int kOutcomeCount = 15;

std::string Render(const Failure& failure, Language language);
std::string Render(const SourceProblem& problem, Language language);
// Each problem rendered, "; " between.
std::string Render(absl::Span<const SourceProblem> problems, Language language);
std::string_view Render(Outcome outcome, Language language);

// Shorthands for logs and test output.
inline std::string English(const Failure& failure) { return Render(failure, Language::kEnglish); }
inline std::string Vietnamese(const Failure& failure) {
  return Render(failure, Language::kVietnamese);
}

// The raw text of a reason, a fragment or an outcome, before its parameters
// are filled in; empty when the language's table lacks it (a test keeps
// every table complete).
enum class Fragment {
  kCertificateAt,     // {position}, {name}
  kThePath,           //
  kCandidatesTried,   // {tried}
  kRevocationReason,  // {code}
  kRequiredPolicies,  // {name0}, {rest}
  kSourceOcsp,
  kSourceCrl,
  kSourceStapledOcsp,
  kSourceStapledCrl,
  kSourceCaIssuers,
  kSignatureNumber,  // {n}: a document's n-th signature, before its message
};
inline constexpr int kFragmentCount = 11;
std::string_view TextOf(FailureReason reason, Language language);
std::string_view TextOf(Fragment fragment, Language language);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_MESSAGE_CATALOG_H_
