// Prometheus metrics of the verification service, named
// sigverify_<what>_<unit>. Per-item counters are resolved to pointers once at
// start, so counting an item is an atomic add, not a label lookup.
#ifndef SIGVERIFY_SERVICE_METRICS_H_
#define SIGVERIFY_SERVICE_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "crypto/stats_table.h"
#include "grpcpp/support/status.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// VerificationService's methods, numbered as the proto declares them.
// In the order of the proto's methods.
enum class Method {
  kVerify = 0,
  kVerifyBatch = 1,
  kValidateCertificate = 2,
  kVerifyDocument = 3,
  kVerifyDocumentStream = 4,
  kVerifyStream = 5,
};
inline constexpr int kMethods = 6;

// The method's name in the proto ("VerifyBatch").
const std::string& MethodName(Method m);

class ServiceMetrics {
 public:
  explicit ServiceMetrics(prometheus::Registry& registry);

  void CountItem(Method m, v1::SignatureAlgorithm algorithm, v1::Indication indication);
  void CountItemError(Method m);
  void CountRequest(Method m, grpc::StatusCode code, double seconds);
  prometheus::Gauge& InFlight(Method m) { return *in_flight_[static_cast<int>(m)]; }
  // A verdict answered although the audit log could not record it
  // (--audit-on-failure=answer).
  void CountUnlogged() { unlogged_->Increment(); }
  // A call admitted for `caller` (its grant's name, "open" without access
  // control) carrying `items` records: sigverify_caller_calls_total and
  // sigverify_caller_items_total by caller. The first kMaxCallerLabels
  // callers seen have a label of their own, the rest share "other".
  void CountCaller(const std::string& caller, size_t items);
  // A call refused by its caller's quota (sigverify_caller_quota_refusals_total).
  void CountQuotaRefusal(const std::string& caller);
  static constexpr size_t kMaxCallerLabels = 64;

 private:
  struct CallerCounters {
    prometheus::Counter* calls;
    prometheus::Counter* items;
    prometheus::Counter* refused;
  };
  CallerCounters& CountersOf(const std::string& caller) ABSL_EXCLUSIVE_LOCKS_REQUIRED(callers_mu_);
  static constexpr int kAlgorithms = v1::SignatureAlgorithm_ARRAYSIZE;
  static constexpr int kIndications = v1::Indication_ARRAYSIZE;
  static constexpr int kCodes = 17;  // grpc::StatusCode values 0..16

  std::array<std::array<std::array<prometheus::Counter*, kIndications>, kAlgorithms>, kMethods>
      items_{};
  std::array<prometheus::Counter*, kMethods> item_errors_{};
  std::array<std::array<prometheus::Counter*, kCodes>, kMethods> requests_{};
  std::array<prometheus::Histogram*, kMethods> latency_{};
  std::array<prometheus::Gauge*, kMethods> in_flight_{};
  prometheus::Counter* unlogged_ = nullptr;
  prometheus::Family<prometheus::Counter>* caller_calls_ = nullptr;
  prometheus::Family<prometheus::Counter>* caller_items_ = nullptr;
  prometheus::Family<prometheus::Counter>* caller_refused_ = nullptr;
  absl::Mutex callers_mu_;
  absl::flat_hash_map<std::string, CallerCounters> callers_ ABSL_GUARDED_BY(callers_mu_);
};

// Upstream revocation fetches (OCSP requests, CRL downloads): a latency
// histogram by source and outcome; its _count is the request count by
// source and outcome.
class RevocationFetchMetrics {
 public:
  explicit RevocationFetchMetrics(prometheus::Registry& registry);
  // `source` "ocsp" or "crl"; `outcome` "ok", "invalid" or "error".
  void Observe(std::string_view source, std::string_view outcome, double seconds);

 private:
  std::array<std::array<prometheus::Histogram*, 3>, 2> latency_{};
};

// Audit commits: the records per commit and the commit latency
// (sigverify_audit_commit_records, sigverify_audit_commit_duration_seconds);
// the audit log calls Observe after each commit.
class AuditCommitMetrics {
 public:
  explicit AuditCommitMetrics(prometheus::Registry& registry);
  void Observe(size_t records, double seconds);

 private:
  prometheus::Histogram* records_;
  prometheus::Histogram* latency_;
};

// Components' stats tables (crypto/stats_table.h) as Prometheus families,
// read only when Prometheus scrapes: nothing on the hot path keeps them up to
// date.
class ScrapeTimeGauges : public prometheus::Collectable {
 public:
  explicit ScrapeTimeGauges(StatsTable stats) : stats_(std::move(stats)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  StatsTable stats_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_METRICS_H_
