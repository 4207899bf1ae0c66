#include "cache/responder_backoff.h"

#include <algorithm>

#include "cache/source_error.h"

namespace sigverify::cache {

absl::Status ResponderBackoff::MayAsk(const std::string& url, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = state_.find(url);
  if (it == state_.end() || now >= it->second.retry_at) return absl::OkStatus();
  crypto::SourceProblem p;
  p.reason = crypto::FailureReason::kBackingOff;
  p.location = url;
  p.time = it->second.retry_at;
  p.actual = it->second.failures;
  return SourceError(p);
}

void ResponderBackoff::RecordOutcome(const std::string& url, bool ok, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (ok) {
    state_.erase(url);
    return;
  }
  State& s = state_[url];
  s.failures = std::min(s.failures + 1, 30);
  s.retry_at = now + std::min(absl::Seconds(1) * (int64_t{1} << (s.failures - 1)), max_backoff_);
}

}  // namespace sigverify::cache
