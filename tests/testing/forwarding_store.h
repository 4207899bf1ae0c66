// An audit store that passes every call to a real one: tests derive from it
// and override what they watch or break.
#ifndef SIGVERIFY_TESTS_TESTING_FORWARDING_STORE_H_
#define SIGVERIFY_TESTS_TESTING_FORWARDING_STORE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "service/audit/audit_store.h"

namespace sigverify::testing {

class ForwardingStore : public audit::AuditStore {
 public:
  explicit ForwardingStore(std::unique_ptr<audit::AuditStore> store) : store_(std::move(store)) {}
  absl::Status Commit(const std::string& shard, absl::Span<const audit::LeafRow> leaves,
                      absl::Span<const audit::NodeRow> nodes, uint64_t new_size,
                      const std::string& checkpoint) override {
    return store_->Commit(shard, leaves, nodes, new_size, checkpoint);
  }
  absl::Status CommitParts(const std::string& shard, absl::Span<const audit::CommitPart> parts,
                           uint64_t new_size, const std::string& checkpoint) override {
    return store_->CommitParts(shard, parts, new_size, checkpoint);
  }
  absl::StatusOr<uint64_t> Size(const std::string& shard) override { return store_->Size(shard); }
  absl::StatusOr<audit::Hash> Node(const std::string& shard, int level, uint64_t index) override {
    return store_->Node(shard, level, index);
  }
  absl::StatusOr<std::string> Leaf(const std::string& shard, uint64_t sequence) override {
    return store_->Leaf(shard, sequence);
  }
  absl::StatusOr<audit::CertificateRow> Certificate(const std::string& sha256) override {
    return store_->Certificate(sha256);
  }
  absl::StatusOr<std::string> RevocationResponse(const std::string& sha256) override {
    return store_->RevocationResponse(sha256);
  }
  absl::StatusOr<uint64_t> Prune(const std::string& shard, int64_t before_micros) override {
    return store_->Prune(shard, before_micros);
  }
  absl::StatusOr<std::vector<StoredLeaf>> Leaves(const std::string& shard, uint64_t begin,
                                                 size_t limit) override {
    return store_->Leaves(shard, begin, limit);
  }
  absl::StatusOr<std::vector<audit::FoundLeaf>> Find(const audit::LeafQuery& query,
                                                     const audit::LeafCursor* after,
                                                     size_t limit) override {
    return store_->Find(query, after, limit);
  }
  absl::StatusOr<std::string> Checkpoint(const std::string& shard, uint64_t size) override {
    return store_->Checkpoint(shard, size);
  }
  void set_query_budget(absl::Duration budget) override { store_->set_query_budget(budget); }
  bool ReadBodiesFrom(std::shared_ptr<const audit::LogBodies> bodies) override {
    return store_->ReadBodiesFrom(std::move(bodies));
  }

 private:
  std::unique_ptr<audit::AuditStore> store_;
};

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_FORWARDING_STORE_H_
