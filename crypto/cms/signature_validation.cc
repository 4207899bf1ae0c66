#include "crypto/cms/signature_validation.h"

#include <openssl/objects.h>

#include <cstdlib>

#include "crypto/cms/format_error.h"

namespace sigverify::crypto::cms {
namespace {

using R = FailureReason;
using S = SubIndication;

// The certificates a path may be built from: the SignedData's, then the
// caller's.
std::vector<CertificatePtr> PathCertificates(const SignedData& signed_data,
                                             const ValidationContext& context) {
  std::vector<CertificatePtr> out(signed_data.certificates().begin(),
                                  signed_data.certificates().end());
  out.insert(out.end(), context.certificates.begin(), context.certificates.end());
  return out;
}

// The revocation inputs of a path: the caller's responses, the CRLs of the
// caller and of the SignedData, the certificates at hand.
struct Revocation {
  std::vector<std::string_view> crls;
  RevocationInputs inputs;
};

void FillRevocation(const SignedData& signed_data, const ValidationContext& context,
                    absl::Span<const CertificatePtr> certificates, Revocation& out) {
  out.crls.assign(context.crls.begin(), context.crls.end());
  for (const std::string& crl : signed_data.crls()) out.crls.push_back(crl);
  out.inputs.ocsp_responses = context.ocsp_responses;
  out.inputs.crls = out.crls;
  out.inputs.certificates = certificates;
}

template <typename Verdict>
void Fail(Verdict& v, S sub, Failure failure) {
  v.sub_indication = sub;
  v.failed = std::move(failure);
}

template <typename Verdict>
void FailFormat(Verdict& v, const absl::Status& status) {
  Fail(v, S::kFormatFailure, FailureOf(status));
}

// The signer's (or TSA's) path at `at` and its revocation, into `v`.
template <typename Verdict>
void JudgePath(Verdict& v, const CertificatePtr& signer, const SignedData& signed_data,
               const ValidationContext& context, absl::Time at, KeyPurpose purpose) {
  const std::vector<CertificatePtr> certificates = PathCertificates(signed_data, context);
  PathResult path = context.paths->ValidatePath(signer, certificates, at, *context.policy, purpose);
  if (!path.ok()) {
    Fail(v, path.sub_indication, std::move(path.failed));
    return;
  }
  Revocation revocation;
  FillRevocation(signed_data, context, certificates, revocation);
  PathResult checked = context.paths->CheckRevocation(std::move(path.path), at, revocation.inputs);
  v.revocation = std::move(checked.revocation);
  if (!checked.ok()) {
    Fail(v, checked.sub_indication, std::move(checked.failed));
    return;
  }
  v.path = std::move(checked.path);
}

}  // namespace

TimestampVerdict VerifyTimestampToken(std::string_view token, const ContentToCheck& imprinted,
                                      const ValidationContext& context) {
  TimestampVerdict v;
  auto signed_data = SignedData::Parse(token, context.limits);
  if (!signed_data.ok()) {
    FailFormat(v, signed_data.status());
    return v;
  }
  if (signed_data->content_type() != NID_id_smime_ct_TSTInfo || !signed_data->attached()) {
    FailFormat(v, FormatError("a timestamp token must carry an attached TSTInfo"));
    return v;
  }
  if (signed_data->signer_count() != 1) {
    FailFormat(v, FormatError("a timestamp token has exactly one SignerInfo"));
    return v;
  }
  auto info = ParseTstInfo(signed_data->content());
  if (!info.ok()) {
    FailFormat(v, info.status());
    return v;
  }
  v.info = *std::move(info);
  v.info_read = true;
  if (v.info.gen_time > context.now + kTimestampSkew) {
    FailFormat(v, FormatError("the timestamp's genTime is later than now"));
    return v;
  }
  const AlgorithmPolicy& algorithms = context.policy->AlgorithmsAt(context.now);
  if (v.info.imprint_hash == HashAlgorithm::kNone) {
    Failure f;
    f.reason = R::kDocumentHashRefused;
    f.names = {v.info.imprint_hash_name};
    Fail(v, S::kCryptoConstraintsFailure, std::move(f));
    return v;
  }
  if (auto refused = CheckSignatureHash(algorithms, v.info.imprint_hash, R::kDocumentHashRefused)) {
    Fail(v, S::kCryptoConstraintsFailure, *std::move(refused));
    return v;
  }
  const bool digest_given = imprinted.digest_algorithm != HashAlgorithm::kNone;
  if (digest_given && imprinted.digest_algorithm != v.info.imprint_hash) {
    Failure f;
    f.reason = R::kFormatInvalid;
    f.detail = std::string("the digest given is ") + HashName(imprinted.digest_algorithm) +
               "; the timestamp's imprint is " + v.info.imprint_hash_name;
    Fail(v, S::kFormatFailure, std::move(f));
    return v;
  }
  if ((digest_given ? std::string(imprinted.digest)
                    : DigestOf(v.info.imprint_hash, imprinted.pieces)) != v.info.imprint) {
    Failure f;
    f.reason = R::kTimestampImprintMismatch;
    f.names = {v.info.imprint_hash_name};
    Fail(v, S::kHashFailure, std::move(f));
    return v;
  }

  auto facts = ReadSignerInfo(*signed_data, 0, context.certificates);
  if (!facts.ok()) {
    FailFormat(v, facts.status());
    return v;
  }
  v.tsa = facts->signer;
  // RFC 3161 2.4.1: the token names the TSA's certificate (ESS).
  if (facts->signer != nullptr && !facts->has_signing_certificate_attribute) {
    Failure f;
    f.reason = R::kSignedAttributesInvalid;
    f.detail = "a timestamp token without an ESS signingCertificate attribute";
    f.position = 1;
    f.certificate = facts->signer;
    Fail(v, S::kFormatFailure, std::move(f));
    return v;
  }
  const std::string_view content = signed_data->content();
  SignerCheck check =
      VerifySignerInfo(*signed_data, 0, *facts, {.pieces = {&content, 1}}, algorithms);
  if (!check.ok()) {
    Fail(v, check.sub_indication, std::move(check.failed));
    return v;
  }
  // The TSA's key was valid when it stamped.
  if (v.info.gen_time < v.tsa->not_before() || v.info.gen_time > v.tsa->not_after()) {
    Failure f = FailureAt(
        v.info.gen_time < v.tsa->not_before() ? R::kCertificateNotYetValid : R::kCertificateExpired,
        {v.tsa}, 0, v.info.gen_time);
    f.time = v.info.gen_time < v.tsa->not_before() ? v.tsa->not_before() : v.tsa->not_after();
    Fail(v, v.info.gen_time < v.tsa->not_before() ? S::kNotYetValid : S::kExpired, std::move(f));
    return v;
  }
  JudgePath(v, v.tsa, *signed_data, context, context.now, KeyPurpose::kTimeStamping);
  return v;
}

SignatureVerdict VerifyCmsSignature(const SignedData& signed_data, int index,
                                    const ContentToCheck& content,
                                    const ValidationContext& context) {
  SignatureVerdict v;
  v.best_signature_time = context.now;
  auto facts = ReadSignerInfo(signed_data, index, context.certificates);
  if (!facts.ok()) {
    FailFormat(v, facts.status());
    return v;
  }
  v.facts = *std::move(facts);
  v.facts_read = true;
  if (signed_data.unparsable_certificates() > 0) v.notes.push_back(Note::kUnreadableCertificates);
  if (v.facts.has_signed_attributes && !v.facts.has_signing_certificate_attribute) {
    v.notes.push_back(Note::kNoSigningCertificateAttribute);
  }
  if (v.facts.counter_signatures > 0) v.notes.push_back(Note::kCounterSignatures);

  // Signature timestamps: the earliest valid one proves existence.
  const std::string_view signature_value = v.facts.signature_value;
  for (const std::string& token : v.facts.timestamp_tokens) {
    TimestampVerdict t = VerifyTimestampToken(token, {.pieces = {&signature_value, 1}}, context);
    if (t.ok() && (!v.best_from_timestamp || t.info.gen_time < v.best_signature_time)) {
      v.best_signature_time = t.info.gen_time;
      v.best_from_timestamp = true;
    }
    if (!t.ok()) v.notes.push_back(Note::kTimestampFailed);
    v.timestamps.push_back(std::move(t));
  }
  if (v.best_from_timestamp && v.facts.claimed_signing_time != absl::InfinitePast()) {
    const absl::Duration ahead = v.facts.claimed_signing_time - v.best_signature_time;
    if (absl::AbsDuration(ahead - absl::Hours(7)) <= kTimestampSkew) {
      v.notes.push_back(Note::kSigningTimeSevenHoursAhead);
    } else if (ahead > kTimestampSkew) {
      v.notes.push_back(Note::kSigningTimeAfterTimestamp);
    }
  }

  if (context.proven_existing_at < v.best_signature_time) {
    v.best_signature_time = context.proven_existing_at;
    v.best_from_timestamp = true;
  }

  const absl::Time at = v.best_signature_time;
  SignerCheck check =
      VerifySignerInfo(signed_data, index, v.facts, content, context.policy->AlgorithmsAt(at));
  if (!check.ok()) {
    check.failed.validation_time = at;
    Fail(v, check.sub_indication, std::move(check.failed));
    return v;
  }
  JudgePath(v, v.facts.signer, signed_data, context, at, KeyPurpose::kDocumentSigning);
  return v;
}

}  // namespace sigverify::crypto::cms
