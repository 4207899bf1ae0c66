// Validates one signed record: policy constraints, the signature, the path.
// A pure function of its inputs and the validation time.
#ifndef SIGVERIFY_CRYPTO_RECORD_VERIFIER_H_
#define SIGVERIFY_CRYPTO_RECORD_VERIFIER_H_

#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/algorithm.h"
#include "crypto/certificate.h"
#include "crypto/path_validator.h"
#include "crypto/signature_verifier.h"
#include "crypto/validation_policy.h"
#include "crypto/verdict.h"

namespace sigverify::crypto {

struct Record {
  SignatureParams params;
  SignedContent content;
  std::string_view signature;
  CertificatePtr signer;
  absl::Span<const CertificatePtr> intermediates;
  absl::Time validation_time;
  RevocationInputs revocation;  // from the request; see PathValidator::Validate
};

// `policy` is one of the path validator's trust store policies; its
// algorithm constraints at the validation time apply to the document
// signature and, through the path validator, to every certificate.
Verdict VerifyRecord(const Record& record, const PathValidator& paths,
                     const ValidationPolicy& policy);

// VerifyRecord in two steps, so that the signatures of many records can be
// checked together (VerifySignatures) between them: BeginRecord does what
// comes before the signature (the policy's constraints, the path), and when
// it already has the verdict the signature is never computed; otherwise
// FinishRecord takes the signature's check and does the rest.
struct RecordProgress {
  std::optional<Verdict> verdict;  // known before any signature math
  PathResult path;                 // as validated, for FinishRecord
};
RecordProgress BeginRecord(const Record& record, const PathValidator& paths,
                           const ValidationPolicy& policy);
Verdict FinishRecord(const Record& record, RecordProgress progress, SignatureCheck check,
                     const PathValidator& paths);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_RECORD_VERIFIER_H_
