// A refusal for load with the delay to retry after, as the gRPC rich error
// model carries it: a google.rpc.Status with a google.rpc.RetryInfo detail in
// the grpc-status-details-bin trailer, beside the usual code and message.
#ifndef SIGVERIFY_SERVICE_RETRY_INFO_H_
#define SIGVERIFY_SERVICE_RETRY_INFO_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace sigverify::service {

grpc::Status WithRetryInfo(const absl::Status& status, absl::Duration retry_after);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_RETRY_INFO_H_
