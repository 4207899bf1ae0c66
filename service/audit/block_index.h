// The search index of records kept in the log's segments, one row per block
// of consecutive records instead of one row (and five B-tree entries) per
// record: ADR 0022, "Third step".
//
// A block is the records of one index commit, cut where their verdict times
// would span more than kBlockSpan or the block would hold more than
// kMaxBlockRecords. Its row keeps, packed in fixed-width entries (so one
// entry can be read without the rest), each record's verdict time, the offset
// of its frame in the segment, its leaf hash, its indication, and 64-bit keys
// of its signer, its caller and its record id. A second table lists, per
// block, each distinct key once; searches by signer, caller or record id
// read the blocks that list the key, and the entries tell which records
// match.
//
// A key is the first 64 bits of SHA-256 over the kind and the text. Two
// different texts share a key with probability 2^-64 (for a caller to make
// its record id share a key with a given other one is a second preimage of
// 64 bits); a search then returns the other record as well.
#ifndef SIGVERIFY_SERVICE_AUDIT_BLOCK_INDEX_H_
#define SIGVERIFY_SERVICE_AUDIT_BLOCK_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "service/audit/audit_store.h"

namespace sigverify::audit {

// Every block's verdict times lie within this span (microseconds): a search
// in time order knows that a block whose latest time is T holds nothing
// before T - kBlockSpan.
inline constexpr int64_t kBlockSpan = 1000000;
inline constexpr size_t kMaxBlockRecords = 4096;

enum class KeyKind : uint8_t { kSigner = 1, kCaller = 2, kRecordId = 3 };

// The key of `text` of `kind`, as SQLite stores it (a signed 64-bit
// integer); never 0, which stands for no text.
int64_t IndexKey(KeyKind kind, std::string_view text);

// The entry of a record whose body retention removed.
inline constexpr uint64_t kPrunedOffset = ~uint64_t{0};

struct BlockEntry {
  int64_t time_micros = 0;
  uint64_t offset = kPrunedOffset;  // of the record's frame in its segment
  int64_t signer_key = 0;
  int64_t caller_key = 0;
  int64_t record_key = 0;
  Hash leaf_hash{};
  uint8_t indication = 0;
};

inline constexpr size_t kBlockHeaderSize = 8;
inline constexpr size_t kBlockEntrySize = 73;

// The keys of the texts seen (up to kMaxTexts, then it starts afresh), so
// that the records of one caller or signer hash its name once; 0 for an
// empty text.
class KeyMemo {
 public:
  static constexpr size_t kMaxTexts = 4096;
  int64_t Key(KeyKind kind, const std::string& text);

 private:
  absl::flat_hash_map<std::string, int64_t> keys_[4];
};

// The entry of a leaf row (its keys computed; 0 for an empty text).
BlockEntry EntryOf(const LeafRow& row, KeyMemo& keys);

std::string EncodeBlock(absl::Span<const BlockEntry> entries);
// The number of entries of `data`; DATA_LOSS when it is not a whole block.
absl::StatusOr<uint32_t> BlockCount(std::string_view data);
// DATA_LOSS when `data` is not a whole block.
absl::StatusOr<std::vector<BlockEntry>> DecodeBlock(std::string_view data);
// One entry, from the kBlockEntrySize bytes at its place.
BlockEntry DecodeEntry(const char* bytes);
// Where entry `i` is in a block's bytes.
inline size_t EntryPlace(size_t i) { return kBlockHeaderSize + i * kBlockEntrySize; }

// Where `rows` are cut into blocks: the end of each block, the last being
// rows.size().
std::vector<size_t> BlockEnds(absl::Span<const BlockEntry> rows);

// The bit of an indication in a block's summary of the indications it holds.
// Indications past 62 share bit 62; bit 63 is left clear so the summary
// stays a positive SQLite integer.
inline int64_t IndicationBit(int indication) {
  return int64_t{1} << (indication < 0 ? 62 : indication > 62 ? 62 : indication);
}

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_BLOCK_INDEX_H_
