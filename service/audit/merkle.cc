#include "service/audit/merkle.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace sigverify::audit {
namespace {

// The largest power of two strictly below n (n > 1).
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

int Log2(uint64_t power_of_two) {
  int level = 0;
  while ((uint64_t{1} << level) < power_of_two) ++level;
  return level;
}

absl::Status Mismatch(const char* what) {
  return absl::FailedPreconditionError(absl::StrCat("the ", what, " does not verify"));
}

absl::Status PathOf(const NodeSource& nodes, uint64_t index, uint64_t begin, uint64_t end,
                    std::vector<Hash>* out) {
  if (end - begin <= 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(end - begin);
  absl::StatusOr<Hash> sibling;
  if (index - begin < k) {
    if (auto s = PathOf(nodes, index, begin, begin + k, out); !s.ok()) return s;
    sibling = SubtreeRoot(nodes, begin + k, end);
  } else {
    if (auto s = PathOf(nodes, index, begin + k, end, out); !s.ok()) return s;
    sibling = SubtreeRoot(nodes, begin, begin + k);
  }
  if (!sibling.ok()) return sibling.status();
  out->push_back(*sibling);
  return absl::OkStatus();
}

// SUBPROOF(m, D[begin:end], whole).
absl::Status SubProof(const NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end, bool whole,
                      std::vector<Hash>* out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (whole) return absl::OkStatus();
    auto root = SubtreeRoot(nodes, begin, end);
    if (!root.ok()) return root.status();
    out->push_back(*root);
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  absl::StatusOr<Hash> sibling;
  if (m <= k) {
    if (auto s = SubProof(nodes, m, begin, begin + k, whole, out); !s.ok()) return s;
    sibling = SubtreeRoot(nodes, begin + k, end);
  } else {
    if (auto s = SubProof(nodes, m - k, begin + k, end, false, out); !s.ok()) return s;
    sibling = SubtreeRoot(nodes, begin, begin + k);
  }
  if (!sibling.ok()) return sibling.status();
  out->push_back(*sibling);
  return absl::OkStatus();
}

}  // namespace

Hash LeafHash(std::string_view leaf) { return crypto::Sha256(std::string_view("\0", 1), leaf); }

Hash NodeHash(const Hash& left, const Hash& right) {
  char buf[65];
  buf[0] = '\x01';
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return crypto::Sha256(std::string_view(buf, sizeof(buf)));
}

Hash EmptyRoot() { return crypto::Sha256(""); }

Hash PerfectRoot(std::vector<Hash> row) {
  for (; row.size() > 1; row.resize(row.size() / 2)) {
    for (size_t k = 0; k < row.size() / 2; ++k) row[k] = NodeHash(row[2 * k], row[2 * k + 1]);
  }
  return row[0];
}

absl::StatusOr<Hash> SubtreeRoot(const NodeSource& nodes, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (IsPowerOfTwo(n) && begin % n == 0) return nodes(Log2(n), begin / n);
  const uint64_t k = SplitPoint(n);
  auto left = SubtreeRoot(nodes, begin, begin + k);
  if (!left.ok()) return left.status();
  auto right = SubtreeRoot(nodes, begin + k, end);
  if (!right.ok()) return right.status();
  return NodeHash(*left, *right);
}

absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t size) {
  return SubtreeRoot(nodes, 0, size);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t index,
                                                 uint64_t size) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf ", index, " is not in a tree of ", size, " leaves"));
  }
  std::vector<Hash> proof;
  if (auto s = PathOf(nodes, index, 0, size, &proof); !s.ok()) return s;
  return proof;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                                   uint64_t new_size) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree size ", old_size, " is larger than ", new_size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  if (auto s = SubProof(nodes, old_size, 0, new_size, true, &proof); !s.ok()) return s;
  return proof;
}

absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                             absl::Span<const Hash> proof, const Hash& root) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf ", index, " is not in a tree of ", size, " leaves"));
  }
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return absl::InvalidArgumentError("the inclusion proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("the inclusion proof is too short");
  if (r != root) return Mismatch("inclusion proof");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, absl::Span<const Hash> proof) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree size ", old_size, " is larger than ", new_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) return absl::InvalidArgumentError("a proof between equal sizes");
    return old_root == new_root ? absl::OkStatus() : Mismatch("consistency proof");
  }
  if (old_size == 0) {
    // Every tree extends the empty one.
    if (!proof.empty()) return absl::InvalidArgumentError("a proof from the empty tree");
    return absl::OkStatus();
  }
  std::vector<Hash> path(proof.begin(), proof.end());
  if (IsPowerOfTwo(old_size)) path.insert(path.begin(), old_root);
  if (path.empty()) return absl::InvalidArgumentError("the consistency proof is empty");
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return absl::InvalidArgumentError("the consistency proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("the consistency proof is too short");
  if (fr != old_root) return Mismatch("consistency proof (old root)");
  if (sr != new_root) return Mismatch("consistency proof (new root)");
  return absl::OkStatus();
}

NodeSource NodesFromLeaves(const std::vector<Hash>* leaves) {
  return [leaves](int level, uint64_t index) -> absl::StatusOr<Hash> {
    const uint64_t width = uint64_t{1} << level;
    const uint64_t begin = index * width;
    if (begin + width > leaves->size()) {
      return absl::OutOfRangeError(
          absl::StrCat("no complete subtree at level ", level, " index ", index));
    }
    std::function<Hash(uint64_t, uint64_t)> root = [&](uint64_t b, uint64_t w) -> Hash {
      if (w == 1) return (*leaves)[b];
      return NodeHash(root(b, w / 2), root(b + w / 2, w / 2));
    };
    return root(begin, width);
  };
}

}  // namespace sigverify::audit
