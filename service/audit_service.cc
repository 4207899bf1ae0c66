#include "service/audit_service.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "service/audit/tiles.h"
#include "service/call_auth.h"
#include "service/call_messages.h"
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

grpc::Status ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
}

grpc::Status Busy(const char* what, const WorkerPool& pool) {
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("audit ", what, " at their limit (", pool.threads(), " running, ",
                   pool.max_queued_cost(), " waiting); retry with backoff"));
}

}  // namespace

AuditService::AuditService(audit::AuditLog* log, size_t search_threads, Drain* drain,
                           const access::AccessControl* access, AccessLog* access_log)
    : log_(log),
      drain_(drain),
      access_(access),
      access_log_(access_log),
      // A pool's budget counts the calls running as well as those waiting.
      lookups_(kLookupThreads, kLookupThreads + kMaxQueuedLookups),
      searches_(search_threads, search_threads + kMaxQueuedSearches) {}

CallLog AuditService::Log(const grpc::CallbackServerContext& context, const char* method) const {
  return CallLog(access_log_, context.peer(), absl::StrCat("/sigverify.v1.AuditService/", method),
                 absl::Now());
}

absl::StatusOr<access::Caller> AuditService::Authorize(const grpc::CallbackServerContext& context,
                                                       const char* method) const {
  return AuthorizeCall(access_, context, access::cfg::ROLE_AUDITOR,
                       absl::StrCat("/sigverify.v1.AuditService/", method), absl::Now());
}

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

template <typename Request, typename Response>
grpc::ServerUnaryReactor* AuditService::Answer(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
    grpc::ByteBuffer* response_bytes, WorkerPool& pool, const char* method,
    absl::Status (AuditService::*answer)(const Request&, Response*)) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto log = std::make_shared<CallLog>(Log(*context, method));
  auto finish = [reactor, log](const grpc::Status& status) {
    log->Finish(status.error_code(), absl::Now());
    reactor->Finish(status);
  };
  auto ticket = std::make_shared<Drain::Ticket>(drain_->Admit());
  if (!*ticket) {
    finish(ShuttingDown());
    return reactor;
  }
  if (auto caller = Authorize(*context, method); !caller.ok()) {
    finish(ToGrpc(caller.status()));
    return reactor;
  } else {
    log->Authorized(*caller);
  }
  auto call = std::make_shared<CallMessages<Request, Response>>();
  if (grpc::Status parsed = call->Parse(*request_bytes); !parsed.ok()) {
    finish(parsed);
    return reactor;
  }
  auto task = [this, call, finish, response_bytes, answer, ticket] {
    const absl::Status answered = (this->*answer)(call->request(), call->response());
    finish(answered.ok() ? call->Serialize(response_bytes) : ToGrpc(answered));
    ticket->Release();
  };
  if (!pool.TrySubmit(std::move(task), 1)) {
    finish(Busy(&pool == &searches_ ? "searches" : "lookups", pool));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::GetCheckpoint(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetCheckpoint", &AuditService::Checkpoint);
}

grpc::ServerUnaryReactor* AuditService::GetRecord(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetRecord", &AuditService::Record);
}

grpc::ServerUnaryReactor* AuditService::GetCertificate(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetCertificate", &AuditService::Certificate);
}

grpc::ServerUnaryReactor* AuditService::GetRevocationResponse(grpc::CallbackServerContext* context,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetRevocationResponse",
                &AuditService::RevocationResponse);
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetInclusionProof",
                &AuditService::InclusionProof);
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetConsistencyProof",
                &AuditService::ConsistencyProof);
}

grpc::ServerUnaryReactor* AuditService::GetTile(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) {
  return Answer(context, request, response, lookups_, "GetTile", &AuditService::Tile);
}

grpc::ServerUnaryReactor* AuditService::QueryRecords(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return Answer(context, request, response, searches_, "QueryRecords", &AuditService::Query);
}

absl::Status AuditService::Checkpoint(const v1::GetCheckpointRequest& request,
                                      v1::GetCheckpointResponse* response) {
  auto note = log_->store().Checkpoint(ShardOf(request.shard()), 0);
  if (!note.ok()) return note.status();
  response->set_checkpoint(*note);
  response->set_verifier_key(log_->verifier_key());
  return absl::OkStatus();
}

absl::Status AuditService::Record(const v1::GetRecordRequest& request,
                                  v1::GetRecordResponse* response) {
  auto leaf = log_->store().Leaf(ShardOf(request.shard()), request.sequence());
  if (!leaf.ok()) return leaf.status();
  if (!response->mutable_record()->ParseFromString(*leaf)) {
    return absl::DataLossError(absl::StrCat("record ", request.sequence(), " does not parse"));
  }
  response->set_leaf(*std::move(leaf));
  return absl::OkStatus();
}

absl::Status AuditService::Certificate(const v1::GetCertificateRequest& request,
                                       v1::GetCertificateResponse* response) {
  auto row = log_->store().Certificate(request.sha256());
  if (!row.ok()) return row.status();
  response->set_der(std::move(row->der));
  v1::Certificate* c = response->mutable_certificate();
  c->set_sha256_fingerprint(row->sha256);
  c->set_subject(row->subject);
  c->set_issuer(row->issuer);
  c->set_serial_number(row->serial);
  return absl::OkStatus();
}

absl::Status AuditService::RevocationResponse(const v1::GetRevocationResponseRequest& request,
                                              v1::GetRevocationResponseResponse* response) {
  auto der = log_->store().RevocationResponse(request.sha256());
  if (!der.ok()) return der.status();
  response->set_der(*std::move(der));
  return absl::OkStatus();
}

absl::Status AuditService::InclusionProof(const v1::GetInclusionProofRequest& request,
                                          v1::GetInclusionProofResponse* response) {
  const std::string& shard = ShardOf(request.shard());
  auto size = TreeSize(shard, request.tree_size());
  if (!size.ok()) return size.status();
  auto proof = audit::InclusionProof(log_->Nodes(shard), request.sequence(), *size);
  if (!proof.ok()) return proof.status();
  response->set_tree_size(*size);
  AddHashes(*proof, response->mutable_hashes());
  return absl::OkStatus();
}

absl::Status AuditService::ConsistencyProof(const v1::GetConsistencyProofRequest& request,
                                            v1::GetConsistencyProofResponse* response) {
  const std::string& shard = ShardOf(request.shard());
  auto new_size = TreeSize(shard, request.new_size());
  if (!new_size.ok()) return new_size.status();
  auto proof = audit::ConsistencyProof(log_->Nodes(shard), request.old_size(), *new_size);
  if (!proof.ok()) return proof.status();
  response->set_old_size(request.old_size());
  response->set_new_size(*new_size);
  AddHashes(*proof, response->mutable_hashes());
  return absl::OkStatus();
}

absl::Status AuditService::Tile(const v1::GetTileRequest& request, v1::GetTileResponse* response) {
  const std::string& shard = ShardOf(request.shard());
  auto size = log_->store().Size(shard);
  if (!size.ok()) return size.status();
  auto hashes =
      audit::HashTile(log_->Nodes(shard), *size, request.level(), request.index(), request.width());
  if (!hashes.ok()) return hashes.status();
  response->set_hashes(*std::move(hashes));
  response->set_tree_size(*size);
  return absl::OkStatus();
}

absl::Status AuditService::Query(const v1::QueryRecordsRequest& request,
                                 v1::QueryRecordsResponse* response) {
  const int page_size = request.page_size() == 0 ? 100 : request.page_size();
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(), " is outside 1..", kMaxPageSize));
  }
  std::optional<audit::LeafCursor> after;
  if (!request.page_token().empty()) {
    auto cursor = CursorOf(request.page_token());
    if (!cursor.ok()) return cursor.status();
    after = *cursor;
  }
  auto query = QueryOf(request.filter(), request.oldest_first());
  if (!query.ok()) return query.status();
  // Read before the search: at least this much of the shard was searched.
  auto searchable = log_->store().Searchable(log_->shard());
  // One more than asked: whether there is a next page.
  auto rows =
      log_->store().Find(*query, after ? &*after : nullptr, static_cast<size_t>(page_size) + 1);
  if (!rows.ok()) return rows.status();
  const bool more = rows->size() > static_cast<size_t>(page_size);
  if (more) rows->pop_back();
  for (const audit::FoundLeaf& row : *rows) {
    if (auto s = ParseRecord(row, response->add_records()); !s.ok()) return s;
  }
  if (more) response->set_next_page_token(TokenOf(rows->back()));
  v1::IndexProgress* index = response->mutable_index();
  index->set_shard(log_->shard());
  if (searchable.ok()) index->set_indexed_size(*searchable);
  if (auto size = log_->store().Size(log_->shard()); size.ok()) index->set_tree_size(*size);
  return absl::OkStatus();
}

// ExportRecords: a page of records is read on the search pool, then written
// one message at a time, the next only when the client has taken the last
// (no gRPC thread waits, and a slow reader holds no store connection); the
// next page is read when the page is written. One operation is outstanding
// at any time, so the steps need no lock.
class AuditService::Export final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  Export(AuditService* service, audit::LeafQuery query, Drain::Ticket ticket, CallLog log)
      : service_(service),
        query_(std::move(query)),
        ticket_(std::move(ticket)),
        log_(std::move(log)) {}

  void Begin() { ReadPage(); }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(grpc::Status::CANCELLED);
      return;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }  // the ticket goes with it

 private:
  void End(const grpc::Status& status) {
    log_.Items(exported_);
    log_.Finish(status.error_code(), absl::Now());
    Finish(status);
  }

  void ReadPage() {
    const bool queued = service_->searches_.TrySubmit(
        [this] {
          auto rows = service_->log_->store().Find(query_, after_ ? &*after_ : nullptr,
                                                   static_cast<size_t>(kMaxPageSize));
          if (!rows.ok()) {
            End(ToGrpc(rows.status()));
            return;
          }
          last_page_ = rows->size() < static_cast<size_t>(kMaxPageSize);
          if (!rows->empty()) {
            const audit::FoundLeaf& last = rows->back();
            after_ = audit::LeafCursor{last.time_micros, last.shard, last.sequence};
          }
          rows_ = *std::move(rows);
          next_ = 0;
          WriteNext();
        },
        1);
    if (!queued) End(Busy("searches", service_->searches_));
  }

  void WriteNext() {
    if (next_ == rows_.size()) {
      if (last_page_) {
        End(grpc::Status::OK);
      } else {
        ReadPage();
      }
      return;
    }
    audit::FoundLeaf& row = rows_[next_++];
    v1::ExportRecordsResponse item;
    if (auto s = ParseRecord(row, item.mutable_record()); !s.ok()) {
      End(ToGrpc(s));
      return;
    }
    item.set_leaf(std::move(row.leaf));
    buffer_.Clear();
    grpc::ProtoBufferWriter writer(&buffer_, grpc::kProtoBufferWriterMaxBufferLength,
                                   static_cast<int>(item.ByteSizeLong()));
    if (!item.SerializeToZeroCopyStream(&writer)) {
      End(grpc::Status(grpc::StatusCode::INTERNAL, "cannot encode a record"));
      return;
    }
    ++exported_;
    StartWrite(&buffer_);
  }

  AuditService* service_;
  audit::LeafQuery query_;
  std::optional<audit::LeafCursor> after_;
  std::vector<audit::FoundLeaf> rows_;
  size_t next_ = 0;
  bool last_page_ = false;
  grpc::ByteBuffer buffer_;
  Drain::Ticket ticket_;
  CallLog log_;
  uint64_t exported_ = 0;
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* AuditService::ExportRecords(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  v1::ExportRecordsRequest request;
  grpc::Status parsed = grpc::Status::OK;
  CallLog log = Log(*context, "ExportRecords");
  if (auto caller = Authorize(*context, "ExportRecords"); !caller.ok()) {
    parsed = ToGrpc(caller.status());
  } else {
    log.Authorized(*caller);
    parsed = CallMessages<v1::ExportRecordsRequest, v1::ExportRecordsResponse>::Parse(
        *request_bytes, &request);
  }
  absl::StatusOr<audit::LeafQuery> query = absl::InvalidArgumentError("");
  if (parsed.ok()) query = QueryOf(request.filter(), /*oldest_first=*/true);
  Drain::Ticket ticket = drain_->Admit();
  if (!ticket) {
    parsed = ShuttingDown();
  } else if (parsed.ok() && query.ok()) {
    query->tree_order = true;
    auto* exporter = new Export(this, *std::move(query), std::move(ticket), std::move(log));
    exporter->Begin();
    return exporter;
  }
  // A reactor that only says why.
  class Refusal final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    explicit Refusal(const grpc::Status& why) { Finish(why); }
    void OnDone() override { delete this; }
  };
  const grpc::Status refusal = parsed.ok() ? ToGrpc(query.status()) : parsed;
  log.Finish(refusal.error_code(), absl::Now());
  return new Refusal(refusal);
}

}  // namespace sigverify::service
