#include "cache/http_url.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sigverify::cache {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// One part of `u`, or empty when the URL has none.
std::string Part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return absl::ResourceExhaustedError("cannot parse a URL (out of memory)");
  const std::string text(url);
  // libcurl reads "http:///x" as host "x"; a URL names its host right after
  // "//".
  const size_t authority = text.find("://");
  if (authority == std::string::npos || text.compare(authority, 4, ":///") == 0 ||
      text.find_first_of(" \t\r\n") != std::string::npos ||
      curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a URL"));
  }
  HttpUrl out;
  out.scheme = absl::AsciiStrToLower(Part(u.get(), CURLUPART_SCHEME));
  if (out.scheme != "http" && out.scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an http(s) URL"));
  }
  if (!Part(u.get(), CURLUPART_USER).empty() || !Part(u.get(), CURLUPART_PASSWORD).empty() ||
      !Part(u.get(), CURLUPART_OPTIONS).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' has user-info (user@host), which is not accepted"));
  }
  out.host = absl::AsciiStrToLower(Part(u.get(), CURLUPART_HOST));
  if (out.host.empty()) return absl::InvalidArgumentError(absl::StrCat("'", text, "' has no host"));
  if (!absl::SimpleAtoi(Part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT), &out.port)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has no valid port"));
  }
  // CURLUPART_PATH is "/" at least for a URL with a host.
  out.path = Part(u.get(), CURLUPART_PATH);
  if (out.path.empty()) out.path.push_back('/');
  return out;
}

bool IsUnder(const HttpUrl& url, const HttpUrl& prefix) {
  if (url.scheme != prefix.scheme || url.host != prefix.host || url.port != prefix.port) {
    return false;
  }
  const std::string& p = prefix.path;
  if (url.path.compare(0, p.size(), p) != 0) return false;
  return url.path.size() == p.size() || p.back() == '/' || url.path[p.size()] == '/';
}

bool IsHttpUrl(std::string_view url) { return ParseHttpUrl(url).ok(); }

}  // namespace sigverify::cache
