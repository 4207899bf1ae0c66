#include "crypto/pdf/revisions.h"

#include "absl/strings/ascii.h"
#include "crypto/cms/format_error.h"

namespace sigverify::crypto::pdf {
namespace {

constexpr std::string_view kEof = "%%EOF";
constexpr std::string_view kStartXref = "startxref";

bool IsPdfWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\0';
}

// Whether "startxref <digits>" (with PDF white space) ends just before `end`;
// the number into `offset`.
bool StartXrefBefore(std::string_view file, size_t end, uint64_t& offset) {
  size_t i = end;
  while (i > 0 && IsPdfWhitespace(file[i - 1])) --i;
  const size_t digits_end = i;
  while (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(file[i - 1]))) --i;
  if (i == digits_end || digits_end - i > 19) return false;
  const size_t digits_start = i;
  while (i > 0 && IsPdfWhitespace(file[i - 1])) --i;
  if (i == digits_start || i < kStartXref.size()) return false;
  if (file.substr(i - kStartXref.size(), kStartXref.size()) != kStartXref) return false;
  offset = 0;
  for (size_t d = digits_start; d < digits_end; ++d) offset = offset * 10 + (file[d] - '0');
  return true;
}

}  // namespace

absl::StatusOr<std::vector<RevisionEnd>> FindRevisions(std::string_view file, int max_revisions) {
  std::vector<RevisionEnd> out;
  for (size_t at = file.find(kEof); at != std::string_view::npos; at = file.find(kEof, at + 1)) {
    uint64_t startxref = 0;
    if (!StartXrefBefore(file, at, startxref)) continue;
    RevisionEnd end;
    end.startxref = startxref;
    end.eof_end = at + kEof.size();
    end.line_end = end.eof_end;
    if (end.line_end < file.size() && file[end.line_end] == '\r') ++end.line_end;
    if (end.line_end < file.size() && file[end.line_end] == '\n') ++end.line_end;
    if (static_cast<int>(out.size()) == max_revisions) {
      return cms::LimitError("max_pdf_revisions", max_revisions, max_revisions + 1);
    }
    out.push_back(end);
  }
  if (out.empty()) return cms::FormatError("PDF: no startxref ... %%EOF");
  return out;
}

int RevisionEndingAt(const std::vector<RevisionEnd>& revisions, size_t offset) {
  for (size_t i = 0; i < revisions.size(); ++i) {
    if (revisions[i].eof_end == offset || revisions[i].line_end == offset) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace sigverify::crypto::pdf
