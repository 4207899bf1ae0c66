// Cross-reference streams inflated within a bound before qpdf opens the
// file: qpdf 11.3 inflates them while opening, without a bound of its own,
// so a few kilobytes could become gigabytes before any other check runs.
// The streams are the ones each revision's startxref names and every
// /XRefStm offset (hybrid files). A stream that is not Flate-encoded (or
// unfiltered) or whose /Length is not a direct integer is refused: the
// bound could not be kept.
#ifndef SIGVERIFY_CRYPTO_PDF_XREF_STREAMS_H_
#define SIGVERIFY_CRYPTO_PDF_XREF_STREAMS_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "crypto/pdf/revisions.h"

namespace sigverify::crypto::pdf {

// LIMIT_EXCEEDED (max_pdf_xref_stream_bytes) past `limit` inflated bytes;
// FORMAT_INVALID for a stream whose size cannot be bounded. A classic
// "xref" section, or an offset outside the file, is left to qpdf.
absl::Status CheckXrefStreams(std::string_view file, const std::vector<RevisionEnd>& revisions,
                              size_t limit);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_XREF_STREAMS_H_
