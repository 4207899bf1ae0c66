// Issuer certificates from a certificate's AIA caIssuers URLs (RFC 5280
// 4.2.2.1), for path building when the issuer is not known locally.
//
// A URL is fetched only if, after URL rewriting, it starts with one of the
// operator's allowed prefixes: a certificate from anyone can name any URL,
// so the operator, not the certificate, decides which hosts the service may
// contact. Answers are cached per URL (found: an hour; failures: a minute),
// bounded in count, and at most `max_concurrent_fetches` run at once (more
// are skipped, not queued). Thread-safe.
#ifndef SIGVERIFY_CACHE_AIA_ISSUER_SOURCE_H_
#define SIGVERIFY_CACHE_AIA_ISSUER_SOURCE_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/http_fetcher.h"
#include "cache/http_url.h"
#include "cache/url_rewriter.h"
#include "crypto/issuer_source.h"
#include "crypto/stats_table.h"

namespace sigverify::cache {

class AiaIssuerSource : public crypto::IssuerSource {
 public:
  struct Options {
    UrlRewriter rewriter;
    std::vector<std::string> allowed_prefixes;  // empty: nothing is fetched
    FetchLimits limits;
    absl::Duration found_ttl = absl::Hours(1);
    absl::Duration failure_ttl = absl::Minutes(1);
    size_t max_cached_urls = 1000;
    int max_concurrent_fetches = 4;
  };

  struct Stats {
    uint64_t fetches = 0;         // HTTP requests made
    uint64_t fetch_failures = 0;  // of which failed or held no certificate
    uint64_t cache_hits = 0;
    uint64_t refused = 0;  // URLs not under an allowed prefix, or not http
    uint64_t skipped_busy = 0;
  };

  // `clock` returns the current time (tests pass their own).
  AiaIssuerSource(Options options, std::function<absl::Time()> clock = absl::Now);

  crypto::IssuerLookup IssuersOf(const crypto::Certificate& cert) const override;
  Stats stats() const;
  // sigverify_aia_*
  StatsTable stats_table() const;

 private:
  struct Entry {
    std::vector<crypto::CertificatePtr> certificates;
    crypto::SourceProblem problem;  // when no certificates
    absl::Time expires;
  };

  crypto::IssuerLookup Fetch(const std::string& url) const;

  Options options_;
  std::vector<HttpUrl> allowed_;  // options_.allowed_prefixes, parsed
  std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  mutable int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::atomic<uint64_t> fetches_{0}, fetch_failures_{0}, cache_hits_{0}, refused_{0},
      skipped_busy_{0};
};

// Certificates in a caIssuers answer: one DER certificate, or a DER/BER
// PKCS#7 certs-only bundle (RFC 5280 4.2.2.1); PEM is accepted too.
absl::StatusOr<std::vector<crypto::CertificatePtr>> ParseIssuerAnswer(const std::string& body);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_AIA_ISSUER_SOURCE_H_
