#include "service/audit_service.h"

#include "absl/strings/str_cat.h"
#include "service/grpc_status.h"

namespace sigverify::service {
namespace {

void AddHashes(const std::vector<audit::Hash>& hashes,
               google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const audit::Hash& h : hashes) out->Add(std::string(h.begin(), h.end()));
}

}  // namespace

absl::StatusOr<uint64_t> AuditService::TreeSize(const std::string& shard, uint64_t size) const {
  auto current = log_->store().Size(shard);
  if (!current.ok()) return current.status();
  if (size == 0) return *current;
  if (size > *current) {
    return absl::OutOfRangeError(
        absl::StrCat("shard ", shard, " has ", *current, " records, fewer than ", size));
  }
  return size;
}

grpc::Status AuditService::GetCheckpoint(grpc::ServerContext*,
                                         const v1::GetCheckpointRequest* request,
                                         v1::GetCheckpointResponse* response) {
  auto note = log_->store().Checkpoint(ShardOf(request->shard()), 0);
  if (!note.ok()) return ToGrpc(note.status());
  response->set_checkpoint(*note);
  response->set_verifier_key(log_->verifier_key());
  return grpc::Status::OK;
}

grpc::Status AuditService::GetRecord(grpc::ServerContext*, const v1::GetRecordRequest* request,
                                     v1::GetRecordResponse* response) {
  auto leaf = log_->store().Leaf(ShardOf(request->shard()), request->sequence());
  if (!leaf.ok()) return ToGrpc(leaf.status());
  if (!response->mutable_record()->ParseFromString(*leaf)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS,
                        absl::StrCat("record ", request->sequence(), " does not parse"));
  }
  response->set_leaf(*std::move(leaf));
  return grpc::Status::OK;
}

grpc::Status AuditService::GetInclusionProof(grpc::ServerContext*,
                                             const v1::GetInclusionProofRequest* request,
                                             v1::GetInclusionProofResponse* response) {
  const std::string& shard = ShardOf(request->shard());
  auto size = TreeSize(shard, request->tree_size());
  if (!size.ok()) return ToGrpc(size.status());
  auto proof = audit::InclusionProof(log_->Nodes(shard), request->sequence(), *size);
  if (!proof.ok()) return ToGrpc(proof.status());
  response->set_tree_size(*size);
  AddHashes(*proof, response->mutable_hashes());
  return grpc::Status::OK;
}

grpc::Status AuditService::GetConsistencyProof(grpc::ServerContext*,
                                               const v1::GetConsistencyProofRequest* request,
                                               v1::GetConsistencyProofResponse* response) {
  const std::string& shard = ShardOf(request->shard());
  auto new_size = TreeSize(shard, request->new_size());
  if (!new_size.ok()) return ToGrpc(new_size.status());
  auto proof = audit::ConsistencyProof(log_->Nodes(shard), request->old_size(), *new_size);
  if (!proof.ok()) return ToGrpc(proof.status());
  response->set_old_size(request->old_size());
  response->set_new_size(*new_size);
  AddHashes(*proof, response->mutable_hashes());
  return grpc::Status::OK;
}

}  // namespace sigverify::service
