// VerifyDocument's core, free of gRPC: recognises the document (a CMS
// SignedData, attached or detached; an RFC 3161 timestamp token or
// response), validates each signature in it (crypto/cms) and maps the
// verdicts to the proto, with what the audit log keeps of each. Runs on a
// worker thread; thread-safe.
#ifndef SIGVERIFY_SERVICE_DOCUMENT_VERIFIER_H_
#define SIGVERIFY_SERVICE_DOCUMENT_VERIFIER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "service/audit/audit_log.h"
#include "service/verifier.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// What the audit log keeps of one signature of a document beside its
// verdict: hashes, never content.
struct DocumentSignatureAudit {
  audit::RecordAttachments attachments;
  std::string data_hash;  // SHA-256 of the bytes the signature covers, or the digest given
  bool digest_given = false;
  std::string signature_sha256;
};
using DocumentAudit = std::vector<DocumentSignatureAudit>;

class DocumentVerifier {
 public:
  explicit DocumentVerifier(const Verifier* verifier) : verifier_(verifier) {}

  // `request` gives the options; `document` and `detached` are the bytes
  // (the request's own, or a stream's spool). Fills `out`; a non-OK status
  // (INVALID_ARGUMENT) is a malformed request. `audit`, when given,
  // receives one entry per signature (one for a document with none
  // readable).
  absl::Status Verify(const v1::VerifyDocumentRequest& request, std::string_view document,
                      std::string_view detached, CallScope& scope, v1::VerifyDocumentResponse* out,
                      DocumentAudit* audit = nullptr) const;

  // The same with the request's own bytes.
  absl::Status Verify(const v1::VerifyDocumentRequest& request, CallScope& scope,
                      v1::VerifyDocumentResponse* out, DocumentAudit* audit = nullptr) const {
    return Verify(request, request.document(), request.detached_content(), scope, out, audit);
  }

 private:
  const Verifier* verifier_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_DOCUMENT_VERIFIER_H_
