// The SQLite index's block tables (layout 4; block_index.h says what a
// block is): where SqliteAuditStore keeps the records whose bodies stay in
// the log's segments. Records of logs written before keep their rows in the
// leaves table; the store reads both.
//
// Tables:
//   blocks      one row per block: shard, first sequence, count, the span of
//               verdict times, the indications present, how many bodies are
//               kept (live), and the packed entries
//   block_keys  (key, latest time of the block, block): each distinct signer,
//               caller and record id key of a block, once
#ifndef SIGVERIFY_SERVICE_AUDIT_SQLITE_BLOCKS_H_
#define SIGVERIFY_SERVICE_AUDIT_SQLITE_BLOCKS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/audit/audit_store.h"
#include "service/audit/block_index.h"
#include "service/audit/sqlite_connection.h"

namespace sigverify::audit::sqlite_blocks {

extern const char* const kSchema;

// Adds `rows` (consecutive, each with its log_offset) as blocks, inside the
// caller's transaction; `memo` remembers the keys of the texts seen.
absl::Status Append(SqliteConnection& c, const std::string& shard,
                    absl::Span<const LeafRow* const> rows, KeyMemo& memo);

// One past the last sequence the blocks of `shard` hold; 0 when none.
absl::StatusOr<uint64_t> End(SqliteConnection& c, const std::string& shard);

// Calls `visit` for each record of sequence [begin, end) the blocks hold, in
// order, until it returns false.
absl::Status ForEach(SqliteConnection& c, const std::string& shard, uint64_t begin, uint64_t end,
                     const std::function<bool(uint64_t sequence, const BlockEntry&)>& visit);

// Marks the entries older than `before_micros` pruned, inside the caller's
// transaction; how many.
absl::StatusOr<uint64_t> Prune(SqliteConnection& c, const std::string& shard,
                               int64_t before_micros);

// A found record before its body is read.
struct FoundEntry {
  std::string shard;
  uint64_t sequence = 0;
  BlockEntry entry;
};

// AuditStore::Find over the blocks: up to `limit` records in the query's
// order. DEADLINE_EXCEEDED (QueryOverBudget(budget)) past `deadline`.
absl::StatusOr<std::vector<FoundEntry>> Find(SqliteConnection& c, const LeafQuery& query,
                                             const LeafCursor* after, size_t limit,
                                             absl::Time deadline, absl::Duration budget);

}  // namespace sigverify::audit::sqlite_blocks

#endif  // SIGVERIFY_SERVICE_AUDIT_SQLITE_BLOCKS_H_
