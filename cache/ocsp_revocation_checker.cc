#include "cache/ocsp_revocation_checker.h"

#include <openssl/x509.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "cache/certificate_urls.h"
#include "cache/ocsp.h"
#include "cache/ocsp_fetch.h"

namespace sigverify::cache {
namespace {

using State = crypto::RevocationEvidence::State;

// The issuer certificate's fingerprint (computed once at parse) and the
// serial: one SHA-256 block, no key encoding on the hot path.
std::string CacheKey(const crypto::Certificate& cert, const crypto::Certificate& issuer) {
  std::string material(reinterpret_cast<const char*>(issuer.fingerprint().data()),
                       issuer.fingerprint().size());
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.x509());
  material.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                  static_cast<size_t>(ASN1_STRING_length(serial)));
  const crypto::Sha256Digest d = crypto::Sha256(material);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

crypto::Sha256Digest AsDigest(const std::string& key) {
  crypto::Sha256Digest d;
  std::copy(key.begin(), key.end(), d.begin());
  return d;
}

crypto::RevocationEvidence Evidence(const RevocationEntry& e, bool from_cache) {
  crypto::RevocationEvidence out;
  out.source = e.source;
  out.from_cache = from_cache;
  out.this_update = e.this_update;
  out.next_update = e.next_update;
  out.responder = e.responder;
  switch (e.status) {
    case RevocationEntry::Status::kGood:
      out.state = State::kGood;
      break;
    case RevocationEntry::Status::kRevoked:
      out.state = State::kRevoked;
      out.revocation_time = e.revocation_time;
      out.revocation_reason = e.revocation_reason;
      break;
    case RevocationEntry::Status::kUnknown:
      out.state = State::kUnknown;
      out.detail = {"máy chủ OCSP không biết chứng thư số này",
                    "the OCSP responder does not know this certificate"};
      break;
    case RevocationEntry::Status::kFetchFailed:
      out.state = State::kUnavailable;
      out.detail = {absl::StrCat("không lấy được trạng thái OCSP: ", e.error),
                    absl::StrCat("no OCSP status could be had: ", e.error)};
      break;
  }
  return out;
}

absl::Time RefreshAfter(absl::Time this_update, absl::Time next_update);

// A cache entry from a validated OCSP status.
std::shared_ptr<RevocationEntry> Entry(const OcspStatus& status, const char* source,
                                       std::string der) {
  auto entry = std::make_shared<RevocationEntry>();
  entry->status = status.status == CertStatus::kGood      ? RevocationEntry::Status::kGood
                  : status.status == CertStatus::kRevoked ? RevocationEntry::Status::kRevoked
                                                          : RevocationEntry::Status::kUnknown;
  entry->source = source;
  entry->this_update = status.this_update;
  entry->next_update = status.next_update;
  entry->refresh_after = RefreshAfter(status.this_update, status.next_update);
  entry->revocation_time = status.revocation_time;
  entry->revocation_reason = status.revocation_reason;
  entry->responder = status.responder;
  entry->der = std::move(der);
  return entry;
}

// Around the middle of the validity window, jittered by +-10% of it, so that
// many entries fetched together do not all refresh together.
absl::Time RefreshAfter(absl::Time this_update, absl::Time next_update) {
  const absl::Duration window = next_update - this_update;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(-0.1, 0.1);
  return this_update + window / 2 + window * jitter(rng);
}

}  // namespace

OcspRevocationChecker::OcspRevocationChecker(Options options)
    : options_(std::move(options)), refresher_([this] { RefreshLoop(); }) {}

OcspRevocationChecker::~OcspRevocationChecker() {
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  refresher_.join();
}

crypto::RevocationEvidence OcspRevocationChecker::Check(
    const crypto::CertificatePtr& cert, const crypto::CertificatePtr& issuer,
    absl::Span<const std::string_view> stapled) const {
  const Key key = CacheKey(*cert, *issuer);
  // A stapled response valid for this certificate is used and cached; a
  // cached "revoked" still wins over it (revoked is sticky).
  if (RevocationEntryPtr from_request = FromStapled(*cert, *issuer, stapled)) {
    stapled_used_.fetch_add(1, std::memory_order_relaxed);
    if (!cache_.Put(AsDigest(key), from_request)) {
      return Evidence(*cache_.Find(AsDigest(key)), /*from_cache=*/true);
    }
    return Evidence(*from_request, /*from_cache=*/false);
  }
  // The cache first: a hit decodes nothing.
  const absl::Time now = options_.clock();
  if (RevocationEntryPtr e = Usable(key, now)) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    if (e->status == RevocationEntry::Status::kGood && now >= e->refresh_after) {
      ScheduleRefresh({key, cert, issuer});
    }
    return Evidence(*e, /*from_cache=*/true);
  }
  if (OcspUrls(*cert).empty()) {
    crypto::RevocationEvidence out;
    if (CrlUrls(*cert).empty()) {
      out.state = State::kNoSource;
    } else {
      out.state = State::kUnavailable;
      out.source = "crl";
      out.detail = {"chứng thư số chỉ nêu CRL, mà việc kiểm tra CRL chưa được xây dựng",
                    "the certificate names only CRLs, and CRL checking is not built yet"};
    }
    return out;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto result = flight_.Do(key, [&] {
    // A call that finished between the lookup above and joining the flight
    // has stored its answer: use it rather than ask again.
    if (RevocationEntryPtr e = Usable(key, options_.clock())) return e;
    return FetchAndStore(*cert, *issuer, key);
  });
  const RevocationEntry& got = *result.value;
  // A joined call may have validated its answer at an earlier moment: it is
  // still never used past nextUpdate + skew.
  if ((got.status == RevocationEntry::Status::kGood ||
       got.status == RevocationEntry::Status::kUnknown) &&
      now > got.next_update + options_.skew) {
    RevocationEntry stale = got;
    stale.status = RevocationEntry::Status::kFetchFailed;
    stale.error = absl::StrCat("the status had is stale: nextUpdate ",
                               crypto::FormatUtc(got.next_update), " has passed");
    return Evidence(stale, /*from_cache=*/false);
  }
  return Evidence(got, /*from_cache=*/false);
}

RevocationEntryPtr OcspRevocationChecker::Usable(const Key& key, absl::Time now) const {
  RevocationEntryPtr e = cache_.Find(AsDigest(key));
  if (e == nullptr) return nullptr;
  switch (e->status) {
    case RevocationEntry::Status::kRevoked:
      return e;  // for good
    case RevocationEntry::Status::kFetchFailed:
      return now < e->refresh_after ? e : nullptr;  // negative caching
    default:
      return now <= e->next_update + options_.skew ? e : nullptr;
  }
}

OcspCheck OcspRevocationChecker::CheckNow() const {
  OcspCheck check;
  check.now = options_.clock();
  check.skew = options_.skew;
  check.max_age_without_next_update = options_.max_age_without_next_update;
  return check;
}

RevocationEntryPtr OcspRevocationChecker::FromStapled(
    const crypto::Certificate& cert, const crypto::Certificate& issuer,
    absl::Span<const std::string_view> stapled) const {
  for (std::string_view der : stapled) {
    const OcspCheck check = CheckNow();
    // A response for another certificate of the path, or one that does not
    // validate, is simply not this certificate's evidence.
    auto status = ValidateOcspResponse(der, cert, issuer, check);
    if (!status.ok()) continue;
    return Entry(*status, "stapled", std::string(der));
  }
  return nullptr;
}

RevocationEntryPtr OcspRevocationChecker::FetchAndStore(const crypto::Certificate& cert,
                                                        const crypto::Certificate& issuer,
                                                        const Key& key) const {
  auto entry = std::make_shared<RevocationEntry>();
  entry->source = "ocsp";
  entry->status = RevocationEntry::Status::kFetchFailed;
  auto request = BuildOcspRequest(cert, issuer);
  for (const std::string& original : OcspUrls(cert)) {
    const std::string url = options_.rewriter.Rewrite(original);
    if (!request.ok()) {
      entry->error = std::string(request.status().message());
      break;
    }
    if (std::string why; BackingOff(url, options_.clock(), &why)) {
      entry->error = std::move(why);
      continue;
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    auto der = FetchOcsp(url, *request, options_.limits);
    RecordOutcome(url, der.ok(), options_.clock());
    if (!der.ok()) {
      entry->error = std::string(der.status().message());
      continue;
    }
    const OcspCheck check = CheckNow();
    auto status = ValidateOcspResponse(*der, cert, issuer, check);
    if (!status.ok()) {
      entry->error = absl::StrCat(url, ": ", status.status().message());
      continue;
    }
    entry = Entry(*status, "ocsp", *std::move(der));
    break;
  }
  if (entry->status == RevocationEntry::Status::kFetchFailed) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    entry->refresh_after = options_.clock() + options_.failure_ttl;
  }
  // A revoked entry already cached stays (Put refuses to replace it); the
  // caller then sees what the cache holds.
  if (!cache_.Put(AsDigest(key), entry)) return cache_.Find(AsDigest(key));
  return entry;
}

bool OcspRevocationChecker::BackingOff(const std::string& url, absl::Time now,
                                       std::string* why) const {
  absl::MutexLock lock(&backoff_mu_);
  auto it = backoff_.find(url);
  if (it == backoff_.end() || now >= it->second.retry_at) return false;
  *why = absl::StrCat(url, " failed ", it->second.failures, " time(s); not asked again before ",
                      crypto::FormatUtc(it->second.retry_at));
  return true;
}

void OcspRevocationChecker::RecordOutcome(const std::string& url, bool ok, absl::Time now) const {
  absl::MutexLock lock(&backoff_mu_);
  if (ok) {
    backoff_.erase(url);
    return;
  }
  Backoff& b = backoff_[url];
  b.failures = std::min(b.failures + 1, 30);
  b.retry_at =
      now + std::min(absl::Seconds(1) * (int64_t{1} << (b.failures - 1)), options_.max_backoff);
}

void OcspRevocationChecker::ScheduleRefresh(Refresh refresh) const {
  absl::MutexLock lock(&queue_mu_);
  if (queue_.size() >= options_.max_refresh_queue || !queued_.insert(refresh.key).second) return;
  queue_.push_back(std::move(refresh));
}

void OcspRevocationChecker::RefreshLoop() {
  for (;;) {
    Refresh next;
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](OcspRevocationChecker* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (stopping_) return;
      next = std::move(queue_.back());
      queue_.pop_back();
      queued_.erase(next.key);
    }
    // Through single-flight, so a verification missing at the same moment
    // joins this fetch rather than making its own.
    flight_.Do(next.key, [&] { return FetchAndStore(*next.cert, *next.issuer, next.key); });
    refreshes_.fetch_add(1, std::memory_order_relaxed);
  }
}

OcspRevocationChecker::Stats OcspRevocationChecker::stats() const {
  Stats s;
  s.cache_hits = hits_.load();
  s.cache_misses = misses_.load();
  s.upstream_requests = requests_.load();
  s.upstream_failures = failures_.load();
  s.single_flight_joins = flight_.joins();
  s.refreshes = refreshes_.load();
  s.stapled_used = stapled_used_.load();
  s.entries = cache_.Size();
  return s;
}

}  // namespace sigverify::cache
