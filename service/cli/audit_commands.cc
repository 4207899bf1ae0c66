#include "service/cli/audit_commands.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "crypto/sha256.h"
#include "grpcpp/client_context.h"
#include "service/audit/checkpoint.h"
#include "service/audit/merkle.h"
#include "service/audit/segment_reader.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit/verify_shard.h"
#include "service/cli/connection.h"
#include "service/cli/exit_codes.h"
#include "service/cli/output.h"
#include "service/proto_time.h"
#include "sigverify/v1/audit.grpc.pb.h"

namespace sigverify::cli {
namespace {

// What every audit subcommand that asks the server has.
struct AuditOptions {
  Connection* connection = nullptr;  // shared by every subcommand
  std::string shard;                 // empty: the server's own
};

constexpr int kNotProven = kExitNotPassed;
constexpr int kError = kExitError;

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
int CheckEvidence(const AuditOptions& o, v1::AuditService::Stub& stub, const v1::AuditRecord& r) {
  auto matches = [](const std::string& der, const std::string& sha256) {
    return crypto::ToHex(crypto::Sha256(der)) == sha256;
  };
  int failed = 0;
  if (const std::string& fp = r.signer().sha256_fingerprint(); !fp.empty()) {
    v1::GetCertificateRequest request;
    request.set_sha256(fp);
    v1::GetCertificateResponse cert;
    grpc::ClientContext ctx;
    SetDeadline(*o.connection, &ctx);
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
      SetDeadline(*o.connection, &ctx);
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
std::string LatestCheckpoint(const AuditOptions& o, v1::AuditService::Stub& stub) {
  grpc::ClientContext ctx;
  SetDeadline(*o.connection, &ctx);
  v1::GetCheckpointRequest request;
  request.set_shard(o.shard);
  v1::GetCheckpointResponse response;
  const grpc::Status status = stub.GetCheckpoint(&ctx, request, &response);
  if (!status.ok()) Error("GetCheckpoint: " + status.error_message());
  return response.checkpoint();
}

struct QueryOptions : AuditOptions {
  std::string record_id, signer, serial, subject, caller, since, until, indication;
  int limit = 100;
  bool json = false;
  bool csv = false;
};

int AuditQuery(const QueryOptions& o, const std::shared_ptr<grpc::Channel>& channel) {
  v1::QueryRecordsRequest request;
  v1::RecordFilter* f = request.mutable_filter();
  f->set_shard(o.shard);
  f->set_record_id(o.record_id);
  f->set_signer_fingerprint(o.signer);
  f->set_signer_serial(o.serial);
  f->set_subject_contains(o.subject);
  f->set_caller(o.caller);
  if (!o.since.empty() && !ParseTime(o.since, f->mutable_since())) {
    return Error("--since is not an RFC 3339 time");
  }
  if (!o.until.empty() && !ParseTime(o.until, f->mutable_until())) {
    return Error("--until is not an RFC 3339 time");
  }
  if (!o.indication.empty()) {
    v1::Indication indication;
    if (!v1::Indication_Parse("INDICATION_" + o.indication, &indication)) {
      return Error("--indication must be TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE");
    }
    f->set_indication(indication);
  }
  const int limit = o.limit;
  const bool json = o.json, csv = o.csv;
  if (csv) {
    std::cout << "shard,sequence,time,method,record_id,signer,serial,indication,caller,"
                 "caller_certificate_sha256,caller_subject\n";
  }
  auto stub = v1::AuditService::NewStub(channel);
  int printed = 0;
  do {
    request.set_page_size(std::min(limit - printed, 1000));
    v1::QueryRecordsResponse response;
    grpc::ClientContext ctx;
    SetDeadline(*o.connection, &ctx);
    const grpc::Status status = stub->QueryRecords(&ctx, request, &response);
    if (!status.ok()) return Error("QueryRecords: " + status.error_message());
    for (const v1::AuditRecord& r : response.records()) {
      const std::string indication = v1::Indication_Name(r.indication()).substr(11);
      if (json) {
        std::cout << JsonLine(r) << "\n";
      } else if (csv) {
        std::cout << Csv(r.shard()) << "," << r.sequence() << "," << TimeOf(r.time()) << ","
                  << r.method() << "," << Csv(r.record_id()) << "," << Csv(r.signer().subject())
                  << "," << r.signer().serial_number() << "," << indication << ","
                  << Csv(r.caller()) << "," << r.caller_certificate_sha256() << ","
                  << Csv(r.caller_subject()) << "\n";
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

int AuditCheckpoint(const AuditOptions& o, const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::AuditService::NewStub(channel);
  const std::string note = LatestCheckpoint(o, *stub);
  if (note.empty()) return kError;
  std::cout << note;
  return 0;
}

struct ProveOptions : AuditOptions {
  uint64_t sequence = 0;
  std::string log_key;
  std::string checkpoint_file;
};

int AuditProve(const ProveOptions& o, const std::shared_ptr<grpc::Channel>& channel) {
  const std::string& key = o.log_key;
  auto stub = v1::AuditService::NewStub(channel);
  std::string note;
  if (!o.checkpoint_file.empty()) {
    note = ReadAll(o.checkpoint_file);
  } else {
    note = LatestCheckpoint(o, *stub);
    if (note.empty()) return kError;
  }
  auto checkpoint = audit::OpenCheckpoint(note, key);
  if (!checkpoint.ok()) return NotProven(std::string(checkpoint.status().message()));

  const uint64_t seq = o.sequence;
  v1::GetRecordRequest record_request;
  record_request.set_shard(o.shard);
  record_request.set_sequence(seq);
  v1::GetRecordResponse record;
  {
    grpc::ClientContext ctx;
    SetDeadline(*o.connection, &ctx);
    const grpc::Status status = stub->GetRecord(&ctx, record_request, &record);
    if (!status.ok()) return Error("GetRecord: " + status.error_message());
  }
  v1::GetInclusionProofRequest proof_request;
  proof_request.set_shard(o.shard);
  proof_request.set_sequence(seq);
  proof_request.set_tree_size(checkpoint->size);
  v1::GetInclusionProofResponse proof;
  {
    grpc::ClientContext ctx;
    SetDeadline(*o.connection, &ctx);
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
  return CheckEvidence(o, *stub, r);
}

struct ConsistencyOptions : AuditOptions {
  std::string log_key;
  std::string old_file;
  std::string new_file;
};

int AuditConsistency(const ConsistencyOptions& o, const std::shared_ptr<grpc::Channel>& channel) {
  const std::string& key = o.log_key;
  const std::string& old_file = o.old_file;
  const std::string& new_file = o.new_file;
  auto old_cp = audit::OpenCheckpoint(ReadAll(old_file), key);
  if (!old_cp.ok()) return NotProven(old_file + ": " + std::string(old_cp.status().message()));
  auto new_cp = audit::OpenCheckpoint(ReadAll(new_file), key);
  if (!new_cp.ok()) return NotProven(new_file + ": " + std::string(new_cp.status().message()));
  if (old_cp->origin != new_cp->origin) return NotProven("the checkpoints are of different logs");
  auto stub = v1::AuditService::NewStub(channel);
  v1::GetConsistencyProofRequest request;
  request.set_shard(o.shard);
  request.set_old_size(old_cp->size);
  request.set_new_size(new_cp->size);
  v1::GetConsistencyProofResponse response;
  grpc::ClientContext ctx;
  SetDeadline(*o.connection, &ctx);
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

struct VerifyShardOptions {
  std::string audit_db;
  std::string log_key;
  std::string shard;
  std::string checkpoint_file;
  std::string log_dir;
};

int AuditVerify(const VerifyShardOptions& o) {
  const std::string& db = o.audit_db;
  const std::string& key = o.log_key;
  const std::string& shard = o.shard;
  auto store = audit::SqliteAuditStore::Open(db);
  if (!store.ok()) return Error(std::string(store.status().message()));
  std::string note;
  if (!o.checkpoint_file.empty()) {
    note = ReadAll(o.checkpoint_file);
  } else {
    auto latest = (*store)->Checkpoint(shard, 0);
    if (!latest.ok()) return Error(std::string(latest.status().message()));
    note = *latest;
    std::cerr << "sigverify: no --checkpoint given: checking against the latest one in the "
                 "log (keep checkpoints elsewhere to detect a truncated log)\n";
  }
  // The segments are the log where they exist; the database is then its
  // index (and holds what predates them).
  const std::string segments_dir = o.log_dir.empty() ? db + ".segments" : o.log_dir;
  std::error_code ec;
  const bool segmented = std::filesystem::is_directory(segments_dir, ec);
  if (segmented) {
    // The database keeps where its records are in the segments.
    (*store)->ReadBodiesFrom(std::make_shared<audit::SegmentReader>(segments_dir, shard));
  }
  if (segmented && o.checkpoint_file.empty()) {
    // The latest checkpoint is the segments' (the index may be behind).
    std::string latest;
    auto log = audit::SegmentLog::ForReading(segments_dir);
    absl::Status scanned = log->Scan(0, [&](uint64_t, const audit::Frame& f) {
      if (f.type == audit::FrameType::kCheckpoint) {
        auto cp = audit::DecodeCheckpoint(f.payload);
        if (cp.ok() && !cp->note.empty()) latest = std::string(cp->note);
      }
      return absl::OkStatus();
    });
    if (!scanned.ok()) return NotProven(std::string(scanned.message()));
    if (!latest.empty()) note = latest;
  }
  auto verified = segmented
                      ? audit::VerifySegmentedShard(*audit::SegmentLog::ForReading(segments_dir),
                                                    **store, shard, note, key)
                      : audit::VerifyShard(**store, shard, note, key);
  if (!verified.ok()) return NotProven(std::string(verified.status().message()));
  if (segmented) {
    // The database is what QueryRecords and GetRecord answer from: its
    // copy must be the log's, up to where it has caught up.
    auto indexed = (*store)->Checkpoint(shard, 0);
    if (indexed.ok()) {
      auto index = audit::VerifyShard(**store, shard, *indexed, key);
      if (!index.ok()) {
        return NotProven(
            absl::StrCat("the database (the log's index): ", index.status().message()));
      }
      std::cout << "the database holds the first " << index->size << " of them, the same\n";
    }
  }
  std::cout << "shard " << shard << ": all " << verified->size
            << " records match the checkpoint signed by the log key (root " << Hex(verified->root)
            << ")\n";
  return 0;
}

// Runs `run` with a channel to the server, or fails with kError.
template <typename Options, typename Run>
std::function<void()> WithChannel(std::shared_ptr<Options> o, int* exit_code, Run run) {
  return [o, exit_code, run] {
    auto channel = OpenChannel(*o->connection);
    *exit_code = channel.ok() ? run(*o, *channel) : Error(std::string(channel.status().message()));
  };
}

void AddServerOptions(CLI::App& cmd, Connection& connection, AuditOptions& o) {
  o.connection = &connection;
  AddConnectionOptions(cmd, connection);
  cmd.add_option("--shard", o.shard, "the shard (instance id); default: the server's own");
}

void AddQuery(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand("audit-query", "Records matching filters, newest first");
  AddServerOptions(*cmd, connection, *o);
  cmd->add_option("--since", o->since, "verdicts at or after this time (RFC 3339)");
  cmd->add_option("--until", o->until, "verdicts before this time (RFC 3339)");
  cmd->add_option("--record-id", o->record_id, "the record id");
  cmd->add_option("--signer", o->signer, "the signer's SHA-256 fingerprint (hex)");
  cmd->add_option("--serial", o->serial, "the signer's serial (hex)");
  cmd->add_option("--subject", o->subject, "a substring of the signer's subject");
  cmd->add_option("--indication", o->indication, "the verdict")
      ->check(CLI::IsMember({"TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"}));
  cmd->add_option("--caller", o->caller,
                  "the caller: its client certificate's SHA-256 (hex), or its peer address "
                  "when it had none");
  cmd->add_option("--limit", o->limit, "at most this many records (pages are followed)")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  CLI::Option* json = cmd->add_flag("--json", o->json, "one line of JSON per record");
  cmd->add_flag("--csv", o->csv, "CSV with a header line")->excludes(json);
  cmd->callback(WithChannel(o, exit_code, AuditQuery));
}

void AddCheckpoint(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* cmd =
      app.add_subcommand("audit-checkpoint", "Print the latest signed checkpoint (to keep it)");
  AddServerOptions(*cmd, connection, *o);
  cmd->callback(WithChannel(o, exit_code, AuditCheckpoint));
}

void AddProve(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<ProveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "audit-prove",
      "Fetch a record, its inclusion proof and a checkpoint, and verify them with the log key");
  AddServerOptions(*cmd, connection, *o);
  cmd->add_option("--sequence", o->sequence, "the record's sequence number")->required();
  cmd->add_option("--log-key", o->log_key, "the log's verifier key (vkey)")->required();
  cmd->add_option("--checkpoint", o->checkpoint_file,
                  "a saved checkpoint to prove against (default: the latest)")
      ->check(CLI::ExistingFile);
  cmd->callback(WithChannel(o, exit_code, AuditProve));
}

void AddConsistency(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<ConsistencyOptions>();
  CLI::App* cmd = app.add_subcommand("audit-consistency",
                                     "Prove that a newer saved checkpoint extends an older one");
  AddServerOptions(*cmd, connection, *o);
  cmd->add_option("--old-checkpoint", o->old_file, "the older saved checkpoint")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--new-checkpoint", o->new_file, "the newer saved checkpoint")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--log-key", o->log_key, "the log's verifier key (vkey)")->required();
  cmd->callback(WithChannel(o, exit_code, AuditConsistency));
}

void AddVerifyShard(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<VerifyShardOptions>();
  CLI::App* cmd = app.add_subcommand(
      "audit-verify",
      "Re-verify a whole shard offline from the SQLite log: its segment files and database");
  cmd->add_option("--audit-db", o->audit_db, "the SQLite audit database (read only)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--shard", o->shard, "the shard (instance id)")->required();
  cmd->add_option("--log-key", o->log_key, "the log's verifier key (vkey)")->required();
  cmd->add_option("--checkpoint", o->checkpoint_file,
                  "a checkpoint kept elsewhere (default: the log's latest)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--audit-log-dir", o->log_dir,
                  "the log's segment files (default: <audit-db>.segments, when it exists)");
  cmd->callback([o, exit_code] { *exit_code = AuditVerify(*o); });
}

}  // namespace

void AddAuditCommands(CLI::App& app, Connection& connection, int* exit_code) {
  AddQuery(app, connection, exit_code);
  AddCheckpoint(app, connection, exit_code);
  AddProve(app, connection, exit_code);
  AddConsistency(app, connection, exit_code);
  AddVerifyShard(app, exit_code);
}

}  // namespace sigverify::cli
