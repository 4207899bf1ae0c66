#include "cache/crl_revocation_checker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cache/source_error.h"

namespace sigverify::cache {
namespace {

using State = crypto::RevocationEvidence::State;

// Whether `old` must stay rather than be replaced by `fresh` at `now`: a
// failed fetch never displaces a CRL that still serves, and an older CRL
// (a slow refresh, a stale stapled one) never displaces a newer one.
bool KeepOld(const CrlSlot& old, const CrlSlot& fresh, absl::Time now, absl::Duration skew) {
  if (old.base == nullptr) return false;
  if (fresh.base == nullptr) return now <= old.next_update() + skew;
  return old.this_update() > fresh.this_update();
}

// The signer a cached CRL was validated with, for its background refresh
// (no request is there to ask); the refreshed CRL is vouched for again
// when it is used.
class KnownSigner final : public crypto::CrlSigners {
 public:
  explicit KnownSigner(crypto::CrlSigner signer) : signer_(std::move(signer)) {}
  std::vector<crypto::CrlSigner> Named(const X509_NAME* name) const override {
    if (signer_.certificate == nullptr ||
        X509_NAME_cmp(X509_get_subject_name(signer_.certificate->x509()), name) != 0) {
      return {};
    }
    return {signer_};
  }

 private:
  crypto::CrlSigner signer_;
};

// The path of `crl`'s signer as `signers` vouch for it now: empty for a
// CRL the CA signed; an error when its signer is no longer vouched for.
absl::StatusOr<std::vector<crypto::CertificatePtr>> SignerPath(const Crl& crl,
                                                               const crypto::CrlSigners* signers) {
  const crypto::CertificatePtr& signer = crl.signer().certificate;
  if (signer == nullptr) return std::vector<crypto::CertificatePtr>();
  if (signers != nullptr) {
    for (crypto::CrlSigner& s : signers->Named(X509_get_subject_name(signer->x509()))) {
      if (s.certificate->fingerprint() == signer->fingerprint()) return std::move(s.path);
    }
  }
  crypto::SourceProblem p;
  p.reason = crypto::FailureReason::kCrlSignerUntrusted;
  p.detail = signer->display_name();
  return SourceError(p);
}

}  // namespace

absl::Time CrlSlot::this_update() const {
  return delta ? std::max(base->this_update(), delta->this_update()) : base->this_update();
}

absl::Time CrlSlot::next_update() const {
  absl::Time next =
      delta ? std::min(base->next_update(), delta->next_update()) : base->next_update();
  for (const auto& p : partitions) next = std::min(next, p->next_update());
  return next;
}

uint16_t CrlSlot::reasons() const {
  uint16_t r = base->reasons();
  for (const auto& p : partitions) r |= p->reasons();
  return r;
}

CrlRevocationChecker::CrlRevocationChecker(Options options)
    : options_(std::move(options)),
      backoff_(options_.max_backoff),
      refresher_(options_.max_refresh_queue) {}

CrlRevocationChecker::~CrlRevocationChecker() = default;

std::string CrlRevocationChecker::Key(const crypto::Certificate& issuer, const std::string& url) {
  std::string key(reinterpret_cast<const char*>(issuer.fingerprint().data()),
                  issuer.fingerprint().size());
  key.append(url);
  return key;
}

crypto::RevocationEvidence CrlRevocationChecker::Check(
    const crypto::CertificatePtr& cert, const crypto::CertificatePtr& issuer,
    const crypto::RevocationInputs& inputs) const {
  const std::vector<std::string>& urls = cert->urls().crl;
  std::vector<crypto::SourceProblem> request_problems;
  std::shared_ptr<const Crl> revoking_delta;
  SlotPtr from_request = FromRequest(*cert, *issuer, inputs, &request_problems, &revoking_delta);
  if (revoking_delta != nullptr) {
    CrlSlot alone;
    alone.base = revoking_delta;
    alone.stapled = true;
    crypto::RevocationEvidence e = Evidence(alone, *cert, false, inputs.crl_signers);
    if (e.state == State::kRevoked) return e;
  }
  if (from_request != nullptr) {
    counters_.Count(counters_.stapled_used);
    // It may fill the cache for the certificate's distribution points (only
    // when newer than what is there, and complete).
    for (size_t i = 0; from_request->reasons() == kAllReasons && i < urls.size(); ++i) {
      const std::string& url = urls[i];
      auto copy = std::make_shared<CrlSlot>(*from_request);
      copy->url = url;
      Store(Key(*issuer, url), std::move(copy), *issuer);
    }
    return Evidence(*from_request, *cert, /*from_cache=*/false, inputs.crl_signers);
  }
  if (inputs.at_hand_only) return {};  // kNoSource
  crypto::RevocationEvidence out;
  out.state = State::kUnavailable;
  out.source = "crl";
  // A CRL of the certificate's issuer at hand that cannot be used, and a
  // distribution point of any form, are declared sources: without a status
  // from one, the status is unavailable, never "no source".
  out.problems = std::move(request_problems);
  for (const std::string& form : cert->urls().crl_without_uri) {
    crypto::SourceProblem p;
    p.reason = crypto::FailureReason::kCrlNotFetchable;
    p.detail = form;
    p.source = "crl";
    out.problems.push_back(std::move(p));
  }
  if (urls.empty()) {
    if (out.problems.empty()) return {};  // kNoSource
    return out;
  }

  const absl::Time now = options_.clock();
  // What went wrong with this distribution point, as the certificate names it.
  auto failed = [&out](crypto::SourceProblem p, const std::string& url) {
    p.source = "crl";
    p.location = url;
    out.problems.push_back(std::move(p));
  };
  for (const std::string& url : urls) {
    const std::string key = Key(*issuer, url);
    SlotPtr slot = Usable(key, now);
    bool from_cache = slot != nullptr;
    if (slot != nullptr) {
      counters_.Count(counters_.hits);
      if (slot->base != nullptr && now >= slot->refresh_after) {
        counters_.Count(counters_.stale_served);
        refresher_.Schedule(key, [this, cert, issuer, url, key,
                                  known = std::make_shared<KnownSigner>(slot->base->signer())] {
          flight_.Do(key, [&] { return FetchAndStore(cert, issuer, url, key, known.get()); });
        });
      }
    } else {
      counters_.Count(counters_.misses);
      slot = flight_
                 .Do(key,
                     [&] {
                       // Stored by a call that finished after the lookup above?
                       if (SlotPtr s = Usable(key, options_.clock())) return s;
                       return FetchAndStore(cert, issuer, url, key, inputs.crl_signers);
                     })
                 .value;
    }
    if (slot->base == nullptr) {
      failed(slot->problem, url);
      continue;
    }
    // A joined call may have validated its CRL at an earlier moment.
    if (now > slot->next_update() + options_.skew) {
      failed({crypto::FailureReason::kResponseStale, {}, {}, slot->next_update()}, url);
      continue;
    }
    crypto::RevocationEvidence e = Evidence(*slot, *cert, from_cache, inputs.crl_signers);
    if (e.state == State::kUnavailable) {
      for (crypto::SourceProblem& p : e.problems) failed(std::move(p), url);
      continue;
    }
    return e;
  }
  return out;
}

CrlRevocationChecker::SlotPtr CrlRevocationChecker::Usable(const std::string& key,
                                                           absl::Time now) const {
  SlotPtr slot = cache_.Find(key);
  if (slot == nullptr) return nullptr;
  if (slot->base == nullptr) return now < slot->refresh_after ? slot : nullptr;  // negative
  return now <= slot->next_update() + options_.skew ? slot : nullptr;
}

CrlCheck CrlRevocationChecker::CheckNow() const {
  CrlCheck check;
  check.now = options_.clock();
  check.skew = options_.skew;
  check.max_entries = options_.max_entries;
  return check;
}

absl::StatusOr<std::shared_ptr<const Crl>> CrlRevocationChecker::FetchCrl(
    const crypto::Certificate& cert, const crypto::Certificate& issuer, const std::string& original,
    const crypto::CrlSigners* signers) const {
  const std::string url = options_.rewriter.Rewrite(original);
  if (absl::Status may = backoff_.MayAsk(url, options_.clock()); !may.ok()) return may;
  counters_.Count(counters_.requests);
  const absl::Time started = absl::Now();
  auto der = HttpGet(url, options_.limits);
  const absl::Duration took = absl::Now() - started;
  backoff_.RecordOutcome(url, der.ok(), options_.clock());
  if (!der.ok()) {
    if (options_.on_fetch) options_.on_fetch("error", took);
    return der.status();
  }
  auto crl = Crl::Parse(*der, issuer, CheckNow(), {signers, &cert});
  if (options_.on_fetch) options_.on_fetch(crl.ok() ? "ok" : "invalid", took);
  return crl;
}

CrlRevocationChecker::SlotPtr CrlRevocationChecker::Fetch(const crypto::Certificate& cert,
                                                          const crypto::Certificate& issuer,
                                                          const std::string& url,
                                                          const crypto::CrlSigners* signers) const {
  auto slot = std::make_shared<CrlSlot>();
  slot->url = url;
  auto base = FetchCrl(cert, issuer, url, signers);
  if (base.ok() && (*base)->is_delta()) {
    base = SourceError(crypto::FailureReason::kCrlIsDelta);
  }
  if (!base.ok()) {
    slot->problem = ProblemOf(base.status());
    slot->refresh_after = options_.clock() + options_.failure_ttl;
    return slot;
  }
  slot->base = *std::move(base);
  // RFC 5280 5.2.6 / 4.2.1.15: the delta CRL, named by the CRL or by the
  // certificate. A base that is itself fresh serves without it when the
  // delta cannot be had.
  std::vector<std::string> delta_urls = slot->base->delta_urls();
  if (delta_urls.empty()) delta_urls = cert.urls().delta_crl;
  for (const std::string& delta_url : delta_urls) {
    auto delta = FetchCrl(cert, issuer, delta_url, signers);
    if (delta.ok() && CheckDeltaFor(**delta, *slot->base).ok()) {
      slot->delta = *std::move(delta);
      break;
    }
  }
  slot->refresh_after = RefreshPoint(slot->this_update(), slot->next_update(), options_.clock(),
                                     options_.min_refresh_interval);
  return slot;
}

CrlRevocationChecker::SlotPtr CrlRevocationChecker::FetchAndStore(
    const crypto::CertificatePtr& cert, const crypto::CertificatePtr& issuer,
    const std::string& url, const std::string& key, const crypto::CrlSigners* signers) const {
  SlotPtr slot = Fetch(*cert, *issuer, url, signers);
  if (slot->base == nullptr) counters_.Count(counters_.failures);
  return Store(key, std::move(slot), *issuer);
}

CrlRevocationChecker::SlotPtr CrlRevocationChecker::Store(const std::string& key, SlotPtr slot,
                                                          const crypto::Certificate& issuer) const {
  const absl::Time now = options_.clock();
  const CrlSlot* fresh = slot.get();
  SlotPtr held = cache_.Put(key, std::move(slot), [&](const CrlSlot& old) {
    return KeepOld(old, *fresh, now, options_.skew);
  });
  // A CRL another key signed is not kept on disk: at start it would be
  // validated against the CA alone (RevocationStore keeps the CA only).
  const bool ca_signed = fresh->base != nullptr && fresh->base->signer().certificate == nullptr &&
                         (fresh->delta == nullptr || fresh->delta->signer().certificate == nullptr);
  if (held.get() == fresh && ca_signed && options_.store != nullptr) {
    PersistedRecord record;
    record.kind = PersistedRecord::Kind::kCrl;
    record.url = fresh->url;
    record.issuer_der = issuer.der();
    record.data = fresh->base->der();
    if (fresh->delta) record.delta = fresh->delta->der();
    // Cached in memory regardless; a failed write only means the next
    // start fetches it again.
    options_.store->Save(key, record).IgnoreError();
  }
  return held;
}

absl::Status CrlRevocationChecker::Restore(const std::string& file_key,
                                           const PersistedRecord& record) const {
  auto issuer = crypto::Certificate::Parse(record.issuer_der);
  if (!issuer.ok()) return issuer.status();
  const std::string key = Key(**issuer, record.url);
  if (RevocationStore::FileKey(key) != file_key) {
    return absl::DataLossError("the file's name does not match the CA and URL it holds");
  }
  auto base = Crl::Parse(record.data, **issuer, CheckNow());
  if (!base.ok()) return base.status();
  if ((*base)->is_delta()) return absl::DataLossError("a delta CRL kept as a base");
  auto slot = std::make_shared<CrlSlot>();
  slot->base = *std::move(base);
  if (!record.delta.empty()) {
    auto delta = Crl::Parse(record.delta, **issuer, CheckNow());
    if (delta.ok() && CheckDeltaFor(**delta, *slot->base).ok()) slot->delta = *std::move(delta);
  }
  slot->url = record.url;
  slot->refresh_after = RefreshPoint(slot->this_update(), slot->next_update(), options_.clock(),
                                     options_.min_refresh_interval);
  // Into the cache only: the file it came from is already there.
  const CrlSlot* fresh = slot.get();
  const absl::Time now = options_.clock();
  cache_.Put(key, std::move(slot),
             [&](const CrlSlot& old) { return KeepOld(old, *fresh, now, options_.skew); });
  return absl::OkStatus();
}

CrlRevocationChecker::SlotPtr CrlRevocationChecker::FromRequest(
    const crypto::Certificate& cert, const crypto::Certificate& issuer,
    const crypto::RevocationInputs& inputs, std::vector<crypto::SourceProblem>* problems,
    std::shared_ptr<const Crl>* revoking_delta) const {
  absl::Span<const std::string_view> crls = inputs.crls;
  if (crls.empty()) return nullptr;
  const CrlCheck check = CheckNow();
  // Each valid CRL with the reasons it covers for this certificate.
  std::vector<std::pair<std::shared_ptr<const Crl>, uint16_t>> valid;
  std::vector<crypto::SourceProblem> unusable, lone_deltas;
  for (size_t i = 0; i < crls.size(); ++i) {
    // A CRL of another CA of the path is not this certificate's evidence;
    // one of its issuer that cannot be used says why.
    auto crl = at_hand_.Parse(crls[i], issuer, check, {inputs.crl_signers, &cert});
    auto scope = crl.ok() ? (*crl)->Scope(cert) : absl::StatusOr<uint16_t>(crl.status());
    if (scope.ok()) {
      if ((*crl)->is_delta()) {
        // Of use only with its base, if one comes.
        crypto::SourceProblem p;
        p.reason = crypto::FailureReason::kCrlIsDelta;
        p.source = "stapled_crl";
        p.location = absl::StrCat("crls[", i, "]");
        lone_deltas.push_back(std::move(p));
      }
      valid.emplace_back(*std::move(crl), *scope);
      continue;
    }
    crypto::SourceProblem p = ProblemOf(scope.status());
    if (p.reason == crypto::FailureReason::kCrlWrongIssuer) continue;
    p.source = "stapled_crl";
    p.location = absl::StrCat("crls[", i, "]");
    unusable.push_back(std::move(p));
  }
  auto slot = std::make_shared<CrlSlot>();
  for (const auto& [crl, reasons] : valid) {
    if (!crl->is_delta() && reasons == kAllReasons &&
        (slot->base == nullptr || crl->this_update() > slot->base->this_update())) {
      slot->base = crl;
    }
  }
  if (slot->base == nullptr) {
    // No complete CRL: CRLs partitioned by reason (their own onlySomeReasons
    // or the reasons of the distribution points they serve), newest first,
    // each adding reasons the others do not cover (6.3.3 (d)). Whether they
    // add up to all reasons is Evidence's to judge.
    std::vector<std::pair<std::shared_ptr<const Crl>, uint16_t>> partial;
    for (const auto& v : valid) {
      if (!v.first->is_delta()) partial.push_back(v);
    }
    std::sort(partial.begin(), partial.end(), [](const auto& a, const auto& b) {
      return a.first->this_update() > b.first->this_update();
    });
    uint16_t covered = 0;
    for (const auto& [crl, reasons] : partial) {
      if ((reasons & ~covered) == 0) continue;
      covered |= reasons;
      if (slot->base == nullptr) {
        slot->base = crl;
      } else {
        slot->partitions.push_back(crl);
      }
    }
  }
  for (const auto& v : valid) {
    if (slot->base != nullptr && CheckDeltaFor(*v.first, *slot->base).ok()) slot->delta = v.first;
  }
  for (const auto& v : valid) {
    if (!v.first->is_delta() || v.first == slot->delta) continue;
    std::optional<CrlEntry> e = v.first->Find(cert);
    if (e && e->reason != kRemoveFromCrl) *revoking_delta = v.first;
  }
  if (slot->base == nullptr) {
    problems->insert(problems->end(), unusable.begin(), unusable.end());
    problems->insert(problems->end(), lone_deltas.begin(), lone_deltas.end());
    return nullptr;
  }
  slot->stapled = true;
  slot->refresh_after = RefreshPoint(slot->this_update(), slot->next_update(), options_.clock(),
                                     options_.min_refresh_interval);
  return slot;
}

crypto::RevocationEvidence CrlRevocationChecker::Evidence(const CrlSlot& slot,
                                                          const crypto::Certificate& cert,
                                                          bool from_cache,
                                                          const crypto::CrlSigners* signers) const {
  crypto::RevocationEvidence out;
  out.source = slot.stapled ? "stapled_crl" : "crl";
  // Whether it speaks for the certificate, and for which reasons.
  auto scope = slot.base->Scope(cert);
  if (!scope.ok()) {
    out.state = State::kUnavailable;
    out.problems.push_back(ProblemOf(scope.status()));
    return out;
  }
  uint16_t covered = *scope;
  for (const auto& p : slot.partitions) covered |= p->Scope(cert).value_or(0);
  // Each CRL's signer, vouched for now (a CA-signed CRL: a null check).
  auto vouched = [&](const std::shared_ptr<const Crl>& crl) {
    if (crl == nullptr) return true;
    auto path = SignerPath(*crl, signers);
    if (!path.ok()) {
      out.state = State::kUnavailable;
      out.problems.push_back(ProblemOf(path.status()));
      return false;
    }
    if (crl == slot.base) out.crl_issuer_path = *std::move(path);
    return true;
  };
  if (!vouched(slot.base) || !vouched(slot.delta)) return out;
  for (const auto& p : slot.partitions) {
    if (!vouched(p)) return out;
  }
  out.from_cache = from_cache;
  out.this_update = slot.this_update();
  out.next_update = slot.next_update();
  out.responder = slot.base->issuer();
  out.location = slot.url;
  auto read = [&out](const std::shared_ptr<const Crl>& crl) {
    if (crl != nullptr) {
      out.responses.push_back(
          {std::shared_ptr<const std::string>(crl, &crl->der()), crl->der_sha256()});
    }
  };
  read(slot.base);
  read(slot.delta);
  for (const auto& p : slot.partitions) read(p);
  // An entry in any of them revokes, whatever reason it gives; "good"
  // needs every reason covered.
  std::optional<CrlEntry> e = RevokedBy(*slot.base, slot.delta.get(), cert);
  for (size_t i = 0; !e && i < slot.partitions.size(); ++i) e = slot.partitions[i]->Find(cert);
  if (e) {
    out.state = State::kRevoked;
    out.revocation_time = e->revocation_time;
    out.revocation_reason = e->reason;
  } else if (covered != kAllReasons) {
    out.state = State::kUnavailable;
    crypto::SourceProblem p;
    p.reason = crypto::FailureReason::kCrlOutOfScope;
    p.detail = "onlySomeReasons";
    out.problems.push_back(std::move(p));
  } else {
    out.state = State::kGood;
  }
  return out;
}

CrlRevocationChecker::Stats CrlRevocationChecker::stats() const {
  Stats s;
  counters_.Fill(flight_.joins(), refresher_.done(), &s);
  const absl::Time now = options_.clock();
  absl::Time oldest = now;
  cache_.ForEach([&](const std::string&, const CrlSlot& slot) {
    if (slot.base == nullptr) return;
    ++s.crls;
    s.entries += slot.base->size() + (slot.delta ? slot.delta->size() : 0);
    oldest = std::min(oldest, slot.this_update());
  });
  s.max_age = now - oldest;
  return s;
}

}  // namespace sigverify::cache
