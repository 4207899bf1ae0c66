#include "crypto/cms/format_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sigverify::crypto::cms {
namespace {

constexpr char kLimitPayload[] = "sigverify/limit";

}  // namespace

absl::Status FormatError(std::string_view where) {
  return absl::InvalidArgumentError(std::string(where));
}

absl::Status LimitError(std::string_view limit_name, int64_t limit, int64_t actual) {
  absl::Status s = absl::ResourceExhaustedError(
      absl::StrCat(std::string(limit_name), ": ", actual, " (at most ", limit, ")"));
  s.SetPayload(kLimitPayload,
               absl::Cord(absl::StrCat(std::string(limit_name), "\n", limit, "\n", actual)));
  return s;
}

absl::Status UnsupportedFormat(std::string_view format) {
  return absl::UnimplementedError(std::string(format));
}

Failure FailureOf(const absl::Status& status) {
  Failure f;
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      if (auto payload = status.GetPayload(kLimitPayload)) {
        std::vector<std::string> parts = absl::StrSplit(std::string(*payload), '\n');
        if (parts.size() == 3) {
          f.reason = FailureReason::kLimitExceeded;
          f.names = {parts[0]};
          if (absl::SimpleAtoi(parts[1], &f.limit) && absl::SimpleAtoi(parts[2], &f.actual)) {
            return f;
          }
        }
      }
      break;
    case absl::StatusCode::kUnimplemented:
      f.reason = FailureReason::kUnsupportedSignatureFormat;
      f.names = {std::string(status.message())};
      return f;
    default:
      break;
  }
  f.reason = FailureReason::kFormatInvalid;
  f.detail = std::string(status.message());
  return f;
}

}  // namespace sigverify::crypto::cms
