// URLs the service fetches from, parsed rather than compared as strings:
// libcurl's URL API (curl_url) splits scheme, user-info, host, port and path
// exactly as the fetch will use them, so a URL cannot say one host to an
// allow-list and another to the fetcher ("http://a:1@b:2/" is host b, port 2).
#ifndef SIGVERIFY_CACHE_HTTP_URL_H_
#define SIGVERIFY_CACHE_HTTP_URL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sigverify::cache {

struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case
  int port = 0;        // the scheme's default when the URL names none
  std::string path;    // "/" at least
};

// An http:// or https:// URL with a host and no user-info; anything else is
// INVALID_ARGUMENT saying what.
absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

// Whether `url` is under `prefix`: the same scheme, host and port, and the
// prefix's path a prefix of the URL's by whole segments ("/pki" covers
// "/pki" and "/pki/a.crt", not "/pkix").
bool IsUnder(const HttpUrl& url, const HttpUrl& prefix);

// True for an http:// or https:// URL ParseHttpUrl accepts.
bool IsHttpUrl(std::string_view url);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_HTTP_URL_H_
