#include "service/audit/sqlite_blocks.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace sigverify::audit::sqlite_blocks {

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS blocks (
  id INTEGER PRIMARY KEY,
  shard TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  count INTEGER NOT NULL,
  time_min INTEGER NOT NULL,
  time_max INTEGER NOT NULL,
  indications INTEGER NOT NULL,
  live INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS blocks_seq ON blocks (shard, first_seq);
CREATE INDEX IF NOT EXISTS blocks_time ON blocks (time_max) WHERE live > 0;
CREATE TABLE IF NOT EXISTS block_keys (
  key INTEGER NOT NULL,
  time_max INTEGER NOT NULL,
  block INTEGER NOT NULL,
  PRIMARY KEY (key, time_max, block)
) WITHOUT ROWID;
)sql";

namespace {

using Statement = SqliteStatement;

constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();

int64_t SaturatingAdd(int64_t a, int64_t b) { return a > kMaxTime - b ? kMaxTime : a + b; }

int64_t AsSqlite(uint64_t v) {
  return v > static_cast<uint64_t>(kMaxTime) ? kMaxTime : static_cast<int64_t>(v);
}

// Signers named by serial or subject fingerprints past this many are looked
// for entry by entry, not through block_keys.
constexpr size_t kMaxDrivingKeys = 256;

// What an entry must be to match a query, keys computed once.
struct EntryFilter {
  int64_t since = 0, until = 0;
  int64_t record_key = 0;
  int64_t caller_key = 0;
  bool by_signer = false;
  std::vector<int64_t> signer_keys;  // sorted
  int indication = 0;

  bool Matches(const BlockEntry& e) const {
    if (e.offset == kPrunedOffset) return false;
    if (since != 0 && e.time_micros < since) return false;
    if (until != 0 && e.time_micros >= until) return false;
    if (record_key != 0 && e.record_key != record_key) return false;
    if (caller_key != 0 && e.caller_key != caller_key) return false;
    if (indication != 0 && e.indication != indication) return false;
    if (by_signer && !std::binary_search(signer_keys.begin(), signer_keys.end(), e.signer_key)) {
      return false;
    }
    return true;
  }
};

// The signers' keys a query names: by fingerprint, and those of the
// certificates its serial and subject select (all must hold).
absl::Status SignerKeys(SqliteConnection& c, const LeafQuery& query, absl::Duration budget,
                        EntryFilter* filter) {
  if (query.signer_fingerprint.empty() && query.signer_serial.empty() &&
      query.subject_contains.empty()) {
    return absl::OkStatus();
  }
  filter->by_signer = true;
  std::vector<std::string> fingerprints;
  if (query.signer_serial.empty() && query.subject_contains.empty()) {
    fingerprints.push_back(query.signer_fingerprint);
  } else {
    std::string sql = "SELECT sha256 FROM certificates WHERE 1";
    if (!query.signer_fingerprint.empty()) sql += " AND sha256 = ?";
    if (!query.signer_serial.empty()) sql += " AND serial = ?";
    if (!query.subject_contains.empty()) sql += " AND instr(subject, ?) > 0";
    Statement q = c.Prepare(sql);
    if (!q.ok()) return q.Error("prepare");
    int i = 0;
    for (const std::string* v :
         {&query.signer_fingerprint, &query.signer_serial, &query.subject_contains}) {
      if (!v->empty()) q.Bind(++i, *v);
    }
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) fingerprints.push_back(q.Blob(0));
    if (rc == SQLITE_INTERRUPT) return QueryOverBudget(budget);
    if (rc != SQLITE_DONE) return q.Error("signers");
  }
  for (const std::string& f : fingerprints) {
    filter->signer_keys.push_back(IndexKey(KeyKind::kSigner, f));
  }
  std::sort(filter->signer_keys.begin(), filter->signer_keys.end());
  return absl::OkStatus();
}

// A record found, ordered as the query asks.
struct Candidate {
  int64_t time;
  std::string shard;
  uint64_t sequence;
  BlockEntry entry;
};

class Order {
 public:
  explicit Order(bool oldest_first) : oldest_first_(oldest_first) {}
  // Whether `a` comes before `b` in the answer.
  bool operator()(const Candidate& a, const Candidate& b) const {
    return Before(a.time, a.shard, a.sequence, b.time, b.shard, b.sequence);
  }
  bool Before(int64_t at, const std::string& as, uint64_t aq, int64_t bt, const std::string& bs,
              uint64_t bq) const {
    return oldest_first_ ? std::tie(at, as, aq) < std::tie(bt, bs, bq)
                         : std::tie(at, as, aq) > std::tie(bt, bs, bq);
  }

 private:
  bool oldest_first_;
};

// Sequence order (exports): blocks in (shard, first_seq) order, entries in
// order; nothing to merge.
absl::StatusOr<std::vector<FoundEntry>> FindInTreeOrder(SqliteConnection& c, const LeafQuery& query,
                                                        const EntryFilter& filter,
                                                        const LeafCursor* after, size_t limit,
                                                        absl::Time deadline,
                                                        absl::Duration budget) {
  std::string sql = "SELECT shard, first_seq, data FROM blocks WHERE live > 0";
  if (!query.shard.empty()) sql += " AND shard = ?";
  // A block holding a record after the cursor starts after its sequence
  // less the largest block.
  if (after != nullptr) sql += " AND (shard, first_seq) > (?, ?)";
  sql += " ORDER BY shard, first_seq";
  Statement q = c.Prepare(sql);
  if (!q.ok()) return q.Error("prepare");
  int i = 0;
  if (!query.shard.empty()) q.Bind(++i, query.shard);
  if (after != nullptr) {
    q.Bind(++i, after->shard);
    q.Bind(++i, AsSqlite(after->sequence) - static_cast<int64_t>(kMaxBlockRecords));
  }
  std::vector<FoundEntry> out;
  int rc = SQLITE_DONE;
  while (out.size() < limit && (rc = q.Step()) == SQLITE_ROW) {
    if (absl::Now() > deadline) return QueryOverBudget(budget);
    const std::string shard = q.Blob(0);
    const uint64_t first = static_cast<uint64_t>(q.Int(1));
    const std::string_view data = q.View(2);
    auto count = BlockCount(data);
    if (!count.ok()) return count.status();
    for (uint32_t k = 0; k < *count && out.size() < limit; ++k) {
      const uint64_t seq = first + k;
      if (after != nullptr && std::tie(shard, seq) <= std::tie(after->shard, after->sequence)) {
        continue;
      }
      BlockEntry e = DecodeEntry(data.data() + EntryPlace(k));
      if (filter.Matches(e)) out.push_back({shard, seq, e});
    }
  }
  if (out.size() < limit) {
    if (rc == SQLITE_INTERRUPT) return QueryOverBudget(budget);
    if (rc != SQLITE_DONE) return q.Error("query");
  }
  return out;
}

}  // namespace

absl::Status Append(SqliteConnection& c, const std::string& shard,
                    absl::Span<const LeafRow* const> rows, KeyMemo& memo) {
  std::vector<BlockEntry> entries;
  entries.reserve(rows.size());
  for (const LeafRow* row : rows) entries.push_back(EntryOf(*row, memo));
  Statement block = c.Prepare(
      "INSERT INTO blocks (shard, first_seq, count, time_min, time_max, indications, live, data) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!block.ok()) return block.Error("prepare");
  Statement key =
      c.Prepare("INSERT OR IGNORE INTO block_keys (key, time_max, block) VALUES (?, ?, ?)");
  if (!key.ok()) return key.Error("prepare");
  std::vector<int64_t> keys;
  size_t begin = 0;
  for (size_t end : BlockEnds(entries)) {
    const absl::Span<const BlockEntry> span =
        absl::MakeConstSpan(entries).subspan(begin, end - begin);
    int64_t lo = span.front().time_micros, hi = lo, indications = 0, live = 0;
    keys.clear();
    for (const BlockEntry& e : span) {
      lo = std::min(lo, e.time_micros);
      hi = std::max(hi, e.time_micros);
      indications |= IndicationBit(e.indication);
      live += e.offset != kPrunedOffset;
      for (int64_t k : {e.signer_key, e.caller_key, e.record_key}) {
        if (k != 0) keys.push_back(k);
      }
    }
    const std::string data = EncodeBlock(span);
    block.Bind(1, shard);
    block.Bind(2, static_cast<int64_t>(rows[begin]->sequence));
    block.Bind(3, static_cast<int64_t>(span.size()));
    block.Bind(4, lo);
    block.Bind(5, hi);
    block.Bind(6, indications);
    block.Bind(7, live);
    block.BindBlob(8, data.data(), data.size());
    if (block.Step() != SQLITE_DONE) return block.Error("insert block");
    block.Reset();
    const int64_t id = sqlite3_last_insert_rowid(c.db());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (int64_t k : keys) {
      key.Bind(1, k);
      key.Bind(2, hi);
      key.Bind(3, id);
      if (key.Step() != SQLITE_DONE) return key.Error("insert block key");
      key.Reset();
    }
    begin = end;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> End(SqliteConnection& c, const std::string& shard) {
  Statement q = c.Prepare(
      "SELECT first_seq + count FROM blocks WHERE shard = ? ORDER BY first_seq DESC LIMIT 1");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return q.Error("size");
  return static_cast<uint64_t>(q.Int(0));
}

absl::Status ForEach(SqliteConnection& c, const std::string& shard, uint64_t begin, uint64_t end,
                     const std::function<bool(uint64_t sequence, const BlockEntry&)>& visit) {
  Statement q = c.Prepare(
      "SELECT first_seq, data FROM blocks WHERE shard = ?1 AND first_seq >= COALESCE(("
      "SELECT first_seq FROM blocks WHERE shard = ?1 AND first_seq <= ?2 "
      "ORDER BY first_seq DESC LIMIT 1), ?2) AND first_seq < ?3 ORDER BY first_seq");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, shard);
  q.Bind(2, AsSqlite(begin));
  q.Bind(3, AsSqlite(end));
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    const uint64_t first = static_cast<uint64_t>(q.Int(0));
    const std::string_view data = q.View(1);
    auto count = BlockCount(data);
    if (!count.ok()) return count.status();
    for (uint64_t seq = std::max(first, begin); seq < std::min(end, first + *count); ++seq) {
      if (!visit(seq, DecodeEntry(data.data() + EntryPlace(seq - first)))) {
        return absl::OkStatus();
      }
    }
  }
  if (rc != SQLITE_DONE) return q.Error("blocks");
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Prune(SqliteConnection& c, const std::string& shard,
                               int64_t before_micros) {
  // A block whose latest time is past before + span holds nothing older.
  Statement q = c.Prepare(
      "SELECT id, time_max, data FROM blocks WHERE live > 0 AND time_max < ? AND shard = ? "
      "AND (time_max, id) > (?, ?) ORDER BY time_max, id LIMIT 64");
  if (!q.ok()) return q.Error("prepare");
  Statement update = c.Prepare("UPDATE blocks SET data = ?, live = ? WHERE id = ?");
  if (!update.ok()) return update.Error("prepare");
  // A block with nothing left to find leaves block_keys as well.
  Statement forget =
      c.Prepare("DELETE FROM block_keys WHERE key = ? AND time_max = ? AND block = ?");
  if (!forget.ok()) return forget.Error("prepare");
  uint64_t pruned = 0;
  int64_t last_time = std::numeric_limits<int64_t>::min(), last_id = 0;
  for (;;) {
    struct Row {
      int64_t id;
      int64_t time_max;
      std::string data;
    };
    std::vector<Row> rows;
    q.Bind(1, SaturatingAdd(before_micros, kBlockSpan));
    q.Bind(2, shard);
    q.Bind(3, last_time);
    q.Bind(4, last_id);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      rows.push_back({q.Int(0), q.Int(1), q.Blob(2)});
      last_time = q.Int(1);
      last_id = q.Int(0);
    }
    q.Reset();
    if (rc != SQLITE_DONE) return q.Error("prune");
    if (rows.empty()) return pruned;
    for (Row& row : rows) {
      auto entries = DecodeBlock(row.data);
      if (!entries.ok()) return entries.status();
      int64_t live = 0;
      uint64_t now_pruned = 0;
      for (BlockEntry& e : *entries) {
        if (e.offset != kPrunedOffset && e.time_micros < before_micros) {
          e.offset = kPrunedOffset;
          ++now_pruned;
        }
        live += e.offset != kPrunedOffset;
      }
      if (now_pruned == 0) continue;
      const std::string data = EncodeBlock(*entries);
      update.BindBlob(1, data.data(), data.size());
      update.Bind(2, live);
      update.Bind(3, row.id);
      if (update.Step() != SQLITE_DONE) return update.Error("prune");
      update.Reset();
      pruned += now_pruned;
      if (live > 0) continue;
      std::vector<int64_t> keys;
      for (const BlockEntry& e : *entries) {
        for (int64_t k : {e.signer_key, e.caller_key, e.record_key}) {
          if (k != 0) keys.push_back(k);
        }
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      for (int64_t k : keys) {
        forget.Bind(1, k);
        forget.Bind(2, row.time_max);
        forget.Bind(3, row.id);
        if (forget.Step() != SQLITE_DONE) return forget.Error("prune");
        forget.Reset();
      }
    }
  }
}

absl::StatusOr<std::vector<FoundEntry>> Find(SqliteConnection& c, const LeafQuery& query,
                                             const LeafCursor* after, size_t limit,
                                             absl::Time deadline, absl::Duration budget) {
  if (limit == 0) return std::vector<FoundEntry>{};
  EntryFilter filter;
  filter.since = query.since_micros;
  filter.until = query.until_micros;
  filter.indication = query.indication;
  if (!query.record_id.empty()) filter.record_key = IndexKey(KeyKind::kRecordId, query.record_id);
  if (!query.caller.empty()) filter.caller_key = IndexKey(KeyKind::kCaller, query.caller);
  if (absl::Status s = SignerKeys(c, query, budget, &filter); !s.ok()) return s;
  if (absl::Now() > deadline) return QueryOverBudget(budget);
  if (filter.by_signer && filter.signer_keys.empty()) return std::vector<FoundEntry>{};
  if (query.tree_order) {
    return FindInTreeOrder(c, query, filter, after, limit, deadline, budget);
  }

  // The blocks are read in order of their latest verdict time, through the
  // most selective key the query names, if any.
  std::vector<int64_t> driving;
  if (filter.record_key != 0) {
    driving = {filter.record_key};
  } else if (filter.by_signer && filter.signer_keys.size() <= kMaxDrivingKeys) {
    driving = filter.signer_keys;
  } else if (filter.caller_key != 0) {
    driving = {filter.caller_key};
  }
  const bool oldest_first = query.oldest_first;
  // Latest times of the blocks that can hold a match: a block holds times
  // in [time_max - span, time_max].
  // (Times come from auditors' requests: no arithmetic here may overflow.)
  int64_t lo = query.since_micros != 0 ? query.since_micros : kMinTime;
  int64_t hi = query.until_micros == 0          ? kMaxTime
               : query.until_micros == kMinTime ? kMinTime
                                                : SaturatingAdd(query.until_micros - 1, kBlockSpan);
  if (after != nullptr) {
    if (oldest_first) {
      lo = std::max(lo, after->time_micros);
    } else {
      hi = std::min(hi, SaturatingAdd(after->time_micros, kBlockSpan));
    }
  }
  std::string sql = "SELECT b.id, b.shard, b.first_seq, b.time_max, b.indications, b.data FROM ";
  const char* time_max = "b.time_max";
  if (driving.empty()) {
    sql += "blocks b WHERE b.live > 0";
  } else {
    // Padded to a power of two (repeating the last key), so that a few
    // statement shapes serve every count.
    size_t n = 1;
    while (n < driving.size()) n *= 2;
    driving.resize(n, driving.back());
    sql += "block_keys k JOIN blocks b ON b.id = k.block WHERE k.key IN (?";
    for (size_t i = 1; i < n; ++i) sql += ", ?";
    sql += ") AND b.live > 0";
    time_max = "k.time_max";
  }
  absl::StrAppend(&sql, " AND ", time_max, " >= ? AND ", time_max, " <= ?");
  if (!query.shard.empty()) sql += " AND b.shard = ?";
  absl::StrAppend(&sql, " ORDER BY ", time_max, oldest_first ? " ASC" : " DESC");
  Statement q = c.Prepare(sql);
  if (!q.ok()) return q.Error("prepare");
  int i = 0;
  for (int64_t k : driving) q.Bind(++i, k);
  q.Bind(++i, lo);
  q.Bind(++i, hi);
  if (!query.shard.empty()) q.Bind(++i, query.shard);

  // The best `limit` candidates, the last of them on top.
  const Order order(oldest_first);
  std::priority_queue<Candidate, std::vector<Candidate>, Order> best(order);
  absl::flat_hash_set<int64_t> seen;  // blocks reached through two keys
  const int64_t wanted_bits = query.indication != 0 ? IndicationBit(query.indication) : 0;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    if (absl::Now() > deadline) return QueryOverBudget(budget);
    const int64_t block_time_max = q.Int(3);
    if (best.size() == limit) {
      // No record of this block or of any after it can come before the
      // last one kept.
      const int64_t last = best.top().time;
      if (oldest_first
              ? block_time_max >= kMinTime + kBlockSpan && last < block_time_max - kBlockSpan
              : last > block_time_max) {
        break;
      }
    }
    if (wanted_bits != 0 && (q.Int(4) & wanted_bits) == 0) continue;
    if (!driving.empty() && !seen.insert(q.Int(0)).second) continue;
    const std::string shard = q.Blob(1);
    const uint64_t first = static_cast<uint64_t>(q.Int(2));
    const std::string_view data = q.View(5);
    auto count = BlockCount(data);
    if (!count.ok()) return count.status();
    for (uint32_t k = 0; k < *count; ++k) {
      BlockEntry e = DecodeEntry(data.data() + EntryPlace(k));
      if (!filter.Matches(e)) continue;
      const uint64_t seq = first + k;
      if (after != nullptr && !order.Before(after->time_micros, after->shard, after->sequence,
                                            e.time_micros, shard, seq)) {
        continue;
      }
      if (best.size() == limit && !order.Before(e.time_micros, shard, seq, best.top().time,
                                                best.top().shard, best.top().sequence)) {
        continue;
      }
      best.push({e.time_micros, shard, seq, e});
      if (best.size() > limit) best.pop();
    }
  }
  if (rc == SQLITE_INTERRUPT) return QueryOverBudget(budget);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.Error("query");
  std::vector<FoundEntry> out(best.size());
  for (size_t k = out.size(); k-- > 0; best.pop()) {
    const Candidate& top = best.top();
    out[k] = FoundEntry{top.shard, top.sequence, top.entry};
  }
  return out;
}

}  // namespace sigverify::audit::sqlite_blocks
