#include "service/audit_record.h"

#include "crypto/sha256.h"
#include "service/proto_time.h"

namespace sigverify::service {
namespace {

std::string Sha256Bytes(std::string_view bytes) {
  const crypto::Sha256Digest d = crypto::Sha256(bytes);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// What both kinds of call share.
template <typename Response>
v1::AuditRecord Common(const CallInfo& call, const Response& response, absl::Time now) {
  v1::AuditRecord r;
  *r.mutable_time() = TimestampFromMicros(absl::ToUnixMicros(now));
  r.set_method(call.method);
  r.set_request_id(call.request_id);
  r.set_caller(call.caller);
  r.set_indication(response.indication());
  r.set_sub_indication(response.sub_indication());
  r.set_policy(response.policy());
  r.set_trust_store_version(response.trust_store_version());
  *r.mutable_validation_time() = response.validation_time();
  r.set_validation_time_claimed(response.validation_time_from_request());
  for (const v1::Certificate& c : response.path()) r.add_path(c.sha256_fingerprint());
  *r.mutable_revocation() = response.revocation();
  r.set_latency_micros(static_cast<uint64_t>(absl::ToInt64Microseconds(now - call.arrived)));
  return r;
}

}  // namespace

v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::VerifyRequest& request,
                              const v1::VerifyResponse& response, absl::Time now) {
  v1::AuditRecord r = Common(call, response, now);
  r.set_record_id(request.record_id());
  if (request.has_digest()) {
    r.set_data_hash(request.digest().value());
    r.set_digest_given(true);
  } else {
    r.set_data_hash(Sha256Bytes(request.data()));
  }
  r.set_signature_sha256(Sha256Bytes(request.signature()));
  *r.mutable_signer() = response.signer();
  return r;
}

v1::AuditRecord AuditRecordOf(const CallInfo& call, const v1::ValidateCertificateRequest& request,
                              const v1::ValidateCertificateResponse& response, absl::Time now) {
  v1::AuditRecord r = Common(call, response, now);
  *r.mutable_signer() = response.certificate();
  return r;
}

}  // namespace sigverify::service
