#include "service/audit/tree_edge.h"

#include "absl/strings/str_cat.h"

namespace sigverify::audit {

absl::StatusOr<TreeEdge> TreeEdge::Load(const NodeSource& nodes, uint64_t size) {
  TreeEdge out;
  uint64_t offset = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    auto node = nodes(level, offset >> level);
    if (!node.ok()) {
      return absl::DataLossError(
          absl::StrCat("the tree's right edge is missing: ", node.status().message()));
    }
    out.edge_.emplace_back(level, *node);
    offset += width;
  }
  out.size_ = size;
  return out;
}

void TreeEdge::Push(const Hash& leaf, std::vector<NodeRow>* nodes) {
  const uint64_t index = size_++;
  edge_.emplace_back(0, leaf);
  while (edge_.size() >= 2 && edge_[edge_.size() - 2].first == edge_.back().first) {
    const int level = edge_.back().first + 1;
    const Hash node = NodeHash(edge_[edge_.size() - 2].second, edge_.back().second);
    edge_.pop_back();
    edge_.pop_back();
    edge_.emplace_back(level, node);
    if (nodes != nullptr) nodes->push_back({level, index >> level, node});
  }
}

Hash TreeEdge::Root() const {
  if (edge_.empty()) return EmptyRoot();
  Hash root = edge_.back().second;
  for (size_t i = edge_.size() - 1; i-- > 0;) root = NodeHash(edge_[i].second, root);
  return root;
}

}  // namespace sigverify::audit
