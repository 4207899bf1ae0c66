#include "service/metrics_http/request_head.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace sigverify::service::metrics_http {
namespace {

constexpr size_t kMaxHeaders = 100;

ParsedHead Error(int code, const char* reason, std::string detail) {
  return ParsedHead{std::nullopt, HttpError{code, reason, std::move(detail)}};
}

ParsedHead BadRequest(std::string detail) { return Error(400, "Bad Request", std::move(detail)); }

// RFC 9110 5.6.2: tchar.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::StrContains("!#$%&'*+-.^_`|~", c);
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Visible ASCII, as an origin-form target is written.
bool IsVisible(absl::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// A field value: visible ASCII, obs-text, space and tab.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\t') return false;
    if (u == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<size_t> HeadEnd(absl::string_view received) {
  const size_t end = received.find("\r\n\r\n");
  if (end == absl::string_view::npos) return std::nullopt;
  return end + 4;
}

ParsedHead ParseRequestHead(absl::string_view head) {
  if (!absl::ConsumeSuffix(&head, "\r\n\r\n"))
    return BadRequest("the head does not end in CRLF CRLF");
  const std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  const std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3) return BadRequest("the request line is not METHOD SP TARGET SP VERSION");
  const absl::string_view method = parts[0];
  absl::string_view target = parts[1];
  const absl::string_view version = parts[2];
  if (!IsToken(method)) return BadRequest("the method is not a token");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
        absl::ascii_isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
        absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
      return Error(505, "HTTP Version Not Supported", "HTTP/1.0 and HTTP/1.1 only");
    }
    return BadRequest("the version is not HTTP/x.y");
  }
  if (target.size() > kMaxTargetBytes) {
    return Error(414, "URI Too Long", "the request target is too long");
  }
  if (!absl::StartsWith(target, "/") || !IsVisible(target)) {
    return BadRequest("the request target is not an absolute path");
  }
  if (lines.size() - 1 > kMaxHeaders) return BadRequest("more than 100 header lines");
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.empty() || line[0] == ' ' || line[0] == '\t') {
      return BadRequest("a header line is empty or folded");
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon)) ||
        !IsFieldValue(line.substr(colon + 1))) {
      return BadRequest("a header line is not NAME: VALUE");
    }
  }
  const size_t query = target.find('?');
  if (query != absl::string_view::npos) target = target.substr(0, query);
  return ParsedHead{RequestHead{std::string(method), std::string(target)}, std::nullopt};
}

}  // namespace sigverify::service::metrics_http
