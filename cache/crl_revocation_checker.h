// Revocation status from CRLs (RFC 5280 6.3) for path validation: the CRL
// of each distribution point a certificate names is fetched once (one
// request per distribution point however many certificates and
// verifications ask: single-flight), validated against the certificate's
// issuer, indexed (cache/crl.h) and published in a lock-free map; a lookup
// is a map find plus a binary search. Refreshed in the background from about
// the middle of thisUpdate..nextUpdate while the old CRL keeps serving;
// never used past nextUpdate + skew; failures cached briefly; a delta CRL
// (FreshestCRL of the CRL or the certificate) is fetched with its base and
// merged on lookup. CRLs from the request are validated the same way.
#ifndef SIGVERIFY_CACHE_CRL_REVOCATION_CHECKER_H_
#define SIGVERIFY_CACHE_CRL_REVOCATION_CHECKER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cache/crl.h"
#include "cache/crl_memo.h"
#include "cache/http_fetcher.h"
#include "cache/rcu_map.h"
#include "cache/refresh_worker.h"
#include "cache/responder_backoff.h"
#include "cache/revocation_source.h"
#include "cache/revocation_store.h"
#include "cache/single_flight.h"
#include "cache/url_rewriter.h"
#include "crypto/revocation.h"

namespace sigverify::cache {

// What the cache holds per (issuer, distribution point): the validated CRL
// and its delta, or why none could be had.
struct CrlSlot {
  std::shared_ptr<const Crl> base;   // null: the fetch failed (see problem)
  std::shared_ptr<const Crl> delta;  // may be null
  // CRLs of the same issuer partitioned by reason that cover what `base`
  // does not (RFC 5280 6.3.3 (d)); from the request only.
  std::vector<std::shared_ptr<const Crl>> partitions;
  std::string url;  // as the certificate names it
  absl::Time refresh_after;
  crypto::SourceProblem problem;
  bool stapled = false;

  // The window the merged status is valid in.
  absl::Time this_update() const;
  absl::Time next_update() const;
  // The reasons the base and the partitions cover together.
  uint16_t reasons() const;
};

class CrlRevocationChecker : public crypto::RevocationChecker {
 public:
  struct Options : SourceOptions {
    Options() {
      limits = {absl::Seconds(2), absl::Seconds(30), 64 << 20};
      max_refresh_queue = 1000;
    }
    size_t max_entries = 4'000'000;
  };

  struct Stats : SourceStats {
    size_t crls = 0;         // distribution points with a usable CRL
    size_t entries = 0;      // revoked certificates they list, in total
    absl::Duration max_age;  // now - the oldest thisUpdate among them
  };

  explicit CrlRevocationChecker(Options options);
  ~CrlRevocationChecker() override;

  crypto::RevocationEvidence Check(const crypto::CertificatePtr& cert,
                                   const crypto::CertificatePtr& issuer,
                                   const crypto::RevocationInputs& inputs = {}) const override;
  Stats stats() const;

  // The cache key of `url` for CRLs of `issuer`: the issuer's fingerprint
  // and the URL (no hashing on the hot path).
  static std::string Key(const crypto::Certificate& issuer, const std::string& url);
  // Validates a CRL kept on disk (RevocationStore::Load) like a fetched one
  // and caches it; why not otherwise.
  absl::Status Restore(const std::string& file_key, const PersistedRecord& record) const;

 private:
  using SlotPtr = std::shared_ptr<const CrlSlot>;

  CrlCheck CheckNow() const;
  // The slot for `key` if it may serve at `now` (or is a recent failure).
  SlotPtr Usable(const std::string& key, absl::Time now) const;
  // `signers`: who besides the CA may have signed the CRLs (may be null).
  SlotPtr FetchAndStore(const crypto::CertificatePtr& cert, const crypto::CertificatePtr& issuer,
                        const std::string& url, const std::string& key,
                        const crypto::CrlSigners* signers) const;
  // The base CRL at `url` and its delta, validated for `issuer`.
  SlotPtr Fetch(const crypto::Certificate& cert, const crypto::Certificate& issuer,
                const std::string& url, const crypto::CrlSigners* signers) const;
  absl::StatusOr<std::shared_ptr<const Crl>> FetchCrl(const crypto::Certificate& cert,
                                                      const crypto::Certificate& issuer,
                                                      const std::string& url,
                                                      const crypto::CrlSigners* signers) const;
  // A slot from the request's CRLs valid for `cert`, or null and, in
  // `problems`, why each CRL of `cert`'s issuer among them could not serve.
  // `revoking_delta`: a valid delta CRL at hand that covers `cert` and lists
  // it, but cannot be merged with the base (one for a newer base, another
  // scope): no base makes it usable for "good", yet it says revoked.
  SlotPtr FromRequest(const crypto::Certificate& cert, const crypto::Certificate& issuer,
                      const crypto::RevocationInputs& inputs,
                      std::vector<crypto::SourceProblem>* problems,
                      std::shared_ptr<const Crl>* revoking_delta) const;
  // Caches `slot` unless what is cached must stay (a newer CRL, or a
  // fresh one over a failure) and then keeps it on disk; returns what the
  // cache holds after.
  SlotPtr Store(const std::string& key, SlotPtr slot, const crypto::Certificate& issuer) const;
  // The evidence of `slot` for `cert`. A CRL another key signed serves
  // only while the path being checked still vouches for that key (`signers`):
  // its certificate may have expired or been revoked since it was cached.
  crypto::RevocationEvidence Evidence(const CrlSlot& slot, const crypto::Certificate& cert,
                                      bool from_cache, const crypto::CrlSigners* signers) const;

  Options options_;
  mutable ResponderBackoff backoff_;
  mutable RcuMap<CrlSlot> cache_;
  mutable SingleFlight<std::string, SlotPtr> flight_;
  mutable SourceCounters counters_;
  // The request's CRLs, kept parsed for the next request that brings them.
  mutable CrlMemo at_hand_{CrlMemo::Limits{}};
  // Last: stopped (joined) before the members its refreshes use go.
  mutable RefreshWorker refresher_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_CRL_REVOCATION_CHECKER_H_
