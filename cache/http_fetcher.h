// A bounded HTTP GET for certificates, and later OCSP responses and CRLs:
// plain http only (what AIA, OCSP and CRL URLs use; no redirects, so a URL
// cannot lead the service elsewhere), connect and total time limits, a size
// limit enforced while reading. One libcurl easy handle per call.
#ifndef SIGVERIFY_CACHE_HTTP_FETCHER_H_
#define SIGVERIFY_CACHE_HTTP_FETCHER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sigverify::cache {

struct FetchLimits {
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration total_timeout = absl::Seconds(5);
  size_t max_bytes = 256 * 1024;
};

// The body of a 200 answer. An error carries a SourceProblem with the URL
// (cache/source_error.h): URL_NOT_ALLOWED (not http://), FETCH_TIMED_OUT,
// FETCH_TOO_LARGE (over max_bytes), FETCH_FAILED (the connection failed:
// "CURLE n"; or another status: "HTTP n").
absl::StatusOr<std::string> HttpGet(const std::string& url, const FetchLimits& limits);

// The same for a POST of `body` with `content_type` (OCSP requests too large
// for GET, RFC 5019 5).
absl::StatusOr<std::string> HttpPost(const std::string& url, std::string_view body,
                                     const std::string& content_type, const FetchLimits& limits);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_HTTP_FETCHER_H_
