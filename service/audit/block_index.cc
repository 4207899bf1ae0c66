#include "service/audit/block_index.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/sha256.h"
#include "service/audit/little_endian.h"

namespace sigverify::audit {
namespace {

constexpr uint32_t kBlockVersion = 1;

}  // namespace

int64_t IndexKey(KeyKind kind, std::string_view text) {
  const char tag = static_cast<char>(kind);
  const crypto::Sha256Digest d = crypto::Sha256(std::string_view(&tag, 1), text);
  uint64_t key;
  std::memcpy(&key, d.data(), sizeof(key));
  return key == 0 ? 1 : static_cast<int64_t>(key);
}

int64_t KeyMemo::Key(KeyKind kind, const std::string& text) {
  if (text.empty()) return 0;
  absl::flat_hash_map<std::string, int64_t>& keys = keys_[static_cast<size_t>(kind) & 3];
  if (auto it = keys.find(text); it != keys.end()) return it->second;
  if (keys.size() >= kMaxTexts) keys.clear();
  return keys.emplace(text, IndexKey(kind, text)).first->second;
}

BlockEntry EntryOf(const LeafRow& row, KeyMemo& keys) {
  BlockEntry e;
  e.time_micros = row.time_micros;
  e.offset = row.log_offset >= 0 ? static_cast<uint64_t>(row.log_offset) : kPrunedOffset;
  e.signer_key = keys.Key(KeyKind::kSigner, row.signer.sha256);
  e.caller_key = keys.Key(KeyKind::kCaller, row.caller);
  // Near-unique: not worth remembering.
  e.record_key = row.record_id.empty() ? 0 : IndexKey(KeyKind::kRecordId, row.record_id);
  e.leaf_hash = row.leaf_hash;
  e.indication = static_cast<uint8_t>(std::clamp(row.indication, 0, 255));
  return e;
}

std::string EncodeBlock(absl::Span<const BlockEntry> entries) {
  std::string out(EntryPlace(entries.size()), '\0');
  le::Store<uint32_t>(kBlockVersion, out.data());
  le::Store<uint32_t>(static_cast<uint32_t>(entries.size()), out.data() + 4);
  char* p = out.data() + kBlockHeaderSize;
  for (const BlockEntry& e : entries) {
    le::Store<uint64_t>(static_cast<uint64_t>(e.time_micros), p);
    le::Store<uint64_t>(e.offset, p + 8);
    le::Store<uint64_t>(static_cast<uint64_t>(e.signer_key), p + 16);
    le::Store<uint64_t>(static_cast<uint64_t>(e.caller_key), p + 24);
    le::Store<uint64_t>(static_cast<uint64_t>(e.record_key), p + 32);
    std::memcpy(p + 40, e.leaf_hash.data(), 32);
    p[72] = static_cast<char>(e.indication);
    p += kBlockEntrySize;
  }
  return out;
}

BlockEntry DecodeEntry(const char* p) {
  BlockEntry e;
  e.time_micros = static_cast<int64_t>(le::Load<uint64_t>(p));
  e.offset = le::Load<uint64_t>(p + 8);
  e.signer_key = static_cast<int64_t>(le::Load<uint64_t>(p + 16));
  e.caller_key = static_cast<int64_t>(le::Load<uint64_t>(p + 24));
  e.record_key = static_cast<int64_t>(le::Load<uint64_t>(p + 32));
  std::memcpy(e.leaf_hash.data(), p + 40, 32);
  e.indication = static_cast<uint8_t>(p[72]);
  return e;
}

absl::StatusOr<uint32_t> BlockCount(std::string_view data) {
  if (data.size() < kBlockHeaderSize || le::Load<uint32_t>(data.data()) != kBlockVersion) {
    return absl::DataLossError("audit index: a block of an unknown version");
  }
  const uint32_t count = le::Load<uint32_t>(data.data() + 4);
  if (data.size() != EntryPlace(count)) {
    return absl::DataLossError(
        absl::StrCat("audit index: a block of ", count, " records has ", data.size(), " bytes"));
  }
  return count;
}

absl::StatusOr<std::vector<BlockEntry>> DecodeBlock(std::string_view data) {
  auto count = BlockCount(data);
  if (!count.ok()) return count.status();
  std::vector<BlockEntry> entries;
  entries.reserve(*count);
  for (uint32_t i = 0; i < *count; ++i) entries.push_back(DecodeEntry(data.data() + EntryPlace(i)));
  return entries;
}

std::vector<size_t> BlockEnds(absl::Span<const BlockEntry> rows) {
  std::vector<size_t> ends;
  size_t begin = 0;
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t t = rows[i].time_micros;
    if (i > begin) {
      const int64_t new_lo = std::min(lo, t), new_hi = std::max(hi, t);
      // Unsigned: a clock years apart must not overflow the difference.
      if (static_cast<uint64_t>(new_hi) - static_cast<uint64_t>(new_lo) >
              static_cast<uint64_t>(kBlockSpan) ||
          i - begin >= kMaxBlockRecords) {
        ends.push_back(i);
        begin = i;
        lo = hi = t;
        continue;
      }
      lo = new_lo;
      hi = new_hi;
    } else {
      lo = hi = t;
    }
  }
  if (!rows.empty()) ends.push_back(rows.size());
  return ends;
}

}  // namespace sigverify::audit
