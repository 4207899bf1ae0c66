// The ByteRange rules of a PDF signature (ISO 32000-1 12.8.1, ETSI EN
// 319 142-1 5.1): four non-negative integers [0 b c d]; the one hole
// [b, c) is exactly the signature dictionary's /Contents hex string, '<'
// and '>' included, where qpdf parsed it; the signed bytes end where a
// revision ends; no two signatures' holes meet. Every violation is a
// BYTE_RANGE_INVALID failure naming the rule: these are the shapes of
// signature wrapping and "universal signature forgery".
#ifndef SIGVERIFY_CRYPTO_PDF_BYTE_RANGE_H_
#define SIGVERIFY_CRYPTO_PDF_BYTE_RANGE_H_

#include <string_view>
#include <vector>

#include "crypto/failure.h"
#include "crypto/pdf/revisions.h"
#include "crypto/pdf/signature_fields.h"

namespace sigverify::crypto::pdf {

enum class Coverage { kEntireFile, kEntireRevision, kOther };

struct SignedRange {
  Failure failed;  // reason kByteRangeInvalid, detail: the rule
  Coverage coverage = Coverage::kOther;
  int revision = -1;                     // 0-based revision the signed bytes end with
  size_t signed_end = 0;                 // c + d
  std::vector<std::string_view> pieces;  // [0, b) and [c, c + d)
  bool ok() const { return !failed.failed(); }
};

// `field` (one of `all`) checked against `file` and its `revisions`.
SignedRange CheckByteRange(std::string_view file, const std::vector<RevisionEnd>& revisions,
                           const SignatureField& field, const std::vector<SignatureField>& all);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_BYTE_RANGE_H_
