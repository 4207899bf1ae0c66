// The gRPC VerificationService: translates RPCs into work for the worker
// pool and answers from there. Callbacks never block a gRPC thread.
#ifndef SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_
#define SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_

#include <atomic>
#include <memory>

#include "service/arena_allocator.h"
#include "service/metrics.h"
#include "service/verifier.h"
#include "service/worker_pool.h"
#include "sigverify/v1/verification.grpc.pb.h"

namespace sigverify::service {

class Finisher;

class VerificationService final : public v1::VerificationService::CallbackService {
 public:
  VerificationService(std::shared_ptr<const Verifier> verifier, WorkerPool* pool,
                      ServiceMetrics* metrics);

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerifyResponse* response) override;
  grpc::ServerUnaryReactor* VerifyBatch(grpc::CallbackServerContext* context,
                                        const v1::VerifyBatchRequest* request,
                                        v1::VerifyBatchResponse* response) override;

  // From now on new calls get UNAVAILABLE; calls already admitted finish.
  void StopAccepting() { accepting_.store(false, std::memory_order_relaxed); }

 private:
  // Counts the call in; answers UNAVAILABLE and returns null when draining.
  std::shared_ptr<Finisher> Start(grpc::ServerUnaryReactor* reactor, Method method);

  std::shared_ptr<const Verifier> verifier_;
  WorkerPool* pool_;
  ServiceMetrics* metrics_;
  std::atomic<bool> accepting_{true};
  ArenaMessageAllocator<v1::VerifyRequest, v1::VerifyResponse> verify_allocator_;
  ArenaMessageAllocator<v1::VerifyBatchRequest, v1::VerifyBatchResponse> batch_allocator_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_
