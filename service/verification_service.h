// The gRPC VerificationService: translates RPCs into work for the worker
// pool and answers from there. Callbacks never block a gRPC thread.
#ifndef SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_
#define SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_

#include <atomic>
#include <memory>

#include "service/metrics.h"
#include "service/verifier.h"
#include "service/worker_pool.h"
#include "sigverify/v1/verification.grpc.pb.h"

namespace sigverify::service {

class Finisher;

// Both methods take and give raw bytes so that the service decodes them
// itself (see call_messages.h); the wire contract is the proto's.
using RawCallbackService = v1::VerificationService::WithRawCallbackMethod_Verify<
    v1::VerificationService::WithRawCallbackMethod_VerifyBatch<
        v1::VerificationService::WithRawCallbackMethod_ValidateCertificate<
            v1::VerificationService::Service>>>;

class VerificationService final : public RawCallbackService {
 public:
  VerificationService(std::shared_ptr<const Verifier> verifier, WorkerPool* pool,
                      ServiceMetrics* metrics);

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* VerifyBatch(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* ValidateCertificate(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) override;

  // From now on new calls get UNAVAILABLE; calls already admitted finish.
  void StopAccepting() { accepting_.store(false, std::memory_order_relaxed); }

 private:
  // Counts the call in; answers UNAVAILABLE and returns null when draining.
  std::shared_ptr<Finisher> Start(grpc::ServerUnaryReactor* reactor, Method method);

  // A one-item call: decode, run `work` on the pool, encode, answer.
  template <typename Request, typename Response, typename Work>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request_bytes,
                                  grpc::ByteBuffer* response_bytes, Method method, Work work);

  std::shared_ptr<const Verifier> verifier_;
  WorkerPool* pool_;
  ServiceMetrics* metrics_;
  std::atomic<bool> accepting_{true};
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_
