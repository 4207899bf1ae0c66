#include "service/audit/verify_shard.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sigverify/v1/audit.pb.h"

namespace sigverify::audit {
namespace {

// Record `want`'s bytes: they hash to `stored_hash` (32 bytes) and say they
// are record `want` of `shard`; its leaf hash is appended to `hashes`.
absl::Status CheckRecord(std::string_view leaf, std::string_view stored_hash,
                         const std::string& shard, std::vector<Hash>& hashes) {
  const uint64_t want = hashes.size();
  const Hash h = LeafHash(leaf);
  if (stored_hash.size() != 32 || std::memcmp(h.data(), stored_hash.data(), 32) != 0) {
    return absl::DataLossError(absl::StrCat("record ", want, " of shard ", shard,
                                            " was changed after it was logged: its bytes no "
                                            "longer hash to its leaf"));
  }
  v1::AuditRecord record;
  if (!record.ParseFromArray(leaf.data(), static_cast<int>(leaf.size())) ||
      record.sequence() != want || record.shard() != shard) {
    return absl::DataLossError(absl::StrCat("record ", want, " of shard ", shard,
                                            " does not say it is record ", want, " of ", shard));
  }
  hashes.push_back(h);
  return absl::OkStatus();
}

// Records [hashes.size(), end) from the store's leaves.
absl::Status CheckStoredLeaves(AuditStore& store, const std::string& shard, uint64_t end,
                               std::vector<Hash>& hashes, uint64_t* pruned) {
  constexpr size_t kPage = 10000;
  while (hashes.size() < end) {
    auto page = store.Leaves(shard, hashes.size(), kPage);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const AuditStore::StoredLeaf& row : *page) {
      if (hashes.size() == end) break;
      const uint64_t want = hashes.size();
      if (row.sequence != want) {
        return absl::DataLossError(absl::StrCat("record ", want, " of shard ", shard,
                                                " is missing (the next one is ", row.sequence,
                                                ")"));
      }
      if (row.leaf.empty()) {
        // Pruned by retention: only its leaf hash is left to rebuild the
        // tree with (a change to it shows as a root mismatch).
        if (row.leaf_hash.size() != 32) return absl::DataLossError("a leaf hash is not 32 bytes");
        Hash kept;
        std::copy(row.leaf_hash.begin(), row.leaf_hash.end(), kept.begin());
        hashes.push_back(kept);
        ++*pruned;
        continue;
      }
      if (auto s = CheckRecord(row.leaf, row.leaf_hash, shard, hashes); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Checkpoint> CheckRoot(const std::vector<Hash>& hashes, const std::string& shard,
                                     const Checkpoint& checkpoint) {
  if (hashes.size() != checkpoint.size) {
    return absl::DataLossError(absl::StrCat("shard ", shard, " holds ", hashes.size(),
                                            " records; the checkpoint signs ", checkpoint.size));
  }
  std::vector<Hash> leaves = hashes;
  auto root = RootAt(NodesFromLeaves(&leaves), leaves.size());
  if (!root.ok()) return root.status();
  if (*root != checkpoint.root) {
    return absl::DataLossError(absl::StrCat(
        "the records of shard ", shard, " do not make the tree the checkpoint of size ",
        checkpoint.size, " signs (a record and its leaf hash were both rewritten)"));
  }
  return checkpoint;
}

}  // namespace

absl::StatusOr<Checkpoint> VerifyShard(AuditStore& store, const std::string& shard,
                                       const std::string& checkpoint_note,
                                       const std::string& verifier_key, uint64_t* pruned) {
  uint64_t ignored = 0;
  if (pruned == nullptr) pruned = &ignored;
  auto checkpoint = OpenCheckpoint(checkpoint_note, verifier_key);
  if (!checkpoint.ok()) return checkpoint.status();
  std::vector<Hash> hashes;
  hashes.reserve(checkpoint->size);
  if (auto s = CheckStoredLeaves(store, shard, checkpoint->size, hashes, pruned); !s.ok()) {
    return s;
  }
  return CheckRoot(hashes, shard, *checkpoint);
}

absl::StatusOr<Checkpoint> VerifySegmentedShard(const SegmentLog& segments, AuditStore& index,
                                                const std::string& shard,
                                                const std::string& checkpoint_note,
                                                const std::string& verifier_key, uint64_t* pruned) {
  uint64_t ignored = 0;
  if (pruned == nullptr) pruned = &ignored;
  auto checkpoint = OpenCheckpoint(checkpoint_note, verifier_key);
  if (!checkpoint.ok()) return checkpoint.status();
  const std::vector<uint64_t> files = segments.Segments();
  const uint64_t first = files.empty() ? checkpoint->size : files.front();
  std::vector<Hash> hashes;
  hashes.reserve(checkpoint->size);
  // Records before the first segment: a log that predates segments, or
  // segments removed by retention.
  if (auto s = CheckStoredLeaves(index, shard, std::min(first, checkpoint->size), hashes, pruned);
      !s.ok()) {
    return s;
  }
  absl::Status scanned = segments.Scan(first, [&](uint64_t sequence, const Frame& f) {
    if (f.type != FrameType::kRecord || sequence < hashes.size() ||
        hashes.size() == checkpoint->size) {
      return absl::OkStatus();
    }
    if (sequence != hashes.size()) {
      return absl::DataLossError(absl::StrCat("record ", hashes.size(), " of shard ", shard,
                                              " is missing from the segments"));
    }
    if (f.payload.size() < 32) return absl::DataLossError("a record frame cut short");
    return CheckRecord(f.payload.substr(32), f.payload.substr(0, 32), shard, hashes);
  });
  if (!scanned.ok()) return scanned;
  if (hashes.size() < checkpoint->size) {
    if (absl::Status tail = segments.CheckTail(); !tail.ok()) return tail;
  }
  return CheckRoot(hashes, shard, *checkpoint);
}

}  // namespace sigverify::audit
