// Revocation status by OCSP for path validation (crypto::RevocationChecker):
// the lock-free cache first; on a miss one fetch per certificate however many
// verifications ask at once (single-flight); refreshed in the background from
// about the middle of thisUpdate..nextUpdate (jittered) while the old status
// keeps serving; never served past nextUpdate + skew; failures cached for a
// short time; revoked is sticky.
//
// A certificate that names no OCSP responder (and has no stapled response)
// is reported as kNoSource: RevocationSources then asks its CRLs.
#ifndef SIGVERIFY_CACHE_OCSP_REVOCATION_CHECKER_H_
#define SIGVERIFY_CACHE_OCSP_REVOCATION_CHECKER_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cache/http_fetcher.h"
#include "cache/ocsp.h"
#include "cache/refresh_worker.h"
#include "cache/responder_backoff.h"
#include "cache/revocation_cache.h"
#include "cache/revocation_source.h"
#include "cache/revocation_store.h"
#include "cache/single_flight.h"
#include "cache/url_rewriter.h"
#include "crypto/revocation.h"

namespace sigverify::cache {

class OcspRevocationChecker : public crypto::RevocationChecker {
 public:
  struct Options : SourceOptions {
    absl::Duration max_age_without_next_update = absl::Minutes(10);
  };

  struct Stats : SourceStats {
    size_t entries = 0;
  };

  explicit OcspRevocationChecker(Options options);
  ~OcspRevocationChecker() override;

  crypto::RevocationEvidence Check(const crypto::CertificatePtr& cert,
                                   const crypto::CertificatePtr& issuer,
                                   const crypto::RevocationInputs& inputs = {}) const override;
  Stats stats() const;

  // Validates a response kept on disk under `key` (RevocationStore::Load)
  // like a fetched one and caches it; why not otherwise.
  absl::Status Restore(const std::string& key, const PersistedRecord& record) const;

 private:
  using Key = std::string;  // 32 bytes: SHA-256 of the issuer key and the serial

  // The cached entry for `key` if it may still be served at `now`.
  RevocationEntryPtr Usable(const Key& key, absl::Time now) const;
  absl::Time RefreshAfter(const OcspStatus& status) const;
  // What a response is validated against now.
  OcspCheck CheckNow() const;
  // An entry from the first stapled response valid for `cert`, or null.
  RevocationEntryPtr FromStapled(const crypto::Certificate& cert, const crypto::Certificate& issuer,
                                 const crypto::RevocationInputs& inputs) const;
  // Caches `entry` (unless a revoked one is there) and keeps it on disk;
  // returns what the cache holds after.
  RevocationEntryPtr Store(const Key& key, RevocationEntryPtr entry,
                           const crypto::Certificate& cert,
                           const crypto::Certificate& issuer) const;
  // `crls`: the CRLs at hand, for a delegated responder's own status (none
  // for a background refresh).
  RevocationEntryPtr FetchAndStore(const crypto::Certificate& cert,
                                   const crypto::Certificate& issuer, const Key& key,
                                   absl::Span<const std::string_view> crls) const;

  Options options_;
  mutable ResponderBackoff backoff_;
  mutable RevocationCache cache_;
  mutable SingleFlight<Key, RevocationEntryPtr> flight_;
  mutable SourceCounters counters_;
  // Last: stopped (joined) before the members its refreshes use go.
  mutable RefreshWorker refresher_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_OCSP_REVOCATION_CHECKER_H_
