#include "service/cli/audit_commands.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "service/audit/checkpoint.h"
#include "service/audit/merkle.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit/verify_shard.h"
#include "sigverify/v1/audit.grpc.pb.h"

ABSL_FLAG(std::string, log_key, "",
          "audit: the log's verifier key (name+keyid+base64), as sigverifyd prints it at start");
ABSL_FLAG(std::string, shard, "", "audit: the shard (instance id); empty: the server's own");
ABSL_FLAG(uint64_t, sequence, 0, "audit-prove: the record's sequence number");
ABSL_FLAG(std::string, checkpoint, "",
          "audit: a saved checkpoint file to prove against (default: the latest one)");
ABSL_FLAG(std::string, audit_db, "", "audit-verify: the SQLite audit database (read only)");

namespace sigverify::cli {
namespace {

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

int Fail(const std::string& what) {
  std::cerr << "sigverify: " << what << "\n";
  return 1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Hex(const audit::Hash& h) {
  return absl::BytesToHexString(std::string(h.begin(), h.end()));
}

// The latest checkpoint of --shard, or an empty string (after a message).
std::string LatestCheckpoint(v1::AuditService::Stub& stub) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetCheckpointRequest request;
  request.set_shard(absl::GetFlag(FLAGS_shard));
  v1::GetCheckpointResponse response;
  const grpc::Status status = stub.GetCheckpoint(&ctx, request, &response);
  if (!status.ok()) Fail("GetCheckpoint: " + status.error_message());
  return response.checkpoint();
}

}  // namespace

int AuditCheckpoint(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::AuditService::NewStub(channel);
  const std::string note = LatestCheckpoint(*stub);
  if (note.empty()) return 1;
  std::cout << note;
  return 0;
}

int AuditProve(const std::shared_ptr<grpc::Channel>& channel) {
  const std::string key = absl::GetFlag(FLAGS_log_key);
  if (key.empty()) return Fail("audit-prove needs --log-key (the log's verifier key)");
  auto stub = v1::AuditService::NewStub(channel);
  std::string note;
  if (const std::string file = absl::GetFlag(FLAGS_checkpoint); !file.empty()) {
    note = ReadAll(file);
  } else {
    note = LatestCheckpoint(*stub);
    if (note.empty()) return 1;
  }
  auto checkpoint = audit::OpenCheckpoint(note, key);
  if (!checkpoint.ok()) return Fail(std::string(checkpoint.status().message()));

  const uint64_t seq = absl::GetFlag(FLAGS_sequence);
  v1::GetRecordRequest record_request;
  record_request.set_shard(absl::GetFlag(FLAGS_shard));
  record_request.set_sequence(seq);
  v1::GetRecordResponse record;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    const grpc::Status status = stub->GetRecord(&ctx, record_request, &record);
    if (!status.ok()) return Fail("GetRecord: " + status.error_message());
  }
  v1::GetInclusionProofRequest proof_request;
  proof_request.set_shard(absl::GetFlag(FLAGS_shard));
  proof_request.set_sequence(seq);
  proof_request.set_tree_size(checkpoint->size);
  v1::GetInclusionProofResponse proof;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    const grpc::Status status = stub->GetInclusionProof(&ctx, proof_request, &proof);
    if (!status.ok()) return Fail("GetInclusionProof: " + status.error_message());
  }
  std::vector<audit::Hash> hashes;
  for (const std::string& h : proof.hashes()) {
    if (h.size() != 32) return Fail("a proof hash is not 32 bytes");
    audit::Hash x;
    std::copy(h.begin(), h.end(), x.begin());
    hashes.push_back(x);
  }
  const absl::Status verified = audit::VerifyInclusion(audit::LeafHash(record.leaf()), seq,
                                                       checkpoint->size, hashes, checkpoint->root);
  const v1::AuditRecord& r = record.record();
  std::cout << "record " << seq << " of " << r.shard() << ": " << r.method()
            << " record_id=" << r.record_id() << " signer=\"" << r.signer().subject() << "\" "
            << v1::Indication_Name(r.indication()) << " at "
            << absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(r.time().seconds()),
                                absl::UTCTimeZone())
            << "\n";
  if (!verified.ok()) {
    return Fail("NOT included in the checkpoint of size " + std::to_string(checkpoint->size) +
                ": " + std::string(verified.message()));
  }
  std::cout << "included in " << checkpoint->origin << " at size " << checkpoint->size << " (root "
            << Hex(checkpoint->root) << "), checkpoint signed by the log key\n";
  return 0;
}

int AuditVerify() {
  const std::string db = absl::GetFlag(FLAGS_audit_db);
  const std::string key = absl::GetFlag(FLAGS_log_key);
  const std::string shard = absl::GetFlag(FLAGS_shard);
  if (db.empty() || key.empty() || shard.empty()) {
    return Fail("audit-verify needs --audit-db, --log-key and --shard");
  }
  auto store = audit::SqliteAuditStore::Open(db);
  if (!store.ok()) return Fail(std::string(store.status().message()));
  std::string note;
  if (const std::string file = absl::GetFlag(FLAGS_checkpoint); !file.empty()) {
    note = ReadAll(file);
  } else {
    auto latest = (*store)->Checkpoint(shard, 0);
    if (!latest.ok()) return Fail(std::string(latest.status().message()));
    note = *latest;
    std::cerr << "sigverify: no --checkpoint given: checking against the latest one in the "
                 "database (keep checkpoints elsewhere to detect a truncated log)\n";
  }
  auto verified = audit::VerifyShard(**store, shard, note, key);
  if (!verified.ok()) return Fail(std::string(verified.status().message()));
  std::cout << "shard " << shard << ": all " << verified->size
            << " records match the checkpoint signed by the log key (root " << Hex(verified->root)
            << ")\n";
  return 0;
}

}  // namespace sigverify::cli
