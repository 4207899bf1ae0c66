// The caller's x-request-id, as the audit log keeps it: a token of at most
// kMaxRequestIdLength characters from A-Z a-z 0-9 and - _ . : / + = (UUIDs,
// trace ids, base64). Anything else is refused rather than stored as free
// text in a log auditors read.
#ifndef SIGVERIFY_SERVICE_REQUEST_ID_H_
#define SIGVERIFY_SERVICE_REQUEST_ID_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sigverify::service {

inline constexpr size_t kMaxRequestIdLength = 128;

// `value` when it is such a token (empty stays empty), else INVALID_ARGUMENT
// naming the header and the rule.
absl::StatusOr<std::string> CheckRequestId(std::string_view value);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_REQUEST_ID_H_
