// Gathers single records of many calls (unary Verify calls, VerifyStream
// records) so that one worker task verifies several at once: their
// signatures fill the multi-buffer RSA kernel's lanes together
// (Verifier::VerifyMany), and the pool wakes one worker per chunk instead
// of one per record.
//
// Records wait for each other only while the pool is busy: a record is
// queued for its caller (the pool's fair-share key) and a task is put on
// the pool unless the tasks already waiting there can take every queued
// record (kChunkRecords each). An idle pool starts a task at once, which
// verifies whatever is queued then, maybe one record: no timer ever holds a
// record back, and under load the chunks fill by themselves.
#ifndef SIGVERIFY_SERVICE_RECORD_GATHERER_H_
#define SIGVERIFY_SERVICE_RECORD_GATHERER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/verifier.h"
#include "service/worker_pool.h"

namespace sigverify::service {

class RecordGatherer {
 public:
  // Records one task verifies at most (the RSA kernel's lanes).
  static constexpr size_t kChunkRecords = 8;

  // One record and what its call does with the verdict.
  struct Record {
    const v1::VerifyRequest* request = nullptr;
    v1::VerifyResponse* response = nullptr;
    audit::RecordAttachments* attachments = nullptr;  // may be null
    // The call's scope: its arrival, language and attested time.
    absl::Time now;
    crypto::Language language = crypto::Language::kVietnamese;
    bool time_attested = false;
    // Called on the worker once the record is verified, with Verify's status.
    absl::AnyInvocable<void(const absl::Status&)> done;
  };

  // Whether `queued` records need another pool task besides the `waiting`
  // ones not started yet (each takes up to kChunkRecords when it starts).
  static bool NeedsTask(size_t waiting, size_t queued) { return waiting * kChunkRecords < queued; }

  RecordGatherer(const Verifier* verifier, WorkerPool* pool) : verifier_(verifier), pool_(pool) {}

  // Queues `record` of `caller` in `lane`, `cost` being its admission cost.
  // False when the pool refuses it (full, or the caller over its share):
  // the record was not taken and its call answers the overload.
  bool Submit(Record record, size_t cost, const std::string& caller, WorkerPool::Lane lane);

 private:
  using Key = std::pair<std::string, WorkerPool::Lane>;
  struct Queue {
    std::deque<std::pair<uint64_t, Record>> records;  // with their ticket
    size_t waiting_tasks = 0;                         // on the pool, not started
  };
  // A pool task: verifies up to kChunkRecords of `key`'s queue.
  void RunChunk(const Key& key);

  const Verifier* const verifier_;
  WorkerPool* const pool_;
  absl::Mutex mu_;
  absl::flat_hash_map<Key, Queue> queues_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_RECORD_GATHERER_H_
