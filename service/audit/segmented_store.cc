#include "service/audit/segmented_store.h"

#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/audit/leaf_encoding.h"
#include "service/audit/segment_reader.h"
#include "service/audit/tree_edge.h"
#include "sigverify/v1/audit.pb.h"

namespace sigverify::audit {
absl::StatusOr<std::unique_ptr<SegmentedStore>> SegmentedStore::Open(
    Options options, std::unique_ptr<AuditStore> index) {
  if (options.shard.empty()) return absl::InvalidArgumentError("the audit shard needs a name");
  SegmentLog::Options log_options;
  log_options.dir = options.dir;
  log_options.segment_bytes = options.segment_bytes;
  log_options.prepare_ahead = options.prepare_segments;
  auto segments = SegmentLog::Open(std::move(log_options));
  if (!segments.ok()) return segments.status();
  auto indexed = index->Size(options.shard);
  if (!indexed.ok()) return indexed.status();
  // The index keeps where each record is in the segments, not its bytes
  // (when it can read them back from there).
  auto reader = std::make_shared<SegmentReader>(options.dir, options.shard);
  const bool bodies_in_log = index->ReadBodiesFrom(reader);
  std::unique_ptr<SegmentedStore> store(
      new SegmentedStore(std::move(options), *std::move(segments), std::move(index)));
  if (bodies_in_log) store->reader_ = std::move(reader);
  SegmentLog& log = *store->segments_;
  store->opened_.discarded_bytes = log.recovery().discarded_bytes;
  if (log.Segments().empty() && *indexed > 0) {
    // A log from before segments: it goes on in segments from its size.
    auto note = store->index_->Checkpoint(store->options_.shard, 0);
    if (!note.ok() && !absl::IsNotFound(note.status())) return note.status();
    if (auto s = log.StartAt(*indexed, note.ok() ? *note : ""); !s.ok()) return s;
    store->opened_.migrated = true;
  } else if (log.size() < *indexed) {
    return absl::DataLossError(absl::StrCat("audit log: the index of shard ", store->options_.shard,
                                            " holds ", *indexed, " records, the segments in ",
                                            log.dir(), " only ", log.size(),
                                            " (segments deleted, or another index?)"));
  } else if (log.size() > *indexed) {
    if (auto s = store->CatchUp(*indexed); !s.ok()) return s;
  }
  store->indexed_ = log.size();
  store->size_ = log.size();
  std::string latest = log.checkpoint();
  if (latest.empty() && log.size() > 0) {
    // No commit in segments yet (a log from before them): the index's.
    auto note = store->index_->Checkpoint(store->options_.shard, 0);
    if (note.ok()) latest = *std::move(note);
  }
  {
    absl::MutexLock lock(&store->mu_);
    store->checkpoint_ = std::move(latest);
  }
  store->indexer_ = std::thread([raw = store.get()] { raw->IndexLoop(); });
  return store;
}

SegmentedStore::SegmentedStore(Options options, std::unique_ptr<SegmentLog> segments,
                               std::unique_ptr<AuditStore> index)
    : options_(std::move(options)), segments_(std::move(segments)), index_(std::move(index)) {}

SegmentedStore::~SegmentedStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (indexer_.joinable()) indexer_.join();
}

absl::Status SegmentedStore::CatchUp(uint64_t indexed) {
  const std::string& shard = options_.shard;
  auto edge =
      TreeEdge::Load([&](int level, uint64_t i) { return index_->Node(shard, level, i); }, indexed);
  if (!edge.ok()) return edge.status();
  // A commit's frames: certificates and responses come before the records
  // that first name them.
  std::vector<LeafRow> leaves;
  std::vector<NodeRow> nodes;
  absl::flat_hash_map<std::string, CertificateRow> certificates;
  std::vector<crypto::SignedRevocationData> responses;
  absl::Status status = segments_->Scan(indexed, [&](uint64_t sequence, const Frame& f) {
    switch (f.type) {
      case FrameType::kCertificate: {
        auto row = DecodeCertificate(f.payload);
        if (!row.ok()) return row.status();
        certificates[row->sha256] = *std::move(row);
        return absl::OkStatus();
      }
      case FrameType::kRevocationResponse:
        if (f.payload.size() < 64) return absl::DataLossError("a response frame cut short");
        responses.push_back({std::make_shared<const std::string>(f.payload.substr(64)),
                             std::string(f.payload.substr(0, 64))});
        return absl::OkStatus();
      case FrameType::kRecord: {
        if (sequence < indexed) return absl::OkStatus();
        if (f.payload.size() < 32) return absl::DataLossError("a record frame cut short");
        const std::string_view leaf = f.payload.substr(32);
        const Hash hash = LeafHash(leaf);
        if (std::memcmp(hash.data(), f.payload.data(), 32) != 0) {
          return absl::DataLossError(
              absl::StrCat("audit log: record ", sequence, " does not hash to its leaf hash"));
        }
        v1::AuditRecord record;
        if (!record.ParseFromArray(leaf.data(), static_cast<int>(leaf.size())) ||
            record.sequence() != sequence) {
          return absl::DataLossError(absl::StrCat("audit log: record ", sequence,
                                                  " does not say it is record ", sequence));
        }
        LeafRow& row = leaves.emplace_back(IndexColumns(record, std::string(leaf)));
        row.sequence = sequence;
        if (reader_ != nullptr) row.log_offset = static_cast<int64_t>(f.offset);
        row.leaf_hash = hash;
        if (auto it = certificates.find(row.signer.sha256); it != certificates.end()) {
          row.signer.der = it->second.der;
        }
        row.responses = std::move(responses);
        responses.clear();
        edge->Push(hash, &nodes);
        return absl::OkStatus();
      }
      case FrameType::kCheckpoint: {
        auto cp = DecodeCheckpoint(f.payload);
        if (!cp.ok()) return cp.status();
        certificates.clear();
        if (leaves.empty()) return absl::OkStatus();
        absl::Status s = index_->Commit(shard, leaves, nodes, cp->size, std::string(cp->note));
        opened_.caught_up += leaves.size();
        leaves.clear();
        nodes.clear();
        return s;
      }
      case FrameType::kSegmentStart:
        return absl::OkStatus();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("audit log: catching the index of shard ",
                                                    shard, " up: ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status SegmentedStore::Commit(const std::string& shard, absl::Span<const LeafRow> leaves,
                                    absl::Span<const NodeRow> nodes, uint64_t new_size,
                                    const std::string& checkpoint) {
  if (shard != options_.shard) return index_->Commit(shard, leaves, nodes, new_size, checkpoint);
  return CommitOwned(shard, std::vector<LeafRow>(leaves.begin(), leaves.end()),
                     std::vector<NodeRow>(nodes.begin(), nodes.end()), new_size, checkpoint);
}

absl::Status SegmentedStore::CommitOwned(const std::string& shard, std::vector<LeafRow>&& leaves,
                                         std::vector<NodeRow>&& nodes, uint64_t new_size,
                                         const std::string& checkpoint) {
  if (shard != options_.shard) return index_->Commit(shard, leaves, nodes, new_size, checkpoint);
  {
    absl::MutexLock lock(&mu_);
    if (unindexed_records_ + leaves.size() > options_.max_unindexed) {
      return absl::UnavailableError(
          absl::StrCat("the audit index is ", unindexed_records_, " records behind the log (",
                       index_failures_.load(),
                       " failed index commits); records are refused until it catches up"));
    }
  }
  std::vector<uint64_t> offsets;
  if (absl::Status s = segments_->Commit(leaves, new_size, checkpoint, &offsets); !s.ok()) {
    return s;
  }
  if (reader_ != nullptr) {
    for (size_t i = 0; i < offsets.size(); ++i) {
      leaves[i].log_offset = static_cast<int64_t>(offsets[i]);
    }
  }
  Unindexed commit{std::move(leaves), std::move(nodes), new_size, checkpoint, absl::Now()};
  absl::MutexLock lock(&mu_);
  unindexed_records_ += commit.leaves.size();
  unindexed_.push_back(std::move(commit));
  checkpoint_ = checkpoint;
  size_.store(new_size, std::memory_order_release);
  return absl::OkStatus();
}

size_t SegmentedStore::GatherForIndex() {
  mu_.Await(absl::Condition(
      +[](SegmentedStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return self->stopping_ || !self->unindexed_.empty();
      },
      this));
  if (unindexed_.empty()) return 0;  // stopping, all indexed
  mu_.AwaitWithDeadline(absl::Condition(
                            +[](SegmentedStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                              return self->stopping_ || self->searches_waiting_ > 0 ||
                                     self->unindexed_records_ >= self->options_.index_batch;
                            },
                            this),
                        unindexed_.front().logged + options_.index_delay);
  // At most four batches' worth in one transaction, and at least a commit.
  size_t taken = 0, records = 0;
  for (const Unindexed& c : unindexed_) {
    if (taken > 0 && records + c.leaves.size() > 4 * options_.index_batch) break;
    records += c.leaves.size();
    ++taken;
  }
  return taken;
}

void SegmentedStore::IndexLoop() {
  pthread_setname_np(pthread_self(), "sv-audit-index");
  absl::Duration backoff = absl::Milliseconds(100);
  absl::Time last_told = absl::InfinitePast();  // of a failure
  std::vector<CommitPart> parts;
  for (;;) {
    // Only this thread pops, and a deque's elements stay put while others
    // are pushed, so the commits taken stay where they are while they are
    // written; readers find them there until they are popped.
    const Unindexed* last = nullptr;
    size_t records = 0;
    parts.clear();
    {
      absl::MutexLock lock(&mu_);
      const size_t taken = GatherForIndex();
      if (taken == 0) return;  // stopping, all indexed
      for (size_t i = 0; i < taken; ++i) {
        last = &unindexed_[i];
        parts.push_back({last->leaves, last->nodes});
        records += last->leaves.size();
      }
    }
    const absl::Status s = index_->CommitParts(options_.shard, parts, last->size, last->checkpoint);
    const absl::Time now = absl::Now();
    if (!s.ok() && options_.on_index_status && now - last_told >= absl::Minutes(1)) {
      options_.on_index_status(s);
      last_told = now;
    } else if (s.ok() && last_told != absl::InfinitePast() && options_.on_index_status) {
      options_.on_index_status(absl::OkStatus());
      last_told = absl::InfinitePast();
    }
    absl::MutexLock lock(&mu_);
    if (!s.ok()) {
      index_failures_ += 1;
      if (stopping_) return;  // the segments have it; the next start catches up
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
      backoff = std::min(backoff * 2, absl::Seconds(5));
      continue;
    }
    backoff = absl::Milliseconds(100);
    indexed_.store(last->size, std::memory_order_release);
    unindexed_records_ -= records;
    for (size_t i = 0; i < parts.size(); ++i) unindexed_.pop_front();
  }
}

bool SegmentedStore::WaitIndexed(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  ++searches_waiting_;
  const bool indexed =
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](SegmentedStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                                 return self->unindexed_.empty();
                               },
                               this),
                           timeout);
  --searches_waiting_;
  return indexed;
}

const LeafRow* SegmentedStore::FindUnindexed(uint64_t sequence) const {
  for (const Unindexed& c : unindexed_) {
    if (c.leaves.empty()) continue;  // a checkpoint alone
    if (sequence < c.leaves.front().sequence) return nullptr;
    if (sequence <= c.leaves.back().sequence) {
      return &c.leaves[sequence - c.leaves.front().sequence];
    }
  }
  return nullptr;
}

absl::StatusOr<uint64_t> SegmentedStore::Size(const std::string& shard) {
  if (shard != options_.shard) return index_->Size(shard);
  return size_.load(std::memory_order_acquire);
}

absl::StatusOr<Hash> SegmentedStore::Node(const std::string& shard, int level, uint64_t index) {
  if (shard == options_.shard) {
    absl::MutexLock lock(&mu_);
    // A node is made with the last leaf it covers.
    const uint64_t last = ((index + 1) << level) - 1;
    if (last >= indexed_.load(std::memory_order_acquire)) {
      if (level == 0) {
        if (const LeafRow* row = FindUnindexed(index)) return row->leaf_hash;
      } else {
        for (const Unindexed& c : unindexed_) {
          for (const NodeRow& n : c.nodes) {
            if (n.level == level && n.index == index) return n.hash;
          }
        }
      }
    }
  }
  return index_->Node(shard, level, index);
}

absl::StatusOr<std::string> SegmentedStore::Leaf(const std::string& shard, uint64_t sequence) {
  if (shard == options_.shard) {
    absl::MutexLock lock(&mu_);
    if (const LeafRow* row = FindUnindexed(sequence)) return row->leaf;
  }
  return index_->Leaf(shard, sequence);
}

absl::StatusOr<CertificateRow> SegmentedStore::Certificate(const std::string& sha256) {
  auto row = index_->Certificate(sha256);
  if (!absl::IsNotFound(row.status())) return row;
  absl::MutexLock lock(&mu_);
  for (const Unindexed& c : unindexed_) {
    for (const LeafRow& leaf : c.leaves) {
      if (leaf.signer.sha256 == sha256 && !leaf.signer.der.empty()) return leaf.signer;
    }
  }
  return row;
}

absl::StatusOr<std::string> SegmentedStore::RevocationResponse(const std::string& sha256) {
  auto der = index_->RevocationResponse(sha256);
  if (!absl::IsNotFound(der.status())) return der;
  absl::MutexLock lock(&mu_);
  for (const Unindexed& c : unindexed_) {
    for (const LeafRow& leaf : c.leaves) {
      for (const crypto::SignedRevocationData& r : leaf.responses) {
        if (r.sha256 == sha256 && r.der != nullptr) return *r.der;
      }
    }
  }
  return der;
}

absl::StatusOr<uint64_t> SegmentedStore::Prune(const std::string& shard, int64_t before_micros) {
  auto pruned = index_->Prune(shard, before_micros);
  if (!pruned.ok() || shard != options_.shard) return pruned;
  // Whole segments: every one but the last, once indexed and last written
  // before the cut-off (a segment's last commit is its newest record).
  const std::vector<uint64_t> segments = segments_->Segments();
  const uint64_t indexed = indexed_.load(std::memory_order_acquire);
  for (size_t i = 0; i + 1 < segments.size() && segments[i + 1] <= indexed; ++i) {
    const std::string path = segments_->SegmentPath(segments[i]);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;
    const int64_t written = int64_t{st.st_mtim.tv_sec} * 1000000 + st.st_mtim.tv_nsec / 1000;
    if (written >= before_micros) break;
    std::filesystem::remove(path);
    if (reader_ != nullptr) reader_->Forget(segments[i]);
  }
  return pruned;
}

absl::StatusOr<std::string> SegmentedStore::Checkpoint(const std::string& shard, uint64_t size) {
  if (shard == options_.shard) {
    absl::MutexLock lock(&mu_);
    if (size == 0 || size == size_.load()) {
      if (checkpoint_.empty()) return absl::NotFoundError("no checkpoint yet");
      return checkpoint_;
    }
    for (const Unindexed& c : unindexed_) {
      if (c.size == size) return c.checkpoint;
    }
  }
  return index_->Checkpoint(shard, size);
}

absl::StatusOr<std::vector<AuditStore::StoredLeaf>> SegmentedStore::Leaves(const std::string& shard,
                                                                           uint64_t begin,
                                                                           size_t limit) {
  if (shard != options_.shard) return index_->Leaves(shard, begin, limit);
  // What is not indexed first (the index may take some of it meanwhile: it
  // is read below that line only).
  std::vector<StoredLeaf> tail;
  uint64_t line = 0;
  {
    absl::MutexLock lock(&mu_);
    line = indexed_.load(std::memory_order_acquire);
    for (uint64_t s = std::max(begin, line); tail.size() < limit; ++s) {
      const LeafRow* row = FindUnindexed(s);
      if (row == nullptr) break;
      tail.push_back(
          {s, row->leaf, std::string(reinterpret_cast<const char*>(row->leaf_hash.data()), 32)});
    }
  }
  std::vector<StoredLeaf> out;
  if (begin < line) {
    auto indexed = index_->Leaves(shard, begin, std::min<uint64_t>(limit, line - begin));
    if (!indexed.ok()) return indexed.status();
    out = *std::move(indexed);
  }
  for (StoredLeaf& row : tail) {
    if (out.size() == limit) break;
    out.push_back(std::move(row));
  }
  return out;
}

absl::StatusOr<std::vector<FoundLeaf>> SegmentedStore::Find(const LeafQuery& query,
                                                            const LeafCursor* after, size_t limit) {
  struct Target {
    const std::atomic<uint64_t>* indexed;
    uint64_t logged;
  } target{&indexed_, size_.load(std::memory_order_acquire)};
  {
    absl::MutexLock lock(&mu_);  // indexed_ moves under it
    ++searches_waiting_;         // the index writes what waits at once
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](Target* t) { return t->indexed->load(std::memory_order_acquire) >= t->logged; },
            &target),
        kFreshnessWait);
    --searches_waiting_;
  }
  return index_->Find(query, after, limit);
}

StatsTable SegmentedStore::stats_table() const {
  return {
      {"sigverify_audit_index_lag_records",
       "Records in the audit log that the search index (QueryRecords) does not have yet",
       StatKind::kGauge, [this] { return double(size_.load() - indexed_.load()); }},
      {"sigverify_audit_index_failures_total",
       "Search index commits that failed (retried; the log has the records)", StatKind::kCounter,
       [this] { return double(index_failures_.load()); }},
  };
}

}  // namespace sigverify::audit
