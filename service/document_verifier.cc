#include "service/document_verifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "crypto/cms/format_error.h"
#include "crypto/cms/signature_validation.h"
#include "crypto/cms/signed_data.h"
#include "crypto/cms/tst_info.h"
#include "crypto/message_catalog.h"
#include "crypto/pdf/pdf_date.h"
#include "crypto/pdf/pdf_validation.h"
#include "crypto/sha256.h"
#include "service/proto_time.h"
#include "service/request_check.h"

namespace sigverify::service {
namespace {

namespace cms = crypto::cms;
namespace pdf = crypto::pdf;
using crypto::Language;
using crypto::Outcome;

enum class Kind { kPdf, kCms, kTimestampResponse, kUnknown };

// What the bytes are, from their first bytes: "%PDF-" within the first KiB
// (ISO 32000 allows leading bytes), a PEM block, or a DER SEQUENCE (a
// TimeStampResp opens with a SEQUENCE, a ContentInfo with an OID).
Kind Detect(std::string_view document) {
  const std::string_view head = document.substr(0, 1024);
  if (head.find("%PDF-") != std::string_view::npos) return Kind::kPdf;
  const size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head.substr(first).starts_with("-----BEGIN ")) {
    return Kind::kCms;
  }
  if (!document.empty() && static_cast<unsigned char>(document[0]) == 0x30) {
    return cms::IsTimeStampResp(document) ? Kind::kTimestampResponse : Kind::kCms;
  }
  return Kind::kUnknown;
}

Outcome OutcomeOf(cms::Note note) {
  switch (note) {
    case cms::Note::kNoSigningCertificateAttribute:
      return Outcome::kNoteNoSigningCertificate;
    case cms::Note::kSigningTimeSevenHoursAhead:
      return Outcome::kNoteSigningTimeSevenHoursAhead;
    case cms::Note::kSigningTimeAfterTimestamp:
      return Outcome::kNoteSigningTimeAfterTimestamp;
    case cms::Note::kCounterSignatures:
      return Outcome::kNoteCounterSignatures;
    case cms::Note::kTimestampFailed:
      return Outcome::kNoteTimestampFailed;
    case cms::Note::kUnreadableCertificates:
      return Outcome::kNoteUnreadableCertificates;
  }
  return Outcome::kNoteTimestampFailed;
}

// The verdict fields a DocumentSignature and a TimestampInfo share.
template <typename Message>
void SetVerdict(crypto::SubIndication sub, const crypto::Failure& failed, Outcome passed,
                Language language, Message* out) {
  out->set_indication(ToProto(crypto::IndicationFor(sub)));
  out->set_sub_indication(ToProto(sub));
  if (sub == crypto::SubIndication::kNone) {
    out->set_message(std::string(crypto::Render(passed, language)));
  } else {
    out->set_message(crypto::Render(failed, language));
    ToProto(failed, out->mutable_failed_check());
  }
}

void TimestampToProto(const cms::TimestampVerdict& t, Language language, v1::TimestampInfo* out) {
  SetVerdict(t.sub_indication, t.failed, Outcome::kTimestampValid, language, out);
  if (t.info_read) {
    *out->mutable_gen_time() = ToTimestamp(t.info.gen_time);
    out->set_imprint_hash(t.info.imprint_hash_name);
    out->set_accuracy_micros(t.info.accuracy_micros);
    out->set_tsa_policy(t.info.policy_oid);
    out->set_serial_number(t.info.serial_hex);
  }
  if (t.tsa != nullptr) ToProto(*t.tsa, out->mutable_tsa());
  for (const crypto::CertificatePtr& c : t.path) ToProto(*c, out->add_path());
  ToProto(t.revocation, language, out->mutable_revocation());
}

// The timestamp a signature shows: the one that gave its best time, else
// the first.
const cms::TimestampVerdict* ShownTimestamp(const cms::SignatureVerdict& v) {
  if (v.timestamps.empty()) return nullptr;
  for (const cms::TimestampVerdict& t : v.timestamps) {
    if (t.ok() && v.best_from_timestamp && t.info.gen_time == v.best_signature_time) return &t;
  }
  return &v.timestamps.front();
}

void AttachRevocation(const std::vector<crypto::RevocationEvidence>& revocation,
                      audit::RecordAttachments* out) {
  for (const crypto::RevocationEvidence& e : revocation) {
    out->responses.insert(out->responses.end(), e.responses.begin(), e.responses.end());
  }
}

Outcome PassedOutcome(const cms::SignatureVerdict& v) {
  return v.best_from_timestamp ? Outcome::kSignatureValidAtTimestamp
                               : Outcome::kSignatureAndPathValid;
}

// What a CMS signature's verdict tells beside the verdict itself.
void SignatureToProto(const cms::SignatureVerdict& v, Language language, v1::DocumentSignature* s) {
  if (v.facts.signer != nullptr) ToProto(*v.facts.signer, s->mutable_signer());
  if (v.facts.claimed_signing_time != absl::InfinitePast()) {
    *s->mutable_claimed_signing_time() = ToTimestamp(v.facts.claimed_signing_time);
  }
  if (const cms::TimestampVerdict* t = ShownTimestamp(v)) {
    TimestampToProto(*t, language, s->mutable_timestamp());
  }
  *s->mutable_best_signature_time() = ToTimestamp(v.best_signature_time);
  s->set_best_signature_time_from_timestamp(v.best_from_timestamp);
  for (const crypto::CertificatePtr& c : v.path) ToProto(*c, s->add_path());
  ToProto(v.revocation, language, s->mutable_revocation());
  s->set_digest_algorithm(v.facts.digest_name);
  s->set_signature_algorithm(v.facts.signature_name);
  for (cms::Note note : v.notes) {
    s->add_warnings(std::string(crypto::Render(OutcomeOf(note), language)));
  }
}

// A timestamp token's verdict as a signature of its own (a timestamp given
// as the document, a PDF document timestamp).
void TimestampSignatureToProto(const cms::TimestampVerdict& t, Language language,
                               v1::DocumentSignature* s) {
  SetVerdict(t.sub_indication, t.failed, Outcome::kTimestampValid, language, s);
  if (t.tsa != nullptr) ToProto(*t.tsa, s->mutable_signer());
  TimestampToProto(t, language, s->mutable_timestamp());
  if (t.ok()) {
    *s->mutable_best_signature_time() = ToTimestamp(t.info.gen_time);
    s->set_best_signature_time_from_timestamp(true);
  }
  s->set_digest_algorithm(t.info_read ? t.info.imprint_hash_name : "");
  for (const crypto::CertificatePtr& c : t.path) ToProto(*c, s->add_path());
  ToProto(t.revocation, language, s->mutable_revocation());
}

void SignatureAudit(const cms::SignatureVerdict& v, DocumentSignatureAudit* a) {
  if (v.facts.signer != nullptr) {
    a->attachments.signer_der =
        std::shared_ptr<const std::string>(v.facts.signer, &v.facts.signer->der());
  }
  AttachRevocation(v.revocation, &a->attachments);
  for (const cms::TimestampVerdict& t : v.timestamps)
    AttachRevocation(t.revocation, &a->attachments);
  a->signature_sha256 = crypto::AsBytes(crypto::Sha256(v.facts.signature_value));
}

void TimestampAudit(const cms::TimestampVerdict& t, DocumentSignatureAudit* a) {
  if (t.tsa != nullptr) {
    a->attachments.signer_der = std::shared_ptr<const std::string>(t.tsa, &t.tsa->der());
  }
  AttachRevocation(t.revocation, &a->attachments);
}

// The document's verdict from its signatures': TOTAL_FAILED if any is,
// else INDETERMINATE if any is (the first such signature's reason, named
// by its number), else TOTAL_PASSED.
void Aggregate(Language language, v1::VerifyDocumentResponse* out) {
  const v1::DocumentSignature* worst = nullptr;
  int worst_number = 0;
  for (int i = 0; i < out->signatures_size(); ++i) {
    const v1::DocumentSignature& s = out->signatures(i);
    if (s.indication() == v1::INDICATION_TOTAL_PASSED) continue;
    if (worst == nullptr || (s.indication() == v1::INDICATION_TOTAL_FAILED &&
                             worst->indication() != v1::INDICATION_TOTAL_FAILED)) {
      worst = &s;
      worst_number = i + 1;
    }
  }
  if (worst == nullptr) {
    out->set_indication(v1::INDICATION_TOTAL_PASSED);
    out->set_sub_indication(v1::SUB_INDICATION_UNSPECIFIED);
    out->set_message(std::string(crypto::Render(Outcome::kDocumentValid, language)));
    return;
  }
  out->set_indication(worst->indication());
  out->set_sub_indication(worst->sub_indication());
  const std::string_view prefix = crypto::TextOf(crypto::Fragment::kSignatureNumber, language);
  out->set_message(absl::StrCat(absl::StrReplaceAll(absl::string_view(prefix.data(), prefix.size()),
                                                    {{"{n}", absl::StrCat(worst_number)}}),
                                worst->message()));
}

// A document that cannot be read as what it claims to be.
void FailDocument(const absl::Status& status, Language language, v1::VerifyDocumentResponse* out) {
  const crypto::Failure failed = cms::FailureOf(status);
  out->set_indication(v1::INDICATION_TOTAL_FAILED);
  out->set_sub_indication(v1::SUB_INDICATION_FORMAT_FAILURE);
  out->set_message(crypto::Render(failed, language));
  ToProto(failed, out->mutable_failed_check());
}

v1::ModificationLevel ToProto(pdf::ModificationLevel level) {
  switch (level) {
    case pdf::ModificationLevel::kNone:
      return v1::MODIFICATION_LEVEL_NONE;
    case pdf::ModificationLevel::kLtaUpdates:
      return v1::MODIFICATION_LEVEL_LTA_UPDATES;
    case pdf::ModificationLevel::kFormFillingAndSignatures:
      return v1::MODIFICATION_LEVEL_FORM_FILLING_AND_SIGNATURES;
    case pdf::ModificationLevel::kAnnotations:
      return v1::MODIFICATION_LEVEL_ANNOTATIONS;
    case pdf::ModificationLevel::kOther:
      return v1::MODIFICATION_LEVEL_OTHER;
  }
  return v1::MODIFICATION_LEVEL_UNSPECIFIED;
}

v1::Coverage ToProto(const pdf::SignedRange& range) {
  if (!range.ok()) return v1::COVERAGE_OTHER;
  switch (range.coverage) {
    case pdf::Coverage::kEntireFile:
      return v1::COVERAGE_ENTIRE_FILE;
    case pdf::Coverage::kEntireRevision:
      return v1::COVERAGE_ENTIRE_REVISION;
    case pdf::Coverage::kOther:
      break;
  }
  return v1::COVERAGE_OTHER;
}

void PdfSignatureToProto(const pdf::PdfSignatureVerdict& v, Language language,
                         v1::DocumentSignature* s) {
  if (v.document_timestamp) {
    TimestampSignatureToProto(v.timestamp, language, s);
    s->set_kind(v1::SIGNATURE_KIND_DOCUMENT_TIMESTAMP);
  } else {
    SignatureToProto(v.signature, language, s);
    // No signingTime in the CMS: the /M the signer wrote, as a claim.
    if (!s->has_claimed_signing_time()) {
      if (auto m = pdf::ParsePdfDate(v.field.signing_time)) {
        *s->mutable_claimed_signing_time() = ToTimestamp(*m);
      }
    }
    s->set_kind(v.field.docmdp_level > 0 ? v1::SIGNATURE_KIND_CERTIFICATION
                                         : v1::SIGNATURE_KIND_APPROVAL);
    s->set_docmdp_level(v.field.docmdp_level);
  }
  // The verdict last: a format, modification or permission failure
  // overrides the CMS's.
  SetVerdict(v.sub_indication, v.failed,
             v.document_timestamp ? Outcome::kTimestampValid : PassedOutcome(v.signature), language,
             s);
  s->set_field_name(v.field.field_name);
  s->set_sub_filter(v.field.sub_filter);
  s->set_reason(v.field.reason);
  s->set_location(v.field.location);
  s->set_coverage(ToProto(v.range));
  if (v.range.ok()) {
    s->set_revision(v.range.revision + 1);
    int64_t bytes = 0;
    for (std::string_view piece : v.range.pieces) bytes += static_cast<int64_t>(piece.size());
    s->set_signed_bytes(bytes);
  }
  if (v.changes_known) {
    s->set_modification_level(ToProto(v.changes.level));
    for (const pdf::Change& c : v.changes.changes) s->add_modifications(c.what);
  }
}

// Every signature of a PDF, in the order they were made.
void VerifyPdfDocument(std::string_view document, const cms::ValidationContext& context,
                       Language language, v1::VerifyDocumentResponse* out, DocumentAudit* audit) {
  auto verdict = pdf::VerifyPdf(document, context, pdf::PdfLimits{});
  if (!verdict.ok()) {
    FailDocument(verdict.status(), language, out);
    if (audit != nullptr) audit->emplace_back();
    return;
  }
  out->set_revisions(verdict->revisions);
  if (verdict->signatures.empty()) {
    FailDocument(cms::FormatError("PDF: no signature field holds a signature"), language, out);
    if (audit != nullptr) audit->emplace_back();
    return;
  }
  for (const pdf::PdfSignatureVerdict& v : verdict->signatures) {
    PdfSignatureToProto(v, language, out->add_signatures());
    if (audit == nullptr) continue;
    DocumentSignatureAudit& a = audit->emplace_back();
    if (v.document_timestamp) {
      TimestampAudit(v.timestamp, &a);
    } else {
      SignatureAudit(v.signature, &a);
    }
    a.data_hash = v.range_sha256;
  }
  Aggregate(language, out);
}

}  // namespace

absl::Status DocumentVerifier::Verify(const v1::VerifyDocumentRequest& request,
                                      std::string_view document, std::string_view detached,
                                      CallScope& scope, v1::VerifyDocumentResponse* out,
                                      DocumentAudit* audit) const {
  const Limits& limits = verifier_->limits();
  auto detached_hash = CheckRequest(request, document.size(), limits);
  if (!detached_hash.ok()) return detached_hash.status();
  auto policy = ResolvePolicy(request.policy(), scope);
  if (!policy.ok()) return policy.status();
  auto language_or = ResolveLanguage(request.language(), scope);
  if (!language_or.ok()) return language_or.status();
  const Language language = *language_or;

  std::vector<crypto::CertificatePtr> certificates;
  for (int i = 0; i < request.certificates_size(); ++i) {
    auto cert = scope.recent().Resolve(request.certificates(i));
    if (!cert.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificates[", i, "]: ", cert.status().message()));
    }
    certificates.push_back(*std::move(cert));
  }
  const std::vector<std::string_view> ocsp(request.ocsp_responses().begin(),
                                           request.ocsp_responses().end());
  const std::vector<std::string_view> crls(request.crls().begin(), request.crls().end());
  cms::ValidationContext context;
  context.paths = &scope.paths();
  context.policy = *policy;
  context.now = scope.now();
  context.certificates = certificates;
  context.ocsp_responses = ocsp;
  context.crls = crls;
  context.limits.max_bytes = std::max(context.limits.max_bytes, document.size());

  out->set_record_id(request.record_id());
  out->set_document_sha256(crypto::ToHex(crypto::Sha256(document)));
  *out->mutable_validation_time() = ToTimestamp(scope.now());
  out->set_trust_store_version(scope.paths().trust_store().version());
  out->set_policy((*policy)->name);

  const bool has_detached = request.has_detached_digest() || !detached.empty();
  cms::ContentToCheck given;
  if (request.has_detached_digest()) {
    given.digest_algorithm = *detached_hash;
    given.digest = request.detached_digest().value();
  }

  std::string_view cms_bytes = document;
  switch (Detect(document)) {
    case Kind::kPdf:
      if (has_detached) {
        return absl::InvalidArgumentError(
            "detached_content: a PDF carries what its signatures cover; send no detached content "
            "or digest");
      }
      out->set_format(v1::DOCUMENT_FORMAT_PDF);
      VerifyPdfDocument(document, context, language, out, audit);
      return absl::OkStatus();
    case Kind::kUnknown:
      out->set_format(v1::DOCUMENT_FORMAT_UNSPECIFIED);
      FailDocument(cms::FormatError("neither a PDF, a CMS SignedData nor an RFC 3161 timestamp"),
                   language, out);
      if (audit != nullptr) audit->emplace_back();
      return absl::OkStatus();
    case Kind::kTimestampResponse: {
      out->set_format(v1::DOCUMENT_FORMAT_TIMESTAMP);
      auto token = cms::TokenOfResponse(document);
      if (!token.ok()) {
        FailDocument(token.status(), language, out);
        if (audit != nullptr) audit->emplace_back();
        return absl::OkStatus();
      }
      cms_bytes = *token;
      break;
    }
    case Kind::kCms:
      out->set_format(v1::DOCUMENT_FORMAT_CMS);
      break;
  }

  auto signed_data = cms::SignedData::Parse(cms_bytes, context.limits);
  if (!signed_data.ok()) {
    FailDocument(signed_data.status(), language, out);
    if (audit != nullptr) audit->emplace_back();
    return absl::OkStatus();
  }

  const std::string_view pieces[] = {detached};
  if (signed_data->content_type() == NID_id_smime_ct_TSTInfo) {
    // A timestamp token as the document: checked against the data it stamps.
    out->set_format(v1::DOCUMENT_FORMAT_TIMESTAMP);
    if (!has_detached) {
      return absl::InvalidArgumentError(
          "detached_content: a timestamp token is checked against the data it stamps; send the "
          "data (or its digest as detached_digest)");
    }
    cms::ContentToCheck imprinted = given;
    if (!request.has_detached_digest()) imprinted.pieces = pieces;
    cms::TimestampVerdict t = cms::VerifyTimestampToken(cms_bytes, imprinted, context);
    v1::DocumentSignature* s = out->add_signatures();
    TimestampSignatureToProto(t, language, s);
    s->set_kind(v1::SIGNATURE_KIND_TIMESTAMP_TOKEN);
    s->set_coverage(v1::COVERAGE_ENTIRE_FILE);
    s->set_signed_bytes(static_cast<int64_t>(detached.size()));
    if (audit != nullptr) {
      DocumentSignatureAudit& a = audit->emplace_back();
      TimestampAudit(t, &a);
      a.digest_given = request.has_detached_digest();
      a.data_hash =
          a.digest_given ? std::string(given.digest) : crypto::AsBytes(crypto::Sha256(detached));
    }
    Aggregate(language, out);
    return absl::OkStatus();
  }

  // A CMS SignedData: its content, attached or sent beside it.
  cms::ContentToCheck content = given;
  std::string_view content_bytes;
  if (signed_data->attached()) {
    if (has_detached) {
      return absl::InvalidArgumentError(
          "detached_content: the CMS carries its content; send no detached content or digest");
    }
    content_bytes = signed_data->content();
  } else {
    if (!has_detached) {
      return absl::InvalidArgumentError(
          "detached_content: the CMS is detached; send the signed content (or its digest as "
          "detached_digest)");
    }
    content_bytes = detached;
  }
  const std::string_view content_pieces[] = {content_bytes};
  if (!request.has_detached_digest()) content.pieces = content_pieces;
  const std::string data_hash = audit != nullptr && !request.has_detached_digest()
                                    ? crypto::AsBytes(crypto::Sha256(content_bytes))
                                    : "";

  for (int i = 0; i < signed_data->signer_count(); ++i) {
    cms::SignatureVerdict v = cms::VerifyCmsSignature(*signed_data, i, content, context);
    v1::DocumentSignature* s = out->add_signatures();
    SetVerdict(v.sub_indication, v.failed, PassedOutcome(v), language, s);
    s->set_kind(v1::SIGNATURE_KIND_CMS_SIGNER);
    SignatureToProto(v, language, s);
    s->set_coverage(v1::COVERAGE_ENTIRE_FILE);
    s->set_signed_bytes(request.has_detached_digest() ? 0
                                                      : static_cast<int64_t>(content_bytes.size()));
    if (audit != nullptr) {
      DocumentSignatureAudit& a = audit->emplace_back();
      SignatureAudit(v, &a);
      a.digest_given = request.has_detached_digest();
      a.data_hash = a.digest_given ? std::string(given.digest) : data_hash;
    }
  }
  Aggregate(language, out);
  return absl::OkStatus();
}

}  // namespace sigverify::service
