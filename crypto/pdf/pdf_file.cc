#include "crypto/pdf/pdf_file.h"

#include <exception>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"
#include "crypto/pdf/limited_sink.h"

namespace sigverify::crypto::pdf {

absl::Status RunQpdf(std::string_view what, const std::function<absl::Status()>& body) {
  try {
    return body();
  } catch (const StreamTooLarge& e) {
    return cms::LimitError(e.limit_name, static_cast<int64_t>(e.limit),
                           static_cast<int64_t>(e.limit) + 1);
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
    // Every object stream inflated once, bounded, before qpdf inflates one
    // (unbounded) to read an object in it.
    std::set<int> object_streams;
    for (const auto& [og, entry] : file->xref_) {
      if (entry.getType() == 2) object_streams.insert(entry.getObjStreamNumber());
    }
    for (int number : object_streams) {
      QPDFObjectHandle stream = file->qpdf_->getObjectByObjGen(QPDFObjGen(number, 0));
      if (!stream.isStream()) continue;  // qpdf reports it when an object is read
      LimitedSink sink(nullptr, limits.max_object_stream_bytes, "max_pdf_object_stream_bytes");
      stream.pipeStreamData(&sink, 0, qpdf_dl_generalized, true);
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
