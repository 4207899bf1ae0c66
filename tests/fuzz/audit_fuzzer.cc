// libFuzzer target: what an auditor's tools read from the log. The first
// byte picks the reader:
//   0: a signed note as a checkpoint, under a fixed verifier key;
//   1: a leaf (AuditRecord), decoded and hashed as the log hashes it;
//   2: an inclusion proof (index, size, hashes) against a root;
//   3: a consistency proof (sizes, hashes) between two roots;
//   4: segment frames: each that parses is decoded, and encodes back to the
//      same bytes;
//   5: a whole segment file, opened (recovered) as the log's last segment:
//      a log that opens scans without error, counts the records it says it
//      holds, and opens again unchanged.
// Nothing may crash, and a proof that verifies must be one the log could
// have made: checked against a tree built from the same leaves.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "service/audit/checkpoint.h"
#include "service/audit/merkle.h"
#include "service/audit/segment_log.h"
#include "sigverify/v1/audit.pb.h"

namespace {

namespace audit = sigverify::audit;

const audit::CheckpointSigner& Signer() {
  static const auto* signer = [] {
    auto s = audit::CheckpointSigner::Generate("sigverify/fuzz");
    if (!s.ok()) std::abort();
    return new audit::CheckpointSigner(*std::move(s));
  }();
  return *signer;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

uint64_t Take64(const uint8_t*& p, size_t& n) {
  uint64_t v = 0;
  const size_t k = n < 8 ? n : 8;
  std::memcpy(&v, p, k);
  p += k;
  n -= k;
  return v;
}

// A tree of `n` leaves, "0", "1", ...
std::vector<audit::Hash> Leaves(uint64_t n) {
  std::vector<audit::Hash> leaves;
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(audit::LeafHash(std::to_string(i)));
  return leaves;
}

std::vector<audit::Hash> Hashes(const uint8_t* p, size_t n) {
  std::vector<audit::Hash> out;
  while (n >= 32 && out.size() < 80) {
    audit::Hash h;
    std::memcpy(h.data(), p, 32);
    out.push_back(h);
    p += 32;
    n -= 32;
  }
  return out;
}

void Frames(std::string_view bytes) {
  audit::Frame f;
  for (size_t off = 0; off < bytes.size();) {
    auto end = audit::ParseFrame(bytes, off, &f);
    if (!end.ok()) break;
    std::string again;
    audit::AppendFrame(f.type, f.payload, &again);
    Check(again == bytes.substr(off, *end - off));
    if (f.type == audit::FrameType::kCertificate) {
      auto row = audit::DecodeCertificate(f.payload);
      if (row.ok()) Check(audit::EncodeCertificate(*row) == f.payload);
    } else if (f.type == audit::FrameType::kCheckpoint) {
      (void)audit::DecodeCheckpoint(f.payload);
    }
    off = *end;
  }
}

// A directory of this process's, removed when it exits.
const std::string& SegmentDir() {
  static const std::string* dir = [] {
    auto* d = new std::string((std::filesystem::temp_directory_path() /
                               ("sigverify-fuzz-segments-" + std::to_string(getpid())))
                                  .string());
    std::atexit([] { std::filesystem::remove_all(SegmentDir()); });
    return d;
  }();
  return *dir;
}

void Segment(std::string_view bytes) {
  const std::string& dir = SegmentDir();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/00000000000000000000.seg", std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto log = audit::SegmentLog::Open({dir});
  if (!log.ok()) return;  // damage inside an acknowledged commit: refused
  uint64_t records = 0;
  const absl::Status scanned = (*log)->Scan(0, [&](uint64_t sequence, const audit::Frame& f) {
    if (f.type == audit::FrameType::kRecord) Check(sequence == records++);
    return absl::OkStatus();
  });
  Check(scanned.ok() && records == (*log)->size() && (*log)->CheckTail().ok());
  const uint64_t size = (*log)->size();
  log->reset();
  auto again = audit::SegmentLog::Open({dir});
  Check(again.ok() && (*again)->size() == size && (*again)->recovery().discarded_bytes == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 6;
  const uint8_t* p = data + 1;
  size_t n = size - 1;
  switch (mode) {
    case 0: {
      auto checkpoint = audit::OpenCheckpoint(std::string(reinterpret_cast<const char*>(p), n),
                                              Signer().VerifierKey());
      // Only a note the key signed opens, and no fuzzer can sign.
      Check(!checkpoint.ok());
      break;
    }
    case 1: {
      sigverify::v1::AuditRecord record;
      if (record.ParseFromArray(p, static_cast<int>(n))) {
        std::string leaf;
        record.SerializeToString(&leaf);
        (void)audit::LeafHash(leaf);
      }
      break;
    }
    case 2: {
      // A small tree of leaves from the input; any proof from the input.
      const uint64_t index = Take64(p, n) % 64;
      const uint64_t size_ = Take64(p, n) % 64;
      const std::vector<audit::Hash> leaves = Leaves(size_);
      const auto nodes = audit::NodesFromLeaves(&leaves);
      const std::vector<audit::Hash> proof = Hashes(p, n);
      const audit::Hash leaf = audit::LeafHash(std::to_string(index));
      auto root = audit::RootAt(nodes, size_);
      if (!root.ok()) break;
      if (audit::VerifyInclusion(leaf, index, size_, proof, *root).ok()) {
        auto real = audit::InclusionProof(nodes, index, size_);
        Check(real.ok() && *real == proof);
      }
      break;
    }
    case 3: {
      const uint64_t old_size = Take64(p, n) % 64;
      const uint64_t new_size = Take64(p, n) % 64;
      const std::vector<audit::Hash> leaves = Leaves(new_size);
      const auto nodes = audit::NodesFromLeaves(&leaves);
      auto old_root = audit::RootAt(nodes, old_size <= new_size ? old_size : new_size);
      auto new_root = audit::RootAt(nodes, new_size);
      if (!old_root.ok() || !new_root.ok()) break;
      const std::vector<audit::Hash> proof = Hashes(p, n);
      if (old_size <= new_size &&
          audit::VerifyConsistency(old_size, new_size, *old_root, *new_root, proof).ok()) {
        auto real = audit::ConsistencyProof(nodes, old_size, new_size);
        Check(real.ok() && *real == proof);
      }
      break;
    }
    case 4:
      Frames(std::string_view(reinterpret_cast<const char*>(p), n));
      break;
    case 5:
      Segment(std::string_view(reinterpret_cast<const char*>(p), n));
      break;
  }
  return 0;
}
