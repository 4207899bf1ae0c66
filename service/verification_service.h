// The gRPC VerificationService: translates RPCs into work for the worker
// pool and answers from there. Callbacks never block a gRPC thread.
#ifndef SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_
#define SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_

#include <functional>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/access/access_control.h"
#include "service/access_log.h"
#include "service/audit/audit_log.h"
#include "service/audit_record.h"
#include "service/byte_budget.h"
#include "service/call_messages.h"
#include "service/disk_space_guard.h"
#include "service/document_verifier.h"
#include "service/drain.h"
#include "service/metrics.h"
#include "service/record_gatherer.h"
#include "service/verifier.h"
#include "service/worker_pool.h"
#include "sigverify/v1/verification.grpc.pb.h"

namespace sigverify::service {

class Finisher;

// The unary methods take and give raw bytes so that the service decodes
// them itself (see call_messages.h); the wire contract is the proto's.
// VerifyDocumentStream's messages are small (chunks go to a spool), so it
// takes them typed. VerifyStream decodes each record itself, so that a
// malformed one is answered with an error and the stream goes on.
using RawCallbackService = v1::VerificationService::WithRawCallbackMethod_Verify<
    v1::VerificationService::WithRawCallbackMethod_VerifyBatch<
        v1::VerificationService::WithRawCallbackMethod_ValidateCertificate<
            v1::VerificationService::WithRawCallbackMethod_VerifyDocument<
                v1::VerificationService::WithCallbackMethod_VerifyDocumentStream<
                    v1::VerificationService::WithRawCallbackMethod_VerifyStream<
                        v1::VerificationService::Service>>>>>>;

// What happens to verdicts the audit log cannot record.
enum class AuditFailure {
  kUnavailable,  // the call fails with UNAVAILABLE: no verdict leaves unlogged
  kAnswer,       // the verdict is answered anyway (and counted as unlogged)
};

class VerificationService final : public RawCallbackService {
 public:
  // Calls are admitted through `drain` (UNAVAILABLE once it stops); `audit`,
  // when given, records every verdict before it is answered; `disk`, when
  // given, refuses calls while the log's disk is below its floor; `access`,
  // when given, decides who may call (ROLE_VERIFIER) and who may set
  // validation_time; `access_log`, when given, gets a line per call.
  VerificationService(std::shared_ptr<const Verifier> verifier, WorkerPool* pool,
                      ServiceMetrics* metrics, Drain* drain, audit::AuditLog* audit = nullptr,
                      AuditFailure on_audit_failure = AuditFailure::kUnavailable,
                      const DiskSpaceGuard* disk = nullptr,
                      const access::AccessControl* access = nullptr,
                      AccessLog* access_log = nullptr);

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* VerifyBatch(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* ValidateCertificate(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* VerifyDocument(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;

  // The options first, then chunks spooled to a temporary file (spool.h):
  // memory holds one message at a time whatever the document's size, up to
  // max_document_stream_bytes; the next chunk is read only once the last is
  // written (gRPC flow control slows the sender).
  grpc::ServerReadReactor<v1::VerifyDocumentStreamRequest>* VerifyDocumentStream(
      grpc::CallbackServerContext* context, v1::VerifyDocumentStreamResponse* response) override;

  // Records as they come, each answered once, in the order verdicts are
  // ready (record_stream.cc).
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* VerifyStream(
      grpc::CallbackServerContext* context) override;

  // Shutdown: every open VerifyStream reads no more records, answers those
  // it has read and ends (UNAVAILABLE, or OK for a caller that had
  // half-closed). Called once the drain has stopped admitting calls.
  void CloseStreams();

  // sigverify_inflight_*
  StatsTable stats_table() const { return inflight_.stats_table(); }

 private:
  // Counts the call in and sets `caller`; answers and returns null when
  // draining (UNAVAILABLE), when access control refuses the caller, or when
  // the audit log's disk is below its floor.
  std::shared_ptr<Finisher> Start(grpc::ServerUnaryReactor* reactor, Method method,
                                  const grpc::ByteBuffer& request_bytes,
                                  const grpc::CallbackServerContext& context,
                                  access::Caller* caller);
  // The same for any reactor (`finish` finishes it); `reserved_bytes` of the
  // in-flight budget are held until then.
  std::shared_ptr<Finisher> Start(std::function<void(const grpc::Status&)> finish, Method method,
                                  size_t reserved_bytes, const grpc::CallbackServerContext& context,
                                  access::Caller* caller);

  class DocumentStream;
  class RecordStream;
  // false once CloseStreams ran.
  bool OpenStream(RecordStream* stream);
  void ForgetStream(RecordStream* stream);

  // RESOURCE_EXHAUSTED for a full worker pool (with RetryInfo for a call).
  absl::Status OverloadedStatus() const;
  grpc::Status Overloaded() const;
  static constexpr absl::Duration kOverloadRetry = absl::Milliseconds(100);
  // RESOURCE_EXHAUSTED for a full in-flight byte budget.
  absl::Status InflightRefusal() const;
  // A verified item's audit record, filled and prepared on the calling
  // (worker) thread.
  audit::PreparedRecord PrepareRecord(const CallInfo& info, const v1::VerifyRequest& request,
                                      const v1::VerifyResponse& response,
                                      audit::RecordAttachments& attachments);

  // The caller's quota for `items` more records: held by `finisher` until
  // the call is answered, or RESOURCE_EXHAUSTED with RetryInfo.
  grpc::Status AdmitQuota(const CallInfo& info, size_t items, Finisher& finisher);
  // The worker pool's fair-share key of the call: its grant under access
  // control, none otherwise.
  std::string PoolKey(const CallInfo& info) const;

  // A one-item call admitted: its messages and what its context said.
  template <typename Request, typename Response>
  struct UnaryCall {
    CallMessages<Request, Response> messages;
    std::shared_ptr<Finisher> finisher;
    CallInfo info;
    absl::Time now;
    crypto::Language language = crypto::Language::kVietnamese;
    audit::RecordAttachments attachments;
    // Its record, on its way to the audit log (Verify).
    audit::AuditLog::Expected expected;
  };
  // Counts the call in, decodes it and admits it (drain, access, disk,
  // bytes, validation-time grant, quota); null once answered.
  // `reactor` is the context's default reactor (taken once per call).
  template <typename Request, typename Response>
  std::shared_ptr<UnaryCall<Request, Response>> AdmitUnary(grpc::CallbackServerContext* context,
                                                           grpc::ServerUnaryReactor* reactor,
                                                           const grpc::ByteBuffer* request_bytes,
                                                           Method method);

  // A one-item call: decode, run `work` on the pool, encode, answer.
  // `work` fills an Attachments (what the audit records need beyond the
  // response) that AuditEntriesOf turns into the call's records.
  template <typename Request, typename Response, typename Attachments, typename Work>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request_bytes,
                                  grpc::ByteBuffer* response_bytes, Method method, Work work);

  // Answers `answer` once `records` are durable (or at once without an
  // audit log); the failure policy decides otherwise. The answer is
  // serialized by the caller (a worker), so the audit writer that runs the
  // completion only sends it: it neither renders nor frees the call's messages.
  void RecordThenFinish(std::vector<audit::PreparedRecord> records,
                        const std::shared_ptr<Finisher>& finisher, grpc::Status answer,
                        audit::AuditLog::Expected expected = {});
  // Prepared here, on the caller's thread.
  void RecordThenFinish(std::vector<audit::AuditEntry> records,
                        const std::shared_ptr<Finisher>& finisher, grpc::Status answer);

  std::shared_ptr<const Verifier> verifier_;
  DocumentVerifier documents_;
  WorkerPool* pool_;
  RecordGatherer gatherer_;
  Drain* drain_;
  const DiskSpaceGuard* disk_;
  const access::AccessControl* access_;
  AccessLog* access_log_;
  access::CallerQuotas quotas_;
  ByteBudget inflight_;  // --max-inflight-bytes
  ServiceMetrics* metrics_;
  audit::AuditLog* audit_;
  AuditFailure on_audit_failure_;
  absl::Mutex streams_mu_;
  absl::flat_hash_set<RecordStream*> streams_ ABSL_GUARDED_BY(streams_mu_);
  bool streams_closed_ ABSL_GUARDED_BY(streams_mu_) = false;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_VERIFICATION_SERVICE_H_
