// Validates one signed record: policy constraints, the signature, the path.
// A pure function of its inputs and the validation time.
#ifndef SIGVERIFY_CRYPTO_RECORD_VERIFIER_H_
#define SIGVERIFY_CRYPTO_RECORD_VERIFIER_H_

#include <string_view>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/algorithm.h"
#include "crypto/certificate.h"
#include "crypto/path_validator.h"
#include "crypto/signature_verifier.h"
#include "crypto/verdict.h"

namespace sigverify::crypto {

// What the default policy accepts; the per-anchor policies of a later change
// will derive from it.
struct ValidationPolicy {
  int min_rsa_bits = 2048;
  bool allow_sha1 = false;  // SHA-1 signatures (SHAttered, 2017)
};

struct Record {
  SignatureParams params;
  SignedContent content;
  std::string_view signature;
  CertificatePtr signer;
  absl::Span<const CertificatePtr> intermediates;
  absl::Time validation_time;
};

Verdict VerifyRecord(const Record& record, const PathValidator& paths,
                     const ValidationPolicy& policy);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_RECORD_VERIFIER_H_
