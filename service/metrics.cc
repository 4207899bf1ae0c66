#include "service/metrics.h"

#include <google/protobuf/descriptor.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "sigverify/v1/verification.grpc.pb.h"

namespace sigverify::service {
namespace {

// A label from an enum value's name: SIGNATURE_ALGORITHM_RSA_PSS_SHA256 with
// prefix SIGNATURE_ALGORITHM_ gives rsa_pss_sha256.
std::string Label(std::string name, std::string_view prefix) {
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

}  // namespace

const std::string& MethodName(Method m) {
  static const google::protobuf::ServiceDescriptor* const service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::VerificationService::service_full_name());
  return service->method(static_cast<int>(m))->name();
}

ServiceMetrics::ServiceMetrics(prometheus::Registry& registry) {
  caller_calls_ = &prometheus::BuildCounter()
                       .Name("sigverify_caller_calls_total")
                       .Help(
                           "Verification calls admitted, by caller (its access grant's name; "
                           "'open' without access control; 'other' past 64 callers)")
                       .Register(registry);
  caller_items_ = &prometheus::BuildCounter()
                       .Name("sigverify_caller_items_total")
                       .Help("Records in the verification calls admitted, by caller")
                       .Register(registry);
  caller_refused_ = &prometheus::BuildCounter()
                         .Name("sigverify_caller_quota_refusals_total")
                         .Help(
                             "Verification calls refused by the caller's quota "
                             "(RESOURCE_EXHAUSTED with RetryInfo), by caller")
                         .Register(registry);
  auto& items = prometheus::BuildCounter()
                    .Name("sigverify_items_total")
                    .Help("Verified records by method, signature algorithm and indication")
                    .Register(registry);
  auto& item_errors = prometheus::BuildCounter()
                          .Name("sigverify_item_errors_total")
                          .Help("Batch items refused as malformed (INVALID_ARGUMENT)")
                          .Register(registry);
  auto& requests = prometheus::BuildCounter()
                       .Name("sigverify_requests_total")
                       .Help("RPCs by method and gRPC status code")
                       .Register(registry);
  auto& latency = prometheus::BuildHistogram()
                      .Name("sigverify_request_duration_seconds")
                      .Help("RPC latency from arrival to answer")
                      .Register(registry);
  auto& in_flight = prometheus::BuildGauge()
                        .Name("sigverify_requests_in_flight")
                        .Help("RPCs admitted and not yet answered")
                        .Register(registry);
  unlogged_ = &prometheus::BuildCounter()
                   .Name("sigverify_audit_unlogged_verdicts_total")
                   .Help(
                       "Verdicts answered although the audit log could not record them "
                       "(--audit-on-failure=answer)")
                   .Register(registry)
                   .Add({});
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  for (int m = 0; m < kMethods; ++m) {
    const std::string& method = MethodName(static_cast<Method>(m));
    for (int a = 0; a < kAlgorithms; ++a) {
      if (!v1::SignatureAlgorithm_IsValid(a)) continue;
      const std::string algorithm =
          Label(v1::SignatureAlgorithm_Name(static_cast<v1::SignatureAlgorithm>(a)),
                "SIGNATURE_ALGORITHM_");
      for (int i = 0; i < kIndications; ++i) {
        if (!v1::Indication_IsValid(i)) continue;
        const std::string indication =
            Label(v1::Indication_Name(static_cast<v1::Indication>(i)), "INDICATION_");
        items_[m][a][i] =
            &items.Add({{"method", method}, {"algorithm", algorithm}, {"indication", indication}});
      }
    }
    item_errors_[m] = &item_errors.Add({{"method", method}});
    for (int c = 0; c < kCodes; ++c) {
      requests_[m][c] =
          &requests.Add({{"method", method},
                         {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(c))}});
    }
    latency_[m] = &latency.Add({{"method", method}}, buckets);
    in_flight_[m] = &in_flight.Add({{"method", method}});
  }
}

void ServiceMetrics::CountItem(Method m, v1::SignatureAlgorithm algorithm,
                               v1::Indication indication) {
  const int a = static_cast<int>(algorithm);
  const int i = static_cast<int>(indication);
  if (a < 0 || a >= kAlgorithms || i < 0 || i >= kIndications) return;
  if (prometheus::Counter* c = items_[static_cast<int>(m)][a][i]) c->Increment();
}

void ServiceMetrics::CountItemError(Method m) { item_errors_[static_cast<int>(m)]->Increment(); }

ServiceMetrics::CallerCounters& ServiceMetrics::CountersOf(const std::string& caller) {
  auto it = callers_.find(caller);
  if (it != callers_.end()) return it->second;
  const std::string label = callers_.size() < kMaxCallerLabels ? caller : "other";
  it = callers_.find(label);
  if (it != callers_.end()) return it->second;
  const prometheus::Labels labels = {{"caller", label}};
  return callers_
      .emplace(label, CallerCounters{&caller_calls_->Add(labels), &caller_items_->Add(labels),
                                     &caller_refused_->Add(labels)})
      .first->second;
}

void ServiceMetrics::CountCaller(const std::string& caller, size_t items) {
  CallerCounters counters;
  {
    absl::MutexLock lock(&callers_mu_);
    counters = CountersOf(caller);
  }
  counters.calls->Increment();
  counters.items->Increment(static_cast<double>(items));
}

void ServiceMetrics::CountQuotaRefusal(const std::string& caller) {
  prometheus::Counter* refused;
  {
    absl::MutexLock lock(&callers_mu_);
    refused = CountersOf(caller).refused;
  }
  refused->Increment();
}

void ServiceMetrics::CountRequest(Method m, grpc::StatusCode code, double seconds) {
  const int c = static_cast<int>(code);
  if (c >= 0 && c < kCodes) requests_[static_cast<int>(m)][c]->Increment();
  latency_[static_cast<int>(m)]->Observe(seconds);
}

RevocationFetchMetrics::RevocationFetchMetrics(prometheus::Registry& registry) {
  auto& latency = prometheus::BuildHistogram()
                      .Name("sigverify_revocation_fetch_duration_seconds")
                      .Help(
                          "Upstream revocation fetches (OCSP requests, CRL downloads) by "
                          "source and outcome (ok, invalid: the answer did not validate, "
                          "error: no answer)")
                      .Register(registry);
  const prometheus::Histogram::BucketBoundaries buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10,  30};
  const char* sources[] = {"ocsp", "crl"};
  const char* outcomes[] = {"ok", "invalid", "error"};
  for (int s = 0; s < 2; ++s) {
    for (int o = 0; o < 3; ++o) {
      latency_[s][o] = &latency.Add({{"source", sources[s]}, {"outcome", outcomes[o]}}, buckets);
    }
  }
}

void RevocationFetchMetrics::Observe(std::string_view source, std::string_view outcome,
                                     double seconds) {
  const int s = source == "ocsp" ? 0 : 1;
  const int o = outcome == "ok" ? 0 : outcome == "invalid" ? 1 : 2;
  latency_[s][o]->Observe(seconds);
}

AuditCommitMetrics::AuditCommitMetrics(prometheus::Registry& registry) {
  records_ = &prometheus::BuildHistogram()
                  .Name("sigverify_audit_commit_records")
                  .Help("Records per audit log commit (group commit)")
                  .Register(registry)
                  .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256,
                                                                   512, 1024, 2048});
  latency_ = &prometheus::BuildHistogram()
                  .Name("sigverify_audit_commit_duration_seconds")
                  .Help("Audit log commit latency (one durable transaction)")
                  .Register(registry)
                  .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005,
                                                                   0.01, 0.02, 0.05, 0.1, 0.25, 1});
}

void AuditCommitMetrics::Observe(size_t records, double seconds) {
  records_->Observe(static_cast<double>(records));
  latency_->Observe(seconds);
}

std::vector<prometheus::MetricFamily> ScrapeTimeGauges::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(stats_.size());
  for (const Stat& s : stats_) {
    if (out.empty() || out.back().name != s.name) {
      prometheus::MetricFamily family;
      family.name = s.name;
      family.help = s.help;
      family.type = s.kind == StatKind::kCounter ? prometheus::MetricType::Counter
                                                 : prometheus::MetricType::Gauge;
      out.push_back(std::move(family));
    }
    prometheus::ClientMetric metric;
    for (const auto& [name, value] : s.labels) metric.label.push_back({name, value});
    if (s.kind == StatKind::kCounter) {
      metric.counter.value = s.read();
    } else {
      metric.gauge.value = s.read();
    }
    out.back().metric.push_back(std::move(metric));
  }
  return out;
}

}  // namespace sigverify::service
