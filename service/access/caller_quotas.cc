#include "service/access/caller_quotas.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sigverify::service::access {
namespace {

// How long a caller at its in-flight bound is asked to wait: about one
// verification round.
constexpr absl::Duration kInflightRetry = absl::Milliseconds(50);

}  // namespace

QuotaLimits QuotaOf(const config::v1::Quota& quota) {
  QuotaLimits limits;
  limits.items_per_second = std::max(0.0, quota.items_per_second());
  limits.burst_items =
      quota.burst_items() > 0 ? quota.burst_items() : std::max(1.0, limits.items_per_second);
  limits.max_inflight_items = quota.max_inflight_items();
  return limits;
}

CallerQuotas::Hold& CallerQuotas::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    quotas_ = std::exchange(other.quotas_, nullptr);
    caller_ = std::move(other.caller_);
    items_ = std::exchange(other.items_, 0);
  }
  return *this;
}

void CallerQuotas::Hold::Release() {
  if (quotas_ != nullptr) quotas_->Release(caller_, items_);
  quotas_ = nullptr;
}

absl::Status CallerQuotas::Admit(const std::string& caller, const QuotaLimits& limits,
                                 uint64_t items, absl::Time now, Hold* hold,
                                 absl::Duration* retry_after) {
  if (!limits.limited()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  Bucket& b = buckets_[caller];
  if (limits.max_inflight_items > 0 && b.inflight > 0 &&
      b.inflight + items > limits.max_inflight_items) {
    *retry_after = kInflightRetry;
    return absl::ResourceExhaustedError(
        absl::StrCat("quota of '", caller, "': ", b.inflight, " records in flight, at most ",
                     limits.max_inflight_items, " at once (max_inflight_items); retry after ",
                     absl::FormatDuration(*retry_after)));
  }
  if (limits.items_per_second > 0) {
    const double capacity = limits.burst_items;
    if (b.refilled == absl::InfinitePast()) {
      b.tokens = capacity;
    } else if (now > b.refilled) {
      b.tokens = std::min(
          capacity, b.tokens + limits.items_per_second * absl::ToDoubleSeconds(now - b.refilled));
    }
    b.refilled = std::max(b.refilled, now);
    const double wanted = static_cast<double>(items);
    if (wanted > b.tokens && b.tokens < capacity) {
      const double missing = std::min(wanted, capacity) - b.tokens;
      *retry_after = absl::Milliseconds(std::ceil(1000.0 * missing / limits.items_per_second));
      return absl::ResourceExhaustedError(absl::StrCat(
          "quota of '", caller, "': ", limits.items_per_second, " records per second (burst ",
          capacity, "), ", items, " asked; retry after ", absl::FormatDuration(*retry_after)));
    }
    b.tokens -= wanted;
  }
  b.inflight += items;
  hold->Release();
  hold->quotas_ = this;
  hold->caller_ = caller;
  hold->items_ = items;
  return absl::OkStatus();
}

void CallerQuotas::Release(const std::string& caller, uint64_t items) {
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(caller);
  if (it != buckets_.end()) it->second.inflight -= std::min(items, it->second.inflight);
}

uint64_t CallerQuotas::inflight(const std::string& caller) const {
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(caller);
  return it == buckets_.end() ? 0 : it->second.inflight;
}

}  // namespace sigverify::service::access
