// Sends an OCSP request to a responder: GET with the request in the URL when
// it is short enough (RFC 5019 5: up to 255 bytes once base64- and
// URL-encoded, so that caches in between can serve it), POST otherwise.
#ifndef SIGVERIFY_CACHE_OCSP_FETCH_H_
#define SIGVERIFY_CACHE_OCSP_FETCH_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cache/http_fetcher.h"

namespace sigverify::cache {

// The GET URL for `request_der` at `responder`, or empty when too long.
std::string OcspGetUrl(const std::string& responder, std::string_view request_der);

// The raw DER response (validate it with ValidateOcspResponse).
absl::StatusOr<std::string> FetchOcsp(const std::string& responder, std::string_view request_der,
                                      const FetchLimits& limits);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_OCSP_FETCH_H_
