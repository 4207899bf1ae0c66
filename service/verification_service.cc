#include "service/verification_service.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/admission_cost.h"
#include "service/call_auth.h"
#include "service/call_context.h"
#include "service/call_messages.h"
#include "service/finisher.h"
#include "service/grpc_status.h"
#include "service/response_encoding.h"
#include "service/retry_info.h"
#include "service/spool.h"

namespace sigverify::service {
namespace {

// "/sigverify.v1.VerificationService/Verify", as access control names it.
std::string FullMethodName(Method method) {
  return absl::StrCat("/sigverify.v1.VerificationService/", MethodName(method));
}

}  // namespace

namespace {

// Items of a batch one worker task verifies at most (about 1 ms of RSA-2048).
constexpr size_t kMaxChunkItems = 8;

// Each call's audit records: one per verified item, one per signature of a
// document.
template <typename Request, typename Response>
std::vector<audit::AuditEntry> AuditEntriesOf(const CallInfo& info, const Request& request,
                                              const Response& response,
                                              audit::RecordAttachments attachments,
                                              absl::Time now) {
  std::vector<audit::AuditEntry> out;
  out.push_back({AuditRecordOf(info, request, response, attachments, now), std::move(attachments)});
  return out;
}

std::vector<audit::AuditEntry> AuditEntriesOf(const CallInfo& info,
                                              const v1::VerifyDocumentRequest& request,
                                              const v1::VerifyDocumentResponse& response,
                                              DocumentAudit signatures, absl::Time now) {
  std::vector<v1::AuditRecord> records = AuditRecordsOf(info, request, response, signatures, now);
  std::vector<audit::AuditEntry> out;
  for (size_t i = 0; i < records.size(); ++i) {
    out.push_back({std::move(records[i]), i < signatures.size()
                                              ? std::move(signatures[i].attachments)
                                              : audit::RecordAttachments{}});
  }
  return out;
}

}  // namespace

VerificationService::VerificationService(std::shared_ptr<const Verifier> verifier, WorkerPool* pool,
                                         ServiceMetrics* metrics, Drain* drain,
                                         audit::AuditLog* audit, AuditFailure on_audit_failure,
                                         const DiskSpaceGuard* disk,
                                         const access::AccessControl* access, AccessLog* access_log)
    : verifier_(std::move(verifier)),
      documents_(verifier_.get()),
      pool_(pool),
      gatherer_(verifier_.get(), pool),
      drain_(drain),
      disk_(disk),
      access_(access),
      access_log_(access_log),
      inflight_(HandedOverShare(verifier_->limits().max_inflight_bytes)),
      metrics_(metrics),
      audit_(audit),
      on_audit_failure_(on_audit_failure) {}

void VerificationService::RecordThenFinish(std::vector<audit::AuditEntry> records,
                                           const std::shared_ptr<Finisher>& finisher,
                                           grpc::Status answer) {
  RecordThenFinish(audit_ != nullptr ? audit_->Prepare(std::move(records))
                                     : std::vector<audit::PreparedRecord>{},
                   finisher, std::move(answer));
}

void VerificationService::RecordThenFinish(std::vector<audit::PreparedRecord> records,
                                           const std::shared_ptr<Finisher>& finisher,
                                           grpc::Status answer,
                                           audit::AuditLog::Expected expected) {
  if (audit_ == nullptr || records.empty()) {
    finisher->Finish(answer);
    return;
  }
  audit_->Append(
      std::move(records),
      [this, finisher, answer](const absl::Status& durable) {
        if (durable.ok()) {
          finisher->Finish(answer);
        } else if (on_audit_failure_ == AuditFailure::kAnswer) {
          metrics_->CountUnlogged();
          finisher->Finish(answer);
        } else {
          finisher->Finish(ToGrpc(durable));
        }
      },
      std::move(expected));
}

absl::Status VerificationService::OverloadedStatus() const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "server at its limit of ", pool_->max_queued_cost(),
      " queued cost units, or this caller at its share of three quarters of them "
      "(--max-queued-items; an item costs one unit plus its size in 16 KiB of data and 4 KiB "
      "of certificates); retry with backoff"));
}

grpc::Status VerificationService::Overloaded() const {
  return WithRetryInfo(OverloadedStatus(), kOverloadRetry);
}

absl::Status VerificationService::InflightRefusal() const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "server at its limit of bytes in flight (--max-inflight-bytes=",
      verifier_->limits().max_inflight_bytes, ", half of it for ", inflight_.capacity(),
      " bytes of calls being verified, each twice its size); retry with backoff"));
}

audit::PreparedRecord VerificationService::PrepareRecord(const CallInfo& info,
                                                         const v1::VerifyRequest& request,
                                                         const v1::VerifyResponse& response,
                                                         audit::RecordAttachments& attachments) {
  // The signer as this thread encodes it for its answers, encoded once.
  std::shared_ptr<const CertificateEncodings::Entry> signer;
  if (response.has_signer()) signer = CertificateEncodings::ForThisThread().Of(response.signer());
  return PrepareVerifyRecord(info, request, response, std::move(attachments), absl::Now(),
                             audit_->shard(), signer);
}

std::shared_ptr<Finisher> VerificationService::Start(grpc::ServerUnaryReactor* reactor,
                                                     Method method,
                                                     const grpc::ByteBuffer& request_bytes,
                                                     const grpc::CallbackServerContext& context,
                                                     access::Caller* caller) {
  return Start([reactor](const grpc::Status& s) { reactor->Finish(s); }, method,
               kHandedOverBytesPerMessageByte * request_bytes.Length(), context, caller);
}

std::shared_ptr<Finisher> VerificationService::Start(
    std::function<void(const grpc::Status&)> finish, Method method, size_t reserved_bytes,
    const grpc::CallbackServerContext& context, access::Caller* caller) {
  // Names only where something reads them (access control, the access log).
  const std::string name =
      access_ != nullptr || access_log_ != nullptr ? FullMethodName(method) : std::string();
  auto finisher = std::make_shared<Finisher>(
      std::move(finish), metrics_, method,
      CallLog(access_log_, access_log_ != nullptr ? context.peer() : std::string(), name,
              absl::Now()));
  Drain::Ticket ticket = drain_->Admit();
  if (!ticket) {
    finisher->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    return nullptr;
  }
  finisher->Hold(std::move(ticket));
  // Who is asking, before anything of theirs is parsed or admitted.
  auto authorized = AuthorizeCall(access_, context, access::cfg::ROLE_VERIFIER, name, absl::Now());
  if (!authorized.ok()) {
    if (access_log_ != nullptr) {
      // Who was refused: the certificate, when it parses.
      if (auto id = access::IdentityFromPem(PeerCertificatePem(context)); id.ok()) {
        finisher->log().Identified(*std::move(id));
      }
    }
    finisher->Finish(ToGrpc(authorized.status()));
    return nullptr;
  }
  *caller = *std::move(authorized);
  finisher->log().Authorized(*caller);
  if (disk_ != nullptr) {
    if (absl::Status s = disk_->Admit(); !s.ok()) {
      finisher->Finish(ToGrpc(s));
      return nullptr;
    }
  }
  // The message and its parsed copy, taken before anything is parsed.
  if (!finisher->Reserve(&inflight_, reserved_bytes)) {
    finisher->Finish(ToGrpc(InflightRefusal()));
    return nullptr;
  }
  return finisher;
}

std::string VerificationService::PoolKey(const CallInfo& info) const {
  return access_ != nullptr && access_->enabled() ? info.authorized.label : std::string();
}

grpc::Status VerificationService::AdmitQuota(const CallInfo& info, size_t items,
                                             Finisher& finisher) {
  access::CallerQuotas::Hold hold;
  absl::Duration retry_after;
  const absl::Status admitted = quotas_.Admit(info.authorized.label, info.authorized.quota, items,
                                              absl::Now(), &hold, &retry_after);
  if (!admitted.ok()) {
    metrics_->CountQuotaRefusal(info.authorized.label);
    return WithRetryInfo(admitted, retry_after);
  }
  finisher.Hold(std::move(hold));
  return grpc::Status::OK;
}

template <typename Request, typename Response>
std::shared_ptr<VerificationService::UnaryCall<Request, Response>> VerificationService::AdmitUnary(
    grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
    const grpc::ByteBuffer* request_bytes, Method method) {
  access::Caller caller;
  auto finisher = Start(reactor, method, *request_bytes, *context, &caller);
  if (finisher == nullptr) return nullptr;
  auto call = std::make_shared<UnaryCall<Request, Response>>();
  call->finisher = finisher;
  if (grpc::Status parsed = call->messages.Parse(*request_bytes); !parsed.ok()) {
    finisher->Finish(parsed);
    return nullptr;
  }
  call->now = absl::Now();
  call->language = CallLanguage(*context);
  auto call_info = CallInfoOf(*context, MethodName(method).c_str(), call->now, std::move(caller));
  if (!call_info.ok()) {
    finisher->Finish(ToGrpc(call_info.status()));
    return nullptr;
  }
  call->info = *std::move(call_info);
  const CallInfo& info = call->info;
  finisher->log().Items(1);
  finisher->log().RequestId(info.request_id);
  if (absl::Status s = CheckValidationTimeGrant(access_, call->messages.request(), info); !s.ok()) {
    finisher->Finish(ToGrpc(s));
    return nullptr;
  }
  metrics_->CountCaller(info.authorized.label, 1);
  if (grpc::Status s = AdmitQuota(info, 1, *finisher); !s.ok()) {
    finisher->Finish(s);
    return nullptr;
  }
  return call;
}

template <typename Request, typename Response, typename Attachments, typename Work>
grpc::ServerUnaryReactor* VerificationService::Unary(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request_bytes,
                                                     grpc::ByteBuffer* response_bytes,
                                                     Method method, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = AdmitUnary<Request, Response>(context, reactor, request_bytes, method);
  if (call == nullptr) return reactor;
  auto task = [this, call, response_bytes, work] {
    CallScope scope = verifier_->NewScope(call->now, call->language);
    scope.set_time_attested(call->info.authorized.may_set_validation_time);
    Attachments attachments;
    const Request& request = call->messages.request();
    Response* response = call->messages.response();
    const absl::Status s =
        work(request, scope, response, audit_ != nullptr ? &attachments : nullptr);
    if (!s.ok()) {
      call->finisher->Finish(ToGrpc(s));
      return;
    }
    std::vector<audit::AuditEntry> records;
    if (audit_ != nullptr) {
      records = AuditEntriesOf(call->info, request, *response, std::move(attachments), absl::Now());
    }
    RecordThenFinish(std::move(records), call->finisher, call->messages.Serialize(response_bytes));
  };
  // A document is milliseconds of work: bulk, like a large batch.
  const WorkerPool::Lane lane =
      method == Method::kVerifyDocument ? WorkerPool::Lane::kBulk : WorkerPool::Lane::kInteractive;
  if (!pool_->TrySubmit(std::move(task), AdmissionCost(call->messages.request()),
                        PoolKey(call->info), lane)) {
    call->finisher->Finish(Overloaded());
  }
  return reactor;
}

grpc::ServerUnaryReactor* VerificationService::Verify(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request_bytes,
                                                      grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = AdmitUnary<v1::VerifyRequest, v1::VerifyResponse>(context, reactor, request_bytes,
                                                                Method::kVerify);
  if (call == nullptr) return reactor;
  // Through the gatherer: under load, records of concurrent calls are
  // verified together (record_gatherer.h).
  RecordGatherer::Record record;
  record.request = &call->messages.request();
  record.response = call->messages.response();
  record.attachments = audit_ != nullptr ? &call->attachments : nullptr;
  record.now = call->now;
  record.language = call->language;
  record.time_attested = call->info.authorized.may_set_validation_time;
  if (audit_ != nullptr) call->expected = audit_->Expect();
  record.done = [this, call, response_bytes](const absl::Status& s) {
    if (!s.ok()) {
      call->expected = {};  // no record comes
      call->finisher->Finish(ToGrpc(s));
      return;
    }
    const v1::VerifyRequest& request = call->messages.request();
    const v1::VerifyResponse& response = *call->messages.response();
    metrics_->CountItem(Method::kVerify, request.algorithm(), response.indication());
    std::vector<audit::PreparedRecord> records;
    if (audit_ != nullptr) {
      records.push_back(PrepareRecord(call->info, request, response, call->attachments));
    }
    RecordThenFinish(std::move(records), call->finisher, call->messages.Serialize(response_bytes),
                     std::move(call->expected));
  };
  if (!gatherer_.Submit(std::move(record), AdmissionCost(call->messages.request()),
                        PoolKey(call->info), WorkerPool::Lane::kInteractive)) {
    call->expected = {};
    call->finisher->Finish(Overloaded());
  }
  return reactor;
}

grpc::ServerUnaryReactor* VerificationService::ValidateCertificate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
    grpc::ByteBuffer* response_bytes) {
  return Unary<v1::ValidateCertificateRequest, v1::ValidateCertificateResponse,
               audit::RecordAttachments>(
      context, request_bytes, response_bytes, Method::kValidateCertificate,
      [this](const v1::ValidateCertificateRequest& request, CallScope& scope,
             v1::ValidateCertificateResponse* response, audit::RecordAttachments* attachments) {
        absl::Status s = verifier_->ValidateCertificate(request, scope, response, attachments);
        if (s.ok()) {
          metrics_->CountItem(Method::kValidateCertificate, v1::SIGNATURE_ALGORITHM_UNSPECIFIED,
                              response->indication());
        }
        return s;
      });
}

grpc::ServerUnaryReactor* VerificationService::VerifyDocument(grpc::CallbackServerContext* context,
                                                              const grpc::ByteBuffer* request_bytes,
                                                              grpc::ByteBuffer* response_bytes) {
  return Unary<v1::VerifyDocumentRequest, v1::VerifyDocumentResponse, DocumentAudit>(
      context, request_bytes, response_bytes, Method::kVerifyDocument,
      [this](const v1::VerifyDocumentRequest& request, CallScope& scope,
             v1::VerifyDocumentResponse* response, DocumentAudit* audit) {
        absl::Status s = documents_.Verify(request, scope, response, audit);
        if (s.ok()) {
          metrics_->CountItem(Method::kVerifyDocument, v1::SIGNATURE_ALGORITHM_UNSPECIFIED,
                              response->indication());
        }
        return s;
      });
}

grpc::ServerUnaryReactor* VerificationService::VerifyBatch(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request_bytes,
                                                           grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  access::Caller caller;
  auto finisher = Start(reactor, Method::kVerifyBatch, *request_bytes, *context, &caller);
  if (finisher == nullptr) return reactor;
  auto call = std::make_shared<CallMessages<v1::VerifyBatchRequest, v1::VerifyBatchResponse>>();
  if (grpc::Status parsed = call->Parse(*request_bytes); !parsed.ok()) {
    finisher->Finish(parsed);
    return reactor;
  }
  const v1::VerifyBatchRequest* request = &call->request();
  v1::VerifyBatchResponse* response = call->response();
  const size_t n = static_cast<size_t>(request->requests_size());
  const size_t max_items = verifier_->limits().max_batch_items;
  if (n > max_items) {
    finisher->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  absl::StrCat("requests: ", n, " items, over the limit of ",
                                               max_items, " (--max-batch-items)")));
    return reactor;
  }
  if (n == 0) {
    finisher->Finish(call->Serialize(response_bytes));
    return reactor;
  }
  // Results are pre-allocated in request order; each task writes only its
  // own slots, so no lock guards the response.
  response->mutable_results()->Reserve(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) response->add_results();

  // A few chunks per worker: enough to balance, few enough that the chunk's
  // recent-certificate memo sees repeats.
  // At most kMaxChunkItems each, so that another caller's next task waits
  // for at most that many items per thread (the pool serves callers in turn).
  const size_t chunks =
      std::max(std::min(n, pool_->threads() * 4), (n + kMaxChunkItems - 1) / kMaxChunkItems);
  const size_t per_chunk = (n + chunks - 1) / chunks;
  auto remaining = std::make_shared<std::atomic<size_t>>(0);
  const absl::Time now = absl::Now();
  const crypto::Language language = CallLanguage(*context);
  auto call_info =
      CallInfoOf(*context, MethodName(Method::kVerifyBatch).c_str(), now, std::move(caller));
  if (!call_info.ok()) {
    finisher->Finish(ToGrpc(call_info.status()));
    return reactor;
  }
  const CallInfo info = *std::move(call_info);
  finisher->log().Items(n);
  finisher->log().RequestId(info.request_id);
  if (absl::Status s = CheckValidationTimeGrant(access_, *request, info); !s.ok()) {
    finisher->Finish(ToGrpc(s));
    return reactor;
  }
  metrics_->CountCaller(info.authorized.label, n);
  if (grpc::Status s = AdmitQuota(info, n, *finisher); !s.ok()) {
    finisher->Finish(s);
    return reactor;
  }
  // Each item's audit record, prepared by the task that verifies it.
  auto records = std::make_shared<std::vector<audit::PreparedRecord>>(audit_ != nullptr ? n : 0);
  // One trust-store snapshot for the whole batch.
  std::shared_ptr<const crypto::PathValidator> paths = verifier_->paths();
  std::vector<std::function<void()>> tasks;
  for (size_t begin = 0; begin < n; begin += per_chunk) {
    const size_t end = std::min(n, begin + per_chunk);
    tasks.push_back([this, context, finisher, call, request, response, response_bytes, now,
                     language, paths, begin, end, remaining, records, info] {
      CallScope scope(paths, &verifier_->certificate_cache(), now, language);
      scope.set_time_attested(info.authorized.may_set_validation_time);
      // The chunk's items are verified together (their signatures in one
      // call: the multi-buffer RSA kernel takes up to 8), then recorded.
      const size_t count = end - begin;
      absl::InlinedVector<const v1::VerifyRequest*, kMaxChunkItems> items;
      absl::InlinedVector<v1::VerifyResponse*, kMaxChunkItems> outs;
      absl::InlinedVector<audit::RecordAttachments, kMaxChunkItems> attachments(count);
      absl::InlinedVector<audit::RecordAttachments*, kMaxChunkItems> attached;
      absl::InlinedVector<absl::Status, kMaxChunkItems> statuses(count);
      for (size_t i = begin; i < end; ++i) {
        items.push_back(&request->requests(static_cast<int>(i)));
        outs.push_back(response->mutable_results(static_cast<int>(i))->mutable_response());
        attached.push_back(records->empty() ? nullptr : &attachments[i - begin]);
      }
      // A caller that gave up (deadline, cancel) gets no more CPU.
      if (context->IsCancelled()) {
        for (absl::Status& s : statuses) {
          s = absl::CancelledError("call cancelled before this item was verified");
        }
      } else {
        verifier_->VerifyMany(items, scope, outs, attached, absl::MakeSpan(statuses));
      }
      for (size_t i = begin; i < end; ++i) {
        const v1::VerifyRequest& item = *items[i - begin];
        v1::VerifyBatchItem* result = response->mutable_results(static_cast<int>(i));
        const absl::Status& s = statuses[i - begin];
        if (s.ok()) {
          metrics_->CountItem(Method::kVerifyBatch, item.algorithm(),
                              result->response().indication());
          if (!records->empty()) {
            (*records)[i] = PrepareRecord(info, item, result->response(), attachments[i - begin]);
          }
        } else {
          v1::ItemError* error = result->mutable_error();
          error->set_record_id(item.record_id());
          error->set_code(static_cast<int32_t>(s.code()));
          error->set_message(std::string(s.message()));
          metrics_->CountItemError(Method::kVerifyBatch);
        }
      }
      if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Items refused as malformed were not verified: they leave no record.
        std::vector<audit::PreparedRecord> verified;
        verified.reserve(records->size());
        for (size_t i = 0; i < records->size(); ++i) {
          if (response->results(static_cast<int>(i)).has_response()) {
            verified.push_back(std::move((*records)[i]));
          }
        }
        RecordThenFinish(std::move(verified), finisher, call->Serialize(response_bytes));
      }
    });
  }
  remaining->store(tasks.size(), std::memory_order_relaxed);
  size_t cost = 0;
  for (const v1::VerifyRequest& item : request->requests()) cost += AdmissionCost(item);
  // A batch of a task's worth of items is as urgent as a unary call; larger
  // ones are bulk.
  const WorkerPool::Lane lane =
      n > kMaxChunkItems ? WorkerPool::Lane::kBulk : WorkerPool::Lane::kInteractive;
  if (!pool_->TrySubmitAll(std::move(tasks), cost, PoolKey(info), lane)) {
    finisher->Finish(Overloaded());
  }
  return reactor;
}

}  // namespace sigverify::service

namespace sigverify::service {

// One VerifyDocumentStream call: reads the options, then spools the chunks;
// when the client half-closes, verifies on the pool like VerifyDocument.
// Deletes itself when gRPC is done with it (OnDone), which is only after
// Finish: the pool's task and the audit callback may use it until then.
class VerificationService::DocumentStream
    : public grpc::ServerReadReactor<v1::VerifyDocumentStreamRequest> {
 public:
  DocumentStream(VerificationService* service, grpc::CallbackServerContext* context,
                 v1::VerifyDocumentStreamResponse* response)
      : service_(service), response_(response) {
    // At most one message in flight is held against the byte budget.
    access::Caller caller;
    finisher_ =
        service_->Start([this](const grpc::Status& s) { Finish(s); }, Method::kVerifyDocumentStream,
                        service_->verifier_->limits().max_message_bytes, *context, &caller);
    if (finisher_ == nullptr) return;
    now_ = absl::Now();
    language_ = CallLanguage(*context);
    auto info = CallInfoOf(*context, MethodName(Method::kVerifyDocumentStream).c_str(), now_,
                           std::move(caller));
    if (!info.ok()) {
      Fail(info.status());
      return;
    }
    info_ = *std::move(info);
    finisher_->log().Items(1);
    finisher_->log().RequestId(info_.request_id);
    service_->metrics_->CountCaller(info_.authorized.label, 1);
    if (grpc::Status s = service_->AdmitQuota(info_, 1, *finisher_); !s.ok()) {
      finisher_->Finish(s);
      return;
    }
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client has sent everything (or is gone)
      Verify();
      return;
    }
    if (absl::Status s = Take(); !s.ok()) {
      Fail(s);
      return;
    }
    message_.Clear();
    StartRead(&message_);
  }

  void OnDone() override { delete this; }

 private:
  void Fail(const absl::Status& status) { finisher_->Finish(ToGrpc(status)); }

  absl::Status Take() {
    const size_t max = service_->verifier_->limits().max_document_stream_bytes;
    switch (message_.part_case()) {
      case v1::VerifyDocumentStreamRequest::kOptions:
        if (options_read_) return absl::InvalidArgumentError("options: only in the first message");
        if (!message_.options().document().empty() ||
            !message_.options().detached_content().empty()) {
          return absl::InvalidArgumentError(
              "options: send the document and detached content as chunks, not in options");
        }
        options_ = std::move(*message_.mutable_options());
        options_read_ = true;
        return absl::OkStatus();
      case v1::VerifyDocumentStreamRequest::kDocument:
        if (!options_read_) return NoOptions();
        if (detached_ != nullptr) {
          return absl::InvalidArgumentError("document: after detached_content (send it first)");
        }
        return AppendTo(document_, "document", message_.document(), max);
      case v1::VerifyDocumentStreamRequest::kDetachedContent:
        if (!options_read_) return NoOptions();
        return AppendTo(detached_, "detached_content", message_.detached_content(), max);
      case v1::VerifyDocumentStreamRequest::PART_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError("a message without options, document or detached_content");
  }

  // Appends to `spool`, created on the first chunk.
  static absl::Status AppendTo(std::unique_ptr<Spool>& spool, std::string_view what,
                               std::string_view bytes, size_t max) {
    if (spool == nullptr) {
      auto created = Spool::Create(what, max);
      if (!created.ok()) return created.status();
      spool = *std::move(created);
    }
    return spool->Append(bytes);
  }

  static absl::Status NoOptions() {
    return absl::InvalidArgumentError("the first message must carry the options");
  }

  void Verify() {
    if (!options_read_) {
      Fail(NoOptions());
      return;
    }
    std::string_view document;
    std::string_view detached;
    if (document_ != nullptr) {
      auto view = document_->View();
      if (!view.ok()) return Fail(view.status());
      document = *view;
    }
    if (detached_ != nullptr) {
      auto view = detached_->View();
      if (!view.ok()) return Fail(view.status());
      detached = *view;
    }
    const size_t cost =
        AdmissionCost(options_) + (document.size() + detached.size()) / kDataBytesPerUnit;
    auto task = [this, document, detached] {
      VerificationService& s = *service_;
      CallScope scope = s.verifier_->NewScope(now_, language_);
      DocumentAudit audit;
      v1::VerifyDocumentResponse* out = response_->mutable_response();
      const absl::Status verified = s.documents_.Verify(options_, document, detached, scope, out,
                                                        s.audit_ != nullptr ? &audit : nullptr);
      if (!verified.ok()) return Fail(verified);
      s.metrics_->CountItem(Method::kVerifyDocumentStream, v1::SIGNATURE_ALGORITHM_UNSPECIFIED,
                            out->indication());
      std::vector<audit::AuditEntry> records;
      if (s.audit_ != nullptr) {
        records = AuditEntriesOf(info_, options_, *out, std::move(audit), absl::Now());
      }
      s.RecordThenFinish(std::move(records), finisher_, grpc::Status::OK);
    };
    if (!service_->pool_->TrySubmit(std::move(task), cost, service_->PoolKey(info_),
                                    WorkerPool::Lane::kBulk)) {
      finisher_->Finish(service_->Overloaded());
    }
  }

  VerificationService* service_;
  v1::VerifyDocumentStreamResponse* response_;
  std::shared_ptr<Finisher> finisher_;
  absl::Time now_;
  crypto::Language language_ = crypto::Language::kVietnamese;
  CallInfo info_;
  v1::VerifyDocumentStreamRequest message_;
  v1::VerifyDocumentRequest options_;
  bool options_read_ = false;
  std::unique_ptr<Spool> document_;
  std::unique_ptr<Spool> detached_;
};

grpc::ServerReadReactor<v1::VerifyDocumentStreamRequest>* VerificationService::VerifyDocumentStream(
    grpc::CallbackServerContext* context, v1::VerifyDocumentStreamResponse* response) {
  return new DocumentStream(this, context, response);
}

}  // namespace sigverify::service
