// The gRPC AdminService (proto/sigverify/v1/admin.proto): reload and status
// for operators, ROLE_ADMIN under access control. What it reloads and
// reports is the composition root's (server.cc), handed in as functions; a
// reload runs on a thread of its own, never on a gRPC thread.
#ifndef SIGVERIFY_SERVICE_ADMIN_SERVICE_H_
#define SIGVERIFY_SERVICE_ADMIN_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "service/access/access_control.h"
#include "service/access_log.h"
#include "service/drain.h"
#include "service/worker_pool.h"
#include "sigverify/v1/admin.grpc.pb.h"

namespace sigverify::service {

class AdminService final : public v1::AdminService::CallbackService {
 public:
  struct Operations {
    // Reloads every source; one line per source that failed.
    std::function<std::vector<std::string>()> reload;
    std::function<void(v1::GetStatusResponse*)> status;
    std::function<std::string()> trust_store_version;
  };

  AdminService(Operations operations, Drain* drain, const access::AccessControl* access = nullptr,
               AccessLog* access_log = nullptr);

  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::GetStatusResponse* response) override;

 private:
  // The call's access log line if the caller has ROLE_ADMIN; otherwise
  // finishes `reactor` and returns null.
  std::shared_ptr<CallLog> Admit(grpc::CallbackServerContext* context, const char* method,
                                 grpc::ServerUnaryReactor* reactor);

  Operations operations_;
  Drain* drain_;
  const access::AccessControl* access_;
  AccessLog* access_log_;
  WorkerPool reloads_{1, 2};  // one reload at a time, two more may wait
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_ADMIN_SERVICE_H_
