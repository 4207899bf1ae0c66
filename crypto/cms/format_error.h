// Errors reading a signed document or container, as absl::Status: a bad
// encoding is INVALID_ARGUMENT (FORMAT_INVALID, the message says where), a
// crossed limit is RESOURCE_EXHAUSTED carrying the limit's name, the limit
// and the value found (LIMIT_EXCEEDED), an unsupported format is
// UNIMPLEMENTED (UNSUPPORTED_SIGNATURE_FORMAT, the message names it).
// FailureOf turns any of them into the verdict's Failure.
#ifndef SIGVERIFY_CRYPTO_CMS_FORMAT_ERROR_H_
#define SIGVERIFY_CRYPTO_CMS_FORMAT_ERROR_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "crypto/failure.h"

namespace sigverify::crypto::cms {

absl::Status FormatError(std::string_view where);
absl::Status LimitError(std::string_view limit_name, int64_t limit, int64_t actual);
absl::Status UnsupportedFormat(std::string_view format);

Failure FailureOf(const absl::Status& status);

}  // namespace sigverify::crypto::cms

#endif  // SIGVERIFY_CRYPTO_CMS_FORMAT_ERROR_H_
