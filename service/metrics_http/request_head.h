// The head of an HTTP/1.x request as the metrics endpoint reads it: the
// request line and nothing else it needs (no body is read, every answer
// closes the connection). Strict: a malformed line is refused rather than
// guessed at.
#ifndef SIGVERIFY_SERVICE_METRICS_HTTP_REQUEST_HEAD_H_
#define SIGVERIFY_SERVICE_METRICS_HTTP_REQUEST_HEAD_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace sigverify::service::metrics_http {

// The largest request head read; a longer one is answered 431.
inline constexpr size_t kMaxRequestHeadBytes = 8192;

struct RequestHead {
  std::string method;  // "GET", "HEAD", ... as sent
  std::string path;    // the target without its query ("/metrics")
};

// An HTTP status with its reason, for a request that cannot be served.
struct HttpError {
  int code;
  std::string reason;  // "Bad Request"
  std::string detail;  // one line, for the body
};

// Where the head in `received` ends (just past the blank line), or nullopt
// while it is incomplete.
std::optional<size_t> HeadEnd(absl::string_view received);

// The longest request target accepted; a longer one is answered 414.
inline constexpr size_t kMaxTargetBytes = 2048;

// A parsed head, or why it cannot be served.
struct ParsedHead {
  std::optional<RequestHead> head;
  std::optional<HttpError> error;
};

// The request line of `head` (the bytes up to HeadEnd), its header lines
// checked for form only: 400 for a malformed line, a folded or malformed
// header, more than 100 headers; 505 for a version other than HTTP/1.0 or
// 1.1; 414 for a target over kMaxTargetBytes. Lines end in CRLF.
ParsedHead ParseRequestHead(absl::string_view head);

}  // namespace sigverify::service::metrics_http

#endif  // SIGVERIFY_SERVICE_METRICS_HTTP_REQUEST_HEAD_H_
