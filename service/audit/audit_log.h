// The verification audit log of one instance (one shard): records are
// queued by the RPC handlers and written by one thread in group commits
// (whatever arrived while the previous commit ran, and within
// `commit_window` if set, at most `max_batch` records, in one transaction), each commit extending
// the shard's Merkle tree and signing a checkpoint of it. A caller is told a record is durable only
// after its transaction committed; the service returns the verdict only
// then (and UNAVAILABLE, not an unlogged verdict, when the store fails).
#ifndef SIGVERIFY_SERVICE_AUDIT_AUDIT_LOG_H_
#define SIGVERIFY_SERVICE_AUDIT_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "crypto/revocation.h"
#include "crypto/stats_table.h"
#include "service/audit/audit_store.h"
#include "service/audit/checkpoint.h"
#include "service/audit/tree_edge.h"
#include "sigverify/v1/audit.pb.h"

namespace sigverify::audit {

// What a record refers to by hash, which the store keeps once and outside
// the leaf: the signer's certificate and the revocation responses the
// verdict used (the record holds their SHA-256).
struct RecordAttachments {
  // Shared with the parsed certificate: copied only when it is sent to the
  // store (once), not for every verified item. Null when not had.
  std::shared_ptr<const std::string> signer_der;
  std::vector<crypto::SignedRevocationData> responses;
  // SHA-256 of the signed data (32 bytes) when verifying computed it
  // anyway; empty: the record hashes the data itself.
  std::string data_sha256;
};

struct AuditEntry {
  v1::AuditRecord record;
  RecordAttachments attachments;
};

// A record as the appending thread leaves it (AuditLog::Prepare): `row`
// complete but for its sequence, `row.leaf` its deterministic serialization
// without the sequence field, which the writer splices in at `sequence_at`
// (see WithSequence). Encoding on the verifying threads keeps the writer's
// share of the work to what only it can do.
struct PreparedRecord {
  LeafRow row;
  size_t sequence_at = 0;
  std::shared_ptr<const std::string> signer_der;
  // When set, `row.signer` holds the fingerprint only and this is the
  // signer as the verdict named it: the writer copies its subject, issuer
  // and serial into the row it sends the DER with, the row a store keeps
  // the certificate from (other rows name it by fingerprint).
  std::shared_ptr<const v1::Certificate> signer;
};

class AuditLog {
 public:
  struct Options {
    std::string shard;   // this instance's id
    std::string origin;  // the checkpoints' origin line
    // Extra wait for more records before a commit. 0 (measured best here):
    // records that arrive while a commit runs form the next one anyway.
    absl::Duration commit_window = absl::ZeroDuration();
    // How long a commit waits for the records that were on their way
    // (Expect) when it began; zero: it does not wait for them.
    absl::Duration expect_wait = absl::Milliseconds(1);
    size_t max_batch = 2000;
    size_t max_pending = 100000;  // records queued and not yet committed
    // Retention: record bodies older than this are pruned (leaf hashes and
    // the tree stay, so proofs keep verifying); zero keeps them forever.
    absl::Duration retention = absl::ZeroDuration();
    std::function<absl::Time()> clock = [] { return absl::Now(); };
  };
  struct Stats {
    uint64_t appended = 0;  // records committed
    uint64_t commits = 0;
    uint64_t failures = 0;  // commits that failed (their callers got an error)
    size_t pending = 0;
    uint64_t tree_size = 0;
    uint64_t pruned = 0;  // record bodies removed by retention
  };
  using Done = std::function<void(absl::Status)>;
  // Called after each commit with its size and latency (metrics).
  std::function<void(size_t records, absl::Duration took)> on_commit;

  // Opens the shard in `store`: reads its size and right edge so appends
  // continue the same tree.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(std::unique_ptr<AuditStore> store,
                                                        CheckpointSigner signer, Options options);
  // Commits what is queued, then stops.
  ~AuditLog();

  // Encodes `record` for this log (its shard set, no sequence), leaving the
  // message to the caller: a worker fills and prepares one message per item
  // it verifies, reusing its allocations.
  PreparedRecord Prepare(v1::AuditRecord& record, RecordAttachments attachments) const;
  std::vector<PreparedRecord> Prepare(std::vector<AuditEntry> entries) const;
  // Queues `records`; `done` runs on the writer thread once they are
  // durable, or with UNAVAILABLE when they cannot be (the store fails, too
  // much is waiting, shutting down).
  void Append(std::vector<PreparedRecord> records, Done done);
  // Prepared here (shard and sequence are set by the log).
  void Append(std::vector<AuditEntry> entries, Done done);
  // Records without attachments.
  void Append(std::vector<v1::AuditRecord> records, Done done);

  // A record on its way: a verification has begun whose record will be
  // appended. A commit that begins while records are on their way waits for
  // them (at most Options::expect_wait) rather than leave them to the next
  // commit: unary calls would otherwise commit a few records at a time, and
  // every commit pays a signature and a synchronous write. Released when the
  // record is appended (Append with it), or when dropped.
  class Expected {
   public:
    Expected() = default;
    Expected(Expected&& other) noexcept : log_(std::exchange(other.log_, nullptr)) {}
    Expected& operator=(Expected&& other) noexcept;
    ~Expected();

   private:
    friend class AuditLog;
    explicit Expected(AuditLog* log) : log_(log) {}
    AuditLog* log_ = nullptr;
  };
  Expected Expect();
  // Append, releasing `expected` once the records are queued.
  void Append(std::vector<PreparedRecord> records, Done done, Expected expected);

  Stats stats() const;
  // sigverify_audit_* read at scrape time (the commit histograms are fed by
  // on_commit).
  StatsTable stats_table() const;
  AuditStore& store() { return *store_; }
  const std::string& shard() const { return options_.shard; }
  std::string verifier_key() const { return signer_.VerifierKey(); }
  // A NodeSource reading `shard` from the store.
  NodeSource Nodes(const std::string& shard);

 private:
  struct Pending {
    std::vector<PreparedRecord> records;
    Done done;
  };
  // Drops from `row` the attachments committed before (by this writer) or
  // already in this commit (`in_commit`), so a certificate or a large CRL is
  // sent to the store once, not per record.
  void OmitStored(LeafRow& row, absl::flat_hash_set<std::string>& in_commit) const;
  AuditLog(std::unique_ptr<AuditStore> store, CheckpointSigner signer, Options options)
      : store_(std::move(store)), signer_(std::move(signer)), options_(std::move(options)) {}
  void Append(std::vector<PreparedRecord> records, Done done, Expected* expected);
  void WriterLoop();
  // The next group of pending records (at most max_batch, after the commit
  // window); empty when stopping and nothing is left.
  std::vector<Pending> TakeBatch();
  // Appends `batch` to the tree and commits it with a new checkpoint; on
  // failure the tree is as before (and reloaded from the store next time).
  absl::Status Commit(std::vector<Pending>& batch);
  // Reads the shard's size and right edge from the store (at open, and after
  // a failed commit).
  absl::Status LoadEdge();
  // Retention, at most hourly, on the writer thread between commits.
  void MaybePrune();
  std::unique_ptr<AuditStore> store_;
  CheckpointSigner signer_;
  Options options_;

  TreeEdge edge_;  // writer thread only

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_records_ ABSL_GUARDED_BY(mu_) = 0;
  // Records announced by Expect, and those released since (appended or
  // dropped): both only grow.
  uint64_t expected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t arrived_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> appended_{0}, commits_{0}, failures_{0}, tree_size_{0}, pruned_{0};
  absl::Time last_prune_ = absl::InfinitePast();  // writer thread only
  bool reload_edge_ = false;                      // writer thread only: see WriterLoop
  // Writer thread only: SHA-256 of the certificates and responses committed
  // (bounded: forgotten wholesale past 100,000; the store ignores repeats).
  absl::flat_hash_set<std::string> stored_;
  std::thread writer_;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_AUDIT_LOG_H_
