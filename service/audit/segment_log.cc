#include "service/audit/segment_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/audit/crc32c.h"
#include "service/audit/little_endian.h"

namespace sigverify::audit {
namespace {

constexpr char kMagic[4] = {'S', 'V', 'F', '1'};

void PutString(std::string_view s, std::string* out) {
  le::Append<uint32_t>(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}
bool GetString(std::string_view* in, std::string* out) {
  if (in->size() < 4) return false;
  const uint32_t n = le::Load<uint32_t>(in->data());
  if (in->size() - 4 < n) return false;
  out->assign(in->substr(4, n));
  in->remove_prefix(4 + n);
  return true;
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("audit log: ", what, " ", path, ": ", std::strerror(errno)));
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("audit log: cannot read ", path));
  struct stat st;
  std::string out;
  bool ok = fstat(fd, &st) == 0;
  if (ok) out.resize(static_cast<size_t>(st.st_size));
  for (size_t at = 0; ok && at < out.size();) {
    const ssize_t n = pread(fd, out.data() + at, out.size() - at, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.resize(at);  // shorter than it was: read what is there
      break;
    }
    at += static_cast<size_t>(n);
  }
  close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("audit log: cannot read ", path));
  return out;
}

absl::Status WriteAll(int fd, std::string_view bytes, uint64_t offset, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", dir);
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("cannot sync", dir);
}

// The page size commits are padded to (and direct writes aligned to).
constexpr uint64_t kPage = 4096;

// Writes zeros to [from, to) of `fd`; false when a write fails or `stop`
// says so between writes of 1 MiB. A file opened with O_DIRECT takes what
// it can that way and the rest (an unaligned end) through the page cache.
bool WriteZeros(int fd, uint64_t from, uint64_t to, const std::function<bool()>& stop) {
  // Static storage: zero, not in the binary, aligned for O_DIRECT.
  alignas(kPage) static char zeros[1 << 20];
  for (uint64_t at = from; at < to;) {
    if (stop && stop()) return false;
    size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof zeros, to - at));
    if (n > kPage) n -= n % kPage;  // whole pages first
    const ssize_t written = pwrite(fd, zeros, n, static_cast<off_t>(at));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && errno == EINVAL) {
      const int flags = fcntl(fd, F_GETFL);
      if (flags < 0 || (flags & O_DIRECT) == 0 || fcntl(fd, F_SETFL, flags & ~O_DIRECT) != 0) {
        return false;
      }
      continue;
    }
    if (written <= 0) return false;
    at += static_cast<uint64_t>(written);
  }
  return true;
}

uint64_t PageDown(uint64_t at) { return at / kPage * kPage; }
uint64_t PageUp(uint64_t at) { return (at + kPage - 1) / kPage * kPage; }

// `path` for commits written directly and durably, or -1 where the file
// system does not allow O_DIRECT (then they go through the page cache and
// fdatasync).
int OpenDirect(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT | O_DSYNC);
}

// Zeros are compared a block at a time: a segment's tail of zeros is
// megabytes long.
constexpr size_t kZeroBlock = 4096;
const char kZeroBytes[kZeroBlock] = {};

bool AllZero(std::string_view bytes) {
  for (size_t at = 0; at < bytes.size(); at += kZeroBlock) {
    const size_t n = std::min(kZeroBlock, bytes.size() - at);
    if (std::memcmp(bytes.data() + at, kZeroBytes, n) != 0) return false;
  }
  return true;
}

// `bytes` without the zeros that end it.
std::string_view WithoutTrailingZeros(std::string_view bytes) {
  size_t end = bytes.size();
  while (end > 0) {
    const size_t n = std::min(kZeroBlock, end);
    if (std::memcmp(bytes.data() + end - n, kZeroBytes, n) != 0) break;
    end -= n;
  }
  const size_t last = bytes.substr(0, end).find_last_not_of('\0');
  return last == std::string_view::npos ? std::string_view() : bytes.substr(0, last + 1);
}

// The frames of one segment up to its last checkpoint.
struct SegmentScan {
  uint64_t first = 0;    // from the start frame
  size_t start_end = 0;  // end of the start frame (0: none readable)
  size_t good_end = 0;   // end of the last checkpoint frame (else start_end)
  uint64_t records = 0;  // records up to good_end
  bool has_checkpoint = false;
  std::string note;                  // of the last checkpoint
  size_t damage = 0;                 // where parsing stopped before the end (== size: none)
  bool acknowledged_damage = false;  // a later commit follows the damage
  size_t zero_tail = 0;              // zeros after good_end to the end (space grown ahead)
};

absl::StatusOr<SegmentScan> ScanSegment(std::string_view buf, uint64_t named_first,
                                        const std::string& path) {
  SegmentScan s;
  s.first = named_first;
  s.damage = buf.size();
  size_t off = 0;
  uint64_t records = 0;
  Frame f;
  while (off < buf.size()) {
    auto end = ParseFrame(buf, off, &f);
    if (!end.ok()) {
      s.damage = off;
      break;
    }
    if (off == 0) {
      if (f.type != FrameType::kSegmentStart || f.payload.size() != 8 ||
          le::Load<uint64_t>(f.payload.data()) != named_first) {
        return absl::DataLossError(
            absl::StrCat("audit log: ", path, " does not begin with its segment header"));
      }
      s.start_end = s.good_end = *end;
    } else if (f.type == FrameType::kRecord) {
      ++records;
    } else if (f.type == FrameType::kCheckpoint) {
      auto cp = DecodeCheckpoint(f.payload);
      if (!cp.ok() || cp->size != named_first + records) {
        return absl::DataLossError(absl::StrCat("audit log: ", path, " offset ", off,
                                                ": a checkpoint that does not count the records "
                                                "before it"));
      }
      s.good_end = *end;
      s.records = records;
      s.has_checkpoint = true;
      s.note = std::string(cp->note);
    }
    off = *end;
  }
  if (s.damage < buf.size() && AllZero(buf.substr(s.good_end))) {
    // Space grown ahead of the commits: nothing was written there.
    s.zero_tail = buf.size() - s.good_end;
    s.damage = buf.size();
  }
  if (s.damage < buf.size()) {
    // A checkpoint past the damage of a commit that began after it: the
    // damaged commit was acknowledged (the next one is written only after it
    // was synced).
    for (size_t p = s.damage + 1; p + kFrameHeaderBytes <= buf.size(); ++p) {
      p = buf.find(std::string_view(kMagic, 4), p);
      if (p == std::string_view::npos) break;
      Frame later;
      if (!ParseFrame(buf, p, &later).ok() || later.type != FrameType::kCheckpoint) continue;
      auto cp = DecodeCheckpoint(later.payload);
      if (cp.ok() && cp->commit_start > s.damage) {
        s.acknowledged_damage = true;
        break;
      }
    }
  }
  return s;
}

std::string U64Bytes(uint64_t v) {
  std::string s;
  le::Append<uint64_t>(v, &s);
  return s;
}

}  // namespace

void AppendFrame(FrameType type, std::string_view payload, std::string* out) {
  const size_t at = out->size();
  out->append(kMagic, 4);
  le::Append<uint32_t>(static_cast<uint32_t>(payload.size()), out);
  out->push_back(static_cast<char>(type));
  out->append(3, '\0');
  const uint32_t crc = Crc32c(Crc32c(0, std::string_view(out->data() + at, 12)), payload);
  le::Append<uint32_t>(crc, out);
  out->append(payload);
}

absl::StatusOr<uint32_t> FramePayloadLength(std::string_view header) {
  if (header.size() < kFrameHeaderBytes) return absl::NotFoundError("a frame header cut off");
  const char* h = header.data();
  if (std::memcmp(h, kMagic, 4) != 0 || h[9] != 0 || h[10] != 0 || h[11] != 0) {
    return absl::DataLossError("no frame header");
  }
  const uint32_t length = le::Load<uint32_t>(h + 4);
  if (length > kMaxFramePayload) return absl::DataLossError("a frame longer than any written");
  return length;
}

absl::StatusOr<size_t> ParseFrame(std::string_view buf, size_t offset, Frame* frame) {
  auto declared = FramePayloadLength(buf.substr(offset));
  if (!declared.ok()) return declared.status();
  const char* h = buf.data() + offset;
  const uint32_t length = *declared;
  if (buf.size() - offset - kFrameHeaderBytes < length) {
    return absl::NotFoundError("a frame cut off");
  }
  const std::string_view payload = buf.substr(offset + kFrameHeaderBytes, length);
  if (Crc32c(Crc32c(0, std::string_view(h, 12)), payload) != le::Load<uint32_t>(h + 12)) {
    return absl::DataLossError("a frame whose checksum does not match");
  }
  const auto type = static_cast<FrameType>(h[8]);
  if (type < FrameType::kSegmentStart || type > FrameType::kCheckpoint) {
    return absl::DataLossError("a frame of unknown type");
  }
  *frame = Frame{type, payload, offset};
  return offset + kFrameHeaderBytes + length;
}

std::string EncodeCertificate(const CertificateRow& row) {
  std::string out;
  for (const std::string* s : {&row.sha256, &row.subject, &row.issuer, &row.serial, &row.der}) {
    PutString(*s, &out);
  }
  return out;
}

absl::StatusOr<CertificateRow> DecodeCertificate(std::string_view payload) {
  CertificateRow row;
  for (std::string* s : {&row.sha256, &row.subject, &row.issuer, &row.serial, &row.der}) {
    if (!GetString(&payload, s)) return absl::DataLossError("a certificate frame cut short");
  }
  if (!payload.empty()) return absl::DataLossError("bytes after a certificate frame");
  return row;
}

absl::StatusOr<CheckpointFrame> DecodeCheckpoint(std::string_view payload) {
  if (payload.size() < 16) return absl::DataLossError("a checkpoint frame cut short");
  return CheckpointFrame{le::Load<uint64_t>(payload.data()), le::Load<uint64_t>(payload.data() + 8),
                         payload.substr(16)};
}

absl::StatusOr<std::unique_ptr<SegmentLog>> SegmentLog::Open(Options options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("the audit log needs a directory");
  std::unique_ptr<SegmentLog> log(new SegmentLog(std::move(options)));
  if (absl::Status s = log->Recover(); !s.ok()) return s;
  if (log->options_.prepare_ahead) {
    log->preparer_ = std::thread([raw = log.get()] { raw->PrepareLoop(); });
  }
  return log;
}

std::unique_ptr<SegmentLog> SegmentLog::ForReading(std::string dir) {
  std::unique_ptr<SegmentLog> log(new SegmentLog(Options{std::move(dir)}));
  log->read_only_ = true;
  return log;
}

SegmentLog::~SegmentLog() {
  if (preparer_.joinable()) {
    {
      absl::MutexLock lock(&prepare_mu_);
      stopping_ = true;
    }
    preparer_.join();
  }
  if (fd_ >= 0) close(fd_);
  if (direct_fd_ >= 0) close(direct_fd_);
}

bool SegmentLog::prepared() const {
  absl::MutexLock lock(&prepare_mu_);
  return prepared_;
}

void SegmentLog::PrepareLoop() {
  pthread_setname_np(pthread_self(), "sv-audit-prep");
  const std::string path = PreparedPath();
  const std::string partial = path + ".partial";
  auto stopping = [this] {
    absl::MutexLock lock(&prepare_mu_);
    return stopping_;
  };
  for (;;) {
    {
      absl::MutexLock lock(&prepare_mu_);
      prepare_mu_.Await(absl::Condition(
          +[](SegmentLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->prepare_mu_) {
            return self->stopping_ || !self->prepared_;
          },
          this));
      if (stopping_) return;
    }
    // Zero-filled and synced whole, under another name until it is. Written
    // directly (O_DIRECT) where the file system can: the zeros need not pass
    // through the page cache, which cost this thread about 1 us of CPU per
    // record logged (ADR 0022, decision 21).
    int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0640);
    if (fd < 0 && errno == EINVAL) {  // tmpfs, for one
      fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    }
    bool ok = fd >= 0 && WriteZeros(fd, 0, options_.segment_bytes, stopping);
    ok = ok && !stopping() && fdatasync(fd) == 0;
    if (fd >= 0) close(fd);
    ok = ok && rename(partial.c_str(), path.c_str()) == 0;
    absl::MutexLock lock(&prepare_mu_);
    if (!ok) {
      // A full disk: commits grow their segment step by step meanwhile.
      unlink(partial.c_str());
      prepare_mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(10));
      continue;
    }
    prepared_ = true;
  }
}

bool SegmentLog::TakePrepared(const std::string& path) {
  absl::MutexLock lock(&prepare_mu_);
  if (!prepared_) return false;
  prepared_ = false;  // the preparer makes the next
  return rename(PreparedPath().c_str(), path.c_str()) == 0;
}

std::string SegmentLog::SegmentPath(uint64_t first_sequence) const {
  return absl::StrFormat("%s/%020u.seg", options_.dir, first_sequence);
}

std::vector<uint64_t> SegmentLog::Segments() const {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t first = 0;
    if (name.size() == 24 && name.ends_with(".seg") &&
        absl::SimpleAtoi(absl::string_view(name).substr(0, 20), &first)) {
      out.push_back(first);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status SegmentLog::Recover() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("audit log: cannot create ", options_.dir, ": ", ec.message()));
  }
  // A segment prepared before a restart is prepared again.
  std::filesystem::remove(PreparedPath(), ec);
  std::filesystem::remove(PreparedPath() + ".partial", ec);
  const std::vector<uint64_t> segments = Segments();
  if (segments.empty()) return absl::OkStatus();  // the first commit starts one
  const uint64_t first = segments.back();
  const std::string path = SegmentPath(first);
  auto buf = ReadWhole(path);
  if (!buf.ok()) return buf.status();
  auto scan = ScanSegment(*buf, first, path);
  if (!scan.ok()) return scan.status();
  if (scan->acknowledged_damage) {
    return absl::DataLossError(absl::StrCat(
        "audit log: ", path, " is damaged at offset ", scan->damage, " (after record ",
        first + scan->records, "), inside a commit that was acknowledged; run audit-verify"));
  }
  fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return Errno("cannot open", path);
  segment_first_ = first;
  size_ = first + scan->records;
  checkpoint_ = scan->note;
  // A torn commit: what follows the last whole one, but for space grown
  // ahead (all zeros) and the zeros that end it.
  const std::string_view torn = WithoutTrailingZeros(std::string_view(*buf).substr(scan->good_end));
  allocated_ = buf->size();
  if (scan->start_end == 0) {
    // Torn when it was created: begin it again.
    std::string header;
    if (auto s = StartSegment(first, &header); !s.ok()) return s;
    if (ftruncate(fd_, 0) != 0) return Errno("cannot truncate", path);
    if (auto s = WriteAll(fd_, header, 0, path); !s.ok()) return s;
    if (fdatasync(fd_) != 0) return Errno("cannot sync", path);
    scan->good_end = allocated_ = header.size();
  } else if (!torn.empty()) {
    // Kept beside the segment: a commit whose write was torn was never
    // acknowledged, but a fault inside the last commit after it was looks
    // the same, and an auditor should be able to tell the two apart.
    const std::string cut = absl::StrCat(path, ".cut-", scan->good_end);
    {
      std::ofstream out(cut, std::ios::binary | std::ios::trunc);
      out.write(torn.data(), static_cast<std::streamsize>(torn.size()));
      if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", cut));
    }
    if (ftruncate(fd_, static_cast<off_t>(scan->good_end)) != 0 || fdatasync(fd_) != 0) {
      return Errno("cannot cut the torn commit off", path);
    }
    allocated_ = scan->good_end;
  }
  recovery_ = Recovery{size_, scan->start_end == 0 ? 0 : torn.size(), path};
  offset_ = scan->good_end;
  direct_fd_ = OpenDirect(path);
  if (scan->start_end == 0) {
    tail_.clear();
    StartSegment(first, &tail_).IgnoreError();  // the header just written
  } else {
    tail_.assign(*buf, PageDown(offset_), offset_ - PageDown(offset_));
  }
  if (!scan->has_checkpoint && segments.size() > 1) {
    // The latest note is the previous segment's last.
    const uint64_t previous = segments[segments.size() - 2];
    auto prev_buf = ReadWhole(SegmentPath(previous));
    if (!prev_buf.ok()) return prev_buf.status();
    auto prev = ScanSegment(*prev_buf, previous, SegmentPath(previous));
    if (!prev.ok()) return prev.status();
    if (!prev->has_checkpoint || previous + prev->records != first) {
      return absl::DataLossError(absl::StrCat("audit log: ", SegmentPath(previous),
                                              " does not end where ", path, " begins"));
    }
    checkpoint_ = prev->note;
  }
  return absl::OkStatus();
}

absl::Status SegmentLog::StartAt(uint64_t size, std::string checkpoint) {
  if (fd_ >= 0 || size_ != 0) {
    return absl::FailedPreconditionError("audit log: segments exist already");
  }
  size_ = size;
  checkpoint_ = std::move(checkpoint);
  return absl::OkStatus();
}

absl::Status SegmentLog::StartSegment(uint64_t first_sequence, std::string* out) {
  AppendFrame(FrameType::kSegmentStart, U64Bytes(first_sequence), out);
  return absl::OkStatus();
}

absl::Status SegmentLog::Commit(absl::Span<const LeafRow> leaves, uint64_t new_size,
                                const std::string& checkpoint,
                                std::vector<uint64_t>* record_offsets) {
  if (read_only_) return absl::FailedPreconditionError("audit log: opened for reading only");
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].sequence != size_ + i) {
      return absl::FailedPreconditionError(absl::StrCat("audit log: record ", leaves[i].sequence,
                                                        " where ", size_ + i,
                                                        " comes next (another writer?)"));
    }
  }
  if (new_size != size_ + leaves.size()) {
    return absl::InvalidArgumentError("audit log: a checkpoint for another size");
  }
  if (must_cut_) {
    // What a failed commit left behind goes first, whichever segment the
    // next commit is written to.
    if (ftruncate(fd_, static_cast<off_t>(offset_)) != 0) {
      return Errno("cannot truncate", SegmentPath(segment_first_));
    }
    must_cut_ = false;
    allocated_ = offset_;
  }
  // A segment holds at least one record: its name is its first. One grown
  // step by step ends as soon as a whole one is prepared.
  const bool new_segment =
      fd_ < 0 || (size_ > segment_first_ &&
                  (offset_ >= options_.segment_bytes || (!current_prepared_ && prepared())));
  std::string buf;
  size_t bytes = 64 + checkpoint.size();
  for (const LeafRow& r : leaves) bytes += kFrameHeaderBytes * 2 + 32 + r.leaf.size();
  buf.reserve(bytes);
  if (new_segment) AppendFrame(FrameType::kSegmentStart, U64Bytes(size_), &buf);
  const uint64_t start = new_segment ? 0 : offset_;
  if (record_offsets != nullptr) record_offsets->clear();
  std::string payload;
  for (const LeafRow& r : leaves) {
    if (!r.signer.der.empty()) {
      AppendFrame(FrameType::kCertificate, EncodeCertificate(r.signer), &buf);
    }
    for (const crypto::SignedRevocationData& response : r.responses) {
      if (response.der == nullptr) continue;
      payload.assign(response.sha256);
      payload.append(*response.der);
      AppendFrame(FrameType::kRevocationResponse, payload, &buf);
    }
    payload.assign(reinterpret_cast<const char*>(r.leaf_hash.data()), r.leaf_hash.size());
    payload.append(r.leaf);
    if (record_offsets != nullptr) record_offsets->push_back(start + buf.size());
    AppendFrame(FrameType::kRecord, payload, &buf);
  }
  payload = U64Bytes(new_size);
  payload.append(U64Bytes(start));
  payload.append(checkpoint);
  AppendFrame(FrameType::kCheckpoint, payload, &buf);

  int fd = fd_;
  std::string path = SegmentPath(segment_first_);
  uint64_t allocated = allocated_;
  if (new_segment) {
    if (fd_ >= 0 && allocated_ > offset_) {
      // The segment ends where its last commit does.
      if (ftruncate(fd_, static_cast<off_t>(offset_)) != 0 || fdatasync(fd_) != 0) {
        return Errno("cannot close", path);
      }
      allocated_ = offset_;
    }
    // A file of this name holds no commit: its records would start at
    // size_, which no commit reached.
    path = SegmentPath(size_);
    allocated = 0;
    if (TakePrepared(path)) {
      fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      allocated = options_.segment_bytes;
    } else {
      fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    }
    if (fd < 0) return Errno("cannot create", path);
  }
  const int direct = new_segment ? OpenDirect(path) : direct_fd_;
  std::string previous_tail;  // the current segment's, should the new one fail
  if (new_segment) previous_tail.swap(tail_);
  const bool prepared_segment = new_segment && allocated > 0;
  allocated = Preallocate(fd, allocated, start + buf.size());
  const size_t length = buf.size();
  absl::Status status;
  // Directly only over zeros the file has (prepared or grown ahead): the
  // write then changes no length or block map, and is durable by itself.
  if (direct >= 0 && tail_.size() == start - PageDown(start) &&
      PageUp(start + length) <= allocated) {
    status = WriteDirect(direct, buf, start, path);
  } else {
    status = WriteAll(fd, buf, start, path);
    if (status.ok() && fdatasync(fd) != 0) status = Errno("cannot sync", path);
  }
  if (status.ok()) AdvanceTail(buf, start);
  if (status.ok() && new_segment) status = SyncDirectory(options_.dir);
  if (!status.ok()) {
    if (new_segment) {
      if (direct >= 0) close(direct);
      tail_.swap(previous_tail);
      close(fd);
      unlink(path.c_str());
    } else if (ftruncate(fd, static_cast<off_t>(offset_)) != 0) {
      must_cut_ = true;
    } else {
      allocated_ = offset_;
    }
    return status;
  }
  if (new_segment) {
    if (fd_ >= 0) close(fd_);
    if (direct_fd_ >= 0) close(direct_fd_);
    fd_ = fd;
    direct_fd_ = direct;
    segment_first_ = size_;
    current_prepared_ = prepared_segment;
  }
  allocated_ = std::max(allocated, start + length);
  offset_ = start + length;
  size_ = new_size;
  checkpoint_ = checkpoint;
  return absl::OkStatus();
}

absl::Status SegmentLog::WriteDirect(int direct, std::string_view bytes, uint64_t start,
                                     const std::string& path) {
  // The last page's bytes in use, the commit, zeros to the end of its last
  // page: whole pages from an aligned buffer.
  const std::string& tail = tail_;
  const uint64_t from = start - tail.size();
  const uint64_t end = start + bytes.size();
  const size_t length = PageUp(end) - from;
  if (direct_capacity_ < length) {
    const size_t capacity = std::max<size_t>(length, size_t{1} << 20);
    direct_buf_.reset(static_cast<char*>(std::aligned_alloc(kPage, capacity)));
    if (direct_buf_ == nullptr) {
      direct_capacity_ = 0;
      return absl::ResourceExhaustedError("audit log: no memory for a commit");
    }
    direct_capacity_ = capacity;
  }
  char* out = direct_buf_.get();
  std::memcpy(out, tail.data(), tail.size());
  std::memcpy(out + tail.size(), bytes.data(), bytes.size());
  std::memset(out + tail.size() + bytes.size(), 0, length - tail.size() - bytes.size());
  return WriteAll(direct, std::string_view(out, length), from, path);
}

void SegmentLog::AdvanceTail(std::string_view bytes, uint64_t start) {
  const uint64_t end = start + bytes.size();
  if (PageDown(end) >= start) {
    tail_.assign(bytes.substr(PageDown(end) - start));
  } else {
    tail_.append(bytes);  // the same page still
  }
}

uint64_t SegmentLog::Preallocate(int fd, uint64_t allocated, uint64_t end) const {
  const uint64_t step = options_.preallocate_bytes;
  if (step == 0 || end <= allocated) return allocated;
  // Up to the next step, not past the length at which a segment ends.
  const uint64_t target =
      std::min((end + step - 1) / step * step, std::max(end, options_.segment_bytes));
  if (!WriteZeros(fd, std::max(allocated, end), target, nullptr)) {
    // The disk is full (or failing): the commit is written without, and the
    // zeros written are cut off again (left, they are space all the same).
    const bool cut = ftruncate(fd, static_cast<off_t>(allocated)) == 0;
    static_cast<void>(cut);
    return allocated;
  }
  return std::max(target, allocated);
}

absl::Status SegmentLog::CheckTail() const {
  const std::vector<uint64_t> segments = Segments();
  if (segments.empty()) return absl::OkStatus();
  const std::string path = SegmentPath(segments.back());
  auto buf = ReadWhole(path);
  if (!buf.ok()) return buf.status();
  auto scan = ScanSegment(*buf, segments.back(), path);
  if (!scan.ok()) return scan.status();
  if (scan->good_end + scan->zero_tail == buf->size()) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("audit log: ", path, " has ", buf->size() - scan->good_end,
                   " bytes after its last whole commit, from offset ", scan->good_end,
                   " (after record ", segments.back() + scan->records,
                   "): a commit torn in a crash (never acknowledged), or "
                   "damaged after it was"));
}

absl::Status SegmentLog::Scan(uint64_t from_sequence, const Visitor& visit) const {
  const std::vector<uint64_t> segments = Segments();
  size_t i = 0;
  while (i + 1 < segments.size() && segments[i + 1] <= from_sequence) ++i;
  for (; i < segments.size(); ++i) {
    const std::string path = SegmentPath(segments[i]);
    auto buf = ReadWhole(path);
    if (!buf.ok()) return buf.status();
    auto scan = ScanSegment(*buf, segments[i], path);
    if (!scan.ok()) return scan.status();
    // Only whole commits; damage before the last is reported.
    if (scan->acknowledged_damage || (i + 1 < segments.size() && scan->damage < buf->size())) {
      return absl::DataLossError(absl::StrCat("audit log: ", path, " is damaged at offset ",
                                              scan->damage, " (after record ",
                                              segments[i] + scan->records, ")"));
    }
    uint64_t sequence = segments[i];
    Frame f;
    for (size_t off = scan->start_end; off < scan->good_end;) {
      auto end = ParseFrame(*buf, off, &f);
      if (!end.ok()) return end.status();  // cannot happen below good_end
      if (auto s = visit(sequence, f); !s.ok()) return s;
      if (f.type == FrameType::kRecord) ++sequence;
      off = *end;
    }
  }
  return absl::OkStatus();
}

}  // namespace sigverify::audit
