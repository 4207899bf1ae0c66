// The embedded audit log's store: the segments (segment_log.h) are the log,
// durable when a commit returns (one write, one fdatasync, no index on the
// way), and an index store (SQLite) is filled from them behind, by a thread
// of its own, for QueryRecords; it keeps where each record is in the
// segments, not the record (SegmentReader reads it back, checked against the
// leaf hash). Until the index has a commit, reads of its
// records, tree nodes, certificates and responses are answered from memory,
// so GetRecord and proofs work at once. Opening catches the index up with
// the segments (after a crash, or the index thread killed mid-way); a log
// that predates segments (index only) goes on in segments from its size.
#ifndef SIGVERIFY_SERVICE_AUDIT_SEGMENTED_STORE_H_
#define SIGVERIFY_SERVICE_AUDIT_SEGMENTED_STORE_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/stats_table.h"
#include "service/audit/audit_store.h"
#include "service/audit/segment_log.h"
#include "service/audit/segment_reader.h"

namespace sigverify::audit {

class SegmentedStore : public AuditStore {
 public:
  struct Options {
    std::string dir;  // the segments
    // The shard this instance writes; others (an index shared with other
    // instances, tests) are read from and written to the index directly.
    std::string shard;
    uint64_t segment_bytes = uint64_t{64} << 20;
    // The next segment zero-filled whole ahead of need (SegmentLog's
    // prepare_ahead); sigverifyd sets it.
    bool prepare_segments = false;
    // Records the index may lag behind by: past it, commits are refused
    // UNAVAILABLE (memory stays bounded while the index cannot write).
    size_t max_unindexed = 200000;
    // The index writes the commits that waited for it together: once
    // `index_batch` records wait, when the first of them waited
    // `index_delay`, or at once when a search waits for them. One index
    // transaction per log commit cost more than the commit itself when
    // commits are small (unary calls: ADR 0022, fourth step).
    absl::Duration index_delay = absl::Milliseconds(50);
    size_t index_batch = 4096;
    // Told when the index fails to write (the first failure, then at most
    // once a minute while it goes on) and when it writes again (OK).
    std::function<void(const absl::Status&)> on_index_status;
  };
  struct Opened {
    uint64_t caught_up = 0;        // records indexed from the segments at open
    uint64_t discarded_bytes = 0;  // a torn last commit cut off
    bool migrated = false;         // an index-only log now continued in segments
  };

  static absl::StatusOr<std::unique_ptr<SegmentedStore>> Open(Options options,
                                                              std::unique_ptr<AuditStore> index);
  // Indexes what is in memory, then stops.
  ~SegmentedStore() override;

  absl::Status Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                      absl::Span<const NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override;
  absl::Status CommitOwned(const std::string& shard, std::vector<LeafRow>&& leaves,
                           std::vector<NodeRow>&& nodes, uint64_t new_size,
                           const std::string& checkpoint) override;
  absl::StatusOr<uint64_t> Size(const std::string& shard) override;
  absl::StatusOr<Hash> Node(const std::string& shard, int level, uint64_t index) override;
  absl::StatusOr<std::string> Leaf(const std::string& shard, uint64_t sequence) override;
  absl::StatusOr<CertificateRow> Certificate(const std::string& sha256) override;
  absl::StatusOr<std::string> RevocationResponse(const std::string& sha256) override;
  // Prunes the index's bodies, then deletes the segments (never the last)
  // whose last commit is older than `before_micros` and which are indexed.
  absl::StatusOr<uint64_t> Prune(const std::string& shard, int64_t before_micros) override;
  absl::StatusOr<std::string> Checkpoint(const std::string& shard, uint64_t size) override;
  absl::StatusOr<std::vector<StoredLeaf>> Leaves(const std::string& shard, uint64_t begin,
                                                 size_t limit) override;
  // From the index, once it has every record logged before the call (a
  // search makes it write what waits at once; it is milliseconds behind
  // then, unless it is failing or overloaded), or after
  // waiting kFreshnessWait for it: then the newest records are not found yet
  // (indexed_size() says how far it is).
  absl::StatusOr<std::vector<FoundLeaf>> Find(const LeafQuery& query, const LeafCursor* after,
                                              size_t limit) override;
  void set_query_budget(absl::Duration budget) override { index_->set_query_budget(budget); }
  absl::StatusOr<uint64_t> Searchable(const std::string& shard) override {
    if (shard != options_.shard) return index_->Searchable(shard);
    return indexed_size();
  }
  // sigverify_audit_index_* read at scrape time.
  StatsTable stats_table() const;

  uint64_t indexed_size() const { return indexed_.load(std::memory_order_acquire); }
  // Waits until the index has every commit made so far (or `timeout`).
  bool WaitIndexed(absl::Duration timeout);
  static constexpr absl::Duration kFreshnessWait = absl::Seconds(2);
  const Opened& opened() const { return opened_; }
  const SegmentLog& segments() const { return *segments_; }
  uint64_t index_failures() const { return index_failures_.load(); }

 private:
  // A commit the index does not have yet.
  struct Unindexed {
    std::vector<LeafRow> leaves;
    std::vector<NodeRow> nodes;
    uint64_t size = 0;
    std::string checkpoint;
    absl::Time logged;
  };
  SegmentedStore(Options options, std::unique_ptr<SegmentLog> segments,
                 std::unique_ptr<AuditStore> index);
  absl::Status CatchUp(uint64_t indexed);
  void IndexLoop();
  // Waits (mu_ held) for the commits that the index writes next together,
  // and returns how many.
  size_t GatherForIndex() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The unindexed leaf at `sequence`, or null.
  const LeafRow* FindUnindexed(uint64_t sequence) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Options options_;
  std::unique_ptr<SegmentLog> segments_;  // the writer's (Commit) only, after Open
  std::unique_ptr<AuditStore> index_;
  Opened opened_;
  // Set when the index keeps segment offsets, not record bytes (it reads
  // them from the segments through this).
  std::shared_ptr<SegmentReader> reader_;
  std::atomic<uint64_t> indexed_{0};
  std::atomic<uint64_t> index_failures_{0};
  std::atomic<uint64_t> size_{0};

  mutable absl::Mutex mu_;
  std::deque<Unindexed> unindexed_ ABSL_GUARDED_BY(mu_);
  size_t unindexed_records_ ABSL_GUARDED_BY(mu_) = 0;
  std::string checkpoint_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int searches_waiting_ ABSL_GUARDED_BY(mu_) = 0;  // for the index to catch up
  std::thread indexer_;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_SEGMENTED_STORE_H_
