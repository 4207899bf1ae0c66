#include "service/verifier.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/batch_verifier.h"
#include "crypto/claimed_time.h"
#include "crypto/message_catalog.h"
#include "service/proto_time.h"
#include "service/request_check.h"
#include "service/response_encoding.h"

namespace sigverify::service {
namespace {

// The request's validation time if it gives one, else the call's arrival.
// A claimed time later than now (plus clock skew) is refused: a claim is not
// proof, and a future one could only hide what is known by then.
template <typename Request>
absl::StatusOr<absl::Time> ValidationTime(const Request& request, const CallScope& scope) {
  if (!request.has_validation_time()) return scope.now();
  const absl::Time claimed = FromTimestamp(request.validation_time());
  if (claimed > scope.now() + crypto::kClaimedTimeSkew) {
    return absl::InvalidArgumentError(
        absl::StrCat("validation_time: ", crypto::FormatUtc(claimed), " is later than now (",
                     crypto::FormatUtc(scope.now()), ") plus ",
                     absl::FormatDuration(crypto::kClaimedTimeSkew), " of clock skew"));
  }
  return claimed;
}

using Chain = absl::InlinedVector<crypto::CertificatePtr, 4>;

absl::Status ResolveChain(const google::protobuf::RepeatedPtrField<std::string>& certificates,
                          RecentCertificates& recent, Chain* chain) {
  for (int i = 0; i < certificates.size(); ++i) {
    auto cert = recent.Resolve(certificates.Get(i));
    if (!cert.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("intermediate_certificates[", i, "]: ", cert.status().message()));
    }
    chain->push_back(*std::move(cert));
  }
  return absl::OkStatus();
}

absl::InlinedVector<std::string_view, 2> Stapled(
    const google::protobuf::RepeatedPtrField<std::string>& responses) {
  return absl::InlinedVector<std::string_view, 2>(responses.begin(), responses.end());
}

// What the verdict rests on beyond its response, for the audit log.
void Attach(const crypto::CertificatePtr& signer,
            const std::vector<crypto::RevocationEvidence>& revocation,
            audit::RecordAttachments* out) {
  if (out == nullptr) return;
  out->signer_der = std::shared_ptr<const std::string>(signer, &signer->der());
  for (const crypto::RevocationEvidence& e : revocation) {
    out->responses.insert(out->responses.end(), e.responses.begin(), e.responses.end());
  }
}

}  // namespace

// The named validation policy of the scope's trust store.
absl::StatusOr<const crypto::ValidationPolicy*> ResolvePolicy(const std::string& name,
                                                              const CallScope& scope) {
  const crypto::TrustStore& store = scope.paths().trust_store();
  const std::string& wanted = name.empty() ? std::string(crypto::kDefaultPolicyName) : name;
  if (const crypto::ValidationPolicy* p = store.FindPolicy(wanted)) return p;
  std::vector<std::string> names;
  for (const crypto::ValidationPolicy& p : store.policies()) names.push_back(p.name);
  return absl::InvalidArgumentError(absl::StrCat("policy: unknown validation policy '", name,
                                                 "' (this server has: ", absl::StrJoin(names, ", "),
                                                 ")"));
}

absl::StatusOr<crypto::Language> ResolveLanguage(const std::string& field, const CallScope& scope) {
  if (field.empty()) return scope.language();
  if (absl::StartsWithIgnoreCase(field, "vi")) return crypto::Language::kVietnamese;
  if (absl::StartsWithIgnoreCase(field, "en")) return crypto::Language::kEnglish;
  return absl::InvalidArgumentError(
      absl::StrCat("language: '", field, "' is not supported (vi, en)"));
}

crypto::Language LanguageFromHeader(std::string_view accept_language) {
  const absl::string_view header = absl::StripLeadingAsciiWhitespace(
      absl::string_view(accept_language.data(), accept_language.size()));
  return absl::StartsWithIgnoreCase(header, "en") ? crypto::Language::kEnglish
                                                  : crypto::Language::kVietnamese;
}

absl::StatusOr<crypto::CertificatePtr> RecentCertificates::Resolve(std::string_view bytes) {
  for (const auto& [seen, cert] : recent_) {
    if (seen.size() == bytes.size() && std::memcmp(seen.data(), bytes.data(), bytes.size()) == 0) {
      return cert;
    }
  }
  auto cert = cache_->GetOrParse(bytes);
  if (!cert.ok()) return cert.status();
  if (recent_.size() < kSlots) {
    recent_.emplace_back(bytes, *cert);
  } else {
    recent_[next_] = {bytes, *cert};
    next_ = (next_ + 1) % kSlots;
  }
  return cert;
}

Verifier::Verifier(std::shared_ptr<const crypto::PathValidator> paths, Limits limits,
                   size_t certificate_cache_size)
    : paths_(std::move(paths)), limits_(limits), cert_cache_(certificate_cache_size) {}

StatsTable Verifier::stats_table() const {
  return {
      {"sigverify_certificate_cache_hits_total", "Parsed-certificate cache hits",
       StatKind::kCounter, [this] { return double(cert_cache_.Stats().hits); }},
      {"sigverify_certificate_cache_misses_total", "Parsed-certificate cache misses",
       StatKind::kCounter, [this] { return double(cert_cache_.Stats().misses); }},
      {"sigverify_certificate_cache_entries", "Parsed certificates cached", StatKind::kGauge,
       [this] { return double(cert_cache_.Stats().entries); }},
      {"sigverify_path_cache_hits_total", "Validated-path memo hits (current trust store)",
       StatKind::kCounter, [this] { return double(paths()->MemoStats().hits); }},
      {"sigverify_path_cache_misses_total", "Validated-path memo misses (current trust store)",
       StatKind::kCounter, [this] { return double(paths()->MemoStats().misses); }},
      {"sigverify_trust_store_anchors", "Trust anchors in the current trust store",
       StatKind::kGauge, [this] { return double(paths()->trust_store().anchors().size()); }},
  };
}

namespace {

// One request between the two steps of VerifyMany. `record` views the
// request, `data_sha256`, `chain` and the stapled lists: an item does not
// move once begun.
struct ItemInProgress {
  crypto::Record record;
  crypto::RecordProgress progress;
  const crypto::ValidationPolicy* policy = nullptr;
  crypto::Language language = crypto::Language::kVietnamese;
  bool time_from_request = false;
  std::string data_sha256;
  Chain chain;
  absl::InlinedVector<std::string_view, 2> stapled;
  absl::InlinedVector<std::string_view, 2> crls;
};

// Everything before the signature: the request's checks, its certificates,
// the policy's constraints and the path (crypto::BeginRecord).
absl::Status BeginItem(const v1::VerifyRequest& request, CallScope& scope, const Limits& limits,
                       ItemInProgress* item, audit::RecordAttachments* attachments) {
  RecentCertificates& recent = scope.recent();
  auto params = CheckRequest(request, limits);
  if (!params.ok()) return params.status();
  auto policy = ResolvePolicy(request.policy(), scope);
  if (!policy.ok()) return policy.status();
  auto language = ResolveLanguage(request.language(), scope);
  if (!language.ok()) return language.status();
  item->policy = *policy;
  item->language = *language;

  auto signer = recent.Resolve(request.signer_certificate());
  if (!signer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signer_certificate: ", signer.status().message()));
  }
  if (absl::Status s = ResolveChain(request.intermediate_certificates(), recent, &item->chain);
      !s.ok()) {
    return s;
  }

  crypto::Record& record = item->record;
  record.params = *params;
  if (request.content_case() == v1::VerifyRequest::kData &&
      record.params.hash == crypto::HashAlgorithm::kSha256 &&
      record.params.scheme != crypto::SignatureScheme::kEd25519) {
    // Hashed once, for the signature and for the audit record: verifying a
    // signature over the data is verifying it over the data's digest.
    item->data_sha256 = crypto::AsBytes(crypto::Sha256(request.data()));
    record.content = {crypto::SignedContent::kDigest, item->data_sha256};
    if (attachments != nullptr) attachments->data_sha256 = item->data_sha256;
  } else if (request.content_case() == v1::VerifyRequest::kData) {
    record.content = {crypto::SignedContent::kData, request.data()};
  } else {
    record.content = {crypto::SignedContent::kDigest, request.digest().value()};
  }
  record.signature = request.signature();
  record.signer = *signer;
  record.intermediates = item->chain;
  item->time_from_request = request.has_validation_time();
  auto at = ValidationTime(request, scope);
  if (!at.ok()) return at.status();
  record.validation_time = *at;
  item->stapled = Stapled(request.ocsp_responses());
  item->crls = Stapled(request.crls());
  record.revocation.ocsp_responses = item->stapled;
  record.revocation.crls = item->crls;
  record.revocation.certificates = item->chain;
  item->progress = crypto::BeginRecord(record, scope.paths(), *item->policy);
  return absl::OkStatus();
}

// Whether the item's verdict waits for its signature's check.
bool NeedsSignature(const ItemInProgress& item) { return !item.progress.verdict.has_value(); }

// The rest of the verdict once the signature's check is known (unused when
// BeginItem already had the verdict), and the response.
void FinishItem(const v1::VerifyRequest& request, const CallScope& scope, ItemInProgress& item,
                crypto::SignatureCheck check, v1::VerifyResponse* out,
                audit::RecordAttachments* attachments) {
  const crypto::Record& record = item.record;
  crypto::Verdict verdict =
      crypto::FinishRecord(record, std::move(item.progress), std::move(check), scope.paths());
  const bool time_from_request = item.time_from_request;
  if (time_from_request && !scope.time_attested() &&
      verdict.indication == crypto::Indication::kTotalPassed) {
    if (auto judged = crypto::JudgeClaimedTime(verdict.path, verdict.revocation,
                                               record.validation_time, scope.now())) {
      verdict = *std::move(judged);
    }
  }

  out->set_record_id(request.record_id());
  out->set_indication(ToProto(verdict.indication));
  out->set_sub_indication(ToProto(verdict.sub_indication));
  if (verdict.indication == crypto::Indication::kTotalPassed) {
    out->set_message(std::string(crypto::Render(
        !time_from_request      ? crypto::Outcome::kSignatureAndPathValid
        : scope.time_attested() ? crypto::Outcome::kSignatureAndPathValidAtAttestedTime
                                : crypto::Outcome::kSignatureAndPathValidAtGivenTime,
        item.language)));
  } else {
    out->set_message(crypto::Render(verdict.failed, item.language));
    ToProto(verdict.failed, out->mutable_failed_check());
  }
  SetVerdictCertificates(*record.signer, verdict.path, out);
  ToProto(verdict.revocation, item.language, out->mutable_revocation());
  Attach(record.signer, verdict.revocation, attachments);
  *out->mutable_validation_time() = ToTimestamp(record.validation_time);
  out->set_validation_time_from_request(time_from_request);
  out->set_validation_time_attested(time_from_request && scope.time_attested());
  out->set_trust_store_version(scope.paths().trust_store().version());
  out->set_policy(item.policy->name);
}

}  // namespace

absl::Status Verifier::Verify(const v1::VerifyRequest& request, CallScope& scope,
                              v1::VerifyResponse* out,
                              audit::RecordAttachments* attachments) const {
  const v1::VerifyRequest* requests[] = {&request};
  v1::VerifyResponse* outs[] = {out};
  audit::RecordAttachments* attached[] = {attachments};
  absl::Status status;
  VerifyMany(requests, scope, outs, attached, absl::MakeSpan(&status, 1));
  return status;
}

void Verifier::VerifyMany(absl::Span<const v1::VerifyRequest* const> requests, CallScope& scope,
                          absl::Span<v1::VerifyResponse* const> outs,
                          absl::Span<audit::RecordAttachments* const> attachments,
                          absl::Span<absl::Status> statuses) const {
  absl::InlinedVector<CallScope*, 8> scopes(requests.size(), &scope);
  VerifyMany(requests, scopes, outs, attachments, statuses);
}

void Verifier::VerifyMany(absl::Span<const v1::VerifyRequest* const> requests,
                          absl::Span<CallScope* const> scopes,
                          absl::Span<v1::VerifyResponse* const> outs,
                          absl::Span<audit::RecordAttachments* const> attachments,
                          absl::Span<absl::Status> statuses) const {
  const size_t n = requests.size();
  // A chunk is at most 8 records (batch chunks, gathered records): on the
  // stack, no allocation per call.
  absl::InlinedVector<ItemInProgress, 8> items(n);  // never resized: records view them
  absl::InlinedVector<crypto::SignatureJob, 8> jobs;
  absl::InlinedVector<size_t, 8> job_items;  // ascending
  for (size_t i = 0; i < n; ++i) {
    statuses[i] = BeginItem(*requests[i], *scopes[i], limits_, &items[i], attachments[i]);
    if (statuses[i].ok() && NeedsSignature(items[i])) {
      const crypto::Record& r = items[i].record;
      jobs.push_back({&r.signer->public_key(), r.params, r.content, r.signature});
      job_items.push_back(i);
    }
  }
  absl::InlinedVector<crypto::SignatureCheck, 8> checks(jobs.size());
  crypto::VerifySignatures(jobs, absl::MakeSpan(checks));
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!statuses[i].ok()) continue;
    crypto::SignatureCheck check;  // unused when BeginItem had the verdict
    if (j < job_items.size() && job_items[j] == i) check = std::move(checks[j++]);
    FinishItem(*requests[i], *scopes[i], items[i], std::move(check), outs[i], attachments[i]);
  }
}

absl::Status Verifier::ValidateCertificate(const v1::ValidateCertificateRequest& request,
                                           CallScope& scope, v1::ValidateCertificateResponse* out,
                                           audit::RecordAttachments* attachments) const {
  if (auto s = CheckRequest(request, limits_); !s.ok()) return s;
  auto policy = ResolvePolicy(request.policy(), scope);
  if (!policy.ok()) return policy.status();
  auto language = ResolveLanguage(request.language(), scope);
  if (!language.ok()) return language.status();
  auto cert = scope.recent().Resolve(request.certificate());
  if (!cert.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("certificate: ", cert.status().message()));
  }
  Chain chain;
  if (absl::Status s = ResolveChain(request.intermediate_certificates(), scope.recent(), &chain);
      !s.ok()) {
    return s;
  }
  auto validation_time = ValidationTime(request, scope);
  if (!validation_time.ok()) return validation_time.status();
  const absl::Time at = *validation_time;
  crypto::PathResult result =
      scope.paths().Validate(*cert, chain, at, **policy,
                             {Stapled(request.ocsp_responses()), Stapled(request.crls()), chain});
  if (request.has_validation_time() && !scope.time_attested() && result.ok()) {
    if (auto judged = crypto::JudgeClaimedTime(result.path, result.revocation, at, scope.now())) {
      result.sub_indication = judged->sub_indication;
      result.failed = std::move(judged->failed);
      result.path.clear();
    }
  }
  const crypto::SubIndication sub = result.sub_indication;
  out->set_indication(ToProto(crypto::IndicationFor(sub)));
  out->set_sub_indication(ToProto(sub));
  if (result.ok()) {
    out->set_message(std::string(
        crypto::Render(!request.has_validation_time() ? crypto::Outcome::kPathValid
                       : scope.time_attested()        ? crypto::Outcome::kPathValidAtAttestedTime
                                                      : crypto::Outcome::kPathValidAtGivenTime,
                       *language)));
  } else {
    out->set_message(crypto::Render(result.failed, *language));
    ToProto(result.failed, out->mutable_failed_check());
  }
  ToProto(**cert, out->mutable_certificate());
  for (const crypto::CertificatePtr& c : result.path) ToProto(*c, out->add_path());
  ToProto(result.revocation, *language, out->mutable_revocation());
  Attach(*cert, result.revocation, attachments);
  *out->mutable_validation_time() = ToTimestamp(at);
  out->set_validation_time_from_request(request.has_validation_time());
  out->set_validation_time_attested(request.has_validation_time() && scope.time_attested());
  out->set_trust_store_version(scope.paths().trust_store().version());
  out->set_policy((*policy)->name);
  return absl::OkStatus();
}

v1::Indication ToProto(crypto::Indication indication) {
  switch (indication) {
    case crypto::Indication::kTotalPassed:
      return v1::INDICATION_TOTAL_PASSED;
    case crypto::Indication::kTotalFailed:
      return v1::INDICATION_TOTAL_FAILED;
    case crypto::Indication::kIndeterminate:
      return v1::INDICATION_INDETERMINATE;
  }
  return v1::INDICATION_UNSPECIFIED;
}

v1::SubIndication ToProto(crypto::SubIndication sub) {
  using S = crypto::SubIndication;
  switch (sub) {
    case S::kNone:
      return v1::SUB_INDICATION_UNSPECIFIED;
    case S::kHashFailure:
      return v1::SUB_INDICATION_HASH_FAILURE;
    case S::kSigCryptoFailure:
      return v1::SUB_INDICATION_SIG_CRYPTO_FAILURE;
    case S::kNoCertificateChainFound:
      return v1::SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND;
    case S::kExpired:
      return v1::SUB_INDICATION_EXPIRED;
    case S::kNotYetValid:
      return v1::SUB_INDICATION_NOT_YET_VALID;
    case S::kCryptoConstraintsFailure:
      return v1::SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE;
    case S::kFormatFailure:
      return v1::SUB_INDICATION_FORMAT_FAILURE;
    case S::kChainConstraintsFailure:
      return v1::SUB_INDICATION_CHAIN_CONSTRAINTS_FAILURE;
    case S::kCertificateChainGeneralFailure:
      return v1::SUB_INDICATION_CERTIFICATE_CHAIN_GENERAL_FAILURE;
    case S::kRevokedNoPoe:
      return v1::SUB_INDICATION_REVOKED_NO_POE;
    case S::kRevokedCaNoPoe:
      return v1::SUB_INDICATION_REVOKED_CA_NO_POE;
    case S::kTryLater:
      return v1::SUB_INDICATION_TRY_LATER;
    case S::kOutOfBoundsNoPoe:
      return v1::SUB_INDICATION_OUT_OF_BOUNDS_NO_POE;
  }
  return v1::SUB_INDICATION_UNSPECIFIED;
}

void ToProto(const std::vector<crypto::RevocationEvidence>& evidence, crypto::Language language,
             google::protobuf::RepeatedPtrField<v1::RevocationEvidence>* out) {
  using State = crypto::RevocationEvidence::State;
  int position = 0;
  for (const crypto::RevocationEvidence& e : evidence) {
    v1::RevocationEvidence* r = out->Add();
    r->set_position(++position);
    switch (e.state) {
      case State::kGood:
        r->set_status("good");
        break;
      case State::kRevoked:
        r->set_status("revoked");
        break;
      case State::kUnknown:
        r->set_status("unknown");
        break;
      case State::kNoSource:
        r->set_status("not_checked");
        break;
      case State::kUnavailable:
        r->set_status("unavailable");
        break;
    }
    r->set_source(e.source);
    r->set_from_cache(e.from_cache);
    if (e.this_update != absl::InfinitePast())
      *r->mutable_this_update() = ToTimestamp(e.this_update);
    if (e.next_update != absl::InfinitePast())
      *r->mutable_next_update() = ToTimestamp(e.next_update);
    if (e.state == State::kRevoked) *r->mutable_revocation_time() = ToTimestamp(e.revocation_time);
    r->set_revocation_reason(e.revocation_reason);
    r->set_responder(e.responder);
    r->set_location(e.location);
    for (const crypto::SignedRevocationData& d : e.responses) r->add_response_sha256(d.sha256);
    for (const crypto::CertificatePtr& c : e.crl_issuer_path) ToProto(*c, r->add_crl_issuer_path());
    r->set_detail(crypto::Render(e.problems, language));
    for (const crypto::SourceProblem& p : e.problems) ToProto(p, r->add_problems());
  }
}

void ToProto(const crypto::Failure& failed, v1::FailedCheck* out) {
  out->set_check(std::string(crypto::CheckName(failed.reason)));
  out->set_position(failed.position);
  if (failed.certificate != nullptr) ToProto(*failed.certificate, out->mutable_certificate());
  // The numbers are the same (crypto/failure.h; tests/service/failure_reason_test.cc).
  out->set_reason(static_cast<v1::FailureReason>(failed.reason));
  if (failed.time != absl::InfinitePast()) *out->mutable_time() = ToTimestamp(failed.time);
  out->set_limit(failed.limit);
  out->set_actual(failed.actual);
  for (const std::string& name : failed.names) out->add_names(name);
  out->set_detail(failed.detail);
  out->set_candidate_paths_tried(failed.candidates_tried);
  for (const crypto::SourceProblem& p : failed.problems) ToProto(p, out->add_problems());
}

void ToProto(const crypto::SourceProblem& problem, v1::SourceProblem* out) {
  out->set_reason(static_cast<v1::FailureReason>(problem.reason));
  out->set_source(problem.source);
  out->set_location(problem.location);
  if (problem.time != absl::InfinitePast()) *out->mutable_time() = ToTimestamp(problem.time);
  out->set_limit(problem.limit);
  out->set_actual(problem.actual);
  out->set_detail(problem.detail);
}

void ToProto(const crypto::Certificate& cert, v1::Certificate* out) {
  out->set_subject(cert.subject());
  out->set_issuer(cert.issuer());
  out->set_serial_number(cert.serial_hex());
  out->set_sha256_fingerprint(cert.fingerprint_hex());
  *out->mutable_not_before() = ToTimestamp(cert.not_before());
  *out->mutable_not_after() = ToTimestamp(cert.not_after());
}

}  // namespace sigverify::service
