#include "crypto/pdf/byte_range.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sigverify::crypto::pdf {
namespace {

SignedRange Invalid(std::string detail) {
  SignedRange out;
  out.failed.reason = FailureReason::kByteRangeInvalid;
  out.failed.detail = std::move(detail);
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether `hole` is "<" hex digits ">" spelling exactly `contents`.
bool HoleIsContents(std::string_view hole, std::string_view contents) {
  if (hole.size() < 2 || hole.front() != '<' || hole.back() != '>') return false;
  const std::string_view hex = hole.substr(1, hole.size() - 2);
  if (hex.size() != 2 * contents.size()) return false;
  for (size_t i = 0; i < contents.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    if (static_cast<unsigned char>(contents[i]) != ((hi << 4) | lo)) return false;
  }
  return true;
}

bool HolesMeet(const SignatureField& a, const SignatureField& b) {
  if (!a.byte_range_well_formed || !b.byte_range_well_formed) return false;
  const int64_t a0 = a.byte_range[0] + a.byte_range[1], a1 = a.byte_range[2];
  const int64_t b0 = b.byte_range[0] + b.byte_range[1], b1 = b.byte_range[2];
  return a0 < b1 && b0 < a1;
}

}  // namespace

SignedRange CheckByteRange(std::string_view file, const std::vector<RevisionEnd>& revisions,
                           const SignatureField& field, const std::vector<SignatureField>& all) {
  if (!field.byte_range_well_formed) return Invalid("not an array of four integers");
  const std::vector<int64_t>& r = field.byte_range;
  for (int64_t v : r) {
    if (v < 0) return Invalid("a negative number");
    if (static_cast<uint64_t>(v) > file.size()) return Invalid("beyond the end of the file");
  }
  if (r[0] != 0) return Invalid("does not start at byte 0");
  const uint64_t hole_start = static_cast<uint64_t>(r[1]);
  const uint64_t hole_end = static_cast<uint64_t>(r[2]);
  const uint64_t end = hole_end + static_cast<uint64_t>(r[3]);
  if (hole_start == 0 || hole_end <= hole_start) return Invalid("no hole after the first range");
  if (end > file.size()) return Invalid("beyond the end of the file");
  if (!HoleIsContents(file.substr(hole_start, hole_end - hole_start), field.contents)) {
    return Invalid("the hole is not exactly the /Contents hex string");
  }
  if (field.contents_offset != static_cast<int64_t>(hole_start)) {
    return Invalid("the hole is not where the signature dictionary's /Contents is");
  }
  for (const SignatureField& other : all) {
    if (&other != &field && HolesMeet(field, other)) {
      return Invalid(absl::StrCat("the hole meets the hole of field ", other.field_name));
    }
  }
  SignedRange out;
  out.revision = RevisionEndingAt(revisions, end);
  if (out.revision < 0) return Invalid("the signed bytes do not end where a revision ends");
  out.signed_end = end;
  const bool last = out.revision + 1 == static_cast<int>(revisions.size());
  out.coverage = end == file.size() || (last && revisions.back().line_end == file.size())
                     ? Coverage::kEntireFile
                     : Coverage::kEntireRevision;
  out.pieces = {file.substr(0, hole_start), file.substr(hole_end, end - hole_end)};
  return out;
}

}  // namespace sigverify::crypto::pdf
