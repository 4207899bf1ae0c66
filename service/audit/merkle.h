// The audit log's Merkle tree, as RFC 9162 (Certificate Transparency 2.0)
// section 2.1 defines it: leaf hash SHA-256(0x00 || leaf), interior node
// SHA-256(0x01 || left || right), the tree of n leaves split at the largest
// power of two below n; inclusion proofs (2.1.3) and consistency proofs
// (2.1.4), with the verification algorithms of 2.1.3.2 and 2.1.4.2.
//
// Proofs are computed from a NodeSource that gives the hash of any complete
// (perfect, aligned) subtree, so a store can keep a fraction of the nodes
// and a test can compute them from the leaves.
#ifndef SIGVERIFY_SERVICE_AUDIT_MERKLE_H_
#define SIGVERIFY_SERVICE_AUDIT_MERKLE_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/sha256.h"

namespace sigverify::audit {

using Hash = crypto::Sha256Digest;

Hash LeafHash(std::string_view leaf);
Hash NodeHash(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256 of nothing.
Hash EmptyRoot();
// The root of the complete subtree whose nodes at some level are `row` (a
// power of two of them, in order).
Hash PerfectRoot(std::vector<Hash> row);

// The hash of the complete subtree of 2^level leaves starting at leaf
// index << level. Must only be asked for subtrees within the tree.
using NodeSource = std::function<absl::StatusOr<Hash>(int level, uint64_t index)>;

// MTH(D[begin:end]) from complete subtrees.
absl::StatusOr<Hash> SubtreeRoot(const NodeSource& nodes, uint64_t begin, uint64_t end);
// The root of the first `size` leaves.
absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t size);
// PATH(index, D[0:size]), deepest sibling first.
absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t index,
                                                 uint64_t size);
// PROOF(old_size, D[0:new_size]).
absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                                   uint64_t new_size);

// RFC 9162 2.1.3.2. FAILED_PRECONDITION when the proof does not lead to
// `root`; INVALID_ARGUMENT when it cannot be a proof for these sizes.
absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                             absl::Span<const Hash> proof, const Hash& root);
// RFC 9162 2.1.4.2.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, absl::Span<const Hash> proof);

// A NodeSource over leaf hashes held in memory (tests, offline re-verification
// of an export): O(2^level) per node.
NodeSource NodesFromLeaves(const std::vector<Hash>* leaves);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_MERKLE_H_
