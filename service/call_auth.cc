#include "service/call_auth.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

namespace sigverify::service {

std::string PeerCertificatePem(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return "";
  const std::vector<grpc::string_ref> pem =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return "";
  return std::string(pem.front().data(), pem.front().size());
}

absl::StatusOr<access::Caller> AuthorizeCall(const access::AccessControl* access,
                                             const grpc::ServerContextBase& context,
                                             access::cfg::Role role, absl::string_view method,
                                             absl::Time now) {
  if (access == nullptr) return access::Caller{};
  return access->Authorize(PeerCertificatePem(context), role, method, now);
}

}  // namespace sigverify::service
