#include "cache/aia_issuer_source.h"

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "absl/strings/match.h"
#include "cache/http_url.h"
#include "cache/source_error.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::cache {
namespace {

using Pkcs7Ptr = crypto::OpenSslPtr<PKCS7, PKCS7_free>;
}  // namespace

absl::StatusOr<std::vector<crypto::CertificatePtr>> ParseIssuerAnswer(const std::string& body) {
  if (auto one = crypto::Certificate::Parse(body); one.ok()) {
    return std::vector<crypto::CertificatePtr>{*one};
  }
  if (absl::StrContains(body, "-----BEGIN CERTIFICATE-----")) {
    return crypto::Certificate::ParseAll(body);
  }
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(body.size())));
  if (!p7 || OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == nullptr) {
    ERR_clear_error();
    return SourceError(crypto::FailureReason::kNotACertificate);
  }
  std::vector<crypto::CertificatePtr> out;
  STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    const std::string der = crypto::EncodeDer(
        [&](unsigned char** der_out) { return i2d_X509(sk_X509_value(certs, i), der_out); });
    if (der.empty()) continue;
    auto c = crypto::Certificate::Parse(der);
    if (c.ok()) out.push_back(*c);
  }
  if (out.empty()) return SourceError(crypto::FailureReason::kNotACertificate, "PKCS#7");
  return out;
}

AiaIssuerSource::AiaIssuerSource(Options options, std::function<absl::Time()> clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
  for (const std::string& prefix : options_.allowed_prefixes) {
    // The configuration check refuses a prefix that does not parse.
    if (auto url = ParseHttpUrl(prefix); url.ok()) allowed_.push_back(*std::move(url));
  }
}

crypto::IssuerLookup AiaIssuerSource::IssuersOf(const crypto::Certificate& cert) const {
  crypto::IssuerLookup result;
  for (const std::string& original : cert.urls().ca_issuers) {
    const std::string url = options_.rewriter.Rewrite(original);
    // Parsed as the fetcher will use it: host, port and path segments, never
    // a string prefix (http://allowed:1@elsewhere:2/ is host "elsewhere").
    auto parsed = ParseHttpUrl(url);
    const bool allowed = parsed.ok() && parsed->scheme == "http" &&
                         std::any_of(allowed_.begin(), allowed_.end(), [&](const HttpUrl& prefix) {
                           return IsUnder(*parsed, prefix);
                         });
    if (!allowed) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      result.problems = {{crypto::FailureReason::kUrlNotAllowed, "caIssuers", url}};
      continue;
    }
    crypto::IssuerLookup fetched = Fetch(url);
    if (!fetched.certificates.empty()) return fetched;
    result.problems = std::move(fetched.problems);
  }
  return result;
}

crypto::IssuerLookup AiaIssuerSource::Fetch(const std::string& url) const {
  const absl::Time now = clock_();
  {
    absl::MutexLock lock(&mu_);
    if (auto it = cache_.find(url); it != cache_.end() && now < it->second.expires) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      if (it->second.certificates.empty()) return {{}, {it->second.problem}};
      return {it->second.certificates, {}};
    }
    if (in_flight_ >= options_.max_concurrent_fetches) {
      skipped_busy_.fetch_add(1, std::memory_order_relaxed);
      crypto::SourceProblem busy{crypto::FailureReason::kTooManyFetches, "caIssuers", url};
      busy.limit = options_.max_concurrent_fetches;
      return {{}, {busy}};
    }
    ++in_flight_;
  }
  fetches_.fetch_add(1, std::memory_order_relaxed);
  Entry entry;
  auto body = HttpGet(url, options_.limits);
  absl::Status failed;
  if (!body.ok()) {
    failed = body.status();
  } else if (auto certs = ParseIssuerAnswer(*body); !certs.ok()) {
    failed = certs.status();
  } else {
    entry.certificates = *std::move(certs);
  }
  if (!failed.ok()) {
    entry.problem = ProblemOf(failed);
    entry.problem.source = "caIssuers";
    entry.problem.location = url;
  }
  if (entry.certificates.empty()) fetch_failures_.fetch_add(1, std::memory_order_relaxed);
  entry.expires = now + (entry.certificates.empty() ? options_.failure_ttl : options_.found_ttl);
  crypto::IssuerLookup out{entry.certificates, {}};
  if (!failed.ok()) out.problems = {entry.problem};
  absl::MutexLock lock(&mu_);
  --in_flight_;
  if (cache_.size() >= options_.max_cached_urls) cache_.clear();  // crude, bounded
  cache_[url] = std::move(entry);
  return out;
}

AiaIssuerSource::Stats AiaIssuerSource::stats() const {
  return {fetches_.load(), fetch_failures_.load(), cache_hits_.load(), refused_.load(),
          skipped_busy_.load()};
}

StatsTable AiaIssuerSource::stats_table() const {
  return {
      {"sigverify_aia_fetches_total", "HTTP requests for AIA caIssuers certificates",
       StatKind::kCounter, [this] { return double(stats().fetches); }},
      {"sigverify_aia_fetch_failures_total",
       "AIA caIssuers requests that failed or returned no certificate", StatKind::kCounter,
       [this] { return double(stats().fetch_failures); }},
      {"sigverify_aia_cache_hits_total", "AIA caIssuers answers served from the cache",
       StatKind::kCounter, [this] { return double(stats().cache_hits); }},
      {"sigverify_aia_refused_total",
       "AIA caIssuers URLs not fetched: outside --aia-fetch prefixes, or too many at once",
       StatKind::kCounter,
       [this] {
         const Stats s = stats();
         return double(s.refused + s.skipped_busy);
       }},
  };
}

}  // namespace sigverify::cache
