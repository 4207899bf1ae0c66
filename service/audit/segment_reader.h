// Reads single records from the segment log (segment_log.h) by their place:
// the index keeps a record's segment offset, not its bytes, and GetRecord,
// QueryRecords and the whole-shard check read the frame here. Each read
// checks the frame (CRC-32C, type) and the record against the leaf hash the
// index holds, so an edited segment is named, never served.
#ifndef SIGVERIFY_SERVICE_AUDIT_SEGMENT_READER_H_
#define SIGVERIFY_SERVICE_AUDIT_SEGMENT_READER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "service/audit/audit_store.h"

namespace sigverify::audit {

class SegmentLog;

class SegmentReader : public LogBodies {
 public:
  // The segments in `dir`, the log of `shard`.
  SegmentReader(std::string dir, std::string shard);
  ~SegmentReader() override;

  absl::StatusOr<std::string> Body(const std::string& shard, uint64_t sequence, uint64_t offset,
                                   const Hash& leaf_hash) const override;

  // Closes segment `first` (deleted by retention: an open file would keep
  // its space on the disk).
  void Forget(uint64_t first);

  // Open files kept at most (the oldest opened is closed past it).
  static constexpr size_t kMaxOpenFiles = 32;

 private:
  // An open segment; closed when the last reader lets go of it.
  struct File {
    explicit File(int fd) : fd(fd) {}
    ~File();
    const int fd;
  };
  // The record at `offset` of segment `first`.
  absl::StatusOr<std::string> ReadAt(uint64_t first, uint64_t offset, const Hash& leaf_hash) const;
  // The first sequence of the segment that holds `sequence` (false: none),
  // listing the directory again when `relist`.
  bool SegmentOf(uint64_t sequence, bool relist, uint64_t* first) const;
  // NOT_FOUND when the segment is gone.
  absl::StatusOr<std::shared_ptr<const File>> Open(uint64_t first) const;

  std::string shard_;
  std::unique_ptr<SegmentLog> listing_;
  mutable absl::Mutex mu_;
  mutable std::vector<uint64_t> firsts_ ABSL_GUARDED_BY(mu_);
  mutable std::map<uint64_t, std::shared_ptr<const File>> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_SEGMENT_READER_H_
