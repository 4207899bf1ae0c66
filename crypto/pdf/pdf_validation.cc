#include "crypto/pdf/pdf_validation.h"

#include <algorithm>
#include <map>
#include <memory>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"
#include "crypto/cms/signed_data.h"
#include "crypto/der.h"
#include "crypto/pdf/limited_sink.h"
#include "crypto/pdf/range_digests.h"
#include "crypto/pdf/revisions.h"
#include "crypto/pdf/xref_streams.h"

namespace sigverify::crypto::pdf {
namespace {

struct DssData {
  std::vector<std::string> certificates;
  std::vector<std::string> ocsp_responses;
  std::vector<std::string> crls;
};

absl::Status ReadDssArray(QPDFObjectHandle array, const PdfLimits& limits, int& entries,
                          std::vector<std::string>& out) {
  if (!array.isArray()) return absl::OkStatus();
  for (QPDFObjectHandle stream : array.getArrayAsVector()) {
    if (!stream.isStream()) continue;
    if (++entries > limits.max_dss_entries) {
      return cms::LimitError("max_pdf_dss_entries", limits.max_dss_entries, entries);
    }
    std::string bytes;
    LimitedSink sink(&bytes, limits.max_dss_stream_bytes, "max_pdf_dss_stream_bytes");
    if (!stream.pipeStreamData(&sink, 0, qpdf_dl_generalized, true)) {
      return cms::FormatError("PDF DSS: a stream cannot be decoded");
    }
    out.push_back(std::move(bytes));
  }
  return absl::OkStatus();
}

// The final revision's DSS (ETSI EN 319 142-1 5.4.2): /Certs, /OCSPs,
// /CRLs; the VRI entries refer to the same streams.
absl::Status ReadDss(PdfFile& file, const PdfLimits& limits, DssData& out) {
  return RunQpdf("DSS", [&]() -> absl::Status {
    QPDFObjectHandle dss = file.qpdf().getRoot().getKey("/DSS");
    if (!dss.isDictionary()) return absl::OkStatus();
    int entries = 0;
    absl::Status s = ReadDssArray(dss.getKey("/Certs"), limits, entries, out.certificates);
    if (s.ok()) s = ReadDssArray(dss.getKey("/OCSPs"), limits, entries, out.ocsp_responses);
    if (s.ok()) s = ReadDssArray(dss.getKey("/CRLs"), limits, entries, out.crls);
    return s;
  });
}

void Fail(PdfSignatureVerdict& v, SubIndication sub, Failure failed) {
  v.sub_indication = sub;
  v.failed = std::move(failed);
}

void FailFormat(PdfSignatureVerdict& v, const absl::Status& status) {
  Fail(v, SubIndication::kFormatFailure, cms::FailureOf(status));
}

// A document timestamp's /Contents: the token, without the zero padding
// that fills the hole.
std::string_view TokenOf(std::string_view contents) {
  std::string_view rest = contents;
  der::Tlv tlv;
  if (!der::ReadTlv(rest, tlv)) return contents;
  return tlv.whole;
}

bool Locked(const SignatureField& lock, const std::string& field) {
  if (lock.fieldmdp_action == "All") return true;
  bool listed = false;
  for (const std::string& f : lock.fieldmdp_fields) listed = listed || f == field;
  if (lock.fieldmdp_action == "Include") return listed;
  if (lock.fieldmdp_action == "Exclude") return !listed;
  return false;
}

// Changes that break what the signature allows, as a failure: anything of
// level OTHER, beyond the DocMDP level, or to a field its FieldMDP locks.
Failure PermissionFailure(const PdfSignatureVerdict& v) {
  Failure f;
  const ChangeReport& report = v.changes;
  const ModificationLevel allowed = v.field.docmdp_level > 0 ? AllowedByDocMdp(v.field.docmdp_level)
                                                             : ModificationLevel::kAnnotations;
  for (const Change& c : report.changes) {
    if (c.level == ModificationLevel::kOther) {
      f.reason = FailureReason::kDocumentModified;
      f.names.push_back(c.what);
    }
  }
  if (f.failed()) return f;
  for (const Change& c : report.changes) {
    if (c.level > allowed) {
      f.reason = FailureReason::kDocMdpViolation;
      f.actual = v.field.docmdp_level;
      f.names.push_back(c.what);
    }
  }
  if (f.failed()) return f;
  if (!v.field.fieldmdp_action.empty()) {
    for (const Change& c : report.changes) {
      if (!c.field_name.empty() && !c.signs_field && Locked(v.field, c.field_name)) {
        f.reason = FailureReason::kFieldLocked;
        f.names = {c.field_name};
        return f;
      }
    }
  }
  return f;
}

// Bytes after the last %%EOF other than white space: no conforming reader
// uses them, but a reader that rebuilds a damaged file may (an object
// appended without a cross-reference section). Counted as a change.
size_t TrailingBytes(std::string_view file, const std::vector<RevisionEnd>& revisions) {
  size_t n = 0;
  for (size_t i = revisions.back().line_end; i < file.size(); ++i) {
    const char c = file[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\0') ++n;
  }
  return n;
}

bool Supported(const std::string& sub_filter) {
  return sub_filter == "adbe.pkcs7.detached" || sub_filter == "ETSI.CAdES.detached" ||
         sub_filter == "ETSI.RFC3161";
}

}  // namespace

absl::StatusOr<PdfVerdict> VerifyPdf(std::string_view file, const cms::ValidationContext& context,
                                     const PdfLimits& limits) {
  auto revisions = FindRevisions(file, limits.max_revisions);
  if (!revisions.ok()) return revisions.status();
  if (absl::Status s = CheckXrefStreams(file, *revisions, limits.max_xref_stream_bytes); !s.ok()) {
    return s;
  }
  auto final_file = PdfFile::Open(file, "file", limits);
  if (!final_file.ok()) return final_file.status();
  auto fields = FindSignatureFields(**final_file, limits);
  if (!fields.ok()) return fields.status();
  DssData dss;
  if (absl::Status s = ReadDss(**final_file, limits, dss); !s.ok()) return s;

  // The caller's data and the DSS's, together.
  std::vector<CertificatePtr> certificates(context.certificates.begin(),
                                           context.certificates.end());
  for (const std::string& der : dss.certificates) {
    auto cert = Certificate::Parse(der);
    if (cert.ok()) certificates.push_back(*std::move(cert));
  }
  std::vector<std::string_view> ocsp(context.ocsp_responses.begin(), context.ocsp_responses.end());
  ocsp.insert(ocsp.end(), dss.ocsp_responses.begin(), dss.ocsp_responses.end());
  std::vector<std::string_view> crls(context.crls.begin(), context.crls.end());
  crls.insert(crls.end(), dss.crls.begin(), dss.crls.end());
  cms::ValidationContext ctx = context;
  ctx.certificates = certificates;
  ctx.ocsp_responses = ocsp;
  ctx.crls = crls;

  const size_t trailing = TrailingBytes(file, *revisions);
  PdfVerdict out;
  out.revisions = static_cast<int>(revisions->size());
  out.signatures.resize(fields->size());

  // First what each signature is and covers, its CMS read; then the
  // digests of all ranges in one pass (range_digests.h): each signature's
  // own, and the SHA-256 the audit log keeps (the same pass when the
  // signature's is SHA-256 too).
  std::vector<std::shared_ptr<const cms::SignedData>> signed_data(fields->size());
  std::vector<RangeDigest> digests(fields->size());
  std::vector<RangeDigest> sha256(fields->size());
  std::vector<RangeDigest*> to_digest;
  for (size_t i = 0; i < fields->size(); ++i) {
    const SignatureField& field = (*fields)[i];
    PdfSignatureVerdict& v = out.signatures[i];
    v.field = field;
    v.document_timestamp = field.sub_filter == "ETSI.RFC3161";
    if (!Supported(field.sub_filter)) {
      FailFormat(v, cms::UnsupportedFormat(absl::StrCat("SubFilter ", field.sub_filter)));
      continue;
    }
    if (field.docmdp_level > 0 && i > 0) {
      FailFormat(v, cms::FormatError("a certification signature must be the document's first "
                                     "signature (ISO 32000-1 12.8.2.2)"));
      continue;
    }
    v.range = CheckByteRange(file, *revisions, field, *fields);
    if (!v.range.ok()) {
      Fail(v, SubIndication::kFormatFailure, v.range.failed);
      continue;
    }
    sha256[i] = {HashAlgorithm::kSha256, v.range.pieces[0], v.range.pieces[1], ""};
    to_digest.push_back(&sha256[i]);
    if (v.document_timestamp) continue;
    auto parsed = cms::SignedData::Parse(field.contents, ctx.limits,
                                         /*zero_padding_allowed=*/true);
    if (!parsed.ok()) {
      FailFormat(v, parsed.status());
      continue;
    }
    if (parsed->signer_count() != 1) {
      FailFormat(v, cms::FormatError("PAdES: a signature holds exactly one SignerInfo"));
      continue;
    }
    if (parsed->attached()) {
      FailFormat(v, cms::FormatError("PAdES: the CMS must not encapsulate content"));
      continue;
    }
    auto facts = cms::ReadSignerInfo(*parsed, 0, ctx.certificates);
    if (facts.ok()) {
      digests[i] = {facts->digest, v.range.pieces[0], v.range.pieces[1], ""};
      to_digest.push_back(&digests[i]);
    }
    signed_data[i] = std::make_shared<const cms::SignedData>(*std::move(parsed));
  }
  DigestRanges(file, to_digest);
  for (size_t i = 0; i < fields->size(); ++i) out.signatures[i].range_sha256 = sha256[i].digest;

  std::map<size_t, std::unique_ptr<PdfFile>> signed_revisions;
  // Latest first, so that a valid document timestamp is known before the
  // signatures it covers: its genTime proves they existed (ETSI EN 319
  // 102-1 5.6.2.4, a PAdES-LTA document timestamp).
  absl::Time proven = absl::InfiniteFuture();
  for (size_t i = fields->size(); i-- > 0;) {
    const SignatureField& field = (*fields)[i];
    PdfSignatureVerdict& v = out.signatures[i];
    if (!v.ok()) continue;  // failed above
    ctx.proven_existing_at = proven;
    cms::ContentToCheck content;
    content.pieces = v.range.pieces;
    if (v.document_timestamp) {
      v.timestamp = cms::VerifyTimestampToken(TokenOf(field.contents), content, ctx);
      Fail(v, v.timestamp.sub_indication, v.timestamp.failed);
      if (v.timestamp.ok()) proven = std::min(proven, v.timestamp.info.gen_time);
    } else {
      if (!digests[i].digest.empty()) {
        content.digest_algorithm = digests[i].hash;
        content.digest = digests[i].digest;
      }
      v.signature = cms::VerifyCmsSignature(*signed_data[i], 0, content, ctx);
      v.signed_data = signed_data[i];  // the facts view into it
      Fail(v, v.signature.sub_indication, v.signature.failed);
    }

    std::unique_ptr<PdfFile>& before = signed_revisions[v.range.signed_end];
    if (before == nullptr) {
      auto opened = PdfFile::Open(file.substr(0, v.range.signed_end),
                                  absl::StrCat("revision ", v.range.revision + 1), limits);
      if (!opened.ok()) {
        FailFormat(v, opened.status());
        continue;
      }
      before = *std::move(opened);
    }
    auto changes = ClassifyChanges(*before, **final_file, limits);
    if (!changes.ok()) {
      FailFormat(v, changes.status());
      continue;
    }
    v.changes = *std::move(changes);
    v.changes_known = true;
    if (trailing > 0) {
      v.changes.level = ModificationLevel::kOther;
      v.changes.changes.push_back(
          {ModificationLevel::kOther,
           absl::StrCat(trailing, " bytes after the last %%EOF that belong to no revision")});
    }
    Failure broken = PermissionFailure(v);
    if (broken.failed() && IndicationFor(v.sub_indication) != Indication::kTotalFailed) {
      Fail(v, SubIndication::kFormatFailure, std::move(broken));
    }
  }
  return out;
}

}  // namespace sigverify::crypto::pdf
