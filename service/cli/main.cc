// sigverify: command-line client of sigverifyd.
//
//   sigverify verify --data=doc.pdf --sig=doc.sig --cert=signer.pem --chain=ca.pem
//       --alg=rsa-pkcs1-sha256
//   sigverify batch --input=records.jsonl
//   sigverify validate --cert=signer.pem --chain=ca.pem
//
// Exit status: 0 when every record is TOTAL_PASSED, 1 when any is not, 2 on
// a usage, input or RPC error.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "crypto/trust_profile.h"
#include "nlohmann/json.hpp"
#include "service/cli/audit_commands.h"
#include "service/cli/request_builder.h"
#include "service/flags.h"
#include "service/proto_time.h"
#include "sigverify/v1/verification.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "sigverifyd address");
ABSL_FLAG(std::string, tls_ca, "", "CA bundle (PEM) to verify the server; enables TLS");
ABSL_FLAG(std::string, data, "", "file with the signed data");
ABSL_FLAG(std::string, digest, "", "hex digest of the signed data (instead of --data)");
ABSL_FLAG(std::string, sig, "", "file with the signature");
ABSL_FLAG(std::string, cert, "", "signer certificate (PEM or DER)");
ABSL_FLAG(std::vector<std::string>, chain, {}, "intermediate certificates, comma-separated");
ABSL_FLAG(std::string, alg, "rsa-pkcs1-sha256", "signature algorithm");
ABSL_FLAG(std::string, time, "", "validation time, RFC 3339 (default: the server's clock)");
ABSL_FLAG(std::string, record_id, "", "record id echoed in the answer");
ABSL_FLAG(
    std::string, policy, "",
    "validation policy (default: the server's 'default'; e.g. 'legacy' for the G1 hierarchy)");
ABSL_FLAG(std::string, language, "", "language of the messages: vi (the server's default) or en");
ABSL_FLAG(std::vector<std::string>, ocsp, {},
          "DER OCSP responses to staple to the request (verify, validate), comma-separated files");
ABSL_FLAG(std::vector<std::string>, crl, {},
          "DER CRLs to send with the request (verify, validate), comma-separated files");
ABSL_FLAG(std::string, input, "", "batch: JSON Lines file, one record per line");
ABSL_FLAG(int, batch_size, 500, "batch: records per VerifyBatch call");
ABSL_FLAG(bool, json, false, "machine-readable output (JSON, one object per record)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(60), "deadline of each call");

namespace sigverify::cli {
namespace {

std::string ShortName(const std::string& enum_name, const char* prefix) {
  return enum_name.rfind(prefix, 0) == 0 ? enum_name.substr(strlen(prefix)) : enum_name;
}

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return sigverify::service::FormatTimestamp(t);
}

nlohmann::json RevocationJson(const v1::RevocationEvidence& e) {
  nlohmann::json out = {{"position", e.position()}, {"status", e.status()}};
  if (!e.source().empty()) out["source"] = e.source();
  if (e.has_this_update()) {
    out["from_cache"] = e.from_cache();
    out["this_update"] = Rfc3339(e.this_update());
    out["next_update"] = Rfc3339(e.next_update());
    out["responder"] = e.responder();
  }
  if (!e.location().empty()) out["location"] = e.location();
  if (e.response_sha256_size() > 0) {
    out["response_sha256"] =
        std::vector<std::string>(e.response_sha256().begin(), e.response_sha256().end());
  }
  if (e.has_revocation_time()) {
    out["revocation_time"] = Rfc3339(e.revocation_time());
    out["revocation_reason"] = e.revocation_reason();
  }
  if (!e.detail().empty()) out["detail"] = e.detail();
  return out;
}

nlohmann::json CertificateJson(const v1::Certificate& c) {
  auto ts = [](const google::protobuf::Timestamp& t) { return Rfc3339(t); };
  return {{"subject", c.subject()},
          {"issuer", c.issuer()},
          {"serial_number", c.serial_number()},
          {"sha256_fingerprint", c.sha256_fingerprint()},
          {"not_before", ts(c.not_before())},
          {"not_after", ts(c.not_after())}};
}

// The record id and the certificate judged: the signer for Verify, the
// certificate itself for ValidateCertificate.
std::string RecordId(const v1::VerifyResponse& r) { return r.record_id(); }
std::string RecordId(const v1::ValidateCertificateResponse&) { return {}; }
const v1::Certificate& Subject(const v1::VerifyResponse& r) { return r.signer(); }
const v1::Certificate& Subject(const v1::ValidateCertificateResponse& r) { return r.certificate(); }
const char* SubjectRole(const v1::VerifyResponse&) { return "signer"; }
const char* SubjectRole(const v1::ValidateCertificateResponse&) { return "certificate"; }

template <typename Response>
nlohmann::json ResponseJson(const Response& r) {
  nlohmann::json path = nlohmann::json::array();
  for (const auto& c : r.path()) path.push_back(CertificateJson(c));
  nlohmann::json out = {
      {"indication", ShortName(v1::Indication_Name(r.indication()), "INDICATION_")},
      {"sub_indication", ShortName(v1::SubIndication_Name(r.sub_indication()), "SUB_INDICATION_")},
      {"message", r.message()},
      {SubjectRole(r), CertificateJson(Subject(r))},
      {"path", path},
      {"validation_time_from_request", r.validation_time_from_request()},
      {"trust_store_version", r.trust_store_version()},
      {"policy", r.policy()}};
  if (!RecordId(r).empty()) out["record_id"] = RecordId(r);
  if (r.revocation_size() > 0) {
    nlohmann::json revocation = nlohmann::json::array();
    for (const auto& e : r.revocation()) revocation.push_back(RevocationJson(e));
    out["revocation"] = revocation;
  }
  if (r.has_failed_check()) {
    nlohmann::json failed = {{"check", r.failed_check().check()},
                             {"position", r.failed_check().position()}};
    if (r.failed_check().has_certificate()) {
      failed["certificate"] = CertificateJson(r.failed_check().certificate());
    }
    out["failed_check"] = failed;
  }
  return out;
}

template <typename Response>
void PrintHuman(const Response& r) {
  const bool passed = r.indication() == v1::INDICATION_TOTAL_PASSED;
  const std::string id = RecordId(r);
  std::string line = absl::StrCat(id.empty() ? "" : id + ": ",
                                  ShortName(v1::Indication_Name(r.indication()), "INDICATION_"));
  if (!passed) {
    absl::StrAppend(&line, " / ",
                    ShortName(v1::SubIndication_Name(r.sub_indication()), "SUB_INDICATION_"));
  }
  absl::StrAppend(&line, " - ", r.message());
  std::cout << line << "\n";
  const v1::Certificate& who = Subject(r);
  if (!who.subject().empty()) {
    std::cout << "  " << SubjectRole(r) << ": " << who.subject()
              << "\n  serial: " << who.serial_number() << "  sha256: " << who.sha256_fingerprint()
              << "\n";
  }
  for (int i = 0; i < r.path_size(); ++i) {
    std::cout << "  path[" << i << "]: " << r.path(i).subject() << "\n";
  }
  for (const auto& e : r.revocation()) {
    std::cout << "  revocation[" << e.position() - 1 << "]: " << e.status();
    if (!e.source().empty())
      std::cout << " (" << e.source() << (e.from_cache() ? ", cached" : "") << ")";
    if (e.has_next_update()) std::cout << " until " << Rfc3339(e.next_update());
    if (!e.detail().empty()) std::cout << " - " << e.detail();
    std::cout << "\n";
  }
}

std::shared_ptr<grpc::Channel> OpenChannel() {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  const std::string ca = absl::GetFlag(FLAGS_tls_ca);
  if (!ca.empty()) {
    auto pem = ReadFileBytes(ca);
    if (!pem.ok()) {
      std::cerr << "sigverify: " << pem.status().message() << "\n";
      return nullptr;
    }
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *pem;
    creds = grpc::SslCredentials(options);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), creds, args);
}

std::unique_ptr<v1::VerificationService::Stub> Connect() {
  std::shared_ptr<grpc::Channel> channel = OpenChannel();
  return channel ? v1::VerificationService::NewStub(channel) : nullptr;
}

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
}

// Prints one answer; the exit status says whether it passed.
template <typename Response>
int Report(const char* command, const grpc::Status& status, const Response& response) {
  if (!status.ok()) {
    std::cerr << "sigverify " << command << ": call failed (" << status.error_code()
              << "): " << status.error_message() << "\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ResponseJson(response).dump() << "\n";
  } else {
    PrintHuman(response);
  }
  return response.indication() == v1::INDICATION_TOTAL_PASSED ? 0 : 1;
}

// Sets what every single-record request carries from the flags: policy,
// language, stapled OCSP responses and CRLs. False (after a message) on a
// file that cannot be read.
template <typename Request>
bool ApplyCommonFlags(const char* command, Request* request) {
  request->set_policy(absl::GetFlag(FLAGS_policy));
  request->set_language(absl::GetFlag(FLAGS_language));
  const std::pair<const char*, google::protobuf::RepeatedPtrField<std::string>*> files[] = {
      {"ocsp", request->mutable_ocsp_responses()}, {"crl", request->mutable_crls()}};
  for (const auto& [flag, field] : files) {
    for (const std::string& file :
         flag == std::string("ocsp") ? absl::GetFlag(FLAGS_ocsp) : absl::GetFlag(FLAGS_crl)) {
      auto der = ReadFileBytes(file);
      if (!der.ok()) {
        std::cerr << "sigverify " << command << ": --" << flag << ": " << der.status().message()
                  << "\n";
        return false;
      }
      field->Add(*std::move(der));
    }
  }
  return true;
}

int VerifyOne() {
  RecordFiles f;
  f.record_id = absl::GetFlag(FLAGS_record_id);
  f.data_file = absl::GetFlag(FLAGS_data);
  f.digest_hex = absl::GetFlag(FLAGS_digest);
  f.signature_file = absl::GetFlag(FLAGS_sig);
  f.certificate_file = absl::GetFlag(FLAGS_cert);
  f.chain_files = absl::GetFlag(FLAGS_chain);
  f.algorithm = absl::GetFlag(FLAGS_alg);
  f.validation_time = absl::GetFlag(FLAGS_time);
  if (f.signature_file.empty() || f.certificate_file.empty()) {
    std::cerr << "sigverify verify: --sig and --cert are required\n";
    return 2;
  }
  auto request = BuildRequest(f);
  if (!request.ok()) {
    std::cerr << "sigverify verify: " << request.status().message() << "\n";
    return 2;
  }
  if (!ApplyCommonFlags("verify", &*request)) return 2;
  auto stub = Connect();
  if (!stub) return 2;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::VerifyResponse response;
  return Report("verify", stub->Verify(&ctx, *request, &response), response);
}

int ValidateOne() {
  if (absl::GetFlag(FLAGS_cert).empty()) {
    std::cerr << "sigverify validate: --cert is required\n";
    return 2;
  }
  auto request = BuildValidateRequest(absl::GetFlag(FLAGS_cert), absl::GetFlag(FLAGS_chain),
                                      absl::GetFlag(FLAGS_time));
  if (!request.ok()) {
    std::cerr << "sigverify validate: " << request.status().message() << "\n";
    return 2;
  }
  if (!ApplyCommonFlags("validate", &*request)) return 2;
  auto stub = Connect();
  if (!stub) return 2;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ValidateCertificateResponse response;
  return Report("validate", stub->ValidateCertificate(&ctx, *request, &response), response);
}

// Prints a built-in trust profile's anchors with their fingerprints, so an
// operator can compare them with the CA's publication before enabling it.
int ShowTrustProfile(const std::string& name) {
  if (name.empty()) {
    for (const std::string& n : crypto::TrustProfileNames()) std::cout << n << "\n";
    return 0;
  }
  auto profile = crypto::LoadTrustProfile(name);
  if (!profile.ok()) {
    std::cerr << "sigverify trust-profile: " << profile.status().message() << "\n";
    return 2;
  }
  for (const auto& [role, certs] : {std::pair{"anchor", &profile->anchors},
                                    std::pair{"intermediate", &profile->intermediates}}) {
    for (const crypto::CertificatePtr& c : *certs) {
      if (absl::GetFlag(FLAGS_json)) {
        std::cout << nlohmann::json{{"profile", name},
                                    {"role", role},
                                    {"subject", c->subject()},
                                    {"not_before", crypto::FormatUtc(c->not_before())},
                                    {"not_after", crypto::FormatUtc(c->not_after())},
                                    {"sha256_fingerprint", c->fingerprint_hex()}}
                         .dump()
                  << "\n";
        continue;
      }
      std::cout << role << ": " << c->subject() << "\n  valid   "
                << crypto::FormatUtc(c->not_before()) << " to " << crypto::FormatUtc(c->not_after())
                << "\n  SHA-256 " << absl::AsciiStrToUpper(c->fingerprint_hex()) << "\n";
      for (const auto& [fingerprint, anchor] : profile->config.anchors) {
        if (fingerprint != c->fingerprint_hex()) continue;
        for (const std::string& oid : anchor.required_certificate_policies) {
          std::cout << "  every path must be valid for certificate policy " << oid << "\n";
        }
        if (!anchor.validation_policies.empty()) {
          std::cout << "  used only under validation policy "
                    << absl::StrJoin(anchor.validation_policies, ", ") << "\n";
        }
      }
    }
  }
  for (const crypto::ValidationPolicy& p : profile->config.policies) {
    if (!absl::GetFlag(FLAGS_json) && p.legacy.has_value()) {
      std::cout << "validation policy " << p.name << ": SHA-1 "
                << (p.legacy->allow_sha1 ? "accepted" : "refused")
                << ", RSA >= " << p.legacy->min_rsa_bits << " for validation times before "
                << crypto::FormatUtc(p.legacy_until) << "; as default after\n";
    }
  }
  return 0;
}

void Progress(size_t done, size_t total) {
  constexpr int kWidth = 40;
  const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\n");
}

int VerifyBatch() {
  const std::string input = absl::GetFlag(FLAGS_input);
  std::ifstream in(input);
  if (!in) {
    std::cerr << "sigverify batch: cannot open --input=" << input << "\n";
    return 2;
  }
  const std::string base =
      input.find('/') == std::string::npos ? std::string(".") : input.substr(0, input.rfind('/'));
  std::vector<v1::VerifyRequest> requests;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      std::cerr << "sigverify batch: " << input << ":" << n << ": not JSON\n";
      return 2;
    }
    auto r = BuildRequestFromJson(json, base);
    if (!r.ok()) {
      std::cerr << "sigverify batch: " << input << ":" << n << ": " << r.status().message() << "\n";
      return 2;
    }
    // A record's own "policy" wins over --policy.
    if (r->policy().empty()) r->set_policy(absl::GetFlag(FLAGS_policy));
    r->set_language(absl::GetFlag(FLAGS_language));
    requests.push_back(*std::move(r));
  }
  auto stub = Connect();
  if (!stub) return 2;
  const bool json = absl::GetFlag(FLAGS_json);
  const bool progress = isatty(STDERR_FILENO) != 0;
  const size_t batch = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_batch_size)));
  size_t passed = 0, failed = 0, indeterminate = 0, errors = 0;
  for (size_t begin = 0; begin < requests.size(); begin += batch) {
    v1::VerifyBatchRequest req;
    for (size_t i = begin; i < std::min(requests.size(), begin + batch); ++i) {
      *req.add_requests() = requests[i];
    }
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VerifyBatchResponse resp;
    grpc::Status s = stub->VerifyBatch(&ctx, req, &resp);
    if (!s.ok()) {
      if (progress) std::fprintf(stderr, "\n");
      std::cerr << "sigverify batch: call failed (" << s.error_code() << "): " << s.error_message()
                << "\n";
      return 2;
    }
    for (const auto& item : resp.results()) {
      if (item.has_error()) {
        ++errors;
        if (json) {
          std::cout << nlohmann::json{{"record_id", item.error().record_id()},
                                      {"error_code", item.error().code()},
                                      {"error", item.error().message()}}
                           .dump()
                    << "\n";
        } else if (!progress) {
          std::cout << item.error().record_id() << ": ERROR - " << item.error().message() << "\n";
        }
        continue;
      }
      const auto& r = item.response();
      if (r.indication() == v1::INDICATION_TOTAL_PASSED) {
        ++passed;
      } else if (r.indication() == v1::INDICATION_TOTAL_FAILED) {
        ++failed;
      } else {
        ++indeterminate;
      }
      if (json) {
        std::cout << ResponseJson(r).dump() << "\n";
      } else if (!progress || r.indication() != v1::INDICATION_TOTAL_PASSED) {
        if (progress) std::fprintf(stderr, "\r");
        PrintHuman(r);
      }
    }
    if (progress) Progress(std::min(requests.size(), begin + batch), requests.size());
  }
  if (!json) {
    std::cout << "records: " << requests.size() << "  passed: " << passed << "  failed: " << failed
              << "  indeterminate: " << indeterminate << "  errors: " << errors << "\n";
  }
  return passed == requests.size() ? 0 : 1;
}

}  // namespace
}  // namespace sigverify::cli

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "sigverify verify --data=FILE|--digest=HEX --sig=FILE --cert=FILE [--chain=A,B] "
      "[--alg=rsa-pkcs1-sha256] [--time=RFC3339] [--policy=NAME] [--language=vi|en] [--json]\n"
      "       sigverify batch --input=FILE.jsonl [--json]\n"
      "       sigverify validate --cert=FILE [--chain=A,B] [--time=RFC3339] [--policy=NAME] "
      "[--language=vi|en] [--json]\n"
      "       sigverify trust-profile [NAME]   (built-in anchors and their fingerprints)\n"
      "       sigverify audit-query [--since=T] [--until=T] [--record-id=ID] [--signer=SHA256] "
      "[--serial=HEX] [--subject=TEXT] [--indication=TOTAL_PASSED] [--caller=PEER] "
      "[--shard=ID] [--limit=N] [--json|--csv]\n"
      "       sigverify audit-checkpoint [--shard=ID]   (the latest signed checkpoint)\n"
      "       sigverify audit-prove --sequence=N --log-key=VKEY [--checkpoint=FILE] [--shard=ID]\n"
      "       sigverify audit-consistency --old-checkpoint=FILE --new-checkpoint=FILE "
      "--log-key=VKEY\n"
      "       sigverify audit-verify --audit-db=FILE --shard=ID --log-key=VKEY "
      "[--checkpoint=FILE]");
  const std::vector<std::string> positional = sigverify::service::ParseCommandLine(argc, argv);
  const std::string command = positional.size() > 1 ? positional[1] : "";
  try {
    if (command == "verify") return sigverify::cli::VerifyOne();
    if (command == "batch") return sigverify::cli::VerifyBatch();
    if (command == "validate") return sigverify::cli::ValidateOne();
    if (command == "audit-checkpoint" || command == "audit-prove" || command == "audit-query" ||
        command == "audit-consistency") {
      std::shared_ptr<grpc::Channel> channel = sigverify::cli::OpenChannel();
      if (channel == nullptr) return 2;
      if (command == "audit-query") return sigverify::cli::AuditQuery(channel);
      if (command == "audit-consistency") return sigverify::cli::AuditConsistency(channel);
      return command == "audit-prove" ? sigverify::cli::AuditProve(channel)
                                      : sigverify::cli::AuditCheckpoint(channel);
    }
    if (command == "audit-verify") return sigverify::cli::AuditVerify();
    if (command == "trust-profile") {
      return sigverify::cli::ShowTrustProfile(positional.size() > 2 ? positional[2] : "");
    }
  } catch (const std::exception& e) {  // e.g. out of memory on a huge input file
    std::cerr << "sigverify: " << e.what() << "\n";
    return 2;
  }
  std::cerr << absl::ProgramUsageMessage() << "\n";
  return 2;
}
