// The audit log's durable part: append-only segment files of checksummed
// frames. A commit is the frames of its records (leaf hash and leaf bytes),
// the certificates and revocation responses they name that were not written
// before, and last a checkpoint frame (the tree size, the signed note, and
// where the commit began): one write and one fdatasync. A record is
// acknowledged only after that returns, so a crash can damage the last
// commit only; opening the log cuts such a torn commit off, and refuses
// (DATA_LOSS, naming the place) damage inside a commit that a later commit
// follows: that was acknowledged, and only a disk fault or an edit breaks it.
// The bytes cut off are kept beside the segment (<segment>.cut-<offset>).
//
// The segment being written is grown ahead in steps of zeros, so a commit
// overwrites blocks the file system has allocated and recorded already and
// its fdatasync writes the commit's data alone, not the file's size and
// block map too (a second synchronous write per commit on ext4; ADR 0022).
// Zeros after the last whole commit are that space, not damage; a segment
// is cut to its length when the next one begins. With `prepare_ahead` a
// thread of its own zero-fills and syncs the next segment whole before it
// is needed (next.seg.prepared), so no commit waits for a step of zeros to
// reach the disk; the writer renames it into place.
//
// Frame: magic "SVF1" (4), payload length (u32 LE), type (1), zero (3),
// CRC-32C of the first 12 bytes and the payload (u32 LE), payload.
// Segments are named after their first record's sequence
// (00000000000000000000.seg) and begin with a kSegmentStart frame.
#ifndef SIGVERIFY_SERVICE_AUDIT_SEGMENT_LOG_H_
#define SIGVERIFY_SERVICE_AUDIT_SEGMENT_LOG_H_

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "service/audit/audit_store.h"

namespace sigverify::audit {

enum class FrameType : uint8_t {
  kSegmentStart = 1,        // u64 first sequence
  kRecord = 2,              // leaf hash (32) || leaf
  kCertificate = 3,         // CertificateRow (see EncodeCertificate)
  kRevocationResponse = 4,  // SHA-256 hex (64) || DER
  kCheckpoint = 5,          // u64 tree size || u64 commit start offset || note
};

inline constexpr size_t kFrameHeaderBytes = 16;
inline constexpr uint32_t kMaxFramePayload = 64u << 20;

struct Frame {
  FrameType type;
  std::string_view payload;
  uint64_t offset = 0;  // of the frame in its segment
};

// Appends one frame to `out`.
void AppendFrame(FrameType type, std::string_view payload, std::string* out);

// The payload length a frame header (its first kFrameHeaderBytes) declares,
// or DATA_LOSS for bytes that are no frame header (checked as ParseFrame
// does), so a reader knows how much more to read.
absl::StatusOr<uint32_t> FramePayloadLength(std::string_view header);

// The frame at `offset` of `buffer`: its end offset, or NOT_FOUND for too few
// bytes (a cut-off tail), DATA_LOSS for bytes that are no frame.
absl::StatusOr<size_t> ParseFrame(std::string_view buffer, size_t offset, Frame* frame);

std::string EncodeCertificate(const CertificateRow& row);
absl::StatusOr<CertificateRow> DecodeCertificate(std::string_view payload);

struct CheckpointFrame {
  uint64_t size = 0;
  uint64_t commit_start = 0;
  std::string_view note;
};
absl::StatusOr<CheckpointFrame> DecodeCheckpoint(std::string_view payload);

class SegmentLog {
 public:
  struct Options {
    std::string dir;
    // A commit that finds the current segment at least this long starts a
    // new one.
    uint64_t segment_bytes = uint64_t{64} << 20;
    // How far ahead of its commits the segment being written is zero-filled
    // (0: the file ends where the last commit does).
    uint64_t preallocate_bytes = uint64_t{4} << 20;
    // Prepare the next segment whole, on a thread of its own.
    bool prepare_ahead = false;
  };
  // What opening found.
  struct Recovery {
    uint64_t size = 0;
    // Bytes of a torn last commit cut off (never acknowledged).
    uint64_t discarded_bytes = 0;
    std::string segment;  // the segment it was in
  };

  // Opens (creating the directory) and recovers the log.
  static absl::StatusOr<std::unique_ptr<SegmentLog>> Open(Options options);
  // For Scan only (an offline check): nothing is recovered, created or
  // written; Commit is refused.
  static std::unique_ptr<SegmentLog> ForReading(std::string dir);
  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Appends `leaves` (their sequences from size() on; the certificate DER
  // and the responses that are given), then the checkpoint of `new_size`;
  // durable when it returns OK. FAILED_PRECONDITION when the sequences do
  // not continue the log, UNAVAILABLE when writing fails (what was written of
  // the commit is cut off again; the log is as before). `record_offsets`,
  // when given, gets where each record's frame is in its segment (a commit
  // is in one segment).
  absl::Status Commit(absl::Span<const LeafRow> leaves, uint64_t new_size,
                      const std::string& checkpoint,
                      std::vector<uint64_t>* record_offsets = nullptr);

  // A log that begins at `size` (records before it are kept elsewhere: a
  // log that predates segments), whose latest note is `checkpoint`. Only
  // before the first commit of an empty log.
  absl::Status StartAt(uint64_t size, std::string checkpoint);

  uint64_t size() const { return size_; }
  // Where the next commit goes in the last segment (its length in use).
  uint64_t end() const { return offset_; }
  const std::string& checkpoint() const { return checkpoint_; }
  const Recovery& recovery() const { return recovery_; }
  const std::string& dir() const { return options_.dir; }

  // Visits every frame of the segments that hold records from
  // `from_sequence` on (whole segments: the first visited frames may be of
  // earlier records), with each record frame's sequence (other frames: the
  // sequence of the next record). Stops at the first error the visitor
  // returns; DATA_LOSS names the segment and offset of a damaged frame.
  using Visitor = std::function<absl::Status(uint64_t sequence, const Frame& frame)>;
  absl::Status Scan(uint64_t from_sequence, const Visitor& visit) const;

  // OK, or DATA_LOSS describing bytes after the last whole commit of the last
  // segment (a commit torn in a crash, never acknowledged, or damaged after
  // it was): Scan stops before them without a word, as a commit being
  // written looks the same.
  absl::Status CheckTail() const;

  // The segments' first sequences, in order.
  std::vector<uint64_t> Segments() const;
  std::string SegmentPath(uint64_t first_sequence) const;
  // The next segment, zero-filled whole (prepare_ahead), once it is ready.
  std::string PreparedPath() const { return options_.dir + "/next.seg.prepared"; }
  bool prepared() const;

 private:
  explicit SegmentLog(Options options) : options_(std::move(options)) {}
  absl::Status Recover();
  // The prepare_ahead thread.
  void PrepareLoop();
  // Renames the prepared segment to `path`; false when none is ready.
  bool TakePrepared(const std::string& path);
  absl::Status StartSegment(uint64_t first_sequence, std::string* out);
  // Zero-fills `fd` from `allocated` up to the next step past `end`, best
  // effort (a full disk leaves it as it was); returns the new length.
  uint64_t Preallocate(int fd, uint64_t allocated, uint64_t end) const;

  // Writes `bytes` at `start` (after `tail_`, the last page's bytes in use)
  // through `direct`: whole pages, durable when it returns (O_DSYNC).
  absl::Status WriteDirect(int direct, std::string_view bytes, uint64_t start,
                           const std::string& path);
  // After `bytes` were written at `start`: the last page's bytes in use.
  void AdvanceTail(std::string_view bytes, uint64_t start);

  Options options_;
  Recovery recovery_;
  int fd_ = -1;  // the last segment, open for writing
  // The same file opened O_DIRECT | O_DSYNC, where the file system allows
  // it (-1 otherwise): commits are written through it.
  int direct_fd_ = -1;
  std::string tail_;  // [page start of offset_, offset_): rewritten with the next commit
  std::unique_ptr<char, void (*)(void*)> direct_buf_{nullptr, &std::free};
  size_t direct_capacity_ = 0;
  uint64_t segment_first_ = 0;
  uint64_t offset_ = 0;     // its length in use
  uint64_t allocated_ = 0;  // its length on disk: zeros from offset_ on
  bool must_cut_ = false;   // a failed commit left bytes past offset_
  bool read_only_ = false;
  uint64_t size_ = 0;
  std::string checkpoint_;
  bool current_prepared_ = false;  // the last segment was prepared whole

  mutable absl::Mutex prepare_mu_;
  bool prepared_ ABSL_GUARDED_BY(prepare_mu_) = false;  // PreparedPath() is ready
  bool stopping_ ABSL_GUARDED_BY(prepare_mu_) = false;
  std::thread preparer_;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_SEGMENT_LOG_H_
