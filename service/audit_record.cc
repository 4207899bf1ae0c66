#include "service/audit_record.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "crypto/sha256.h"
#include "service/proto_time.h"

namespace sigverify::service {
namespace {

// What both kinds of call share.
// The call's facts and the response's policy and trust store.
// Into `r`, cleared first (its strings and sub-messages are reused).
template <typename Response>
void CallRecord(const CallInfo& call, const Response& response, absl::Time now,
                v1::AuditRecord& r) {
  r.Clear();
  *r.mutable_time() = TimestampFromMicros(absl::ToUnixMicros(now));
  r.set_method(call.method);
  r.set_request_id(call.request_id);
  r.set_caller(call.caller);
  if (call.authorized.identity != nullptr) {
    r.set_caller_certificate_sha256(call.authorized.identity->sha256_hex());
    r.set_caller_subject(call.authorized.identity->subject());
  }
  r.set_policy(response.policy());
  r.set_trust_store_version(response.trust_store_version());
  *r.mutable_validation_time() = response.validation_time();
  r.set_latency_micros(static_cast<uint64_t>(absl::ToInt64Microseconds(now - call.arrived)));
}

// The verdict's part: indication, path, revocation.
template <typename Verdict>
void VerdictPart(const Verdict& verdict, v1::AuditRecord& r) {
  r.set_indication(verdict.indication());
  r.set_sub_indication(verdict.sub_indication());
  for (const v1::Certificate& c : verdict.path()) r.add_path(c.sha256_fingerprint());
  *r.mutable_revocation() = verdict.revocation();
}

template <typename Response>
void Common(const CallInfo& call, const Response& response, absl::Time now, v1::AuditRecord& r) {
  CallRecord(call, response, now, r);
  VerdictPart(response, r);
  // A time the caller set is a claim, unless its grant lets it attest it.
  r.set_validation_time_attested(response.validation_time_attested());
  r.set_validation_time_claimed(response.validation_time_from_request() &&
                                !response.validation_time_attested());
}

google::protobuf::ArenaOptions ScratchOptions(char* block, size_t size) {
  google::protobuf::ArenaOptions o;
  o.initial_block = block;
  o.initial_block_size = size;
  return o;
}

}  // namespace

AuditRecordScratch::AuditRecordScratch()
    : block_(new char[kBlockBytes]), arena_(ScratchOptions(block_.get(), kBlockBytes)) {}

v1::AuditRecord& AuditRecordScratch::Fresh() {
  arena_.Reset();
  return *google::protobuf::Arena::CreateMessage<v1::AuditRecord>(&arena_);
}

void FillAuditRecord(const CallInfo& call, const v1::VerifyRequest& request,
                     const v1::VerifyResponse& response,
                     const audit::RecordAttachments& attachments, absl::Time now,
                     v1::AuditRecord& r) {
  Common(call, response, now, r);
  r.set_record_id(request.record_id());
  if (request.has_digest()) {
    r.set_data_hash(request.digest().value());
    r.set_digest_given(true);
  } else if (!attachments.data_sha256.empty()) {
    r.set_data_hash(attachments.data_sha256);
  } else {
    r.set_data_hash(crypto::AsBytes(crypto::Sha256(request.data())));
  }
  r.set_signature_sha256(crypto::AsBytes(crypto::Sha256(request.signature())));
  if (r.GetArena() != nullptr && response.has_signer()) {
    // Shared, not copied (see the header).
    r.unsafe_arena_set_allocated_signer(const_cast<v1::Certificate*>(&response.signer()));
  } else {
    *r.mutable_signer() = response.signer();
  }
}

v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::VerifyRequest& request,
                              const v1::VerifyResponse& response,
                              const audit::RecordAttachments& attachments, absl::Time now) {
  v1::AuditRecord r;
  FillAuditRecord(call, request, response, attachments, now, r);
  return r;
}

v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::ValidateCertificateRequest& request,
                              const v1::ValidateCertificateResponse& response,
                              const audit::RecordAttachments& attachments, absl::Time now) {
  v1::AuditRecord r;
  Common(call, response, now, r);
  *r.mutable_signer() = response.certificate();
  return r;
}

std::vector<v1::AuditRecord> AuditRecordsOf(const CallInfo& call,
                                            const v1::VerifyDocumentRequest& request,
                                            const v1::VerifyDocumentResponse& response,
                                            const DocumentAudit& signatures, absl::Time now) {
  std::vector<v1::AuditRecord> out;
  const std::string document_sha256 = absl::HexStringToBytes(response.document_sha256());
  const int count = response.signatures_size();
  for (int i = 0; i < std::max(count, 1); ++i) {
    v1::AuditRecord& r = out.emplace_back();
    CallRecord(call, response, now, r);
    r.set_record_id(request.record_id());
    r.set_document_sha256(document_sha256);
    r.set_signature_count(count);
    if (count == 0) {  // the document itself could not be read
      r.set_indication(response.indication());
      r.set_sub_indication(response.sub_indication());
      continue;
    }
    const v1::DocumentSignature& s = response.signatures(i);
    VerdictPart(s, r);
    r.set_signature_index(i + 1);
    r.set_field_name(s.field_name());
    r.set_signature_kind(s.kind());
    *r.mutable_signer() = s.signer();
    *r.mutable_best_signature_time() = s.best_signature_time();
    r.set_best_signature_time_from_timestamp(s.best_signature_time_from_timestamp());
    if (static_cast<size_t>(i) < signatures.size()) {
      r.set_data_hash(signatures[i].data_hash);
      r.set_digest_given(signatures[i].digest_given);
      r.set_signature_sha256(signatures[i].signature_sha256);
    }
  }
  return out;
}

}  // namespace sigverify::service
