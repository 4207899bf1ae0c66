#include "cache/ocsp_revocation_checker.h"

#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "cache/ocsp.h"
#include "cache/ocsp_fetch.h"
#include "cache/source_error.h"

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

// `holder` keeps the entry's DER alive for as long as the evidence names it.
crypto::RevocationEvidence Evidence(const RevocationEntry& e, bool from_cache,
                                    const RevocationEntryPtr& holder = nullptr) {
  crypto::RevocationEvidence out;
  if (holder != nullptr && !holder->der.empty() &&
      holder->status != RevocationEntry::Status::kFetchFailed) {
    out.responses.push_back(
        {std::shared_ptr<const std::string>(holder, &holder->der), holder->der_sha256});
  }
  out.source = e.source;
  out.from_cache = from_cache;
  out.this_update = e.this_update;
  out.next_update = e.next_update;
  out.responder = e.responder;
  out.location = e.location;
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
      out.problems.push_back({crypto::FailureReason::kResponderDoesNotKnow, e.source, e.location});
      break;
    case RevocationEntry::Status::kFetchFailed:
      out.state = State::kUnavailable;
      out.problems.push_back(e.problem);
      break;
  }
  return out;
}

// A cache entry from a validated OCSP status.
std::shared_ptr<RevocationEntry> Entry(const OcspStatus& status, const char* source,
                                       std::string der, absl::Time refresh_after) {
  auto entry = std::make_shared<RevocationEntry>();
  entry->status = status.status == CertStatus::kGood      ? RevocationEntry::Status::kGood
                  : status.status == CertStatus::kRevoked ? RevocationEntry::Status::kRevoked
                                                          : RevocationEntry::Status::kUnknown;
  entry->source = source;
  entry->this_update = status.this_update;
  entry->next_update = status.next_update;
  entry->refresh_after = refresh_after;
  entry->revocation_time = status.revocation_time;
  entry->revocation_reason = status.revocation_reason;
  entry->responder = status.responder;
  entry->der_sha256 = crypto::ToHex(crypto::Sha256(der));
  entry->der = std::move(der);
  return entry;
}

}  // namespace

OcspRevocationChecker::OcspRevocationChecker(Options options)
    : options_(std::move(options)),
      backoff_(options_.max_backoff),
      refresher_(options_.max_refresh_queue) {}

OcspRevocationChecker::~OcspRevocationChecker() = default;

crypto::RevocationEvidence OcspRevocationChecker::Check(
    const crypto::CertificatePtr& cert, const crypto::CertificatePtr& issuer,
    const crypto::RevocationInputs& inputs) const {
  const Key key = CacheKey(*cert, *issuer);
  // A stapled response valid for this certificate is used and cached; a
  // cached "revoked" still wins over it (revoked is sticky).
  if (RevocationEntryPtr from_request = FromStapled(*cert, *issuer, inputs)) {
    counters_.Count(counters_.stapled_used);
    RevocationEntryPtr held = Store(key, from_request, *cert, *issuer);
    return Evidence(*held, /*from_cache=*/held != from_request, held);
  }
  if (inputs.at_hand_only) return crypto::RevocationEvidence{};  // kNoSource
  // The cache first: a hit decodes nothing.
  const absl::Time now = options_.clock();
  if (RevocationEntryPtr e = Usable(key, now)) {
    counters_.Count(counters_.hits);
    if (e->status == RevocationEntry::Status::kGood && now >= e->refresh_after) {
      counters_.Count(counters_.stale_served);
      refresher_.Schedule(key, [this, key, cert, issuer] {
        // Through single-flight, so a verification missing at the same
        // moment joins this fetch rather than making its own.
        flight_.Do(key, [&] { return FetchAndStore(*cert, *issuer, key, {}); });
      });
    }
    return Evidence(*e, /*from_cache=*/true, e);
  }
  if (cert->urls().ocsp.empty()) return crypto::RevocationEvidence{};  // kNoSource
  counters_.Count(counters_.misses);
  auto result = flight_.Do(key, [&] {
    // A call that finished between the lookup above and joining the flight
    // has stored its answer: use it rather than ask again.
    if (RevocationEntryPtr e = Usable(key, options_.clock())) return e;
    return FetchAndStore(*cert, *issuer, key, inputs.crls);
  });
  const RevocationEntry& got = *result.value;
  // A joined call may have validated its answer at an earlier moment: it is
  // still never used past nextUpdate + skew.
  if ((got.status == RevocationEntry::Status::kGood ||
       got.status == RevocationEntry::Status::kUnknown) &&
      now > got.next_update + options_.skew) {
    RevocationEntry stale = got;
    stale.status = RevocationEntry::Status::kFetchFailed;
    stale.problem = {crypto::FailureReason::kResponseStale, got.source, got.location,
                     got.next_update};
    return Evidence(stale, /*from_cache=*/false);
  }
  return Evidence(got, /*from_cache=*/false, result.value);
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

absl::Time OcspRevocationChecker::RefreshAfter(const OcspStatus& status) const {
  return RefreshPoint(status.this_update, status.next_update, options_.clock(),
                      options_.min_refresh_interval);
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
    const crypto::RevocationInputs& inputs) const {
  for (std::string_view der : inputs.ocsp_responses) {
    OcspCheck check = CheckNow();
    check.crls = inputs.crls;
    // A response for another certificate of the path, or one that does not
    // validate, is simply not this certificate's evidence.
    auto status = ValidateOcspResponse(der, cert, issuer, check);
    if (!status.ok()) continue;
    return Entry(*status, "stapled", std::string(der), RefreshAfter(*status));
  }
  return nullptr;
}

RevocationEntryPtr OcspRevocationChecker::FetchAndStore(
    const crypto::Certificate& cert, const crypto::Certificate& issuer, const Key& key,
    absl::Span<const std::string_view> crls) const {
  auto entry = std::make_shared<RevocationEntry>();
  entry->source = "ocsp";
  entry->status = RevocationEntry::Status::kFetchFailed;
  auto request = BuildOcspRequest(cert, issuer);
  for (const std::string& original : cert.urls().ocsp) {
    const std::string url = options_.rewriter.Rewrite(original);
    // What went wrong with this responder, as the certificate names it.
    auto failed = [&](const absl::Status& s) {
      entry->problem = ProblemOf(s);
      entry->problem.source = "ocsp";
      entry->problem.location = original;
    };
    if (!request.ok()) {
      failed(request.status());
      break;
    }
    if (absl::Status may = backoff_.MayAsk(url, options_.clock()); !may.ok()) {
      failed(may);
      continue;
    }
    counters_.Count(counters_.requests);
    const absl::Time started = absl::Now();
    auto der = FetchOcsp(url, *request, options_.limits);
    const absl::Duration took = absl::Now() - started;
    backoff_.RecordOutcome(url, der.ok(), options_.clock());
    if (!der.ok()) {
      if (options_.on_fetch) options_.on_fetch("error", took);
      failed(der.status());
      continue;
    }
    OcspCheck check = CheckNow();
    check.crls = crls;
    auto status = ValidateOcspResponse(*der, cert, issuer, check);
    if (options_.on_fetch) options_.on_fetch(status.ok() ? "ok" : "invalid", took);
    if (!status.ok()) {
      failed(status.status());
      continue;
    }
    entry = Entry(*status, "ocsp", *std::move(der), RefreshAfter(*status));
    entry->location = original;
    break;
  }
  if (entry->status == RevocationEntry::Status::kFetchFailed) {
    counters_.Count(counters_.failures);
    entry->refresh_after = options_.clock() + options_.failure_ttl;
    // A failed refresh leaves a status that is still fresh serving; it is
    // tried again by the next lookup after failure_ttl.
    if (RevocationEntryPtr old = Usable(key, options_.clock());
        old != nullptr && old->status != RevocationEntry::Status::kFetchFailed) {
      auto retry = std::make_shared<RevocationEntry>(*old);
      retry->refresh_after = entry->refresh_after;
      cache_.Put(AsDigest(key), retry);
      return retry;
    }
  }
  // A revoked entry already cached stays (Put refuses to replace it); the
  // caller then sees what the cache holds.
  if (entry->status == RevocationEntry::Status::kFetchFailed) {
    // Negative caching is for this process only.
    if (!cache_.Put(AsDigest(key), entry)) return cache_.Find(AsDigest(key));
    return entry;
  }
  return Store(key, entry, cert, issuer);
}

RevocationEntryPtr OcspRevocationChecker::Store(const Key& key, RevocationEntryPtr entry,
                                                const crypto::Certificate& cert,
                                                const crypto::Certificate& issuer) const {
  if (!cache_.Put(AsDigest(key), entry)) return cache_.Find(AsDigest(key));
  if (options_.store != nullptr) {
    PersistedRecord record;
    record.kind = PersistedRecord::Kind::kOcsp;
    record.url = entry->location;
    record.issuer_der = issuer.der();
    record.cert_der = cert.der();
    record.data = entry->der;
    // Cached in memory regardless; a failed write only means the next
    // start asks the responder again.
    options_.store->Save(key, record).IgnoreError();
  }
  return entry;
}

absl::Status OcspRevocationChecker::Restore(const std::string& file_key,
                                            const PersistedRecord& record) const {
  auto cert = crypto::Certificate::Parse(record.cert_der);
  auto issuer = crypto::Certificate::Parse(record.issuer_der);
  if (!cert.ok()) return cert.status();
  if (!issuer.ok()) return issuer.status();
  const Key key = CacheKey(**cert, **issuer);
  if (RevocationStore::FileKey(key) != file_key) {
    return absl::DataLossError("the file's name does not match the certificate it holds");
  }
  auto status = ValidateOcspResponse(record.data, **cert, **issuer, CheckNow());
  if (!status.ok()) return status.status();
  // A response that came with a request is kept as "stapled" evidence no
  // more: on disk it is this service's own copy.
  auto entry = Entry(*status, "ocsp", record.data, RefreshAfter(*status));
  entry->location = record.url;
  cache_.Put(AsDigest(key), std::move(entry));
  return absl::OkStatus();
}

OcspRevocationChecker::Stats OcspRevocationChecker::stats() const {
  Stats s;
  counters_.Fill(flight_.joins(), refresher_.done(), &s);
  s.entries = cache_.Size();
  return s;
}

}  // namespace sigverify::cache
