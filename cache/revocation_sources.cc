#include "cache/revocation_sources.h"

#include "absl/strings/str_cat.h"

namespace sigverify::cache {
namespace {

using State = crypto::RevocationEvidence::State;

bool Definite(const crypto::RevocationEvidence& e) {
  return e.state == State::kGood || e.state == State::kRevoked;
}

}  // namespace

StatsTable RevocationSources::stats_table() const {
  struct Field {
    const char* name;
    const char* help;
    double (*read)(const SourceStats&);
  };
  static constexpr Field kFields[] = {
      {"sigverify_revocation_cache_hits_total", "Revocation lookups answered from the cache",
       [](const SourceStats& s) { return double(s.cache_hits); }},
      {"sigverify_revocation_cache_misses_total", "Revocation lookups without fresh cached data",
       [](const SourceStats& s) { return double(s.cache_misses); }},
      {"sigverify_revocation_cache_stale_served_total",
       "Lookups answered past the refresh point while a refresh runs (never past nextUpdate "
       "+ skew)",
       [](const SourceStats& s) { return double(s.stale_served); }},
      {"sigverify_revocation_upstream_requests_total",
       "OCSP requests sent to responders and CRLs downloaded",
       [](const SourceStats& s) { return double(s.upstream_requests); }},
      {"sigverify_revocation_upstream_failures_total",
       "Fetches that ended without a valid status or CRL",
       [](const SourceStats& s) { return double(s.upstream_failures); }},
      {"sigverify_revocation_single_flight_joins_total",
       "Revocation misses that joined a fetch already in flight",
       [](const SourceStats& s) { return double(s.single_flight_joins); }},
      {"sigverify_revocation_refreshes_total", "Background refreshes of cached data",
       [](const SourceStats& s) { return double(s.refreshes); }},
      {"sigverify_revocation_stapled_used_total",
       "OCSP responses and CRLs from requests used as evidence",
       [](const SourceStats& s) { return double(s.stapled_used); }},
  };
  StatsTable table;
  for (const Field& f : kFields) {
    table.push_back({f.name,
                     f.help,
                     StatKind::kCounter,
                     [ocsp = ocsp_, read = f.read] { return read(ocsp->stats()); },
                     {{"source", "ocsp"}}});
    table.push_back({f.name,
                     f.help,
                     StatKind::kCounter,
                     [crl = crl_, read = f.read] { return read(crl->stats()); },
                     {{"source", "crl"}}});
  }
  const char* entries_help =
      "Cached OCSP statuses (one per certificate) and CRLs (one per distribution point)";
  table.push_back({"sigverify_revocation_cache_entries",
                   entries_help,
                   StatKind::kGauge,
                   [ocsp = ocsp_] { return double(ocsp->stats().entries); },
                   {{"source", "ocsp"}}});
  table.push_back({"sigverify_revocation_cache_entries",
                   entries_help,
                   StatKind::kGauge,
                   [crl = crl_] { return double(crl->stats().crls); },
                   {{"source", "crl"}}});
  table.push_back({"sigverify_revocation_crl_entries",
                   "Revoked certificates listed by the cached CRLs", StatKind::kGauge,
                   [crl = crl_] { return double(crl->stats().entries); }});
  table.push_back({"sigverify_revocation_crl_max_age_seconds",
                   "Age (now - thisUpdate) of the oldest cached CRL", StatKind::kGauge,
                   [crl = crl_] { return absl::ToDoubleSeconds(crl->stats().max_age); }});
  return table;
}

crypto::RevocationEvidence RevocationSources::Check(const crypto::CertificatePtr& cert,
                                                    const crypto::CertificatePtr& issuer,
                                                    const crypto::RevocationInputs& inputs) const {
  const bool ocsp_first = inputs.order == crypto::RevocationOrder::kOcspFirst;
  const crypto::RevocationChecker& first =
      ocsp_first ? static_cast<const crypto::RevocationChecker&>(*ocsp_) : *crl_;
  const crypto::RevocationChecker& second =
      ocsp_first ? static_cast<const crypto::RevocationChecker&>(*crl_) : *ocsp_;
  crypto::RevocationEvidence a = first.Check(cert, issuer, inputs);
  if (a.state == State::kGood) {
    // "Good" from one source does not outweigh a revocation the request
    // brought for the other (a CRL listing the certificate, an OCSP
    // response saying revoked); only what is at hand is asked.
    const bool other_at_hand = ocsp_first ? !inputs.crls.empty() : !inputs.ocsp_responses.empty();
    if (other_at_hand) {
      crypto::RevocationInputs at_hand = inputs;
      at_hand.at_hand_only = true;
      crypto::RevocationEvidence b = second.Check(cert, issuer, at_hand);
      if (b.state == State::kRevoked) return b;
    }
  }
  if (Definite(a)) return a;
  crypto::RevocationEvidence b = second.Check(cert, issuer, inputs);
  if (Definite(b)) return b;
  if (b.state == State::kNoSource) return a;
  if (a.state == State::kNoSource) return b;
  // Both named, neither answered: the first one's state, both reasons.
  a.problems.insert(a.problems.end(), b.problems.begin(), b.problems.end());
  return a;
}

}  // namespace sigverify::cache
