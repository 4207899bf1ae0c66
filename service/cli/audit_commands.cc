#include "service/cli/audit_commands.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "crypto/sha256.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "service/audit/checkpoint.h"
#include "service/audit/merkle.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit/verify_shard.h"
#include "service/proto_time.h"
#include "sigverify/v1/audit.grpc.pb.h"

ABSL_FLAG(std::string, log_key, "",
          "audit: the log's verifier key (name+keyid+base64), as sigverifyd prints it at start");
ABSL_FLAG(std::string, shard, "", "audit: the shard (instance id); empty: the server's own");
ABSL_FLAG(uint64_t, sequence, 0, "audit-prove: the record's sequence number");
ABSL_FLAG(std::string, checkpoint, "",
          "audit: a saved checkpoint file to prove against (default: the latest one)");
ABSL_FLAG(std::string, old_checkpoint, "", "audit-consistency: the older saved checkpoint");
ABSL_FLAG(std::string, new_checkpoint, "", "audit-consistency: the newer saved checkpoint");
ABSL_FLAG(std::string, audit_db, "", "audit-verify: the SQLite audit database (read only)");
ABSL_FLAG(std::string, since, "", "audit-query: verdicts at or after this time (RFC 3339)");
ABSL_FLAG(std::string, until, "", "audit-query: verdicts before this time (RFC 3339)");
ABSL_FLAG(std::string, signer, "", "audit-query: the signer's SHA-256 fingerprint (hex)");
ABSL_FLAG(std::string, serial, "", "audit-query: the signer's serial (hex)");
ABSL_FLAG(std::string, subject, "", "audit-query: a substring of the signer's subject");
ABSL_FLAG(std::string, indication, "", "audit-query: TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE");
ABSL_FLAG(std::string, caller, "", "audit-query: the caller (peer address)");
ABSL_FLAG(int, limit, 100, "audit-query: at most this many records (pages are followed)");
ABSL_FLAG(bool, csv, false, "audit-query: CSV output");
ABSL_DECLARE_FLAG(std::string, record_id);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(absl::Duration, timeout);

namespace sigverify::cli {
namespace {

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
}

// The CLI's exit codes: 1 when something was checked and did not hold (a
// proof, a signature, a hash), 2 when it could not be checked (usage, a file,
// the connection, an RPC error).
constexpr int kNotProven = 1;
constexpr int kError = 2;

int Fail(const std::string& what, int code) {
  std::cerr << "sigverify: " << what << "\n";
  return code;
}
int NotProven(const std::string& what) { return Fail(what, kNotProven); }
int Error(const std::string& what) { return Fail(what, kError); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Hex(const audit::Hash& h) {
  return absl::BytesToHexString(std::string(h.begin(), h.end()));
}

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return false;
  *out = service::ToTimestamp(t);
  return true;
}

std::string TimeOf(const google::protobuf::Timestamp& t) { return service::FormatTimestamp(t); }

// One CSV field, quoted when it must be (RFC 4180).
std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  return "\"" + absl::StrReplaceAll(field, {{"\"", "\"\""}}) + "\"";
}

// A proof's hashes as the RPC carries them; false if one is not 32 bytes.
bool ProofHashes(const google::protobuf::RepeatedPtrField<std::string>& in,
                 std::vector<audit::Hash>* out) {
  for (const std::string& h : in) {
    if (h.size() != 32) return false;
    audit::Hash x;
    std::copy(h.begin(), h.end(), x.begin());
    out->push_back(x);
  }
  return true;
}

// The evidence a proven record names by hash: the signer's certificate and
// each revocation response, fetched from the log and re-hashed, so that the
// bytes are bound to the record the proof covers. 0 when all match.
int CheckEvidence(v1::AuditService::Stub& stub, const v1::AuditRecord& r) {
  auto matches = [](const std::string& der, const std::string& sha256) {
    return crypto::ToHex(crypto::Sha256(der)) == sha256;
  };
  int failed = 0;
  if (const std::string& fp = r.signer().sha256_fingerprint(); !fp.empty()) {
    v1::GetCertificateRequest request;
    request.set_sha256(fp);
    v1::GetCertificateResponse cert;
    grpc::ClientContext ctx;
    Deadline(&ctx);
    const grpc::Status status = stub.GetCertificate(&ctx, request, &cert);
    if (!status.ok()) {
      failed = Error("signer certificate " + fp + ": " + status.error_message());
    } else if (cert.der().empty()) {
      std::cout << "signer certificate " << fp << ": names only (its DER was not kept)\n";
    } else if (!matches(cert.der(), fp)) {
      failed = NotProven("signer certificate " + fp + ": the log's copy does NOT hash to it");
    } else {
      std::cout << "signer certificate " << fp << ": kept, SHA-256 matches\n";
    }
  }
  for (const v1::RevocationEvidence& e : r.revocation()) {
    for (const std::string& sha256 : e.response_sha256()) {
      v1::GetRevocationResponseRequest request;
      request.set_sha256(sha256);
      v1::GetRevocationResponseResponse response;
      grpc::ClientContext ctx;
      Deadline(&ctx);
      const grpc::Status status = stub.GetRevocationResponse(&ctx, request, &response);
      if (!status.ok()) {
        const int code = Error("revocation response " + sha256 + ": " + status.error_message());
        if (failed != kNotProven) failed = code;
      } else if (!matches(response.der(), sha256)) {
        failed =
            NotProven("revocation response " + sha256 + ": the log's copy does NOT hash to it");
      } else {
        std::cout << "revocation response " << sha256 << " (" << e.source() << ", "
                  << response.der().size() << " bytes): kept, SHA-256 matches\n";
      }
    }
  }
  return failed;
}

// The latest checkpoint of --shard, or an empty string (after a message).
std::string LatestCheckpoint(v1::AuditService::Stub& stub) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetCheckpointRequest request;
  request.set_shard(absl::GetFlag(FLAGS_shard));
  v1::GetCheckpointResponse response;
  const grpc::Status status = stub.GetCheckpoint(&ctx, request, &response);
  if (!status.ok()) Error("GetCheckpoint: " + status.error_message());
  return response.checkpoint();
}

}  // namespace

int AuditQuery(const std::shared_ptr<grpc::Channel>& channel) {
  v1::QueryRecordsRequest request;
  v1::RecordFilter* f = request.mutable_filter();
  f->set_shard(absl::GetFlag(FLAGS_shard));
  f->set_record_id(absl::GetFlag(FLAGS_record_id));
  f->set_signer_fingerprint(absl::GetFlag(FLAGS_signer));
  f->set_signer_serial(absl::GetFlag(FLAGS_serial));
  f->set_subject_contains(absl::GetFlag(FLAGS_subject));
  f->set_caller(absl::GetFlag(FLAGS_caller));
  if (const std::string s = absl::GetFlag(FLAGS_since);
      !s.empty() && !ParseTime(s, f->mutable_since())) {
    return Error("--since is not an RFC 3339 time");
  }
  if (const std::string s = absl::GetFlag(FLAGS_until);
      !s.empty() && !ParseTime(s, f->mutable_until())) {
    return Error("--until is not an RFC 3339 time");
  }
  if (const std::string s = absl::GetFlag(FLAGS_indication); !s.empty()) {
    v1::Indication indication;
    if (!v1::Indication_Parse("INDICATION_" + s, &indication)) {
      return Error("--indication must be TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE");
    }
    f->set_indication(indication);
  }
  const int limit = absl::GetFlag(FLAGS_limit);
  const bool json = absl::GetFlag(FLAGS_json), csv = absl::GetFlag(FLAGS_csv);
  if (csv) std::cout << "shard,sequence,time,method,record_id,signer,serial,indication,caller\n";
  auto stub = v1::AuditService::NewStub(channel);
  int printed = 0;
  do {
    request.set_page_size(std::min(limit - printed, 1000));
    v1::QueryRecordsResponse response;
    grpc::ClientContext ctx;
    Deadline(&ctx);
    const grpc::Status status = stub->QueryRecords(&ctx, request, &response);
    if (!status.ok()) return Error("QueryRecords: " + status.error_message());
    for (const v1::AuditRecord& r : response.records()) {
      const std::string indication = v1::Indication_Name(r.indication()).substr(11);
      if (json) {
        std::string line;
        google::protobuf::util::MessageToJsonString(r, &line);
        std::cout << line << "\n";
      } else if (csv) {
        std::cout << Csv(r.shard()) << "," << r.sequence() << "," << TimeOf(r.time()) << ","
                  << r.method() << "," << Csv(r.record_id()) << "," << Csv(r.signer().subject())
                  << "," << r.signer().serial_number() << "," << indication << ","
                  << Csv(r.caller()) << "\n";
      } else {
        std::cout << r.shard() << "#" << r.sequence() << "  " << TimeOf(r.time()) << "  "
                  << indication << "  " << r.record_id() << "  " << r.signer().subject() << "\n";
      }
      ++printed;
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && printed < limit);
  return 0;
}

int AuditCheckpoint(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::AuditService::NewStub(channel);
  const std::string note = LatestCheckpoint(*stub);
  if (note.empty()) return kError;
  std::cout << note;
  return 0;
}

int AuditProve(const std::shared_ptr<grpc::Channel>& channel) {
  const std::string key = absl::GetFlag(FLAGS_log_key);
  if (key.empty()) return Error("audit-prove needs --log-key (the log's verifier key)");
  auto stub = v1::AuditService::NewStub(channel);
  std::string note;
  if (const std::string file = absl::GetFlag(FLAGS_checkpoint); !file.empty()) {
    note = ReadAll(file);
  } else {
    note = LatestCheckpoint(*stub);
    if (note.empty()) return kError;
  }
  auto checkpoint = audit::OpenCheckpoint(note, key);
  if (!checkpoint.ok()) return NotProven(std::string(checkpoint.status().message()));

  const uint64_t seq = absl::GetFlag(FLAGS_sequence);
  v1::GetRecordRequest record_request;
  record_request.set_shard(absl::GetFlag(FLAGS_shard));
  record_request.set_sequence(seq);
  v1::GetRecordResponse record;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    const grpc::Status status = stub->GetRecord(&ctx, record_request, &record);
    if (!status.ok()) return Error("GetRecord: " + status.error_message());
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
    if (!status.ok()) return Error("GetInclusionProof: " + status.error_message());
  }
  std::vector<audit::Hash> hashes;
  if (!ProofHashes(proof.hashes(), &hashes)) return NotProven("a proof hash is not 32 bytes");
  const absl::Status verified = audit::VerifyInclusion(audit::LeafHash(record.leaf()), seq,
                                                       checkpoint->size, hashes, checkpoint->root);
  const v1::AuditRecord& r = record.record();
  std::cout << "record " << seq << " of " << r.shard() << ": " << r.method()
            << " record_id=" << r.record_id() << " signer=\"" << r.signer().subject() << "\" "
            << v1::Indication_Name(r.indication()) << " at " << service::FormatTimestamp(r.time())
            << "\n";
  if (!verified.ok()) {
    return NotProven("NOT included in the checkpoint of size " + std::to_string(checkpoint->size) +
                     ": " + std::string(verified.message()));
  }
  std::cout << "included in " << checkpoint->origin << " at size " << checkpoint->size << " (root "
            << Hex(checkpoint->root) << "), checkpoint signed by the log key\n";
  return CheckEvidence(*stub, r);
}

int AuditConsistency(const std::shared_ptr<grpc::Channel>& channel) {
  const std::string key = absl::GetFlag(FLAGS_log_key);
  const std::string old_file = absl::GetFlag(FLAGS_old_checkpoint);
  const std::string new_file = absl::GetFlag(FLAGS_new_checkpoint);
  if (key.empty() || old_file.empty() || new_file.empty()) {
    return Error("audit-consistency needs --old-checkpoint, --new-checkpoint and --log-key");
  }
  auto old_cp = audit::OpenCheckpoint(ReadAll(old_file), key);
  if (!old_cp.ok()) return NotProven(old_file + ": " + std::string(old_cp.status().message()));
  auto new_cp = audit::OpenCheckpoint(ReadAll(new_file), key);
  if (!new_cp.ok()) return NotProven(new_file + ": " + std::string(new_cp.status().message()));
  if (old_cp->origin != new_cp->origin) return NotProven("the checkpoints are of different logs");
  auto stub = v1::AuditService::NewStub(channel);
  v1::GetConsistencyProofRequest request;
  request.set_shard(absl::GetFlag(FLAGS_shard));
  request.set_old_size(old_cp->size);
  request.set_new_size(new_cp->size);
  v1::GetConsistencyProofResponse response;
  grpc::ClientContext ctx;
  Deadline(&ctx);
  const grpc::Status status = stub->GetConsistencyProof(&ctx, request, &response);
  if (!status.ok()) return Error("GetConsistencyProof: " + status.error_message());
  std::vector<audit::Hash> hashes;
  if (!ProofHashes(response.hashes(), &hashes)) return NotProven("a proof hash is not 32 bytes");
  const absl::Status verified =
      audit::VerifyConsistency(old_cp->size, new_cp->size, old_cp->root, new_cp->root, hashes);
  if (!verified.ok()) {
    return NotProven("the log of size " + std::to_string(new_cp->size) +
                     " does NOT extend the one of size " + std::to_string(old_cp->size) + ": " +
                     std::string(verified.message()));
  }
  std::cout << new_cp->origin << ": the tree of size " << new_cp->size
            << " extends the tree of size " << old_cp->size
            << " (both checkpoints signed by the log key)\n";
  return 0;
}

int AuditVerify() {
  const std::string db = absl::GetFlag(FLAGS_audit_db);
  const std::string key = absl::GetFlag(FLAGS_log_key);
  const std::string shard = absl::GetFlag(FLAGS_shard);
  if (db.empty() || key.empty() || shard.empty()) {
    return Error("audit-verify needs --audit-db, --log-key and --shard");
  }
  auto store = audit::SqliteAuditStore::Open(db);
  if (!store.ok()) return Error(std::string(store.status().message()));
  std::string note;
  if (const std::string file = absl::GetFlag(FLAGS_checkpoint); !file.empty()) {
    note = ReadAll(file);
  } else {
    auto latest = (*store)->Checkpoint(shard, 0);
    if (!latest.ok()) return Error(std::string(latest.status().message()));
    note = *latest;
    std::cerr << "sigverify: no --checkpoint given: checking against the latest one in the "
                 "database (keep checkpoints elsewhere to detect a truncated log)\n";
  }
  auto verified = audit::VerifyShard(**store, shard, note, key);
  if (!verified.ok()) return NotProven(std::string(verified.status().message()));
  std::cout << "shard " << shard << ": all " << verified->size
            << " records match the checkpoint signed by the log key (root " << Hex(verified->root)
            << ")\n";
  return 0;
}

}  // namespace sigverify::cli
