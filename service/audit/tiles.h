// The tree as C2SP tlog-tiles cuts it, for mirrors and witnesses: the hash
// tile at tile level L and index N holds the hashes of the tree's nodes at
// height 8L (0: the leaf hashes) with indices 256N .. 256N + width - 1, 32
// bytes each, in order. A full tile has 256; the tile at the tree's right
// edge has fewer. A node is a complete subtree, so its hash never changes
// once it exists: a partial tile is a prefix of the full one to come.
#ifndef SIGVERIFY_SERVICE_AUDIT_TILES_H_
#define SIGVERIFY_SERVICE_AUDIT_TILES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "service/audit/merkle.h"

namespace sigverify::audit {

inline constexpr uint32_t kTileHeight = 8;    // tree levels per tile level
inline constexpr uint32_t kTileWidth = 256;   // hashes in a full tile
inline constexpr uint32_t kMaxTileLevel = 7;  // height 56: a tree has fewer than 2^64 leaves

// The hashes of tile (`level`, `index`, `width`) of the tree of `tree_size`
// leaves. INVALID_ARGUMENT for a level outside 0..7 or a width outside
// 1..256; NOT_FOUND when the tree does not hold the tile's last node whole.
absl::StatusOr<std::string> HashTile(const NodeSource& nodes, uint64_t tree_size, uint32_t level,
                                     uint64_t index, uint32_t width);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_TILES_H_
