// The signatures of a PDF: every field of the AcroForm's field tree whose
// /FT (inherited, ISO 32000-1 12.7.3.1) is /Sig and whose /V holds a
// signature dictionary (/Type /Sig, or /DocTimeStamp for a document
// timestamp), with what the verifier needs of it, raw: the ByteRange is
// checked by byte_range.h, the /Contents by the CMS code.
#ifndef SIGVERIFY_CRYPTO_PDF_SIGNATURE_FIELDS_H_
#define SIGVERIFY_CRYPTO_PDF_SIGNATURE_FIELDS_H_

#include <cstdint>
#include <qpdf/QPDFObjGen.hh>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/pdf/pdf_file.h"
#include "crypto/pdf/pdf_limits.h"

namespace sigverify::crypto::pdf {

struct SignatureField {
  std::string field_name;           // fully qualified: the /T of each ancestor joined by '.'
  QPDFObjGen field;                 // the terminal field (often merged with its widget)
  QPDFObjGen value;                 // the signature dictionary; (0,0) when /V is direct
  bool document_timestamp = false;  // /Type /DocTimeStamp
  std::string sub_filter;           // without the slash
  // /ByteRange as found: well_formed when it is an array of four integers.
  std::vector<int64_t> byte_range;
  bool byte_range_well_formed = false;
  std::string contents;          // the /Contents string's bytes
  int64_t contents_offset = -1;  // where qpdf parsed the /Contents string, -1 unknown
  // Certification (DocMDP, ISO 32000-1 12.8.2.2): the /P of its transform
  // parameters (1, 2 or 3); 0 for an approval signature.
  int docmdp_level = 0;
  // FieldMDP locks (12.8.2.4): /Action (All, Include, Exclude) and /Fields.
  std::string fieldmdp_action;
  std::vector<std::string> fieldmdp_fields;
  std::string reason;
  std::string location;
  std::string signing_time;  // /M as written (a PDF date string)
};

// In the order the signatures were made: by the end of their ByteRange
// (malformed ranges last, in field order).
absl::StatusOr<std::vector<SignatureField>> FindSignatureFields(PdfFile& file,
                                                                const PdfLimits& limits);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_SIGNATURE_FIELDS_H_
