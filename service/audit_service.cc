#include "service/audit_service.h"

#include <google/protobuf/util/time_util.h>

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/grpc_status.h"
#include "service/proto_time.h"

namespace sigverify::service {
namespace {

void AddHashes(const std::vector<audit::Hash>& hashes,
               google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const audit::Hash& h : hashes) out->Add(std::string(h.begin(), h.end()));
}

// A filter time within what a Timestamp may hold (0001-01-01 to 9999-12-31,
// nanos 0..999999999): far outside it the conversion to microseconds
// overflowed and a bounded query returned everything.
absl::Status CheckFilterTime(const google::protobuf::Timestamp& t, const char* field) {
  using google::protobuf::util::TimeUtil;
  if (t.seconds() < TimeUtil::kTimestampMinSeconds ||
      t.seconds() > TimeUtil::kTimestampMaxSeconds || t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.", field, ": outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z"));
  }
  return absl::OkStatus();
}

absl::StatusOr<audit::LeafQuery> QueryOf(const v1::RecordFilter& f, bool oldest_first) {
  audit::LeafQuery q;
  q.shard = f.shard();
  if (f.has_since()) {
    if (auto s = CheckFilterTime(f.since(), "since"); !s.ok()) return s;
    q.since_micros = ToUnixMicros(f.since());
  }
  if (f.has_until()) {
    if (auto s = CheckFilterTime(f.until(), "until"); !s.ok()) return s;
    q.until_micros = ToUnixMicros(f.until());
  }
  q.record_id = f.record_id();
  q.signer_fingerprint = f.signer_fingerprint();
  q.signer_serial = f.signer_serial();
  q.subject_contains = f.subject_contains();
  q.indication = static_cast<int>(f.indication());
  q.caller = f.caller();
  q.oldest_first = oldest_first;
  return q;
}

// A page token is the last row's sort key: "<time>:<sequence>:<shard>",
// base64 (opaque to callers).
std::string TokenOf(const audit::FoundLeaf& last) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(last.time_micros, ":", last.sequence, ":", last.shard));
}

absl::StatusOr<audit::LeafCursor> CursorOf(const std::string& token) {
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(token, &raw))
    parts = absl::StrSplit(raw, absl::MaxSplits(':', 2));
  audit::LeafCursor c;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &c.time_micros) ||
      !absl::SimpleAtoi(parts[1], &c.sequence)) {
    return absl::InvalidArgumentError("page_token: not a token this service gave");
  }
  c.shard = parts[2];
  return c;
}

absl::Status ParseRecord(const audit::FoundLeaf& row, v1::AuditRecord* out) {
  if (!out->ParseFromString(row.leaf)) {
    return absl::DataLossError(
        absl::StrCat("record ", row.sequence, " of shard ", row.shard, " does not parse"));
  }
  return absl::OkStatus();
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

grpc::Status AuditService::GetCertificate(grpc::ServerContext*,
                                          const v1::GetCertificateRequest* request,
                                          v1::GetCertificateResponse* response) {
  auto row = log_->store().Certificate(request->sha256());
  if (!row.ok()) return ToGrpc(row.status());
  response->set_der(std::move(row->der));
  v1::Certificate* c = response->mutable_certificate();
  c->set_sha256_fingerprint(row->sha256);
  c->set_subject(row->subject);
  c->set_issuer(row->issuer);
  c->set_serial_number(row->serial);
  return grpc::Status::OK;
}

grpc::Status AuditService::GetRevocationResponse(grpc::ServerContext*,
                                                 const v1::GetRevocationResponseRequest* request,
                                                 v1::GetRevocationResponseResponse* response) {
  auto der = log_->store().RevocationResponse(request->sha256());
  if (!der.ok()) return ToGrpc(der.status());
  response->set_der(*std::move(der));
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

grpc::Status AuditService::QueryRecords(grpc::ServerContext*,
                                        const v1::QueryRecordsRequest* request,
                                        v1::QueryRecordsResponse* response) {
  const int page_size = request->page_size() == 0 ? 100 : request->page_size();
  if (page_size < 0 || page_size > kMaxPageSize) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("page_size: ", request->page_size(), " is outside 1..", kMaxPageSize));
  }
  std::optional<audit::LeafCursor> after;
  if (!request->page_token().empty()) {
    auto cursor = CursorOf(request->page_token());
    if (!cursor.ok()) return ToGrpc(cursor.status());
    after = *cursor;
  }
  auto query = QueryOf(request->filter(), request->oldest_first());
  if (!query.ok()) return ToGrpc(query.status());
  // One more than asked: whether there is a next page.
  auto rows =
      log_->store().Find(*query, after ? &*after : nullptr, static_cast<size_t>(page_size) + 1);
  if (!rows.ok()) return ToGrpc(rows.status());
  const bool more = rows->size() > static_cast<size_t>(page_size);
  if (more) rows->pop_back();
  for (const audit::FoundLeaf& row : *rows) {
    if (auto s = ParseRecord(row, response->add_records()); !s.ok()) return ToGrpc(s);
  }
  if (more) response->set_next_page_token(TokenOf(rows->back()));
  return grpc::Status::OK;
}

grpc::Status AuditService::ExportRecords(grpc::ServerContext* context,
                                         const v1::ExportRecordsRequest* request,
                                         grpc::ServerWriter<v1::ExportRecordsResponse>* writer) {
  auto filter = QueryOf(request->filter(), /*oldest_first=*/true);
  if (!filter.ok()) return ToGrpc(filter.status());
  audit::LeafQuery query = *std::move(filter);
  query.tree_order = true;
  std::optional<audit::LeafCursor> after;
  for (;;) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    auto rows = log_->store().Find(query, after ? &*after : nullptr, kMaxPageSize);
    if (!rows.ok()) return ToGrpc(rows.status());
    for (audit::FoundLeaf& row : *rows) {
      v1::ExportRecordsResponse item;
      if (auto s = ParseRecord(row, item.mutable_record()); !s.ok()) return ToGrpc(s);
      item.set_leaf(std::move(row.leaf));
      if (!writer->Write(item)) return grpc::Status::CANCELLED;
    }
    if (rows->size() < static_cast<size_t>(kMaxPageSize)) return grpc::Status::OK;
    after = audit::LeafCursor{rows->back().time_micros, rows->back().shard, rows->back().sequence};
  }
}

}  // namespace sigverify::service
