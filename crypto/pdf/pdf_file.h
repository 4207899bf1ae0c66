// One parse of a PDF (or of a prefix of one: a signed revision) with qpdf,
// strictly: no recovery from a damaged cross-reference table (a file that
// needs it is refused, since a signed file's structure must be exact), no
// warnings printed. qpdf reports errors by throwing; Open catches them and
// RunQpdf does for every later use, so that nothing escapes as an
// exception.
#ifndef SIGVERIFY_CRYPTO_PDF_PDF_FILE_H_
#define SIGVERIFY_CRYPTO_PDF_PDF_FILE_H_

#include <functional>
#include <map>
#include <memory>
#include <qpdf/QPDFObjGen.hh>
#include <qpdf/QPDFXRefEntry.hh>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/pdf/pdf_limits.h"

// qpdf's QPDF.hh is included only by the .cc files that use it (and
// compiled as C++17 there): with clang and C++20 its JSON.hh does not
// compile, and the service and fuzz builds include this header.
class QPDF;

namespace sigverify::crypto::pdf {

class PdfFile {
 public:
  // `bytes` must outlive the PdfFile. `what` names it in errors ("revision 2").
  static absl::StatusOr<std::unique_ptr<PdfFile>> Open(std::string_view bytes,
                                                       std::string_view what,
                                                       const PdfLimits& limits);

  ~PdfFile();
  QPDF& qpdf() { return *qpdf_; }
  std::string_view bytes() const { return bytes_; }
  // The cross-reference table as qpdf merged it (the newest entry of each
  // object), read once.
  const std::map<QPDFObjGen, QPDFXRefEntry>& xref() const { return xref_; }

 private:
  PdfFile() = default;
  std::unique_ptr<QPDF> qpdf_;
  std::string_view bytes_;
  std::map<QPDFObjGen, QPDFXRefEntry> xref_;
};

// Runs `body`; any exception (qpdf's on a malformed object, a bad stream,
// a logic error on an unexpected type) becomes FORMAT_INVALID naming `what`.
absl::Status RunQpdf(std::string_view what, const std::function<absl::Status()>& body);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_PDF_FILE_H_
