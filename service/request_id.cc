#include "service/request_id.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sigverify::service {

absl::StatusOr<std::string> CheckRequestId(std::string_view value) {
  if (value.size() > kMaxRequestIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "x-request-id: ", value.size(), " characters, over the limit of ", kMaxRequestIdLength));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("-_.:/+=").find(c) == std::string_view::npos) {
      return absl::InvalidArgumentError(
          "x-request-id: only A-Z a-z 0-9 and - _ . : / + = are accepted");
    }
  }
  return std::string(value);
}

}  // namespace sigverify::service
