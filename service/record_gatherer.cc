#include "service/record_gatherer.h"

#include "absl/container/inlined_vector.h"

namespace sigverify::service {

bool RecordGatherer::Submit(Record record, size_t cost, const std::string& caller,
                            WorkerPool::Lane lane) {
  Key key(caller, lane);
  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    Queue& queue = queues_[key];
    ticket = next_ticket_++;
    queue.records.emplace_back(ticket, std::move(record));
    if (!NeedsTask(queue.waiting_tasks, queue.records.size())) return true;
    ++queue.waiting_tasks;
  }
  if (pool_->TrySubmit([this, key] { RunChunk(key); }, cost, caller, lane)) return true;
  // Refused: the record leaves the queue, unless a running task took it.
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(key);
  Queue& queue = it->second;
  --queue.waiting_tasks;
  bool taken = true;
  for (auto r = queue.records.begin(); r != queue.records.end(); ++r) {
    if (r->first == ticket) {
      queue.records.erase(r);
      taken = false;
      break;
    }
  }
  if (queue.records.empty() && queue.waiting_tasks == 0) queues_.erase(it);
  return taken;
}

void RecordGatherer::RunChunk(const Key& key) {
  absl::InlinedVector<Record, kChunkRecords> records;
  {
    absl::MutexLock lock(&mu_);
    auto it = queues_.find(key);
    Queue& queue = it->second;
    --queue.waiting_tasks;
    while (!queue.records.empty() && records.size() < kChunkRecords) {
      records.push_back(std::move(queue.records.front().second));
      queue.records.pop_front();
    }
    if (queue.records.empty() && queue.waiting_tasks == 0) queues_.erase(it);
  }
  const size_t n = records.size();
  if (n == 0) return;
  // One trust-store snapshot for the chunk; each record keeps its call's
  // time and language.
  std::shared_ptr<const crypto::PathValidator> paths = verifier_->paths();
  absl::InlinedVector<CallScope, kChunkRecords> scopes;  // n <= kChunkRecords: never moved
  absl::InlinedVector<CallScope*, kChunkRecords> scope_of;
  absl::InlinedVector<const v1::VerifyRequest*, kChunkRecords> requests;
  absl::InlinedVector<v1::VerifyResponse*, kChunkRecords> responses;
  absl::InlinedVector<audit::RecordAttachments*, kChunkRecords> attachments;
  absl::InlinedVector<absl::Status, kChunkRecords> statuses(n);
  for (Record& r : records) {
    scopes.emplace_back(paths, &verifier_->certificate_cache(), r.now, r.language);
    scopes.back().set_time_attested(r.time_attested);
    scope_of.push_back(&scopes.back());
    requests.push_back(r.request);
    responses.push_back(r.response);
    attachments.push_back(r.attachments);
  }
  verifier_->VerifyMany(requests, scope_of, responses, attachments, absl::MakeSpan(statuses));
  for (size_t i = 0; i < n; ++i) records[i].done(statuses[i]);
}

}  // namespace sigverify::service
