// The right edge of an append-only Merkle tree (RFC 9162 2.1): the complete
// subtrees covering its leaves, largest first. Enough to append a leaf (and
// learn the subtree hashes it completes) and to compute the root, without
// the rest of the tree.
#ifndef SIGVERIFY_SERVICE_AUDIT_TREE_EDGE_H_
#define SIGVERIFY_SERVICE_AUDIT_TREE_EDGE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "service/audit/audit_store.h"
#include "service/audit/merkle.h"

namespace sigverify::audit {

class TreeEdge {
 public:
  // The edge of the tree of `size` leaves, from its stored subtree hashes.
  static absl::StatusOr<TreeEdge> Load(const NodeSource& nodes, uint64_t size);

  // Appends the leaf at index size(); adds the subtrees it completes to
  // `nodes` (when given).
  void Push(const Hash& leaf, std::vector<NodeRow>* nodes);
  Hash Root() const;
  uint64_t size() const { return size_; }

 private:
  std::vector<std::pair<int, Hash>> edge_;  // (level, hash)
  uint64_t size_ = 0;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_TREE_EDGE_H_
