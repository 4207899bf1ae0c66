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

// The body of a 200 answer. Errors: INVALID_ARGUMENT (not an http:// URL),
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (over max_bytes), UNAVAILABLE
// (connection failed, or a status other than 200, named in the message).
absl::StatusOr<std::string> HttpGet(const std::string& url, const FetchLimits& limits);

// The same for a POST of `body` with `content_type` (OCSP requests too large
// for GET, RFC 5019 5).
absl::StatusOr<std::string> HttpPost(const std::string& url, std::string_view body,
                                     const std::string& content_type, const FetchLimits& limits);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_HTTP_FETCHER_H_
