#include "service/audit/audit_log.h"

#include <pthread.h>

#include "absl/algorithm/container.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/audit/leaf_encoding.h"

namespace sigverify::audit {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(std::unique_ptr<AuditStore> store,
                                                         CheckpointSigner signer, Options options) {
  if (options.shard.empty()) return absl::InvalidArgumentError("the audit shard needs a name");
  std::unique_ptr<AuditLog> log(
      new AuditLog(std::move(store), std::move(signer), std::move(options)));
  if (auto s = log->LoadEdge(); !s.ok()) return s;
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

absl::Status AuditLog::LoadEdge() {
  auto size = store_->Size(options_.shard);
  if (!size.ok()) return size.status();
  auto edge = TreeEdge::Load(Nodes(options_.shard), *size);
  if (!edge.ok()) {
    return absl::Status(edge.status().code(), absl::StrCat("audit shard ", options_.shard, ": ",
                                                           edge.status().message()));
  }
  edge_ = *std::move(edge);
  tree_size_ = *size;
  return absl::OkStatus();
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
}

PreparedRecord AuditLog::Prepare(v1::AuditRecord& record, RecordAttachments attachments) const {
  record.set_shard(options_.shard);
  record.clear_sequence();
  LeafWithoutSequence leaf = *EncodeWithoutSequence(record);  // no sequence: cannot fail
  PreparedRecord out{IndexColumns(record, std::move(leaf.bytes)), leaf.sequence_at};
  // The DER is copied once, when it is sent to the store (see Commit).
  out.signer_der = std::move(attachments.signer_der);
  out.row.responses = std::move(attachments.responses);
  return out;
}

std::vector<PreparedRecord> AuditLog::Prepare(std::vector<AuditEntry> entries) const {
  // Encoded here, on the caller's thread; the records' messages are freed
  // where they were built.
  std::vector<PreparedRecord> records;
  records.reserve(entries.size());
  for (AuditEntry& e : entries) records.push_back(Prepare(e.record, std::move(e.attachments)));
  return records;
}

void AuditLog::Append(std::vector<AuditEntry> entries, Done done) {
  Append(Prepare(std::move(entries)), std::move(done));
}

AuditLog::Expected& AuditLog::Expected::operator=(Expected&& other) noexcept {
  if (this != &other) {
    Expected dropped(std::move(*this));
    log_ = std::exchange(other.log_, nullptr);
  }
  return *this;
}

AuditLog::Expected::~Expected() {
  if (log_ == nullptr) return;
  absl::MutexLock lock(&log_->mu_);
  log_->arrived_ += 1;
}

AuditLog::Expected AuditLog::Expect() {
  absl::MutexLock lock(&mu_);
  expected_ += 1;
  return Expected(this);
}

void AuditLog::Append(std::vector<PreparedRecord> records, Done done, Expected expected) {
  Append(std::move(records), std::move(done), &expected);
}

void AuditLog::Append(std::vector<PreparedRecord> records, Done done) {
  Append(std::move(records), std::move(done), nullptr);
}

void AuditLog::Append(std::vector<PreparedRecord> records, Done done, Expected* expected) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (expected != nullptr && expected->log_ == this) {
      // Released in the same critical section that queues the records, so
      // a commit waiting for it sees both at once.
      expected->log_ = nullptr;
      arrived_ += 1;
    }
    if (stopping_) {
      refused = absl::UnavailableError("the audit log is shutting down");
    } else if (queued_records_ + records.size() > options_.max_pending) {
      refused = absl::UnavailableError(
          "the audit log has too many records waiting to be written; try again");
    } else {
      queued_records_ += records.size();
      queue_.push_back({std::move(records), std::move(done)});
      return;
    }
  }
  done(refused);
}

void AuditLog::Append(std::vector<v1::AuditRecord> records, Done done) {
  std::vector<AuditEntry> entries(records.size());
  for (size_t i = 0; i < records.size(); ++i) entries[i].record = std::move(records[i]);
  Append(std::move(entries), std::move(done));
}

void AuditLog::OmitStored(LeafRow& row, absl::flat_hash_set<std::string>& in_commit) const {
  auto sent = [&](const std::string& sha256) {
    return stored_.contains(sha256) || !in_commit.insert(sha256).second;
  };
  if (!row.signer.der.empty() && sent(row.signer.sha256)) row.signer.der.clear();
  std::erase_if(row.responses, [&](const crypto::SignedRevocationData& r) {
    return r.der == nullptr || sent(r.sha256);
  });
}

std::vector<AuditLog::Pending> AuditLog::TakeBatch() {
  std::vector<Pending> batch;
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](AuditLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return self->stopping_ || !self->queue_.empty();
      },
      this));
  if (queue_.empty()) return batch;  // stopping, nothing left
  // Group commit: give others the window to join, unless the batch is full
  // already.
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](AuditLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                             return self->stopping_ ||
                                    self->queued_records_ >= self->options_.max_batch;
                           },
                           this),
                       options_.commit_window);
  // The records on their way now join this commit (not those announced
  // while it waits: under steady load that would never end).
  if (arrived_ < expected_ && options_.expect_wait > absl::ZeroDuration()) {
    struct Awaited {
      AuditLog* log;
      uint64_t expected;
    } awaited{this, expected_};
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](Awaited* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                               return a->log->stopping_ || a->log->arrived_ >= a->expected ||
                                      a->log->queued_records_ >= a->log->options_.max_batch;
                             },
                             &awaited),
                         options_.expect_wait);
  }
  size_t taken = 0;
  while (!queue_.empty() &&
         (batch.empty() || taken + queue_.front().records.size() <= options_.max_batch)) {
    taken += queue_.front().records.size();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_records_ -= taken;
  return batch;
}

void AuditLog::WriterLoop() {
  pthread_setname_np(pthread_self(), "sv-audit");
  for (std::vector<Pending> batch = TakeBatch(); !batch.empty(); batch = TakeBatch()) {
    absl::Status status = Commit(batch);
    if (!status.ok()) {
      failures_ += 1;
      status = absl::UnavailableError(
          absl::StrCat("the audit log could not record the verdict: ", status.message()));
    }
    for (Pending& p : batch) p.done(status);
    MaybePrune();
  }
}

absl::Status AuditLog::Commit(std::vector<Pending>& batch) {
  const absl::Time started = absl::Now();
  // After a failed commit the tree goes on from what the store holds: what
  // it held before, or more when the commit reached it although its
  // acknowledgement did not reach us (a connection lost after COMMIT); those
  // callers were told UNAVAILABLE for records that are in fact logged, never
  // the reverse.
  if (reload_edge_) {
    if (absl::Status s = LoadEdge(); !s.ok()) return s;
    reload_edge_ = false;
  }
  const TreeEdge saved_edge = edge_;
  std::vector<LeafRow> leaves;
  std::vector<NodeRow> nodes;
  absl::flat_hash_set<std::string> in_commit;
  size_t count = 0;
  for (const Pending& p : batch) count += p.records.size();
  leaves.reserve(count);
  // The previous record's certificate and responses (shared bytes): a record
  // that names the same ones has them written already or known stored, and
  // needs no lookup by fingerprint (most records of a batch share them).
  const std::string* previous_signer = nullptr;
  absl::InlinedVector<const std::string*, 4> previous_responses, responses;
  for (Pending& p : batch) {
    for (PreparedRecord& e : p.records) {
      // Moved: a failed commit is not retried (its callers are answered
      // UNAVAILABLE).
      LeafRow& row = leaves.emplace_back(std::move(e.row));
      const uint64_t sequence = edge_.size();
      row.sequence = sequence;
      InsertSequence(row.leaf, e.sequence_at, sequence);
      row.leaf_hash = LeafHash(row.leaf);
      if (e.signer_der != nullptr && e.signer_der.get() != previous_signer &&
          !stored_.contains(row.signer.sha256)) {
        row.signer.der = *e.signer_der;
        if (e.signer != nullptr) {
          row.signer.subject = e.signer->subject();
          row.signer.issuer = e.signer->issuer();
          row.signer.serial = e.signer->serial_number();
        }
      }
      previous_signer = e.signer_der.get();
      responses.clear();
      for (const crypto::SignedRevocationData& r : row.responses) responses.push_back(r.der.get());
      std::erase_if(row.responses, [&](const crypto::SignedRevocationData& r) {
        return absl::c_linear_search(previous_responses, r.der.get());
      });
      previous_responses.swap(responses);
      OmitStored(row, in_commit);
      edge_.Push(row.leaf_hash, &nodes);
    }
  }
  // What the store will hold once this commits (the rows go to the store).
  std::vector<std::string> now_stored;
  for (const LeafRow& row : leaves) {
    if (!row.signer.der.empty()) now_stored.push_back(row.signer.sha256);
    for (const crypto::SignedRevocationData& r : row.responses) now_stored.push_back(r.sha256);
  }
  const size_t committed = leaves.size();
  auto note = signer_.Sign({options_.origin, edge_.size(), edge_.Root()});
  absl::Status status = note.ok() ? store_->CommitOwned(options_.shard, std::move(leaves),
                                                        std::move(nodes), edge_.size(), *note)
                                  : note.status();
  if (!status.ok()) {
    edge_ = saved_edge;
    // Another writer on this shard (FAILED_PRECONDITION) is refused, not
    // merged with: its checkpoints are signed by another key.
    reload_edge_ = !absl::IsFailedPrecondition(status);
    return status;
  }
  if (stored_.size() > 100000) stored_.clear();
  for (std::string& sha256 : now_stored) stored_.insert(std::move(sha256));
  appended_ += committed;
  commits_ += 1;
  tree_size_ = edge_.size();
  if (on_commit) on_commit(committed, absl::Now() - started);
  return absl::OkStatus();
}

void AuditLog::MaybePrune() {
  if (options_.retention <= absl::ZeroDuration()) return;
  const absl::Time now = options_.clock();
  if (now - last_prune_ < absl::Hours(1)) return;
  last_prune_ = now;
  auto pruned = store_->Prune(options_.shard, absl::ToUnixMicros(now - options_.retention));
  // A failed prune is tried again in an hour; it never blocks a commit.
  if (pruned.ok()) pruned_ += *pruned;
}

AuditLog::Stats AuditLog::stats() const {
  Stats s;
  s.appended = appended_.load();
  s.commits = commits_.load();
  s.failures = failures_.load();
  s.tree_size = tree_size_.load();
  s.pruned = pruned_.load();
  absl::MutexLock lock(&mu_);
  s.pending = queued_records_;
  return s;
}

StatsTable AuditLog::stats_table() const {
  return {
      {"sigverify_audit_records_total", "Verdicts recorded durably", StatKind::kCounter,
       [this] { return double(appended_.load()); }},
      {"sigverify_audit_commit_failures_total",
       "Audit commits that failed (their verdicts were not answered)", StatKind::kCounter,
       [this] { return double(failures_.load()); }},
      {"sigverify_audit_pruned_total", "Record bodies removed by --audit-retention",
       StatKind::kCounter, [this] { return double(pruned_.load()); }},
      {"sigverify_audit_backlog_records", "Records waiting for the audit writer", StatKind::kGauge,
       [this] { return double(stats().pending); }},
      {"sigverify_audit_tree_size",
       "Leaves in this shard's Merkle tree",
       StatKind::kGauge,
       [this] { return double(tree_size_.load()); },
       {{"shard", options_.shard}}},
  };
}

NodeSource AuditLog::Nodes(const std::string& shard) {
  return [this, shard](int level, uint64_t index) { return store_->Node(shard, level, index); };
}

}  // namespace sigverify::audit
