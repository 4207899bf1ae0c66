// What a call's context says, read on the gRPC thread that received the
// call (the context's metadata is not for worker threads): who called and
// how, the language of the answers, and whether the caller may set
// validation_time.
#ifndef SIGVERIFY_SERVICE_CALL_CONTEXT_H_
#define SIGVERIFY_SERVICE_CALL_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/message_catalog.h"
#include "service/access/access_control.h"
#include "service/audit_record.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// The call's method, peer, grant, arrival and x-request-id (checked:
// INVALID_ARGUMENT when malformed).
absl::StatusOr<CallInfo> CallInfoOf(const grpc::CallbackServerContext& context, const char* method,
                                    absl::Time arrived, access::Caller caller);

// The accept-language metadata's language (Vietnamese when absent).
crypto::Language CallLanguage(const grpc::CallbackServerContext& context);

// Whether the request sets a validation time (any item of a batch).
template <typename Request>
bool SetsValidationTime(const Request& request) {
  if constexpr (requires { request.has_validation_time(); }) {
    return request.has_validation_time();
  } else {
    return false;
  }
}
bool SetsValidationTime(const v1::VerifyBatchRequest& request);

// With access control on, only a caller granted may_set_validation_time may
// set validation_time (its time then counts as proof of existence); without
// it, anyone may, and the time is a claim (ADR 0015). PERMISSION_DENIED
// naming the grant otherwise.
absl::Status CheckValidationTimeGrant(const access::AccessControl* access, bool sets_time,
                                      const CallInfo& info);
template <typename Request>
absl::Status CheckValidationTimeGrant(const access::AccessControl* access, const Request& request,
                                      const CallInfo& info) {
  return CheckValidationTimeGrant(access, SetsValidationTime(request), info);
}

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_CALL_CONTEXT_H_
