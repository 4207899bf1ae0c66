// What the audit log keeps of one verified item: built from the request and
// the verdict, with hashes in place of the document and the signature (no
// document content ever reaches the log).
#ifndef SIGVERIFY_SERVICE_AUDIT_RECORD_H_
#define SIGVERIFY_SERVICE_AUDIT_RECORD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "service/access/access_control.h"
#include "service/audit/audit_log.h"
#include "service/document_verifier.h"
#include "service/response_encoding.h"
#include "sigverify/v1/audit.pb.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// The call an item came in.
struct CallInfo {
  const char* method = "";    // "Verify", "VerifyBatch", "ValidateCertificate"
  std::string request_id;     // x-request-id metadata
  std::string caller;         // the peer
  access::Caller authorized;  // the client certificate and its grant
  absl::Time arrived;
};

// The record of one verified item. `attachments.data_sha256`, when set, is
// the data's hash (not computed again).
v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::VerifyRequest& request,
                              const v1::VerifyResponse& response,
                              const audit::RecordAttachments& attachments, absl::Time now);
// The same record as `shard`'s log prepares it (audit::AuditLog::Prepare of
// AuditRecordOf's message: the same leaf bytes, index columns and
// attachments), encoded straight from the request and the verdict: no
// message is filled, so none of its strings is copied (a worker's share of
// the log's cost under load; ADR 0022). `signer` is this thread's entry for
// `response.signer()` (its message and encoding), null when the response has
// no signer. With the signer's DER attached, the row's signer columns but
// the fingerprint are left to the writer (PreparedRecord::signer), which
// fills them in the one row it sends the DER with. The test compares both
// ways field by field and fails when AuditRecord gains a field.
audit::PreparedRecord PrepareVerifyRecord(
    const CallInfo& call, const v1::VerifyRequest& request, const v1::VerifyResponse& response,
    audit::RecordAttachments attachments, absl::Time now, const std::string& shard,
    const std::shared_ptr<const CertificateEncodings::Entry>& signer);
v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::ValidateCertificateRequest& request,
                              const v1::ValidateCertificateResponse& response,
                              const audit::RecordAttachments& attachments, absl::Time now);
// One record per signature of the document (`signatures`, in the response's
// order, says what the response does not: the hashes of what each covers).
std::vector<v1::AuditRecord> AuditRecordsOf(const CallInfo& call,
                                            const v1::VerifyDocumentRequest& request,
                                            const v1::VerifyDocumentResponse& response,
                                            const DocumentAudit& signatures, absl::Time now);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_AUDIT_RECORD_H_
