// The gRPC AuditService: checkpoints, records and RFC 9162 proofs of the
// audit log, for auditors (proto/sigverify/v1/audit.proto). Reads only;
// served on the main listener or on --audit-listen.
//
// Like VerificationService it takes raw bytes (a malformed request gets
// INVALID_ARGUMENT naming its type, see call_messages.h) and never blocks a
// gRPC thread: store reads run on two small pools of its own, one for
// lookups (a record, a certificate, a proof, a checkpoint: milliseconds)
// and one for searches (QueryRecords, each page of ExportRecords: up to the
// store's query budget), so that broad searches never hold up lookups nor
// verification. Each pool's queue is bounded: beyond it RESOURCE_EXHAUSTED.
#ifndef SIGVERIFY_SERVICE_AUDIT_SERVICE_H_
#define SIGVERIFY_SERVICE_AUDIT_SERVICE_H_

#include <cstddef>

#include "service/access/access_control.h"
#include "service/access_log.h"
#include "service/audit/audit_log.h"
#include "service/drain.h"
#include "service/worker_pool.h"
#include "sigverify/v1/audit.grpc.pb.h"

namespace sigverify::service {

using RawAuditService = v1::AuditService::WithRawCallbackMethod_GetTile<
    v1::AuditService::WithRawCallbackMethod_GetCheckpoint<
        v1::AuditService::WithRawCallbackMethod_GetRecord<
            v1::AuditService::WithRawCallbackMethod_GetCertificate<
                v1::AuditService::WithRawCallbackMethod_GetRevocationResponse<
                    v1::AuditService::WithRawCallbackMethod_GetInclusionProof<
                        v1::AuditService::WithRawCallbackMethod_GetConsistencyProof<
                            v1::AuditService::WithRawCallbackMethod_QueryRecords<
                                v1::AuditService::WithRawCallbackMethod_ExportRecords<
                                    v1::AuditService::Service>>>>>>>>>;

class AuditService final : public RawAuditService {
 public:
  static constexpr int kMaxPageSize = 1000;
  static constexpr size_t kLookupThreads = 2;
  // Calls waiting for a thread, per pool, beyond those running.
  static constexpr size_t kMaxQueuedLookups = 256;
  static constexpr size_t kMaxQueuedSearches = 32;

  // Store connections the service reads on at most at once: open the
  // store with this many readers.
  static size_t ReaderConnections(size_t search_threads) { return kLookupThreads + search_threads; }

  // Calls are admitted through `drain` (UNAVAILABLE once it stops);
  // `access`, when given, lets only ROLE_AUDITOR callers in; `access_log`,
  // when given, gets a line per call (who read the log is itself audited).
  AuditService(audit::AuditLog* log, size_t search_threads, Drain* drain,
               const access::AccessControl* access = nullptr, AccessLog* access_log = nullptr);

  grpc::ServerUnaryReactor* GetCheckpoint(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetRecord(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetCertificate(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetRevocationResponse(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* QueryRecords(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetTile(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ExportRecords(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;

 private:
  class Export;

  // Checks the caller, decodes the request, runs `answer` on `pool`,
  // encodes and finishes.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* response_bytes, WorkerPool& pool,
                                   const char* method,
                                   absl::Status (AuditService::*answer)(const Request&, Response*));
  // The caller of `method` ("QueryRecords"), if it has ROLE_AUDITOR.
  absl::StatusOr<access::Caller> Authorize(const grpc::CallbackServerContext& context,
                                           const char* method) const;
  // The access log line of a call to `method`.
  CallLog Log(const grpc::CallbackServerContext& context, const char* method) const;

  absl::Status Checkpoint(const v1::GetCheckpointRequest& request,
                          v1::GetCheckpointResponse* response);
  absl::Status Record(const v1::GetRecordRequest& request, v1::GetRecordResponse* response);
  absl::Status Certificate(const v1::GetCertificateRequest& request,
                           v1::GetCertificateResponse* response);
  absl::Status RevocationResponse(const v1::GetRevocationResponseRequest& request,
                                  v1::GetRevocationResponseResponse* response);
  absl::Status InclusionProof(const v1::GetInclusionProofRequest& request,
                              v1::GetInclusionProofResponse* response);
  absl::Status ConsistencyProof(const v1::GetConsistencyProofRequest& request,
                                v1::GetConsistencyProofResponse* response);
  absl::Status Query(const v1::QueryRecordsRequest& request, v1::QueryRecordsResponse* response);
  absl::Status Tile(const v1::GetTileRequest& request, v1::GetTileResponse* response);

  const std::string& ShardOf(const std::string& requested) const {
    return requested.empty() ? log_->shard() : requested;
  }
  // `size`, or the shard's size when 0; OUT_OF_RANGE past the end.
  absl::StatusOr<uint64_t> TreeSize(const std::string& shard, uint64_t size) const;

  audit::AuditLog* log_;
  Drain* drain_;
  const access::AccessControl* access_;
  AccessLog* access_log_;
  WorkerPool lookups_;
  WorkerPool searches_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_AUDIT_SERVICE_H_
