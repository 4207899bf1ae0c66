#include "service/audit/verify_shard.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "sigverify/v1/audit.pb.h"

namespace sigverify::audit {

absl::StatusOr<Checkpoint> VerifyShard(AuditStore& store, const std::string& shard,
                                       const std::string& checkpoint_note,
                                       const std::string& verifier_key, uint64_t* pruned) {
  uint64_t ignored = 0;
  if (pruned == nullptr) pruned = &ignored;
  auto checkpoint = OpenCheckpoint(checkpoint_note, verifier_key);
  if (!checkpoint.ok()) return checkpoint.status();
  std::vector<Hash> hashes;
  hashes.reserve(checkpoint->size);
  constexpr size_t kPage = 10000;
  while (hashes.size() < checkpoint->size) {
    auto page = store.Leaves(shard, hashes.size(), kPage);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const AuditStore::StoredLeaf& row : *page) {
      if (hashes.size() == checkpoint->size) break;
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
      const Hash h = LeafHash(row.leaf);
      if (std::string(h.begin(), h.end()) != row.leaf_hash) {
        return absl::DataLossError(absl::StrCat("record ", want, " of shard ", shard,
                                                " was changed after it was logged: its bytes no "
                                                "longer hash to its leaf"));
      }
      v1::AuditRecord record;
      if (!record.ParseFromString(row.leaf) || record.sequence() != want ||
          record.shard() != shard) {
        return absl::DataLossError(absl::StrCat("record ", want, " of shard ", shard,
                                                " does not say it is record ", want, " of ",
                                                shard));
      }
      hashes.push_back(h);
    }
  }
  if (hashes.size() != checkpoint->size) {
    return absl::DataLossError(absl::StrCat("shard ", shard, " holds ", hashes.size(),
                                            " records; the checkpoint signs ", checkpoint->size));
  }
  auto root = RootAt(NodesFromLeaves(&hashes), hashes.size());
  if (!root.ok()) return root.status();
  if (*root != checkpoint->root) {
    return absl::DataLossError(absl::StrCat(
        "the records of shard ", shard, " do not make the tree the checkpoint of size ",
        checkpoint->size, " signs (a record and its leaf hash were both rewritten)"));
  }
  return *checkpoint;
}

}  // namespace sigverify::audit
