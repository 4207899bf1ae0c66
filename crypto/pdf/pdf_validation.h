// The validation of every signature of a PDF (PAdES, ETSI EN 319 142-1;
// ISO 32000-1 12.8): the signature fields found in the final revision; for
// each, its ByteRange (byte_range.h), its CMS (exactly one SignerInfo, no
// encapsulated content; crypto/cms) over the two signed byte spans, or for
// a document timestamp its token's imprint over them; then what changed in
// the file after the revision it signs (changes.h), against its DocMDP and
// FieldMDP permissions. Certificates, OCSP responses and CRLs from the
// final revision's DSS join the caller's as data at hand.
#ifndef SIGVERIFY_CRYPTO_PDF_PDF_VALIDATION_H_
#define SIGVERIFY_CRYPTO_PDF_PDF_VALIDATION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/cms/signature_validation.h"
#include "crypto/pdf/byte_range.h"
#include "crypto/pdf/changes.h"
#include "crypto/pdf/pdf_limits.h"
#include "crypto/pdf/signature_fields.h"

namespace sigverify::crypto::pdf {

struct PdfSignatureVerdict {
  SignatureField field;
  SignedRange range;
  std::string range_sha256;         // SHA-256 of the signed bytes, when the range is valid
  bool document_timestamp = false;  // ETSI.RFC3161: `timestamp` holds its verdict
  cms::SignatureVerdict signature;  // the CMS signature's, when one was read
  // What `signature.facts` views into (the signature value): kept with it.
  std::shared_ptr<const cms::SignedData> signed_data;
  cms::TimestampVerdict timestamp;
  ChangeReport changes;  // made after the revision this signature signs
  bool changes_known = false;
  // The verdict: the CMS's, or a format, modification or permission failure.
  SubIndication sub_indication = SubIndication::kNone;
  Failure failed;
  bool ok() const { return sub_indication == SubIndication::kNone; }
};

struct PdfVerdict {
  int revisions = 0;
  std::vector<PdfSignatureVerdict> signatures;
};

// Errors (the file as a whole cannot be read, a limit is crossed):
// crypto/cms/format_error.h. A file without signatures is a verdict with
// none.
absl::StatusOr<PdfVerdict> VerifyPdf(std::string_view file, const cms::ValidationContext& context,
                                     const PdfLimits& limits);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_PDF_VALIDATION_H_
