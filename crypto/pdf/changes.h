// What changed in a PDF after a signature: the signed revision (the file's
// prefix the signature covers, parsed on its own) against the whole file.
//
// An object changed when its cross-reference entry differs and its value
// (a dictionary or array as written, a stream's dictionary and raw bytes)
// differs too: rewriting an object unchanged is not a change. Each change
// is judged by the role the object has in the signed revision, found by
// walking its structure: the catalog, the page tree and pages, annotation
// arrays and annotations, their appearance streams, the AcroForm, its
// fields (signed signature fields apart), signature dictionaries, the DSS,
// the document information. A dictionary with a role is compared key by
// key, so that a page whose /Annots grew is an annotation change, and a
// page whose /Contents changed is not. A changed or freed object with no
// role that the signed revision reaches is OTHER; one it does not reach
// (orphaned, an old object stream) changes nothing anyone sees. New objects
// matter only through the changed objects that refer to them.
#ifndef SIGVERIFY_CRYPTO_PDF_CHANGES_H_
#define SIGVERIFY_CRYPTO_PDF_CHANGES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/pdf/pdf_file.h"
#include "crypto/pdf/pdf_limits.h"

namespace sigverify::crypto::pdf {

// In increasing order of seriousness (the proto's ModificationLevel).
enum class ModificationLevel {
  kNone = 0,
  kLtaUpdates = 1,                // DSS, VRI, document timestamps
  kFormFillingAndSignatures = 2,  // field values, new signature fields, their appearances
  kAnnotations = 3,               // annotations added, changed, removed
  kOther = 4,                     // anything else: never allowed after a signature
};

struct Change {
  ModificationLevel level = ModificationLevel::kOther;
  std::string what;          // in English, for people: "page 1: /Contents changed (object 4 0)"
  std::string field_name;    // when a form field's value or appearance changed
  bool signs_field = false;  // the change is a signature placed in an empty signature field
};

struct ChangeReport {
  ModificationLevel level = ModificationLevel::kNone;
  std::vector<Change> changes;
};

// Errors: FORMAT_INVALID (qpdf could not read an object), LIMIT_EXCEEDED
// (max_walk_objects).
absl::StatusOr<ChangeReport> ClassifyChanges(PdfFile& signed_revision, PdfFile& final_file,
                                             const PdfLimits& limits);

// The highest level DocMDP permission `p` (1, 2, 3) allows after the
// certification (ISO 32000-1 table 254; PAdES adds DSS and document
// timestamps to P1).
ModificationLevel AllowedByDocMdp(int p);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_CHANGES_H_
