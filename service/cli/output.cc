#include "service/cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/proto_time.h"

namespace sigverify::cli {
namespace {

// The record id and the certificate judged: the signer for Verify, the
// certificate itself for ValidateCertificate.
std::string RecordId(const v1::VerifyResponse& r) { return r.record_id(); }
std::string RecordId(const v1::ValidateCertificateResponse&) { return {}; }
const v1::Certificate& Subject(const v1::VerifyResponse& r) { return r.signer(); }
const v1::Certificate& Subject(const v1::ValidateCertificateResponse& r) { return r.certificate(); }
const char* SubjectRole(const v1::VerifyResponse&) { return "signer"; }
const char* SubjectRole(const v1::ValidateCertificateResponse&) { return "certificate"; }

void PrintFailedCheck(const v1::FailedCheck& f) {
  std::cout << "  failed: " << f.check() << " ("
            << ShortName(v1::FailureReason_Name(f.reason()), "FAILURE_REASON_") << ")";
  if (f.position() > 0) std::cout << " at path[" << f.position() - 1 << "]";
  std::cout << "\n";
}

template <typename Response>
void Print(const Response& r) {
  const bool passed = r.indication() == v1::INDICATION_TOTAL_PASSED;
  const std::string id = RecordId(r);
  std::string line = absl::StrCat(id.empty() ? "" : id + ": ",
                                  ShortName(v1::Indication_Name(r.indication()), "INDICATION_"));
  if (!passed) {
    absl::StrAppend(&line, " / ",
                    ShortName(v1::SubIndication_Name(r.sub_indication()), "SUB_INDICATION_"));
  }
  absl::StrAppend(&line, " - ", r.message());
  std::cout << line << "\n";
  const v1::Certificate& who = Subject(r);
  if (!who.subject().empty()) {
    std::cout << "  " << SubjectRole(r) << ": " << who.subject()
              << "\n  serial: " << who.serial_number() << "  sha256: " << who.sha256_fingerprint()
              << "\n";
  }
  if (r.has_failed_check()) PrintFailedCheck(r.failed_check());
  for (int i = 0; i < r.path_size(); ++i) {
    std::cout << "  path[" << i << "]: " << r.path(i).subject() << "\n";
  }
  for (const auto& e : r.revocation()) {
    std::cout << "  revocation[" << e.position() - 1 << "]: " << e.status();
    if (!e.source().empty()) {
      std::cout << " (" << e.source() << (e.from_cache() ? ", cached" : "") << ")";
    }
    if (e.has_next_update()) std::cout << " until " << service::FormatTimestamp(e.next_update());
    if (!e.detail().empty()) std::cout << " - " << e.detail();
    std::cout << "\n";
  }
}

}  // namespace

std::string ShortName(const std::string& enum_name, const std::string& prefix) {
  return absl::StartsWith(enum_name, prefix) ? enum_name.substr(prefix.size()) : enum_name;
}

std::string JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

void PrintHuman(const v1::VerifyResponse& r) { Print(r); }

void PrintHuman(const v1::VerifyDocumentResponse& r) {
  std::string line = absl::StrCat(r.record_id().empty() ? "" : r.record_id() + ": ",
                                  ShortName(v1::Indication_Name(r.indication()), "INDICATION_"));
  if (r.indication() != v1::INDICATION_TOTAL_PASSED) {
    absl::StrAppend(&line, " / ",
                    ShortName(v1::SubIndication_Name(r.sub_indication()), "SUB_INDICATION_"));
  }
  std::cout << line << " - " << r.message() << "\n  document: "
            << ShortName(v1::DocumentFormat_Name(r.format()), "DOCUMENT_FORMAT_")
            << "  sha256: " << r.document_sha256() << "\n";
  if (r.has_failed_check()) PrintFailedCheck(r.failed_check());
  for (int i = 0; i < r.signatures_size(); ++i) {
    const v1::DocumentSignature& s = r.signatures(i);
    std::cout << "  #" << i + 1 << " "
              << ShortName(v1::SignatureKind_Name(s.kind()), "SIGNATURE_KIND_");
    if (!s.field_name().empty()) std::cout << " " << s.field_name();
    std::cout << ": " << (s.signer().subject().empty() ? "?" : s.signer().subject());
    if (s.has_best_signature_time()) {
      std::cout << ", " << service::FormatTimestamp(s.best_signature_time())
                << (s.best_signature_time_from_timestamp() ? " (timestamp)"
                                                           : " (now, no timestamp)");
    }
    std::cout << ", covers " << ShortName(v1::Coverage_Name(s.coverage()), "COVERAGE_") << ": "
              << ShortName(v1::Indication_Name(s.indication()), "INDICATION_");
    if (s.indication() != v1::INDICATION_TOTAL_PASSED) {
      std::cout << " / "
                << ShortName(v1::SubIndication_Name(s.sub_indication()), "SUB_INDICATION_");
    }
    std::cout << " - " << s.message() << "\n";
    if (s.has_claimed_signing_time()) {
      std::cout << "     claimed signing time: "
                << service::FormatTimestamp(s.claimed_signing_time()) << "\n";
    }
    if (s.has_timestamp()) {
      std::cout << "     timestamp: "
                << ShortName(v1::Indication_Name(s.timestamp().indication()), "INDICATION_")
                << " - " << s.timestamp().message() << "\n";
    }
    for (const std::string& w : s.warnings()) std::cout << "     note: " << w << "\n";
    if (s.has_failed_check()) {
      std::cout << "   ";
      PrintFailedCheck(s.failed_check());
    }
  }
}
void PrintHuman(const v1::ValidateCertificateResponse& r) { Print(r); }

}  // namespace sigverify::cli
