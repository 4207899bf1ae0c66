// Access control at the gRPC boundary: the peer certificate of a call's
// connection, as gRPC reports it, handed to access::AccessControl for the
// role the method needs.
#ifndef SIGVERIFY_SERVICE_CALL_AUTH_H_
#define SIGVERIFY_SERVICE_CALL_AUTH_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/access/access_control.h"

namespace sigverify::service {

// The client certificate of the call's connection (PEM); empty without one.
std::string PeerCertificatePem(const grpc::ServerContextBase& context);

// The caller of `method` ("/sigverify.v1.AuditService/QueryRecords"); a null
// `access` allows everything (services built without access control).
absl::StatusOr<access::Caller> AuthorizeCall(const access::AccessControl* access,
                                             const grpc::ServerContextBase& context,
                                             access::cfg::Role role, absl::string_view method,
                                             absl::Time now);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_CALL_AUTH_H_
