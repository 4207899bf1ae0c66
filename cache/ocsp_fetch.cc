#include "cache/ocsp_fetch.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace sigverify::cache {
namespace {

constexpr size_t kMaxGetEncodedBytes = 255;

// Base64 with '+', '/' and '=' percent-encoded (RFC 6960 A.1).
std::string UrlEncodedBase64(std::string_view der) {
  const std::string b64 = absl::Base64Escape(absl::string_view(der.data(), der.size()));
  std::string out;
  out.reserve(b64.size() + 16);
  for (char c : b64) {
    if (c == '+') {
      out += "%2B";
    } else if (c == '/') {
      out += "%2F";
    } else if (c == '=') {
      out += "%3D";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string OcspGetUrl(const std::string& responder, std::string_view request_der) {
  const std::string encoded = UrlEncodedBase64(request_der);
  if (encoded.size() > kMaxGetEncodedBytes) return {};
  return absl::StrCat(responder, !responder.empty() && responder.back() == '/' ? "" : "/", encoded);
}

absl::StatusOr<std::string> FetchOcsp(const std::string& responder, std::string_view request_der,
                                      const FetchLimits& limits) {
  if (const std::string get = OcspGetUrl(responder, request_der); !get.empty()) {
    return HttpGet(get, limits);
  }
  return HttpPost(responder, request_der, "application/ocsp-request", limits);
}

}  // namespace sigverify::cache
