// Protobuf text format for configuration files: a mistake is reported with
// its line and column, so an operator finds it.
#ifndef SIGVERIFY_SERVICE_TEXT_PROTO_H_
#define SIGVERIFY_SERVICE_TEXT_PROTO_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sigverify::service {

// Parses `text` into `out`; INVALID_ARGUMENT "line L:C: what" on the first
// error.
absl::Status ParseTextProto(absl::string_view text, google::protobuf::Message* out);

// `message` in text format, fields in declaration order.
std::string ToTextProto(const google::protobuf::Message& message);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_TEXT_PROTO_H_
