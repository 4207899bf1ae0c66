#include "cache/responder_backoff.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "crypto/certificate.h"

namespace sigverify::cache {

bool ResponderBackoff::BackingOff(const std::string& url, absl::Time now, std::string* why) const {
  absl::MutexLock lock(&mu_);
  auto it = state_.find(url);
  if (it == state_.end() || now >= it->second.retry_at) return false;
  *why = absl::StrCat(url, " failed ", it->second.failures, " time(s); not asked again before ",
                      crypto::FormatUtc(it->second.retry_at));
  return true;
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
