#include "crypto/pdf/pdf_file.h"

#include <exception>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"

namespace sigverify::crypto::pdf {

absl::Status RunQpdf(std::string_view what, const std::function<absl::Status()>& body) {
  try {
    return body();
  } catch (const QPDFExc& e) {
    // The message without the description qpdf prefixes (ours, not the file's).
    return cms::FormatError(absl::StrCat("PDF ", std::string(what), ": ", e.getMessageDetail()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("PDF ", std::string(what), ": out of memory"));
  } catch (const std::exception& e) {
    return cms::FormatError(absl::StrCat("PDF ", std::string(what), ": ", e.what()));
  }
}

PdfFile::~PdfFile() = default;

absl::StatusOr<std::unique_ptr<PdfFile>> PdfFile::Open(std::string_view bytes,
                                                       std::string_view what,
                                                       const PdfLimits& limits) {
  std::unique_ptr<PdfFile> file(new PdfFile());
  file->bytes_ = bytes;
  absl::Status status = RunQpdf(what, [&]() -> absl::Status {
    file->qpdf_ = std::make_unique<QPDF>();
    file->qpdf_->setSuppressWarnings(true);
    file->qpdf_->setAttemptRecovery(false);
    const std::string description(what);
    file->qpdf_->processMemoryFile(description.c_str(), bytes.data(), bytes.size());
    if (file->qpdf_->isEncrypted()) {
      return cms::UnsupportedFormat("encrypted PDF");
    }
    file->xref_ = file->qpdf_->getXRefTable();
    if (file->xref_.size() > limits.max_objects) {
      return cms::LimitError("max_pdf_objects", static_cast<int64_t>(limits.max_objects),
                             static_cast<int64_t>(file->xref_.size()));
    }
    // A file whose cross-reference table qpdf had to repair reads warnings.
    if (file->qpdf_->anyWarnings()) {
      const std::vector<QPDFExc> warnings = file->qpdf_->getWarnings();
      return cms::FormatError(
          absl::StrCat("PDF ", description, ": ", warnings.front().getMessageDetail()));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return file;
}

}  // namespace sigverify::crypto::pdf
