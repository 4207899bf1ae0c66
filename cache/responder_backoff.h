// Per-URL exponential backoff for revocation sources: after a responder or
// CRL server cannot be reached it is not asked again for 1 s, then 2 s,
// 4 s, ... up to a maximum, so one dead server does not cost every
// certificate that names it a full timeout. A success clears it.
#ifndef SIGVERIFY_CACHE_RESPONDER_BACKOFF_H_
#define SIGVERIFY_CACHE_RESPONDER_BACKOFF_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sigverify::cache {

class ResponderBackoff {
 public:
  explicit ResponderBackoff(absl::Duration max_backoff) : max_backoff_(max_backoff) {}

  // OK when `url` may be asked at `now`; otherwise BACKING_OFF (the URL,
  // the failures so far, when it may be asked again; cache/source_error.h).
  absl::Status MayAsk(const std::string& url, absl::Time now) const;
  void RecordOutcome(const std::string& url, bool ok, absl::Time now);

 private:
  struct State {
    int failures = 0;
    absl::Time retry_at;
  };
  const absl::Duration max_backoff_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, State> state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_RESPONDER_BACKOFF_H_
