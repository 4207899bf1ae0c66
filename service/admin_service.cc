#include "service/admin_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/call_auth.h"
#include "service/grpc_status.h"

namespace sigverify::service {

AdminService::AdminService(Operations operations, Drain* drain, const access::AccessControl* access)
    : operations_(std::move(operations)), drain_(drain), access_(access) {}

bool AdminService::Admit(grpc::CallbackServerContext* context, const char* method,
                         grpc::ServerUnaryReactor* reactor) {
  auto caller = AuthorizeCall(access_, *context, access::cfg::ROLE_ADMIN,
                              absl::StrCat("/sigverify.v1.AdminService/", method), absl::Now());
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return false;
  }
  return true;
}

grpc::ServerUnaryReactor* AdminService::Reload(grpc::CallbackServerContext* context,
                                               const v1::ReloadRequest*,
                                               v1::ReloadResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto ticket = std::make_shared<Drain::Ticket>(drain_->Admit());
  if (!*ticket) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    return reactor;
  }
  if (!Admit(context, "Reload", reactor)) return reactor;
  auto task = [this, reactor, response, ticket] {
    for (std::string& error : operations_.reload()) response->add_errors(std::move(error));
    response->set_trust_store_version(operations_.trust_store_version());
    reactor->Finish(grpc::Status::OK);
    ticket->Release();
  };
  if (!reloads_.TrySubmit(std::move(task), 1)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "reloads already running and waiting; retry later"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* context,
                                                  const v1::GetStatusRequest*,
                                                  v1::GetStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admit(context, "GetStatus", reactor)) return reactor;
  operations_.status(response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace sigverify::service
