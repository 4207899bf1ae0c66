// Seeds for audit_fuzzer, one file per reader (the first byte picks it): a
// checkpoint note as the log signs them, audit records as the service
// writes them, and real inclusion and consistency proofs of small trees.
// Usage: audit_seeds OUT_DIR
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "service/audit/checkpoint.h"
#include "service/audit/merkle.h"
#include "service/audit/segment_log.h"
#include "sigverify/v1/audit.pb.h"

namespace audit = sigverify::audit;

namespace {

void Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

std::string U64(uint64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

std::string Concat(const std::vector<audit::Hash>& hashes) {
  std::string s;
  for (const audit::Hash& h : hashes) s.append(reinterpret_cast<const char*>(h.data()), h.size());
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: audit_seeds OUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto signer = audit::CheckpointSigner::Generate("sigverify/seeds");
  if (!signer.ok()) return 1;
  std::vector<audit::Hash> leaves;
  for (int i = 0; i < 13; ++i) leaves.push_back(audit::LeafHash(std::to_string(i)));
  const auto nodes = audit::NodesFromLeaves(&leaves);
  audit::Checkpoint checkpoint{"sigverify/seeds", 13, *audit::RootAt(nodes, 13)};
  Write(dir, "checkpoint", std::string(1, '\0') + *signer->Sign(checkpoint));

  sigverify::v1::AuditRecord record;
  record.set_shard("seeds");
  record.set_sequence(7);
  record.set_method("Verify");
  record.set_caller("ipv4:127.0.0.1:40000");
  record.set_caller_certificate_sha256(std::string(64, 'a'));
  record.set_caller_subject("CN=Hệ thống quản lý văn bản,C=VN");
  record.set_record_id("QĐ-123");
  record.set_data_hash(std::string(32, '\x11'));
  record.set_indication(sigverify::v1::INDICATION_TOTAL_PASSED);
  record.add_path(std::string(64, 'b'));
  record.set_validation_time_attested(true);
  Write(dir, "record", std::string(1, '\1') + record.SerializeAsString());

  // A segment of two commits (a certificate, a response, three records),
  // whole and with its last commit torn, as frames (4) and as a file (5).
  {
    const std::string seg_dir = dir + "/segment.tmp";
    std::filesystem::remove_all(seg_dir);
    auto log = audit::SegmentLog::Open({seg_dir});
    if (!log.ok()) return 1;
    std::vector<audit::LeafRow> rows(3);
    for (uint64_t i = 0; i < rows.size(); ++i) {
      record.set_sequence(i);
      rows[i].sequence = i;
      rows[i].leaf = record.SerializeAsString();
      rows[i].leaf_hash = audit::LeafHash(rows[i].leaf);
    }
    rows[0].signer = {std::string(64, 'c'), "CN=Nguyễn Văn An", "CN=CA", "01", "DER"};
    rows[0].responses.push_back(
        {std::make_shared<const std::string>("OCSP"), std::string(64, 'd')});
    if (!(*log)->Commit({rows.data(), 1}, 1, *signer->Sign(checkpoint)).ok()) return 1;
    if (!(*log)->Commit({rows.data() + 1, 2}, 3, *signer->Sign(checkpoint)).ok()) return 1;
    std::ifstream in((*log)->SegmentPath(0), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    log->reset();
    std::filesystem::remove_all(seg_dir);
    Write(dir, "segment-frames", std::string(1, '\4') + bytes);
    Write(dir, "segment", std::string(1, '\5') + bytes);
    Write(dir, "segment-torn", std::string(1, '\5') + bytes.substr(0, bytes.size() - 9));
  }

  for (uint64_t size : {1, 2, 5, 13}) {
    for (uint64_t index = 0; index < size; index += 2) {
      auto proof = audit::InclusionProof(nodes, index, size);
      if (proof.ok()) {
        Write(dir, "inclusion-" + std::to_string(index) + "-" + std::to_string(size),
              std::string(1, '\2') + U64(index) + U64(size) + Concat(*proof));
      }
    }
    for (uint64_t old_size = 1; old_size <= size; old_size += 3) {
      auto proof = audit::ConsistencyProof(nodes, old_size, size);
      if (proof.ok()) {
        Write(dir, "consistency-" + std::to_string(old_size) + "-" + std::to_string(size),
              std::string(1, '\3') + U64(old_size) + U64(size) + Concat(*proof));
      }
    }
  }
  return 0;
}
