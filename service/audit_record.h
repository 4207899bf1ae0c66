// What the audit log keeps of one verified item: built from the request and
// the verdict, with hashes in place of the document and the signature (no
// document content ever reaches the log).
#ifndef SIGVERIFY_SERVICE_AUDIT_RECORD_H_
#define SIGVERIFY_SERVICE_AUDIT_RECORD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "service/access/access_control.h"
#include "service/document_verifier.h"
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

// A worker thread's record to fill, and the arena it lives in: emptied for
// every item, so a record's strings and sub-messages cost no malloc or free
// (a message's Clear deletes its sub-messages; an arena's reset only moves a
// pointer back).
class AuditRecordScratch {
 public:
  AuditRecordScratch();
  AuditRecordScratch(const AuditRecordScratch&) = delete;
  AuditRecordScratch& operator=(const AuditRecordScratch&) = delete;
  // An empty record, valid until the next call.
  v1::AuditRecord& Fresh();

 private:
  static constexpr size_t kBlockBytes = 64 << 10;  // a record with room to spare
  std::unique_ptr<char[]> block_;
  google::protobuf::Arena arena_;
};

// `attachments.data_sha256`, when set, is the data's hash (not computed again).
// Fills `r` (cleared first). On an arena, `r` shares the response's signer
// (the arena never frees it): `r` is for use while `response` lives, and
// nothing may change the signer through it.
void FillAuditRecord(const CallInfo& call, const v1::VerifyRequest& request,
                     const v1::VerifyResponse& response,
                     const audit::RecordAttachments& attachments, absl::Time now,
                     v1::AuditRecord& r);
v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::VerifyRequest& request,
                              const v1::VerifyResponse& response,
                              const audit::RecordAttachments& attachments, absl::Time now);
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
