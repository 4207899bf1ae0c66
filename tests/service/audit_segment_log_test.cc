#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "service/audit/crc32c.h"
#include "service/audit/segment_log.h"
#include "service/audit/segment_reader.h"

namespace sigverify::audit {
namespace {

namespace fs = std::filesystem;

class SegmentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("sigverify-segments-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void PreparedWholeAhead(const fs::path& dir, uint64_t bytes);

  // Grown ahead in steps of 8 KiB (small files for the tests that rewrite them).
  std::unique_ptr<SegmentLog> Open(uint64_t segment_bytes = 1 << 20) {
    auto log = SegmentLog::Open({dir_, segment_bytes, /*preallocate_bytes=*/8192});
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  static std::vector<LeafRow> Leaves(uint64_t first, size_t n) {
    std::vector<LeafRow> out(n);
    for (size_t i = 0; i < n; ++i) {
      out[i].sequence = first + i;
      out[i].leaf = absl::StrCat("record ", first + i, std::string(100, 'x'));
      out[i].leaf_hash = LeafHash(out[i].leaf);
    }
    return out;
  }

  static absl::Status Append(SegmentLog& log, size_t n) {
    const uint64_t first = log.size();
    return log.Commit(Leaves(first, n), first + n, absl::StrCat("note ", first + n));
  }

  // Every record frame's (sequence, leaf).
  static std::vector<std::pair<uint64_t, std::string>> Records(const SegmentLog& log,
                                                               uint64_t from = 0) {
    std::vector<std::pair<uint64_t, std::string>> out;
    absl::Status s = log.Scan(from, [&](uint64_t sequence, const Frame& f) {
      if (f.type == FrameType::kRecord) {
        EXPECT_EQ(f.payload.substr(0, 32),
                  std::string_view(
                      reinterpret_cast<const char*>(LeafHash(f.payload.substr(32)).data()), 32));
        out.emplace_back(sequence, std::string(f.payload.substr(32)));
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::string OnlySegment() const { return (fs::path(dir_) / "00000000000000000000.seg").string(); }

  std::string dir_;
};

TEST(Crc32c, KnownValueAndBothImplementationsAgree) {
  // RFC 3720 B.4: 32 bytes of zeros.
  EXPECT_EQ(Crc32c(0, std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(0, "123456789"), 0xe3069283u);
  std::string data;
  for (int i = 0; i < 1000; ++i) {
    data.push_back(static_cast<char>(i * 37));
    EXPECT_EQ(Crc32c(7, data), Crc32cPortable(7, data)) << i;
  }
}

TEST_F(SegmentLogTest, CommitsReopenAndScan) {
  {
    auto log = Open();
    ASSERT_TRUE(Append(*log, 3).ok());
    ASSERT_TRUE(Append(*log, 2).ok());
    EXPECT_EQ(log->size(), 5u);
    EXPECT_EQ(log->checkpoint(), "note 5");
  }
  auto log = Open();
  EXPECT_EQ(log->size(), 5u);
  EXPECT_EQ(log->checkpoint(), "note 5");
  EXPECT_EQ(log->recovery().discarded_bytes, 0u);
  const auto records = Records(*log);
  ASSERT_EQ(records.size(), 5u);
  for (uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(records[i].first, i);
    EXPECT_EQ(records[i].second, Leaves(i, 1)[0].leaf);
  }
  ASSERT_TRUE(Append(*log, 1).ok());
  EXPECT_EQ(Records(*log).size(), 6u);
}

TEST_F(SegmentLogTest, RefusesRecordsThatDoNotContinueTheLog) {
  auto log = Open();
  ASSERT_TRUE(Append(*log, 2).ok());
  EXPECT_EQ(log->Commit(Leaves(5, 1), 6, "n").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log->size(), 2u);
}

TEST_F(SegmentLogTest, AttachmentsAreFramesOfTheirOwn) {
  auto log = Open();
  std::vector<LeafRow> leaves = Leaves(0, 1);
  leaves[0].signer = {"ab12", "CN=Nguyễn Văn An", "CN=CA", "01", "DER"};
  auto der = std::make_shared<const std::string>("OCSP");
  leaves[0].responses.push_back({der, "cd34"});
  ASSERT_TRUE(log->Commit(leaves, 1, "n").ok());
  std::vector<FrameType> types;
  ASSERT_TRUE(log->Scan(0,
                        [&](uint64_t, const Frame& f) {
                          types.push_back(f.type);
                          if (f.type == FrameType::kCertificate) {
                            auto row = DecodeCertificate(f.payload);
                            EXPECT_TRUE(row.ok());
                            EXPECT_EQ(row->subject, "CN=Nguyễn Văn An");
                            EXPECT_EQ(row->der, "DER");
                          }
                          if (f.type == FrameType::kRevocationResponse) {
                            EXPECT_EQ(f.payload, "cd34OCSP");
                          }
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(types, (std::vector<FrameType>{FrameType::kCertificate, FrameType::kRevocationResponse,
                                           FrameType::kRecord, FrameType::kCheckpoint}));
}

TEST_F(SegmentLogTest, NewSegmentsAreStartedAndScannedFromTheRightOne) {
  {
    auto log = Open(/*segment_bytes=*/600);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(Append(*log, 2).ok());
    EXPECT_GT(log->Segments().size(), 3u);
  }
  auto log = Open(600);
  EXPECT_EQ(log->size(), 20u);
  EXPECT_EQ(log->checkpoint(), "note 20");
  const auto from_13 = Records(*log, 13);
  ASSERT_FALSE(from_13.empty());
  EXPECT_LE(from_13.front().first, 13u);  // whole segments
  EXPECT_EQ(from_13.back().first, 19u);
}

// The index keeps offsets; the reader gives each record back, checked.
TEST_F(SegmentLogTest, TheReaderGivesBackEachRecordByItsOffset) {
  auto log = Open(/*segment_bytes=*/600);
  std::vector<LeafRow> all;
  std::vector<uint64_t> offsets;
  SegmentReader reader(dir_, "a");
  for (int c = 0; c < 10; ++c) {
    std::vector<LeafRow> rows = Leaves(log->size(), 2);
    std::vector<uint64_t> at;
    ASSERT_TRUE(log->Commit(rows, log->size() + 2, "note", &at).ok());
    ASSERT_EQ(at.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      all.push_back(rows[i]);
      offsets.push_back(at[i]);
    }
    // Read at once, while later segments do not exist yet (the reader lists
    // the directory again when a segment is new to it).
    auto body = reader.Body("a", rows[1].sequence, at[1], rows[1].leaf_hash);
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(*body, rows[1].leaf);
  }
  ASSERT_GT(log->Segments().size(), 3u);
  SegmentReader fresh(dir_, "a");
  for (size_t i = 0; i < all.size(); ++i) {
    auto body = fresh.Body("a", all[i].sequence, offsets[i], all[i].leaf_hash);
    ASSERT_TRUE(body.ok()) << i << ": " << body.status();
    EXPECT_EQ(*body, all[i].leaf);
  }
  // Another shard's, another record's hash, a place that is no record.
  EXPECT_EQ(fresh.Body("b", 0, offsets[0], all[0].leaf_hash).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto wrong = fresh.Body("a", 0, offsets[0], all[1].leaf_hash);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(wrong.status().message().find("does not hash"), std::string::npos) << wrong.status();
  EXPECT_EQ(fresh.Body("a", 0, 0, all[0].leaf_hash).status().code(),  // the start frame
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(fresh.Body("a", 0, offsets[0] + 1, all[0].leaf_hash).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(fresh.Body("a", 0, 1 << 20, all[0].leaf_hash).status().code(),
            absl::StatusCode::kDataLoss);
  // A byte flipped inside a record: its frame's checksum names the place.
  const std::string first = (fs::path(dir_) / "00000000000000000000.seg").string();
  {
    std::fstream f(first, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offsets[1] + kFrameHeaderBytes + 40));
    const int c = f.peek();
    f.put(static_cast<char>(c ^ 1));
  }
  auto flipped = fresh.Body("a", 1, offsets[1], all[1].leaf_hash);
  EXPECT_EQ(flipped.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(flipped.status().message().find(absl::StrCat(first, " offset ", offsets[1])),
            std::string::npos)
      << flipped.status();
  // A segment deleted by retention: its records are gone, the others read.
  fs::remove(first);
  SegmentReader after(dir_, "a");
  EXPECT_EQ(after.Body("a", 0, offsets[0], all[0].leaf_hash).status().code(),
            absl::StatusCode::kNotFound);
  fresh.Forget(0);
  EXPECT_EQ(fresh.Body("a", 0, offsets[0], all[0].leaf_hash).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(after.Body("a", 19, offsets[19], all[19].leaf_hash).ok());
}

// Every cut inside the last commit (a crash before its fdatasync returned),
// the file ending there or zeros after it (the space grown ahead): the log
// opens at the commit before, and goes on from there.
TEST_F(SegmentLogTest, ATornLastCommitIsCutOffAtEveryLength) {
  uint64_t whole = 0, after_first = 0;
  {
    auto log = Open();
    ASSERT_TRUE(Append(*log, 2).ok());
    after_first = log->end();
    ASSERT_TRUE(Append(*log, 3).ok());
    whole = log->end();
  }
  std::string bytes;
  {
    std::ifstream in(OnlySegment(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), whole);  // grown ahead
  for (const bool zeros_after : {false, true}) {
    for (uint64_t cut = after_first; cut < whole; ++cut) {
      {
        std::string torn = bytes.substr(0, cut);
        if (zeros_after) torn.resize(bytes.size(), '\0');
        std::ofstream(OnlySegment(), std::ios::binary | std::ios::trunc) << torn;
      }
      auto log = Open();
      ASSERT_NE(log, nullptr) << cut;
      EXPECT_EQ(log->size(), 2u) << cut;
      EXPECT_EQ(log->checkpoint(), "note 2");
      // The commit's bytes, without the zeros that end them.
      const std::string_view written =
          std::string_view(bytes).substr(after_first, cut - after_first);
      const size_t last = written.find_last_not_of('\0');
      EXPECT_EQ(log->recovery().discarded_bytes, last == std::string_view::npos ? 0 : last + 1)
          << cut;
      ASSERT_TRUE(Append(*log, 1).ok());
      EXPECT_EQ(Records(*log).size(), 3u);
      EXPECT_TRUE(log->CheckTail().ok()) << cut;
    }
  }
}

// Zeros after the last commit (space grown ahead, or a file that grew while
// its data never reached the disk) hold nothing: not damage, nothing cut.
TEST_F(SegmentLogTest, ZerosAfterTheLastCommitAreSpaceNotDamage) {
  uint64_t end = 0;
  {
    auto log = SegmentLog::Open({dir_, 1 << 20, /*preallocate_bytes=*/0});
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE(Append(**log, 2).ok());
    end = (*log)->end();
  }
  EXPECT_EQ(fs::file_size(OnlySegment()), end);  // nothing grown ahead
  std::ofstream(OnlySegment(), std::ios::app | std::ios::binary) << std::string(4096, '\0');
  auto log = Open();
  EXPECT_EQ(log->size(), 2u);
  EXPECT_EQ(log->end(), end);
  EXPECT_EQ(log->recovery().discarded_bytes, 0u);
  EXPECT_TRUE(log->CheckTail().ok());
  EXPECT_FALSE(fs::exists(absl::StrCat(OnlySegment(), ".cut-", end)));
  ASSERT_TRUE(Append(*log, 1).ok());
  EXPECT_EQ(Records(*log).size(), 3u);
}

// The segment being written is grown ahead in steps; when the next one
// begins it is cut to the length its commits use, and every record reads.
TEST_F(SegmentLogTest, TheSegmentIsGrownAheadAndCutToItsLengthWhenTheNextBegins) {
  auto log = SegmentLog::Open({dir_, /*segment_bytes=*/8192, /*preallocate_bytes=*/4096});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(Append(**log, 2).ok());
  EXPECT_EQ(fs::file_size(OnlySegment()), 4096u);
  EXPECT_LT((*log)->end(), 4096u);
  uint64_t first_end = 0;
  while ((*log)->Segments().size() < 2) {
    first_end = (*log)->end();
    ASSERT_TRUE(Append(**log, 3).ok());
  }
  EXPECT_GE(first_end, 8192u);
  EXPECT_EQ(fs::file_size((*log)->SegmentPath(0)), first_end);
  const uint64_t size = (*log)->size();
  EXPECT_EQ(Records(**log).size(), size);
  log->reset();
  auto again = Open(8192);
  EXPECT_EQ(again->size(), size);
  EXPECT_EQ(again->recovery().discarded_bytes, 0u);
  EXPECT_TRUE(again->CheckTail().ok());
}

// With prepare_ahead the next segment is zero-filled whole on a thread of
// its own; a segment grown step by step ends as soon as one is ready, and
// each prepared one is used whole (no commit grows it) until it is full.
// Prepared in `dir` (the test's own directory, or a tmpfs), `bytes` long.
void SegmentLogTest::PreparedWholeAhead(const fs::path& dir, uint64_t bytes) {
  SCOPED_TRACE(absl::StrCat(dir.string(), ", ", bytes, " bytes"));
  SegmentLog::Options options{dir.string(), bytes, /*preallocate_bytes=*/4096};
  options.prepare_ahead = true;
  auto log = SegmentLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE(Append(**log, 2).ok());  // the first segment, grown by steps
  EXPECT_EQ(fs::file_size((*log)->SegmentPath(0)), 4096u);
  for (int i = 0; i < 3000 && !(*log)->prepared(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE((*log)->prepared());
  EXPECT_EQ(fs::file_size((*log)->PreparedPath()), bytes);
  const uint64_t first_end = (*log)->end();
  ASSERT_TRUE(Append(**log, 1).ok());
  ASSERT_EQ((*log)->Segments().size(), 2u);
  EXPECT_EQ(fs::file_size((*log)->SegmentPath(0)), first_end);  // cut to its length
  EXPECT_EQ(fs::file_size((*log)->SegmentPath(2)), bytes);
  // Filled to its end without growing (but for the commit that crosses it:
  // a commit is never split); then the next prepared one.
  while ((*log)->Segments().size() == 2) {
    ASSERT_TRUE(Append(**log, 3).ok());
    if ((*log)->Segments().size() == 2) {
      EXPECT_EQ(fs::file_size((*log)->SegmentPath(2)), std::max<uint64_t>(bytes, (*log)->end()));
    }
    for (int i = 0; i < 3000 && !(*log)->prepared(); ++i) absl::SleepFor(absl::Milliseconds(10));
  }
  const uint64_t size = (*log)->size();
  EXPECT_EQ(Records(**log).size(), size);
  log->reset();
  // A restart: the prepared file is made again, and the log reads whole.
  auto again = SegmentLog::Open(options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), size);
  EXPECT_EQ((*again)->recovery().discarded_bytes, 0u);
  EXPECT_TRUE((*again)->CheckTail().ok());
  EXPECT_EQ(Records(**again).size(), size);
  // Commits after the restart rewrite the last page from what it read.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(**again, 1).ok());
  EXPECT_EQ(Records(**again).size(), size + 5);
  again->reset();
  auto third = SegmentLog::Open(options);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->recovery().discarded_bytes, 0u);
  EXPECT_EQ(Records(**third).size(), size + 5);
}

// Written directly where the file system allows it (O_DIRECT), the
// unaligned end of a size that is not whole pages through the page cache;
// also on a tmpfs (which older kernels open without O_DIRECT only). Commits
// into it rewrite their first page from the bytes kept of it.
TEST_F(SegmentLogTest, SegmentsArePreparedWholeAhead) {
  PreparedWholeAhead(dir_, 16384);
  fs::remove_all(dir_);
  PreparedWholeAhead(dir_, 16384 + 100);
  const fs::path shm = "/dev/shm";
  if (fs::is_directory(shm)) {
    const fs::path dir = shm / fs::path(dir_).filename();
    fs::remove_all(dir);
    PreparedWholeAhead(dir, 16384);
    fs::remove_all(dir);
  }
}

// A flipped byte inside a commit that a later commit follows was
// acknowledged: opening refuses, naming where.
TEST_F(SegmentLogTest, AFlippedByteInAnAcknowledgedCommitIsDataLoss) {
  uint64_t after_first = 0;
  {
    auto log = Open();
    ASSERT_TRUE(Append(*log, 2).ok());
    after_first = log->end();
    ASSERT_TRUE(Append(*log, 2).ok());
    ASSERT_TRUE(Append(*log, 2).ok());
  }
  {
    std::fstream f(OnlySegment(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(after_first + 40));  // inside record 2's leaf
    f.put('#');
  }
  auto log = SegmentLog::Open({dir_, 1 << 20});
  ASSERT_EQ(log.status().code(), absl::StatusCode::kDataLoss) << log.status();
  EXPECT_NE(log.status().message().find("after record 2"), std::string::npos) << log.status();
}

// A torn commit at the start of a new segment: the segment is begun again
// and the note comes from the segment before.
TEST_F(SegmentLogTest, ATornFirstCommitOfASegment) {
  std::string second;
  {
    auto log = Open(/*segment_bytes=*/100);
    ASSERT_TRUE(Append(*log, 2).ok());
    ASSERT_TRUE(Append(*log, 2).ok());
    ASSERT_EQ(log->Segments().size(), 2u);
    second = log->SegmentPath(2);
  }
  fs::resize_file(second, 10);
  auto log = Open(100);
  EXPECT_EQ(log->size(), 2u);
  EXPECT_EQ(log->checkpoint(), "note 2");
  ASSERT_TRUE(Append(*log, 1).ok());
  EXPECT_EQ(Records(*log).size(), 3u);
}

TEST(SegmentFrames, GarbageIsRefusedNotParsed) {
  std::string buf;
  AppendFrame(FrameType::kRecord, "payload", &buf);
  Frame f;
  ASSERT_TRUE(ParseFrame(buf, 0, &f).ok());
  EXPECT_EQ(f.payload, "payload");
  for (size_t i = 0; i < buf.size(); ++i) {
    std::string damaged = buf;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(ParseFrame(damaged, 0, &f).ok()) << i;
  }
  EXPECT_EQ(ParseFrame(buf.substr(0, buf.size() - 1), 0, &f).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(DecodeCertificate("\xff\xff\xff\xff").ok());
  EXPECT_FALSE(DecodeCheckpoint("short").ok());
}

}  // namespace
}  // namespace sigverify::audit
