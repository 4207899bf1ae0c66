// libFuzzer target: the bytes a client sends the /metrics endpoint before
// the blank line. Beyond not crashing: a head is either parsed or refused
// with a 4xx/5xx status, a parsed target is an absolute path without its
// query, and the end found is the first blank line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "service/metrics_http/request_head.h"

namespace http = sigverify::service::metrics_http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::optional<size_t> end = http::HeadEnd(input);
  if (!end.has_value()) {
    if (input.find("\r\n\r\n") != absl::string_view::npos) std::abort();
    return 0;
  }
  if (*end > size || input.substr(0, *end).find("\r\n\r\n") + 4 != *end) std::abort();
  const http::ParsedHead parsed = http::ParseRequestHead(input.substr(0, *end));
  if (parsed.head.has_value() == parsed.error.has_value()) std::abort();
  if (parsed.error.has_value() && (parsed.error->code < 400 || parsed.error->code > 505)) {
    std::abort();
  }
  if (parsed.head.has_value()) {
    const std::string& path = parsed.head->path;
    if (path.empty() || path[0] != '/' || path.find('?') != std::string::npos ||
        path.size() > http::kMaxTargetBytes || parsed.head->method.empty()) {
      std::abort();
    }
  }
  return 0;
}
