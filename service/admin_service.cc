#include "service/admin_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/call_auth.h"
#include "service/grpc_status.h"

namespace sigverify::service {

AdminService::AdminService(Operations operations, Drain* drain, const access::AccessControl* access,
                           AccessLog* access_log)
    : operations_(std::move(operations)), drain_(drain), access_(access), access_log_(access_log) {}

std::shared_ptr<CallLog> AdminService::Admit(grpc::CallbackServerContext* context,
                                             const char* method,
                                             grpc::ServerUnaryReactor* reactor) {
  const std::string full = absl::StrCat("/sigverify.v1.AdminService/", method);
  auto log = std::make_shared<CallLog>(access_log_, context->peer(), full, absl::Now());
  auto caller = AuthorizeCall(access_, *context, access::cfg::ROLE_ADMIN, full, absl::Now());
  if (!caller.ok()) {
    log->Finish(static_cast<int>(caller.status().code()), absl::Now());
    reactor->Finish(ToGrpc(caller.status()));
    return nullptr;
  }
  log->Authorized(*caller);
  return log;
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
  std::shared_ptr<CallLog> log = Admit(context, "Reload", reactor);
  if (log == nullptr) return reactor;
  auto task = [this, reactor, response, ticket, log] {
    for (std::string& error : operations_.reload()) response->add_errors(std::move(error));
    response->set_trust_store_version(operations_.trust_store_version());
    log->Finish(0, absl::Now());
    reactor->Finish(grpc::Status::OK);
    ticket->Release();
  };
  if (!reloads_.TrySubmit(std::move(task), 1)) {
    log->Finish(static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED), absl::Now());
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "reloads already running and waiting; retry later"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* context,
                                                  const v1::GetStatusRequest*,
                                                  v1::GetStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<CallLog> log = Admit(context, "GetStatus", reactor);
  if (log == nullptr) return reactor;
  operations_.status(response);
  log->Finish(0, absl::Now());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace sigverify::service
