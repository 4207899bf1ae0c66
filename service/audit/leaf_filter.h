// The WHERE clause of an auditor query (LeafQuery), written once for both
// stores: fixed SQL pieces with `?` placeholders and the values that go with
// them, so no value ever becomes SQL text. The SQLite store binds the `?`
// as they are; the PostgreSQL store numbers them ($1, $2, ...).
//
// The signer's serial and subject live in the certificates table (each
// certificate stored once); they select fingerprints, and the leaves are
// found by the (signer, time) index.
#ifndef SIGVERIFY_SERVICE_AUDIT_LEAF_FILTER_H_
#define SIGVERIFY_SERVICE_AUDIT_LEAF_FILTER_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "service/audit/audit_store.h"

namespace sigverify::audit {

struct SqlDialect {
  const char* leaves;        // the leaves table
  const char* certificates;  // the certificates table
  const char* contains;      // SQL function (haystack, needle) -> position, 0 if absent
  // A leaf row whose body is kept (not pruned), and the columns that say
  // where it is, after shard, seq and time_micros.
  const char* kept = "length(leaf) > 0";
  const char* body = "leaf";
};

struct LeafFilter {
  // "SELECT shard, seq, time_micros, <body> FROM ... WHERE ... ORDER BY ...
  // LIMIT ?"
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> values;  // one per `?`, in order
};

LeafFilter LeafFilterOf(const SqlDialect& dialect, const LeafQuery& query, const LeafCursor* after,
                        size_t limit);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_LEAF_FILTER_H_
