#include "service/audit/tiles.h"

#include "absl/strings/str_cat.h"

namespace sigverify::audit {

absl::StatusOr<std::string> HashTile(const NodeSource& nodes, uint64_t tree_size, uint32_t level,
                                     uint64_t index, uint32_t width) {
  if (level > kMaxTileLevel) {
    return absl::InvalidArgumentError(
        absl::StrCat("tile level ", level, " is outside 0..", kMaxTileLevel));
  }
  if (width < 1 || width > kTileWidth) {
    return absl::InvalidArgumentError(
        absl::StrCat("tile width ", width, " is outside 1..", kTileWidth));
  }
  const int height = static_cast<int>(kTileHeight * level);
  // Complete nodes at that height; the tile needs 256 * index + width of them.
  const uint64_t whole = tree_size >> height;
  if (index > whole / kTileWidth || index * kTileWidth + width > whole) {
    return absl::NotFoundError(absl::StrCat("the tree of ", tree_size, " records has no tile ",
                                            level, "/", index, " of width ", width));
  }
  std::string out;
  out.reserve(static_cast<size_t>(width) * 32);
  for (uint32_t i = 0; i < width; ++i) {
    auto hash = nodes(height, index * kTileWidth + i);
    if (!hash.ok()) return hash.status();
    out.append(reinterpret_cast<const char*>(hash->data()), hash->size());
  }
  return out;
}

}  // namespace sigverify::audit
