// absl::Status to grpc::Status: the codes are the same numbers.
#ifndef SIGVERIFY_SERVICE_GRPC_STATUS_H_
#define SIGVERIFY_SERVICE_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace sigverify::service {

inline grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_GRPC_STATUS_H_
