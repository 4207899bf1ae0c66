// The revisions of a PDF file: ISO 32000-1 7.5.6 appends each incremental
// update after the previous one, and every revision ends with
//   startxref <EOL> <offset> <EOL> %%EOF [<EOL>]
// A signature's ByteRange must end exactly where one of them ends. Found by
// scanning the bytes (not by following /Prev, which an attacker controls):
// a "%%EOF" counts only when a "startxref" and a number precede it.
#ifndef SIGVERIFY_CRYPTO_PDF_REVISIONS_H_
#define SIGVERIFY_CRYPTO_PDF_REVISIONS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sigverify::crypto::pdf {

struct RevisionEnd {
  size_t eof_end = 0;      // just after "%%EOF"
  size_t line_end = 0;     // after the end-of-line that follows it, if any (== eof_end otherwise)
  uint64_t startxref = 0;  // the offset its startxref names
};

// Every revision end, in file order. LIMIT_EXCEEDED past `max_revisions`;
// FORMAT_INVALID when there is none.
absl::StatusOr<std::vector<RevisionEnd>> FindRevisions(std::string_view file, int max_revisions);

// The 0-based revision that ends at `offset` (either form of its end), or
// -1 when none does.
int RevisionEndingAt(const std::vector<RevisionEnd>& revisions, size_t offset);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_REVISIONS_H_
