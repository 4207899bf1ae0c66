// Per-caller quotas: a token bucket of records per second and a bound on
// records in flight, per access grant (the callers of one grant share them).
// Time is passed in; nothing here sleeps. A refusal says how long to wait,
// which the service sends as google.rpc.RetryInfo.
#ifndef SIGVERIFY_SERVICE_ACCESS_CALLER_QUOTAS_H_
#define SIGVERIFY_SERVICE_ACCESS_CALLER_QUOTAS_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sigverify/config/v1/access_config.pb.h"

namespace sigverify::service::access {

struct QuotaLimits {
  double items_per_second = 0;      // 0: no rate limit
  double burst_items = 0;           // the bucket's size (a second's worth when 0)
  uint64_t max_inflight_items = 0;  // 0: no bound

  bool limited() const { return items_per_second > 0 || max_inflight_items > 0; }
};

QuotaLimits QuotaOf(const config::v1::Quota& quota);

class CallerQuotas {
 public:
  // Records admitted for a caller, in flight until the Hold is destroyed.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept { *this = std::move(other); }
    Hold& operator=(Hold&& other) noexcept;
    ~Hold() { Release(); }
    void Release();

   private:
    friend class CallerQuotas;
    CallerQuotas* quotas_ = nullptr;
    std::string caller_;
    uint64_t items_ = 0;
  };

  // Admits `items` records for `caller` under `limits` at `now`, or returns
  // RESOURCE_EXHAUSTED naming the limit and sets `*retry_after`. The bucket
  // takes a call only whole; a call larger than the bucket passes when the
  // bucket is full (and empties it below zero), and one larger than the
  // in-flight bound when nothing else of the caller is in flight, so that
  // no call is refused forever.
  absl::Status Admit(const std::string& caller, const QuotaLimits& limits, uint64_t items,
                     absl::Time now, Hold* hold, absl::Duration* retry_after);

  uint64_t inflight(const std::string& caller) const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
    uint64_t inflight = 0;
  };
  void Release(const std::string& caller, uint64_t items);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigverify::service::access

#endif  // SIGVERIFY_SERVICE_ACCESS_CALLER_QUOTAS_H_
