#include "service/audit_record.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <string_view>

#include "absl/strings/escaping.h"
#include "crypto/sha256.h"
#include "service/proto_time.h"

namespace sigverify::service {
namespace {

// What both kinds of call share.
// The call's facts and the response's policy and trust store.
template <typename Response>
void CallRecord(const CallInfo& call, const Response& response, absl::Time now,
                v1::AuditRecord& r) {
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

// Fields as proto3 writes them: in number order, a string, number or enum
// that is empty or zero left out, a message field written when set (even
// when empty).
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

std::string_view DigestBytes(const crypto::Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

void PutBytes(int field, std::string_view value, CodedOutputStream& out) {
  WireFormatLite::WriteTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &out);
  out.WriteVarint32(static_cast<uint32_t>(value.size()));
  out.WriteRaw(value.data(), static_cast<int>(value.size()));
}

void PutString(int field, std::string_view value, CodedOutputStream& out) {
  if (!value.empty()) PutBytes(field, value, out);
}

void PutVarint(int field, uint64_t value, CodedOutputStream& out) {
  if (value == 0) return;
  WireFormatLite::WriteTag(field, WireFormatLite::WIRETYPE_VARINT, &out);
  out.WriteVarint64(value);
}

void PutEnum(int field, int value, CodedOutputStream& out) {
  if (value == 0) return;
  WireFormatLite::WriteTag(field, WireFormatLite::WIRETYPE_VARINT, &out);
  out.WriteVarint32SignExtended(value);
}

void PutBool(int field, bool value, CodedOutputStream& out) {
  PutVarint(field, value ? 1 : 0, out);
}

void PutMessage(int field, const google::protobuf::MessageLite& m, CodedOutputStream& out) {
  WireFormatLite::WriteTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &out);
  out.WriteVarint32(static_cast<uint32_t>(m.ByteSizeLong()));
  m.SerializeWithCachedSizes(&out);
}

}  // namespace

v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::VerifyRequest& request,
                              const v1::VerifyResponse& response,
                              const audit::RecordAttachments& attachments, absl::Time now) {
  v1::AuditRecord r;
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
  *r.mutable_signer() = response.signer();
  return r;
}

audit::PreparedRecord PrepareVerifyRecord(
    const CallInfo& call, const v1::VerifyRequest& request, const v1::VerifyResponse& response,
    audit::RecordAttachments attachments, absl::Time now, const std::string& shard,
    const std::shared_ptr<const CertificateEncodings::Entry>& signer) {
  using R = v1::AuditRecord;
  const int64_t micros = absl::ToUnixMicros(now);
  const std::string* caller_sha256 = nullptr;
  const std::string* caller_subject = nullptr;
  if (call.authorized.identity != nullptr) {
    caller_sha256 = &call.authorized.identity->sha256_hex();
    caller_subject = &call.authorized.identity->subject();
  }
  // Named, not copied (a 32-byte string would be a malloc per record).
  crypto::Sha256Digest computed;
  std::string_view data_hash;
  if (request.has_digest()) {
    data_hash = request.digest().value();
  } else if (!attachments.data_sha256.empty()) {
    data_hash = attachments.data_sha256;
  } else {
    computed = crypto::Sha256(request.data());
    data_hash = DigestBytes(computed);
  }
  const crypto::Sha256Digest signature_sha256 = crypto::Sha256(request.signature());
  const bool claimed =
      response.validation_time_from_request() && !response.validation_time_attested();

  audit::PreparedRecord out;
  audit::LeafRow& row = out.row;
  const std::string_view signer_encoding =
      signer != nullptr ? std::string_view(signer->encoding) : std::string_view();
  // Room for the leaf and the sequence the writer inserts into it (11 bytes
  // at most), so that neither reallocates.
  row.leaf.reserve(256 + shard.size() + call.request_id.size() + call.caller.size() +
                   (caller_subject != nullptr ? 80 + caller_subject->size() : 0) +
                   request.record_id().size() + signer_encoding.size() + response.policy().size() +
                   response.trust_store_version().size() +
                   80 * static_cast<size_t>(response.path_size()) +
                   200 * static_cast<size_t>(response.revocation_size()));
  {
    google::protobuf::io::StringOutputStream stream(&row.leaf);
    CodedOutputStream o(&stream);
    o.SetSerializationDeterministic(true);
    PutString(R::kShardFieldNumber, shard, o);
    out.sequence_at = static_cast<size_t>(o.ByteCount());
    PutMessage(R::kTimeFieldNumber, TimestampFromMicros(micros), o);
    PutString(R::kMethodFieldNumber, call.method, o);
    PutString(R::kRequestIdFieldNumber, call.request_id, o);
    PutString(R::kCallerFieldNumber, call.caller, o);
    PutString(R::kRecordIdFieldNumber, request.record_id(), o);
    PutString(R::kDataHashFieldNumber, data_hash, o);
    PutBool(R::kDigestGivenFieldNumber, request.has_digest(), o);
    PutString(R::kSignatureSha256FieldNumber, DigestBytes(signature_sha256), o);
    // Written when empty too, as the message's copy of an absent signer is.
    PutBytes(R::kSignerFieldNumber, signer_encoding, o);
    PutEnum(R::kIndicationFieldNumber, response.indication(), o);
    PutEnum(R::kSubIndicationFieldNumber, response.sub_indication(), o);
    PutString(R::kPolicyFieldNumber, response.policy(), o);
    PutString(R::kTrustStoreVersionFieldNumber, response.trust_store_version(), o);
    PutMessage(R::kValidationTimeFieldNumber, response.validation_time(), o);
    for (const v1::Certificate& c : response.path()) {
      PutBytes(R::kPathFieldNumber, c.sha256_fingerprint(), o);
    }
    for (const v1::RevocationEvidence& e : response.revocation()) {
      PutMessage(R::kRevocationFieldNumber, e, o);
    }
    PutVarint(R::kLatencyMicrosFieldNumber,
              static_cast<uint64_t>(absl::ToInt64Microseconds(now - call.arrived)), o);
    PutBool(R::kValidationTimeClaimedFieldNumber, claimed, o);
    if (caller_sha256 != nullptr) {
      PutString(R::kCallerCertificateSha256FieldNumber, *caller_sha256, o);
      PutString(R::kCallerSubjectFieldNumber, *caller_subject, o);
    }
    PutBool(R::kValidationTimeAttestedFieldNumber, response.validation_time_attested(), o);
  }
  // The columns audit::IndexColumns takes from the record.
  row.time_micros = micros;
  row.record_id = request.record_id();
  row.signer.sha256 = response.signer().sha256_fingerprint();
  if (signer != nullptr && attachments.signer_der != nullptr) {
    out.signer = std::shared_ptr<const v1::Certificate>(signer, &signer->certificate);
  } else {
    row.signer.subject = response.signer().subject();
    row.signer.issuer = response.signer().issuer();
    row.signer.serial = response.signer().serial_number();
  }
  row.indication = static_cast<int>(response.indication());
  row.caller = caller_sha256 != nullptr && !caller_sha256->empty() ? *caller_sha256 : call.caller;
  out.signer_der = std::move(attachments.signer_der);
  row.responses = std::move(attachments.responses);
  return out;
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
