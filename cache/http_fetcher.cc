#include "cache/http_fetcher.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cache/http_url.h"
#include "cache/source_error.h"

namespace sigverify::cache {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct Body {
  std::string bytes;
  size_t max_bytes;
  bool too_large = false;
};

size_t Append(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<Body*>(user);
  const size_t len = size * n;
  if (body->bytes.size() + len > body->max_bytes) {
    body->too_large = true;
    return 0;  // aborts the transfer
  }
  body->bytes.append(data, len);
  return len;
}

// curl_global_init is not thread-safe; run it once, before any handle.
void GlobalInit() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

// A failed fetch of `url`, as data (cache/source_error.h).
absl::Status FetchError(const std::string& url, crypto::FailureReason reason,
                        std::string detail = {}, int64_t limit = 0) {
  crypto::SourceProblem p;
  p.reason = reason;
  p.location = url;
  p.detail = std::move(detail);
  p.limit = limit;
  return SourceError(p);
}

absl::StatusOr<std::string> Fetch(const std::string& url, const std::string_view* post_body,
                                  const std::string& content_type, const FetchLimits& limits) {
  using R = crypto::FailureReason;
  // Parsed, not prefix-matched: plain http, a host, no user-info.
  if (auto parsed = ParseHttpUrl(url); !parsed.ok() || parsed->scheme != "http") {
    return FetchError(url, R::kUrlNotAllowed);
  }
  GlobalInit();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return FetchError(url, R::kSourceInternal, "curl_easy_init");
  Body body{{}, limits.max_bytes};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  // No proxy from the environment (http_proxy, ALL_PROXY): revocation and
  // issuer traffic goes where the URL says, or nowhere.
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(limits.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(limits.total_timeout)));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "sigverifyd");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
  if (post_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    headers.reset(curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return FetchError(url, R::kFetchTooLarge, {}, static_cast<int64_t>(limits.max_bytes));
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return FetchError(url, R::kFetchTimedOut, {}, absl::ToInt64Milliseconds(limits.total_timeout));
  }
  // The transport's reason by its libcurl code (CURLE_COULDNT_CONNECT is 7):
  // its text is English only, so it stays out of the verdict.
  if (rc != CURLE_OK) return FetchError(url, R::kFetchFailed, absl::StrCat("CURLE ", rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return FetchError(url, R::kFetchFailed, absl::StrCat("HTTP ", status));
  return std::move(body.bytes);
}

}  // namespace

absl::StatusOr<std::string> HttpGet(const std::string& url, const FetchLimits& limits) {
  return Fetch(url, nullptr, {}, limits);
}

absl::StatusOr<std::string> HttpPost(const std::string& url, std::string_view body,
                                     const std::string& content_type, const FetchLimits& limits) {
  return Fetch(url, &body, content_type, limits);
}

}  // namespace sigverify::cache
