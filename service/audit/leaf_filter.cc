#include "service/audit/leaf_filter.h"

#include "absl/strings/str_cat.h"

namespace sigverify::audit {

LeafFilter LeafFilterOf(const SqlDialect& dialect, const LeafQuery& query, const LeafCursor* after,
                        size_t limit) {
  LeafFilter f;
  f.sql = absl::StrCat("SELECT shard, seq, time_micros, ", dialect.body, " FROM ", dialect.leaves,
                       " WHERE ", dialect.kept);
  auto text = [&f](const std::string& clause, const std::string& value) {
    if (value.empty()) return;
    f.sql += clause;
    f.values.emplace_back(value);
  };
  auto number = [&f](const char* clause, int64_t value) {
    if (value == 0) return;
    f.sql += clause;
    f.values.emplace_back(value);
  };
  text(" AND shard = ?", query.shard);
  number(" AND time_micros >= CAST(? AS BIGINT)", query.since_micros);
  number(" AND time_micros < CAST(? AS BIGINT)", query.until_micros);
  text(" AND record_id = ?", query.record_id);
  text(" AND signer_sha256 = ?", query.signer_fingerprint);
  const std::string signers =
      absl::StrCat(" AND signer_sha256 IN (SELECT sha256 FROM ", dialect.certificates, " WHERE ");
  text(absl::StrCat(signers, "serial = ?)"), query.signer_serial);
  text(absl::StrCat(signers, dialect.contains, "(subject, ?) > 0)"), query.subject_contains);
  number(" AND indication = CAST(? AS INTEGER)", query.indication);
  text(" AND caller = ?", query.caller);
  if (query.tree_order) {
    if (after != nullptr) {
      f.sql += " AND (shard, seq) > (?, CAST(? AS BIGINT))";
      f.values.emplace_back(after->shard);
      f.values.emplace_back(static_cast<int64_t>(after->sequence));
    }
    f.sql += " ORDER BY shard ASC, seq ASC LIMIT CAST(? AS BIGINT)";
  } else {
    const char* order = query.oldest_first ? "ASC" : "DESC";
    if (after != nullptr) {
      f.sql += query.oldest_first ? " AND (time_micros, shard, seq) > "
                                  : " AND (time_micros, shard, seq) < ";
      f.sql += "(CAST(? AS BIGINT), ?, CAST(? AS BIGINT))";
      f.values.emplace_back(after->time_micros);
      f.values.emplace_back(after->shard);
      f.values.emplace_back(static_cast<int64_t>(after->sequence));
    }
    absl::StrAppend(&f.sql, " ORDER BY time_micros ", order, ", shard ", order, ", seq ", order,
                    " LIMIT CAST(? AS BIGINT)");
  }
  f.values.emplace_back(static_cast<int64_t>(limit));
  return f;
}

}  // namespace sigverify::audit
