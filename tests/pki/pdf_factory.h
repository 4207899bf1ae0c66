// PDFs for tests, written by hand so that each shape is exactly what the
// test says: a plain file of N pages (classic cross-reference table),
// incremental updates that redefine or add objects, and signatures placed
// the way ISO 32000-1 12.8 describes (a signature field with its widget on
// page 1, a signature dictionary whose ByteRange leaves a hole for the
// /Contents), signed by a callback (the tests use `openssl cms` and
// `openssl ts`). Shapes pdfsig cannot make: certification signatures,
// CAdES, document timestamps, FieldMDP locks.
#ifndef SIGVERIFY_TESTS_PKI_PDF_FACTORY_H_
#define SIGVERIFY_TESTS_PKI_PDF_FACTORY_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sigverify::testing {

// A PDF 1.7 file of `pages` pages, each with a line of text: objects 1
// (catalog), 2 (page tree), then per page a page object and its content
// stream; 3 + 2 * pages is the font.
std::string MakePdf(int pages = 1);

// `pdf` with an incremental update that defines `objects` (number -> the
// text between "N 0 obj" and "endobj"; empty: the object is freed), a
// cross-reference section for them
// and a trailer (/Prev, /Root, /Size; `trailer_extra` added).
absl::StatusOr<std::string> AppendRevision(std::string_view pdf,
                                           const std::map<int, std::string>& objects,
                                           std::string_view trailer_extra = "");

// The dictionary of object `number` with `key` set to `value` (or removed
// when `value` is empty), as text, from the newest revision of `pdf`.
absl::StatusOr<std::string> WithKey(std::string_view pdf, int number, const std::string& key,
                                    const std::string& value);

struct PdfSignatureSpec {
  std::string field_name = "Signature1";
  std::string sub_filter = "ETSI.CAdES.detached";
  bool document_timestamp = false;  // /Type /DocTimeStamp
  int docmdp = 0;                   // a certification signature with /P docmdp
  std::string fieldmdp_action;      // All, Include, Exclude: a FieldMDP lock
  std::vector<std::string> fieldmdp_fields;
  size_t contents_capacity = 12288;  // bytes the /Contents hole holds
  // A visible signature: the widget at `rect` (x y width height on page 1)
  // shows an image (a 2x2 RGB image XObject of colour `image_rgb`, three
  // bytes) through its appearance stream. Empty: an invisible signature.
  std::string image_rgb;
  double rect[4] = {0, 0, 0, 0};
};

// The bytes a signature covers -> its /Contents (a DER CMS or token).
using PdfSigner = std::function<absl::StatusOr<std::string>(std::string_view signed_bytes)>;

// `pdf` with one more incremental update: a signature field on page 1
// holding a signature `sign` made over the ByteRange.
absl::StatusOr<std::string> AddPdfSignature(std::string_view pdf, const PdfSignatureSpec& spec,
                                            const PdfSigner& sign);

// `pdf` with an incremental update adding `annotation` (a dictionary, as
// text) as a new object to the /Annots of page `n` (1-based).
absl::StatusOr<std::string> WithAnnotation(std::string_view pdf, int n,
                                           const std::string& annotation);

// `pdf` with an incremental update adding a DSS (ETSI EN 319 142-1 5.4.2)
// whose /Certs are `certificates` (DER), as the LTV step of a signer does.
absl::StatusOr<std::string> WithDss(std::string_view pdf,
                                    const std::vector<std::string>& certificates);

// The object number of page `n` (1-based) of `pdf`'s newest revision.
absl::StatusOr<int> PageObject(std::string_view pdf, int n);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_PDF_FACTORY_H_
