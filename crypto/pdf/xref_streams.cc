#include "crypto/pdf/xref_streams.h"

#include <qpdf/Pl_Flate.hh>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"
#include "crypto/pdf/limited_sink.h"
#include "crypto/pdf/pdf_file.h"

namespace sigverify::crypto::pdf {
namespace {

// The dictionary of a stream object ends within this many bytes of its start.
constexpr size_t kMaxStreamDictionary = 64 << 10;

// Offsets a cross-reference stream may be at: every startxref, every /XRefStm.
std::set<uint64_t> Candidates(std::string_view file, const std::vector<RevisionEnd>& revisions) {
  std::set<uint64_t> out;
  for (const RevisionEnd& r : revisions) out.insert(r.startxref);
  constexpr std::string_view kKey = "/XRefStm";
  for (size_t at = file.find(kKey); at != std::string_view::npos; at = file.find(kKey, at + 1)) {
    size_t i = at + kKey.size();
    while (i < file.size() && (file[i] == ' ' || file[i] == '\r' || file[i] == '\n')) ++i;
    uint64_t offset = 0;
    size_t digits = 0;
    while (i < file.size() && digits < 19 && file[i] >= '0' && file[i] <= '9') {
      offset = offset * 10 + (file[i++] - '0');
      ++digits;
    }
    if (digits > 0) out.insert(offset);
  }
  return out;
}

absl::Status CheckOne(std::string_view file, uint64_t offset, size_t limit) {
  if (offset >= file.size()) return absl::OkStatus();
  std::string_view object = file.substr(offset);
  size_t skip = 0;
  while (skip < object.size() && (object[skip] == ' ' || object[skip] == '\r' ||
                                  object[skip] == '\n' || object[skip] == '\t')) {
    ++skip;
  }
  object.remove_prefix(skip);
  if (object.substr(0, 4) == "xref") return absl::OkStatus();  // a classic section
  const size_t stream = object.substr(0, kMaxStreamDictionary).find("stream");
  if (stream == std::string_view::npos) return absl::OkStatus();  // not a stream: qpdf's to judge
  const std::string dictionary(object.substr(0, stream));
  if (dictionary.find("/XRef") == std::string::npos) return absl::OkStatus();
  const std::string where = absl::StrCat("PDF cross-reference stream at ", offset, ": ");
  static const std::regex kLength(R"(/Length\s+(\d+)(\s+\d+\s+R)?)");
  std::smatch length;
  size_t bytes = 0;
  if (!std::regex_search(dictionary, length, kLength) || length[2].matched ||
      !absl::SimpleAtoi(length[1].str(), &bytes)) {
    return cms::FormatError(absl::StrCat(where, "/Length is not a direct integer"));
  }
  static const std::regex kFilter(R"(/Filter\s*(\[\s*)?/(\w+))");
  std::smatch filter;
  const bool filtered = std::regex_search(dictionary, filter, kFilter);
  if (filtered && filter[2].str() != "FlateDecode") {
    return cms::UnsupportedFormat(absl::StrCat(where, "filter ", filter[2].str()));
  }
  size_t data = stream + 6;
  if (data < object.size() && object[data] == '\r') ++data;
  if (data < object.size() && object[data] == '\n') ++data;
  const std::string_view raw = object.substr(data, bytes);
  if (!filtered) {
    return raw.size() > limit
               ? cms::LimitError("max_pdf_xref_stream_bytes", static_cast<int64_t>(limit),
                                 static_cast<int64_t>(raw.size()))
               : absl::OkStatus();
  }
  return RunQpdf(where, [&]() -> absl::Status {
    LimitedSink sink(nullptr, limit, "max_pdf_xref_stream_bytes");
    Pl_Flate inflate("xref", &sink, Pl_Flate::a_inflate);
    try {
      inflate.write(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
      inflate.finish();
    } catch (const std::runtime_error&) {
      // Not valid Flate data: qpdf reports it when it reads the stream.
    }
    return absl::OkStatus();
  });
}

}  // namespace

absl::Status CheckXrefStreams(std::string_view file, const std::vector<RevisionEnd>& revisions,
                              size_t limit) {
  for (uint64_t offset : Candidates(file, revisions)) {
    if (absl::Status s = CheckOne(file, offset, limit); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace sigverify::crypto::pdf
