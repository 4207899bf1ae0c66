#include "service/audit/segment_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "service/audit/merkle.h"
#include "service/audit/segment_log.h"

namespace sigverify::audit {
namespace {

// Reads exactly `n` bytes at `offset`; false at the end of the file.
bool PreadAll(int fd, char* out, size_t n, uint64_t offset, absl::Status* error) {
  while (n > 0) {
    const ssize_t got = pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      *error = absl::UnavailableError(absl::StrCat("audit log: cannot read: ", strerror(errno)));
      return false;
    }
    if (got == 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

}  // namespace

SegmentReader::File::~File() { close(fd); }

SegmentReader::SegmentReader(std::string dir, std::string shard)
    : shard_(std::move(shard)), listing_(SegmentLog::ForReading(std::move(dir))) {}

SegmentReader::~SegmentReader() = default;

void SegmentReader::Forget(uint64_t first) {
  absl::MutexLock lock(&mu_);
  files_.erase(first);
  std::erase(firsts_, first);
}

bool SegmentReader::SegmentOf(uint64_t sequence, bool relist, uint64_t* first) const {
  absl::MutexLock lock(&mu_);
  if (relist || firsts_.empty()) firsts_ = listing_->Segments();
  auto it = std::upper_bound(firsts_.begin(), firsts_.end(), sequence);
  if (it == firsts_.begin()) return false;
  *first = *std::prev(it);
  return true;
}

absl::StatusOr<std::shared_ptr<const SegmentReader::File>> SegmentReader::Open(
    uint64_t first) const {
  absl::MutexLock lock(&mu_);
  if (auto it = files_.find(first); it != files_.end()) return it->second;
  const std::string path = listing_->SegmentPath(first);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("audit log: segment ", path, " is gone"));
    }
    return absl::UnavailableError(
        absl::StrCat("audit log: cannot open ", path, ": ", strerror(errno)));
  }
  if (files_.size() >= kMaxOpenFiles) files_.erase(files_.begin());
  auto file = std::make_shared<const File>(fd);
  files_.emplace(first, file);
  return file;
}

absl::StatusOr<std::string> SegmentReader::ReadAt(uint64_t first, uint64_t offset,
                                                  const Hash& leaf_hash) const {
  auto file = Open(first);
  if (!file.ok()) return file.status();
  const std::string where = absl::StrCat(listing_->SegmentPath(first), " offset ", offset);
  std::string frame(kFrameHeaderBytes, '\0');
  absl::Status error;
  if (!PreadAll((*file)->fd, frame.data(), kFrameHeaderBytes, offset, &error)) {
    if (!error.ok()) return error;
    return absl::DataLossError(absl::StrCat("audit log: ", where, ": past the segment's end"));
  }
  auto length = FramePayloadLength(frame);
  if (!length.ok() || *length < 32) {
    return absl::DataLossError(absl::StrCat("audit log: ", where, ": no record frame there"));
  }
  frame.resize(kFrameHeaderBytes + *length);
  if (!PreadAll((*file)->fd, frame.data() + kFrameHeaderBytes, *length, offset + kFrameHeaderBytes,
                &error)) {
    if (!error.ok()) return error;
    return absl::DataLossError(absl::StrCat("audit log: ", where, ": a frame cut short"));
  }
  Frame f;
  if (!ParseFrame(frame, 0, &f).ok() || f.type != FrameType::kRecord) {
    return absl::DataLossError(
        absl::StrCat("audit log: ", where, ": no whole record frame there (checksum or type)"));
  }
  const std::string_view leaf = f.payload.substr(32);
  if (std::memcmp(f.payload.data(), leaf_hash.data(), 32) != 0 || LeafHash(leaf) != leaf_hash) {
    return absl::DataLossError(absl::StrCat(
        "audit log: ", where, ": the record there does not hash to the index's leaf hash"));
  }
  return std::string(leaf);
}

absl::StatusOr<std::string> SegmentReader::Body(const std::string& shard, uint64_t sequence,
                                                uint64_t offset, const Hash& leaf_hash) const {
  if (shard != shard_) {
    return absl::FailedPreconditionError(
        absl::StrCat("audit log: the segments are shard ", shard_, "'s, not ", shard, "'s"));
  }
  uint64_t first = 0;
  bool found = SegmentOf(sequence, false, &first);
  auto body = found ? ReadAt(first, offset, leaf_hash)
                    : absl::StatusOr<std::string>(absl::NotFoundError(""));
  if (body.ok()) return body;
  // Segments made or deleted since the directory was listed.
  uint64_t again = 0;
  if (!SegmentOf(sequence, true, &again)) {
    return absl::NotFoundError(
        absl::StrCat("audit log: no segment holds record ", sequence, " (deleted by retention)"));
  }
  if (found && again == first) return body;
  return ReadAt(again, offset, leaf_hash);
}

}  // namespace sigverify::audit
