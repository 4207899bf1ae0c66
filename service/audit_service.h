// The gRPC AuditService: checkpoints, records and RFC 9162 proofs of the
// audit log, for auditors (proto/sigverify/v1/audit.proto). Reads only;
// served on the main listener or on --audit-listen.
#ifndef SIGVERIFY_SERVICE_AUDIT_SERVICE_H_
#define SIGVERIFY_SERVICE_AUDIT_SERVICE_H_

#include "service/audit/audit_log.h"
#include "sigverify/v1/audit.grpc.pb.h"

namespace sigverify::service {

class AuditService final : public v1::AuditService::Service {
 public:
  explicit AuditService(audit::AuditLog* log) : log_(log) {}

  grpc::Status GetCheckpoint(grpc::ServerContext* context, const v1::GetCheckpointRequest* request,
                             v1::GetCheckpointResponse* response) override;
  grpc::Status GetRecord(grpc::ServerContext* context, const v1::GetRecordRequest* request,
                         v1::GetRecordResponse* response) override;
  grpc::Status GetCertificate(grpc::ServerContext* context,
                              const v1::GetCertificateRequest* request,
                              v1::GetCertificateResponse* response) override;
  grpc::Status GetRevocationResponse(grpc::ServerContext* context,
                                     const v1::GetRevocationResponseRequest* request,
                                     v1::GetRevocationResponseResponse* response) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const v1::GetInclusionProofRequest* request,
                                 v1::GetInclusionProofResponse* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::GetConsistencyProofResponse* response) override;
  grpc::Status QueryRecords(grpc::ServerContext* context, const v1::QueryRecordsRequest* request,
                            v1::QueryRecordsResponse* response) override;
  grpc::Status ExportRecords(grpc::ServerContext* context, const v1::ExportRecordsRequest* request,
                             grpc::ServerWriter<v1::ExportRecordsResponse>* writer) override;

  static constexpr int kMaxPageSize = 1000;

 private:
  const std::string& ShardOf(const std::string& requested) const {
    return requested.empty() ? log_->shard() : requested;
  }
  // `size`, or the shard's size when 0; OUT_OF_RANGE past the end.
  absl::StatusOr<uint64_t> TreeSize(const std::string& shard, uint64_t size) const;

  audit::AuditLog* log_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_AUDIT_SERVICE_H_
