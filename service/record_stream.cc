// VerifyStream: one record per message, each answered once, in the order
// verdicts are ready.
//
// A record is in the stream's window from the moment it is read until its
// answer has been written (or dropped because the caller is gone). The next
// record is read only while the window has room, and only one answer is
// written at a time: a caller that stops reading its answers stops the
// server reading its records, and gRPC's flow control then stops the
// caller. Memory is bounded by the window, the in-flight byte budget and
// the worker pool's cost budget, like every other call.
//
// Records read are queued on the stream and gathered as RecordGatherer
// gathers unary calls (record_gatherer.h): a pool task verifies whatever is
// queued when it starts (up to kChunkRecords, in one Verifier::VerifyMany:
// the multi-buffer RSA kernel's lanes), and another task is queued only when
// those waiting cannot take every record. The stream keeps its own queue
// rather than the service's shared one: one lock per stream, and one audit
// append per chunk (ADR 0024 has the measurement).
#include <grpcpp/support/proto_buffer_writer.h>

#include <deque>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/admission_cost.h"
#include "service/call_context.h"
#include "service/call_messages.h"
#include "service/finisher.h"
#include "service/grpc_status.h"
#include "service/verification_service.h"

namespace sigverify::service {

class VerificationService::RecordStream
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // What to do once the stream's lock is released: gRPC operations are
  // started outside it.
  struct Actions {
    bool read = false;
    const grpc::ByteBuffer* write = nullptr;
    bool finish = false;
    grpc::Status status;
  };

  RecordStream(VerificationService* service, grpc::CallbackServerContext* context);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  // Shutdown: reads no more records; once those read are answered, the
  // stream ends. The caller runs the actions returned (Run) after letting
  // go of its own locks.
  Actions Close();
  // Starts what `actions` say. The last thing a caller does with the stream:
  // finishing may end it.
  void Run(const Actions& actions);

 private:
  static constexpr size_t kChunkRecords = RecordGatherer::kChunkRecords;

  using Messages = CallMessages<v1::VerifyStreamRequest, v1::VerifyStreamResponse>;
  // A record read and admitted, until it is verified.
  struct Record {
    uint64_t sequence = 0;
    Messages messages;
    size_t reserved_bytes = 0;  // of the service's in-flight budget
    access::CallerQuotas::Hold quota;
  };
  // An answer, until it is written.
  struct Answer {
    grpc::ByteBuffer bytes;
    size_t reserved_bytes = 0;
    access::CallerQuotas::Hold quota;
    // For a verdict: which record it answers, in case the audit log cannot
    // record it and an error must go instead.
    bool verdict = false;
    uint64_t sequence = 0;
    std::string record_id;
  };

  // Admits the record just read, or answers it with an error.
  void Take(uint64_t sequence);
  // The pool task: verifies what is queued (up to kChunkRecords; the
  // gathering of record_gatherer.h, for this stream's records only).
  void VerifyQueued();
  // Queues `answers` for writing (they leave the window once written) and
  // starts what can start; may end the stream.
  void Send(std::vector<Answer> answers);
  void Send(Answer answer) {
    std::vector<Answer> one;
    one.push_back(std::move(answer));
    Send(std::move(one));
  }
  Answer Error(uint64_t sequence, const std::string& record_id, const absl::Status& status,
               size_t reserved_bytes = 0, access::CallerQuotas::Hold quota = {}) const;
  // The next read, write or the end, as the state allows.
  Actions NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes `answers` out of the window without writing them.
  void DropLocked(std::vector<Answer>& answers, std::vector<Answer>& dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(std::vector<Answer>& answers) const;
  void Release(Answer& answer) const;

  VerificationService* const service_;
  grpc::CallbackServerContext* const context_;
  const size_t window_;
  std::shared_ptr<Finisher> finisher_;
  crypto::Language language_ = crypto::Language::kVietnamese;
  CallInfo info_;
  grpc::ByteBuffer read_;  // the message being read

  absl::Mutex mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // Records in the window: read and not yet written or dropped.
  size_t in_window_ ABSL_GUARDED_BY(mu_) = 0;
  // Pool tasks queued or running, and audit appends not yet durable: each
  // may still touch the stream.
  size_t pending_work_ ABSL_GUARDED_BY(mu_) = 0;
  // Pool tasks queued and not started.
  size_t waiting_tasks_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::unique_ptr<Record>> queued_ ABSL_GUARDED_BY(mu_);
  std::deque<Answer> answers_ ABSL_GUARDED_BY(mu_);
  Answer writing_answer_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Actions decided and not yet started: the stream does not end meanwhile.
  size_t starting_ ABSL_GUARDED_BY(mu_) = 0;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;  // the caller sent everything
  bool broken_ ABSL_GUARDED_BY(mu_) = false;       // a write failed: the caller is gone
  bool closing_ ABSL_GUARDED_BY(mu_) = false;      // shutdown
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
};

VerificationService::RecordStream::RecordStream(VerificationService* service,
                                                grpc::CallbackServerContext* context)
    : service_(service),
      context_(context),
      window_(std::max<size_t>(1, service->verifier_->limits().max_stream_window)) {
  access::Caller caller;
  // Each record takes its own share of the byte budget when it is read.
  std::shared_ptr<Finisher> finisher = service_->Start([this](const grpc::Status& s) { Finish(s); },
                                                       Method::kVerifyStream, 0, *context, &caller);
  if (finisher == nullptr) return;  // answered
  language_ = CallLanguage(*context);
  auto info = CallInfoOf(*context, MethodName(Method::kVerifyStream).c_str(), absl::Now(),
                         std::move(caller));
  if (!info.ok()) {
    finisher->Finish(ToGrpc(info.status()));
    return;
  }
  info_ = *std::move(info);
  finisher->log().RequestId(info_.request_id);
  finisher_ = std::move(finisher);
  Actions next;
  if (service_->OpenStream(this)) {
    absl::MutexLock lock(&mu_);
    next = NextLocked();
  } else {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    next = NextLocked();
  }
  Run(next);
}

void VerificationService::RecordStream::OnReadDone(bool ok) {
  uint64_t sequence = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!ok) {
      half_closed_ = true;
    } else {
      sequence = next_sequence_++;
      ++in_window_;
    }
  }
  // The read stays outstanding until Take is done with read_: no other
  // thread starts the next one meanwhile, nor ends the stream.
  if (ok) Take(sequence);
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    next = NextLocked();
  }
  Run(next);
}

void VerificationService::RecordStream::Take(uint64_t sequence) {
  VerificationService& s = *service_;
  auto record = std::make_unique<Record>();
  record->sequence = sequence;
  const size_t bytes = kHandedOverBytesPerMessageByte * read_.Length();
  if (!s.inflight_.TryAcquire(bytes)) {
    read_.Clear();
    Send(Error(sequence, "", s.InflightRefusal()));
    return;
  }
  record->reserved_bytes = bytes;
  if (grpc::Status parsed = record->messages.Parse(read_); !parsed.ok()) {
    Send(Error(sequence, "",
               absl::InvalidArgumentError(
                   absl::StrCat("message ", sequence, ": ", parsed.error_message())),
               record->reserved_bytes));
    return;
  }
  const v1::VerifyRequest& request = record->messages.request().request();
  const std::string& record_id = request.record_id();
  s.metrics_->CountCaller(info_.authorized.label, 1);
  if (absl::Status granted = CheckValidationTimeGrant(s.access_, request, info_); !granted.ok()) {
    Send(Error(sequence, record_id, granted, record->reserved_bytes));
    return;
  }
  absl::Duration retry_after;
  if (absl::Status admitted = s.quotas_.Admit(info_.authorized.label, info_.authorized.quota, 1,
                                              absl::Now(), &record->quota, &retry_after);
      !admitted.ok()) {
    s.metrics_->CountQuotaRefusal(info_.authorized.label);
    Send(Error(sequence, record_id,
               absl::Status(admitted.code(), absl::StrCat(admitted.message(), "; retry after ",
                                                          absl::FormatDuration(retry_after))),
               record->reserved_bytes));
    return;
  }
  const size_t cost = AdmissionCost(request);
  const Record* queued = record.get();
  {
    absl::MutexLock lock(&mu_);
    queued_.push_back(std::move(record));
    // Tasks waiting in the pool take up to kChunkRecords each when they
    // start: a new one only when they cannot take every record queued.
    if (!RecordGatherer::NeedsTask(waiting_tasks_, queued_.size())) return;
    ++waiting_tasks_;
    ++pending_work_;
  }
  if (s.pool_->TrySubmit([this] { VerifyQueued(); }, cost, s.PoolKey(info_),
                         WorkerPool::Lane::kBulk)) {
    return;
  }
  // Refused: this record is answered as overload, unless a task of the
  // stream has taken it already.
  std::unique_ptr<Record> refused;
  {
    absl::MutexLock lock(&mu_);
    --waiting_tasks_;
    --pending_work_;
    for (auto it = queued_.begin(); it != queued_.end(); ++it) {
      if (it->get() == queued) {
        refused = std::move(*it);
        queued_.erase(it);
        break;
      }
    }
  }
  if (refused != nullptr) {
    Send(Error(refused->sequence, refused->messages.request().request().record_id(),
               s.OverloadedStatus(), refused->reserved_bytes, std::move(refused->quota)));
  }
}

void VerificationService::RecordStream::VerifyQueued() {
  VerificationService& s = *service_;
  std::vector<std::unique_ptr<Record>> records;
  {
    absl::MutexLock lock(&mu_);
    --waiting_tasks_;
    while (!queued_.empty() && records.size() < kChunkRecords) {
      records.push_back(std::move(queued_.front()));
      queued_.pop_front();
    }
  }
  const size_t n = records.size();
  std::vector<Answer> answers;
  std::vector<audit::PreparedRecord> prepared;
  if (n > 0) {
    CallScope scope = s.verifier_->NewScope(absl::Now(), language_);
    scope.set_time_attested(info_.authorized.may_set_validation_time);
    absl::InlinedVector<const v1::VerifyRequest*, kChunkRecords> requests;
    absl::InlinedVector<v1::VerifyResponse*, kChunkRecords> outs;
    absl::InlinedVector<audit::RecordAttachments, kChunkRecords> attachments(n);
    absl::InlinedVector<audit::RecordAttachments*, kChunkRecords> attached;
    absl::InlinedVector<absl::Status, kChunkRecords> statuses(n);
    for (size_t i = 0; i < n; ++i) {
      requests.push_back(&records[i]->messages.request().request());
      outs.push_back(records[i]->messages.response()->mutable_response());
      attached.push_back(s.audit_ != nullptr ? &attachments[i] : nullptr);
    }
    // A caller that gave up gets no more CPU.
    if (context_->IsCancelled()) {
      for (absl::Status& st : statuses) {
        st = absl::CancelledError("call cancelled before this record was verified");
      }
    } else {
      s.verifier_->VerifyMany(requests, scope, outs, attached, absl::MakeSpan(statuses));
    }
    answers.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      Record& r = *records[i];
      const v1::VerifyRequest& request = *requests[i];
      if (!statuses[i].ok()) {
        s.metrics_->CountItemError(Method::kVerifyStream);
        answers.push_back(Error(r.sequence, request.record_id(), statuses[i], r.reserved_bytes,
                                std::move(r.quota)));
        continue;
      }
      s.metrics_->CountItem(Method::kVerifyStream, request.algorithm(), outs[i]->indication());
      r.messages.response()->set_sequence(r.sequence);
      Answer answer;
      answer.reserved_bytes = r.reserved_bytes;
      answer.quota = std::move(r.quota);
      if (grpc::Status encoded = r.messages.Serialize(&answer.bytes); !encoded.ok()) {
        answers.push_back(Error(r.sequence, request.record_id(),
                                absl::InternalError(encoded.error_message()), answer.reserved_bytes,
                                std::move(answer.quota)));
        continue;
      }
      if (s.audit_ != nullptr) {
        prepared.push_back(s.PrepareRecord(info_, request, *outs[i], attachments[i]));
        answer.verdict = true;
        answer.sequence = r.sequence;
        answer.record_id = request.record_id();
      }
      answers.push_back(std::move(answer));
    }
    records.clear();  // the requests are done with
  }
  if (prepared.empty()) {
    if (!answers.empty()) Send(std::move(answers));
  } else {
    // Verdicts leave only once their records are durable.
    {
      absl::MutexLock lock(&mu_);
      ++pending_work_;
    }
    // (The log's callback is a std::function: it holds the answers by pointer.)
    auto held = std::make_shared<std::vector<Answer>>(std::move(answers));
    s.audit_->Append(std::move(prepared), [this, held](const absl::Status& durable) {
      std::vector<Answer>& answers = *held;
      if (!durable.ok()) {
        if (service_->on_audit_failure_ == AuditFailure::kAnswer) {
          service_->metrics_->CountUnlogged();
        } else {
          // No verdict leaves unlogged: its record gets the log's error.
          for (Answer& answer : answers) {
            if (!answer.verdict) continue;
            answer = Error(answer.sequence, answer.record_id, durable, answer.reserved_bytes,
                           std::move(answer.quota));
          }
        }
      }
      {
        absl::MutexLock lock(&mu_);
        --pending_work_;
      }
      Send(std::move(answers));
    });
  }
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    --pending_work_;
    next = NextLocked();
  }
  Run(next);
}

VerificationService::RecordStream::Answer VerificationService::RecordStream::Error(
    uint64_t sequence, const std::string& record_id, const absl::Status& status,
    size_t reserved_bytes, access::CallerQuotas::Hold quota) const {
  v1::VerifyStreamResponse response;
  response.set_sequence(sequence);
  v1::ItemError* error = response.mutable_error();
  error->set_record_id(record_id);
  error->set_code(static_cast<int32_t>(status.code()));
  error->set_message(std::string(status.message()));
  Answer answer;
  answer.reserved_bytes = reserved_bytes;
  answer.quota = std::move(quota);
  grpc::ProtoBufferWriter writer(&answer.bytes, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(response.ByteSizeLong()));
  response.SerializeToZeroCopyStream(&writer);  // a few hundred bytes: cannot fail
  return answer;
}

void VerificationService::RecordStream::Send(std::vector<Answer> answers) {
  std::vector<Answer> dropped;
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    if (broken_) {
      DropLocked(answers, dropped);
    } else {
      for (Answer& answer : answers) answers_.push_back(std::move(answer));
    }
    next = NextLocked();
  }
  Release(dropped);
  Run(next);
}

void VerificationService::RecordStream::OnWriteDone(bool ok) {
  Answer written;
  std::vector<Answer> dropped;
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    written = std::move(writing_answer_);
    writing_answer_ = Answer();
    --in_window_;
    if (ok) {
      ++written_;
    } else {
      broken_ = true;
      std::vector<Answer> unsent(std::make_move_iterator(answers_.begin()),
                                 std::make_move_iterator(answers_.end()));
      answers_.clear();
      DropLocked(unsent, dropped);
    }
    next = NextLocked();
  }
  Release(written);
  Release(dropped);
  Run(next);
}

void VerificationService::RecordStream::DropLocked(std::vector<Answer>& answers,
                                                   std::vector<Answer>& dropped) {
  in_window_ -= answers.size();
  for (Answer& answer : answers) dropped.push_back(std::move(answer));
}

void VerificationService::RecordStream::Release(std::vector<Answer>& answers) const {
  for (Answer& answer : answers) Release(answer);
}

void VerificationService::RecordStream::Release(Answer& answer) const {
  service_->inflight_.Release(answer.reserved_bytes);
  answer.reserved_bytes = 0;
  answer.quota.Release();
}

VerificationService::RecordStream::Actions VerificationService::RecordStream::NextLocked() {
  Actions next;
  if (finished_ || finisher_ == nullptr) return next;
  if (!writing_ && !answers_.empty()) {
    writing_answer_ = std::move(answers_.front());
    answers_.pop_front();
    writing_ = true;
    next.write = &writing_answer_.bytes;
  }
  if (!reading_ && !half_closed_ && !broken_ && !closing_ && in_window_ < window_) {
    reading_ = true;
    next.read = true;
  }
  if (next.read || next.write != nullptr) {
    ++starting_;
    return next;
  }
  // At shutdown the stream ends even with a read outstanding (an idle
  // caller); gRPC ends that read when the call finishes.
  const bool idle = !writing_ && in_window_ == 0 && pending_work_ == 0 && starting_ == 0;
  if (idle && (closing_ || broken_ || (half_closed_ && !reading_))) {
    finished_ = true;
    next.finish = true;
    if (broken_) {
      next.status = grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away");
    } else if (closing_ && !half_closed_) {
      next.status = grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          absl::StrCat("server is shutting down: the first ", next_sequence_,
                       " records of this stream were answered and no later one was read; "
                       "send those again on a new stream"));
    }
  }
  return next;
}

void VerificationService::RecordStream::Run(const Actions& actions) {
  if (actions.write != nullptr || actions.read) {
    if (actions.write != nullptr) StartWrite(actions.write);
    if (actions.read) StartRead(&read_);
    Actions next;
    {
      absl::MutexLock lock(&mu_);
      --starting_;
      next = NextLocked();
    }
    Run(next);
    return;
  }
  if (actions.finish) {
    std::shared_ptr<Finisher> finisher = finisher_;  // outlives the stream's end
    uint64_t written;
    {
      absl::MutexLock lock(&mu_);
      written = written_;
    }
    finisher->log().Items(written);
    finisher->Finish(actions.status);
  }
}

VerificationService::RecordStream::Actions VerificationService::RecordStream::Close() {
  absl::MutexLock lock(&mu_);
  closing_ = true;
  return NextLocked();
}

void VerificationService::RecordStream::OnDone() {
  service_->ForgetStream(this);
  delete this;
}

bool VerificationService::OpenStream(RecordStream* stream) {
  absl::MutexLock lock(&streams_mu_);
  if (streams_closed_) return false;
  streams_.insert(stream);
  return true;
}

void VerificationService::ForgetStream(RecordStream* stream) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(stream);
}

void VerificationService::CloseStreams() {
  std::vector<std::pair<RecordStream*, RecordStream::Actions>> closing;
  {
    absl::MutexLock lock(&streams_mu_);
    streams_closed_ = true;
    // A stream whose Close() finishes it stays alive until Run (nothing
    // else finishes it); one that does not finish yet is not touched again.
    for (RecordStream* stream : streams_) closing.emplace_back(stream, stream->Close());
  }
  for (auto& [stream, actions] : closing) {
    if (actions.write != nullptr || actions.read || actions.finish) stream->Run(actions);
  }
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* VerificationService::VerifyStream(
    grpc::CallbackServerContext* context) {
  return new RecordStream(this, context);
}

}  // namespace sigverify::service
