// Finishes an RPC exactly once: its status, metrics, in-flight gauge, access
// log line, and what it holds until answered (bytes of the in-flight
// budget, its drain ticket, its caller's quota).
#ifndef SIGVERIFY_SERVICE_FINISHER_H_
#define SIGVERIFY_SERVICE_FINISHER_H_

#include <chrono>
#include <functional>

#include "absl/time/clock.h"
#include "grpcpp/support/status.h"
#include "service/access/caller_quotas.h"
#include "service/access_log.h"
#include "service/byte_budget.h"
#include "service/drain.h"
#include "service/metrics.h"

namespace sigverify::service {

class Finisher {
 public:
  Finisher(std::function<void(const grpc::Status&)> finish, ServiceMetrics* metrics, Method method,
           CallLog call_log)
      : finish_(std::move(finish)),
        metrics_(metrics),
        method_(method),
        start_(std::chrono::steady_clock::now()),
        call_log_(std::move(call_log)) {
    metrics_->InFlight(method_).Increment();
  }
  // The call's access log line, written when it finishes.
  CallLog& log() { return call_log_; }
  // Takes `bytes` of `budget` until the call is answered; false (and
  // nothing taken) when the budget has no room.
  bool Reserve(ByteBudget* budget, size_t bytes) {
    if (!budget->TryAcquire(bytes)) return false;
    budget_ = budget;
    reserved_ = bytes;
    return true;
  }
  // Counts the call as admitted until it is answered.
  void Hold(Drain::Ticket ticket) { ticket_ = std::move(ticket); }
  // Counts the call's records against its caller's quota until it is answered.
  void Hold(access::CallerQuotas::Hold quota) { quota_ = std::move(quota); }
  void Finish(const grpc::Status& status) {
    if (budget_ != nullptr) budget_->Release(reserved_);
    budget_ = nullptr;
    quota_.Release();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
    metrics_->CountRequest(method_, status.error_code(), took.count());
    metrics_->InFlight(method_).Decrement();
    call_log_.Finish(status.error_code(), absl::Now());
    // Finishing may end the reactor that owns this Finisher; the ticket
    // is let go only after the answer is handed to gRPC.
    Drain::Ticket ticket = std::move(ticket_);
    finish_(status);
    ticket.Release();
  }

 private:
  std::function<void(const grpc::Status&)> finish_;
  ServiceMetrics* metrics_;
  Method method_;
  std::chrono::steady_clock::time_point start_;
  ByteBudget* budget_ = nullptr;
  size_t reserved_ = 0;
  Drain::Ticket ticket_;
  access::CallerQuotas::Hold quota_;
  CallLog call_log_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_FINISHER_H_
