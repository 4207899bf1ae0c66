#include "service/drain.h"

#include <algorithm>

namespace sigverify::service {

Drain::Ticket& Drain::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    drain_ = other.drain_;
    other.drain_ = nullptr;
  }
  return *this;
}

void Drain::Ticket::Release() {
  if (drain_ == nullptr) return;
  drain_->Answered();
  drain_ = nullptr;
}

Drain::Ticket Drain::Admit() {
  absl::MutexLock lock(&mu_);
  if (stopped_) return Ticket();
  ++in_flight_;
  return Ticket(this);
}

void Drain::Answered() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  last_answer_ = absl::Now();
}

void Drain::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

int64_t Drain::Wait(absl::Time deadline) {
  absl::Time delivered;
  {
    absl::MutexLock lock(&mu_);
    auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&answered), deadline)) return in_flight_;
    delivered = std::min(last_answer_ + delivery_, deadline);
  }
  absl::SleepFor(delivered - absl::Now());
  return in_flight();
}

int64_t Drain::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

}  // namespace sigverify::service
