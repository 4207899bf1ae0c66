#include "service/cli/verify_commands.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "crypto/trust_profile.h"
#include "nlohmann/json.hpp"
#include "service/cli/connection.h"
#include "service/cli/exit_codes.h"
#include "service/cli/output.h"
#include "service/cli/request_builder.h"
#include "sigverify/v1/verification.grpc.pb.h"

namespace sigverify::cli {
namespace {

// What every verifying request may carry besides the record.
struct RequestOptions {
  std::string policy;
  std::string language;
  std::vector<std::string> ocsp_files;
  std::vector<std::string> crl_files;
};

void AddRequestOptions(CLI::App& cmd, RequestOptions& o, bool stapling) {
  cmd.add_option("--policy", o.policy,
                 "validation policy (default: the server's 'default'; e.g. 'legacy' for the G1 "
                 "hierarchy)");
  cmd.add_option("--language", o.language, "language of the messages: vi (the default) or en")
      ->check(CLI::IsMember({"vi", "en"}));
  if (!stapling) return;
  cmd.add_option("--ocsp", o.ocsp_files, "DER OCSP responses to send with the request")
      ->delimiter(',')
      ->check(CLI::ExistingFile);
  cmd.add_option("--crl", o.crl_files, "DER CRLs to send with the request")
      ->delimiter(',')
      ->check(CLI::ExistingFile);
}

// Policy, language, stapled responses and CRLs into `request`.
template <typename Request>
absl::Status Apply(const RequestOptions& o, Request* request) {
  request->set_policy(o.policy);
  request->set_language(o.language);
  for (const auto& [files, field] : {std::pair{&o.ocsp_files, request->mutable_ocsp_responses()},
                                     std::pair{&o.crl_files, request->mutable_crls()}}) {
    for (const std::string& file : *files) {
      auto der = ReadFileBytes(file);
      if (!der.ok()) return der.status();
      field->Add(*std::move(der));
    }
  }
  return absl::OkStatus();
}

int Error(const std::string& command, absl::string_view what) {
  std::cerr << "sigverify " << command << ": " << what << "\n";
  return kExitError;
}

std::unique_ptr<v1::VerificationService::Stub> Stub(const Connection& connection,
                                                    const std::string& command) {
  auto channel = OpenChannel(connection);
  if (!channel.ok()) {
    Error(command, channel.status().message());
    return nullptr;
  }
  return v1::VerificationService::NewStub(*channel);
}

// Prints one answer; the exit code says whether it passed.
template <typename Response>
int Report(const std::string& command, const grpc::Status& status, const Response& response,
           bool json) {
  if (!status.ok()) {
    return Error(command,
                 absl::StrCat("call failed (", status.error_code(), "): ", status.error_message()));
  }
  if (json) {
    std::cout << JsonLine(response) << "\n";
  } else {
    PrintHuman(response);
  }
  return response.indication() == v1::INDICATION_TOTAL_PASSED ? kExitOk : kExitNotPassed;
}

struct VerifyOptions {
  Connection* connection = nullptr;  // shared by every subcommand
  RecordFiles record;
  RequestOptions request;
  bool json = false;
};

// Builds the request (`build`), adds the common options, calls `rpc` and
// prints the answer; the exit code says whether it passed.
template <typename Response, typename Build, typename Rpc>
int CallOne(const std::string& command, const Connection& connection, const RequestOptions& options,
            bool json, Build build, Rpc rpc) {
  auto request = build();
  if (!request.ok()) return Error(command, request.status().message());
  if (auto s = Apply(options, &*request); !s.ok()) return Error(command, s.message());
  auto stub = Stub(connection, command);
  if (!stub) return kExitError;
  grpc::ClientContext ctx;
  SetDeadline(connection, &ctx);
  Response response;
  return Report(command, ((*stub).*rpc)(&ctx, *request, &response), response, json);
}

int RunVerify(const VerifyOptions& o) {
  return CallOne<v1::VerifyResponse>(
      "verify", *o.connection, o.request, o.json, [&] { return BuildRequest(o.record); },
      &v1::VerificationService::Stub::Verify);
}

void AddVerify(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand("verify", "Verify one signed record");
  o->connection = &connection;
  AddConnectionOptions(*cmd, connection);
  CLI::Option* data = cmd->add_option("--data", o->record.data_file, "file with the signed data")
                          ->check(CLI::ExistingFile);
  CLI::Option* digest =
      cmd->add_option("--digest", o->record.digest_hex, "hex digest of the signed data");
  data->excludes(digest);
  cmd->add_option("--sig", o->record.signature_file, "file with the signature")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--cert", o->record.certificate_file, "signer certificate (PEM or DER)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--chain", o->record.chain_files, "intermediate certificates")
      ->delimiter(',')
      ->check(CLI::ExistingFile);
  o->record.algorithm = "rsa-pkcs1-sha256";
  cmd->add_option("--alg", o->record.algorithm,
                  "signature algorithm (rsa-pkcs1-sha256, rsa-pss-sha256, ecdsa-sha256, "
                  "ecdsa-p1363-sha384, ed25519...)")
      ->capture_default_str();
  cmd->add_option("--time", o->record.validation_time,
                  "validation time, RFC 3339 (default: the server's clock)");
  cmd->add_option("--record-id", o->record.record_id, "record id echoed in the answer");
  AddRequestOptions(*cmd, o->request, /*stapling=*/true);
  cmd->add_flag("--json", o->json, "print the answer as JSON");
  cmd->callback([o, exit_code] {
    if (o->record.data_file.empty() && o->record.digest_hex.empty()) {
      throw CLI::RequiredError("--data or --digest");
    }
    *exit_code = RunVerify(*o);
  });
}

struct ValidateOptions {
  Connection* connection = nullptr;  // shared by every subcommand
  std::string certificate_file;
  std::vector<std::string> chain_files;
  std::string validation_time;
  RequestOptions request;
  bool json = false;
};

int RunValidate(const ValidateOptions& o) {
  return CallOne<v1::ValidateCertificateResponse>(
      "validate", *o.connection, o.request, o.json,
      [&] { return BuildValidateRequest(o.certificate_file, o.chain_files, o.validation_time); },
      &v1::VerificationService::Stub::ValidateCertificate);
}

void AddValidate(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "Validate a certificate's path");
  o->connection = &connection;
  AddConnectionOptions(*cmd, connection);
  cmd->add_option("--cert", o->certificate_file, "the certificate (PEM or DER)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--chain", o->chain_files, "intermediate certificates")
      ->delimiter(',')
      ->check(CLI::ExistingFile);
  cmd->add_option("--time", o->validation_time,
                  "validation time, RFC 3339 (default: the server's clock)");
  AddRequestOptions(*cmd, o->request, /*stapling=*/true);
  cmd->add_flag("--json", o->json, "print the answer as JSON");
  cmd->callback([o, exit_code] { *exit_code = RunValidate(*o); });
}

struct BatchOptions {
  Connection* connection = nullptr;  // shared by every subcommand
  std::string input;
  int batch_size = 500;
  RequestOptions request;
  bool json = false;
};

void Progress(size_t done, size_t total) {
  constexpr int kWidth = 40;
  const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\n");
}

// The records of a JSON Lines file, or an error naming the line.
absl::StatusOr<std::vector<v1::VerifyRequest>> ReadRecords(const BatchOptions& o) {
  std::ifstream in(o.input);
  if (!in) return absl::NotFoundError("cannot open --input=" + o.input);
  const std::string base = o.input.find('/') == std::string::npos
                               ? std::string(".")
                               : o.input.substr(0, o.input.rfind('/'));
  std::vector<v1::VerifyRequest> requests;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return absl::InvalidArgumentError(absl::StrCat(o.input, ":", n, ": not JSON"));
    }
    auto r = BuildRequestFromJson(json, base);
    if (!r.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(o.input, ":", n, ": ", r.status().message()));
    }
    // A record's own "policy" wins over --policy.
    if (r->policy().empty()) r->set_policy(o.request.policy);
    r->set_language(o.request.language);
    requests.push_back(*std::move(r));
  }
  return requests;
}

struct BatchCounts {
  size_t passed = 0, failed = 0, indeterminate = 0, errors = 0;
};

// Prints one batch item and counts it.
void PrintItem(const v1::VerifyBatchItem& item, bool json, bool progress, BatchCounts* counts) {
  if (json) std::cout << JsonLine(item) << "\n";
  if (item.has_error()) {
    ++counts->errors;
    if (!json && !progress) {
      std::cout << item.error().record_id() << ": ERROR - " << item.error().message() << "\n";
    }
    return;
  }
  const v1::VerifyResponse& r = item.response();
  if (r.indication() == v1::INDICATION_TOTAL_PASSED) {
    ++counts->passed;
  } else if (r.indication() == v1::INDICATION_TOTAL_FAILED) {
    ++counts->failed;
  } else {
    ++counts->indeterminate;
  }
  if (!json && (!progress || r.indication() != v1::INDICATION_TOTAL_PASSED)) {
    if (progress) std::fprintf(stderr, "\r");
    PrintHuman(r);
  }
}

int RunBatch(const BatchOptions& o) {
  auto requests = ReadRecords(o);
  if (!requests.ok()) return Error("batch", requests.status().message());
  auto stub = Stub(*o.connection, "batch");
  if (!stub) return kExitError;
  const bool progress = isatty(STDERR_FILENO) != 0;
  const size_t batch = static_cast<size_t>(o.batch_size);
  BatchCounts counts;
  for (size_t begin = 0; begin < requests->size(); begin += batch) {
    v1::VerifyBatchRequest req;
    for (size_t i = begin; i < std::min(requests->size(), begin + batch); ++i) {
      *req.add_requests() = (*requests)[i];
    }
    grpc::ClientContext ctx;
    SetDeadline(*o.connection, &ctx);
    v1::VerifyBatchResponse resp;
    grpc::Status s = stub->VerifyBatch(&ctx, req, &resp);
    if (!s.ok()) {
      if (progress) std::fprintf(stderr, "\n");
      return Error("batch",
                   absl::StrCat("call failed (", s.error_code(), "): ", s.error_message()));
    }
    for (const auto& item : resp.results()) PrintItem(item, o.json, progress, &counts);
    if (progress) Progress(std::min(requests->size(), begin + batch), requests->size());
  }
  if (!o.json) {
    std::cout << "records: " << requests->size() << "  passed: " << counts.passed
              << "  failed: " << counts.failed << "  indeterminate: " << counts.indeterminate
              << "  errors: " << counts.errors << "\n";
  }
  return counts.passed == requests->size() ? kExitOk : kExitNotPassed;
}

void AddBatch(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<BatchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "batch",
      "Verify records from a JSON Lines file (keys: record_id, alg, data_file | data_b64 "
      "| digest_hex, signature_file | signature_b64, cert_file | cert_pem, chain_files, "
      "time, policy)");
  o->connection = &connection;
  AddConnectionOptions(*cmd, connection);
  cmd->add_option("--input", o->input, "JSON Lines file, one record per line")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--batch-size", o->batch_size, "records per VerifyBatch call")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  AddRequestOptions(*cmd, o->request, /*stapling=*/false);
  cmd->add_flag("--json", o->json, "print each item as a line of JSON, in request order");
  cmd->callback([o, exit_code] { *exit_code = RunBatch(*o); });
}

struct DocumentOptions {
  Connection* connection = nullptr;
  std::string file;
  std::string content_file;
  std::vector<std::string> certificate_files;
  std::string record_id;
  RequestOptions request;
  bool json = false;
};

// Files up to this size go in one VerifyDocument message; larger ones
// through VerifyDocumentStream, read and sent a chunk at a time.
constexpr uintmax_t kStreamAbove = 16 << 20;
constexpr size_t kChunkBytes = 1 << 20;

// Everything but the bytes when `with_bytes` is false (the stream's options).
absl::StatusOr<v1::VerifyDocumentRequest> BuildDocumentRequest(const DocumentOptions& o,
                                                               bool with_bytes = true) {
  v1::VerifyDocumentRequest request;
  request.set_record_id(o.record_id);
  if (with_bytes) {
    auto document = ReadFileBytes(o.file);
    if (!document.ok()) return document.status();
    request.set_document(*std::move(document));
  }
  if (with_bytes && !o.content_file.empty()) {
    auto content = ReadFileBytes(o.content_file);
    if (!content.ok()) return content.status();
    request.set_detached_content(*std::move(content));
  }
  for (const std::string& file : o.certificate_files) {
    auto cert = ReadFileBytes(file);
    if (!cert.ok()) return cert.status();
    request.add_certificates(*std::move(cert));
  }
  return request;
}

// Sends `path` as document (or detached_content) chunks.
bool SendChunks(const std::string& path, bool detached,
                grpc::ClientWriter<v1::VerifyDocumentStreamRequest>& writer) {
  std::ifstream in(path, std::ios::binary);
  std::string buffer(kChunkBytes, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    v1::VerifyDocumentStreamRequest message;
    if (detached) {
      message.set_detached_content(buffer.data(), n);
    } else {
      message.set_document(buffer.data(), n);
    }
    if (!writer.Write(message)) return false;  // the server has answered already
  }
  return true;
}

int StreamDocument(const DocumentOptions& o) {
  const std::string command = "verify-document";
  auto options = BuildDocumentRequest(o, /*with_bytes=*/false);
  if (!options.ok()) return Error(command, options.status().message());
  if (auto s = Apply(o.request, &*options); !s.ok()) return Error(command, s.message());
  auto stub = Stub(*o.connection, command);
  if (!stub) return kExitError;
  grpc::ClientContext ctx;
  SetDeadline(*o.connection, &ctx);
  v1::VerifyDocumentStreamResponse response;
  auto writer = stub->VerifyDocumentStream(&ctx, &response);
  v1::VerifyDocumentStreamRequest first;
  *first.mutable_options() = *std::move(options);
  if (writer->Write(first) && SendChunks(o.file, /*detached=*/false, *writer) &&
      !o.content_file.empty()) {
    SendChunks(o.content_file, /*detached=*/true, *writer);
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();  // fills `response`
  return Report(command, status, response.response(), o.json);
}

void AddVerifyDocument(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<DocumentOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify-document",
      "Verify every signature of a signed document: a PDF, a CMS (.p7s detached with --content, "
      ".p7m attached) or an RFC 3161 timestamp (with --content, the data it stamps); files over "
      "16 MiB are streamed");
  o->connection = &connection;
  AddConnectionOptions(*cmd, connection);
  cmd->add_option("--file", o->file, "the signed document")->required()->check(CLI::ExistingFile);
  cmd->add_option("--content", o->content_file, "what a detached signature or a timestamp covers")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cert", o->certificate_files,
                  "certificates that may help to build paths (PEM or DER)")
      ->delimiter(',')
      ->check(CLI::ExistingFile);
  cmd->add_option("--record-id", o->record_id, "the caller's identifier, echoed and audited");
  AddRequestOptions(*cmd, o->request, /*stapling=*/true);
  cmd->add_flag("--json", o->json, "print the answer as one line of JSON");
  cmd->callback([o, exit_code] {
    std::error_code error;
    uintmax_t bytes = std::filesystem::file_size(o->file, error);
    if (!o->content_file.empty()) bytes += std::filesystem::file_size(o->content_file, error);
    if (!error && bytes > kStreamAbove) {
      *exit_code = StreamDocument(*o);
      return;
    }
    *exit_code = CallOne<v1::VerifyDocumentResponse>(
        "verify-document", *o->connection, o->request, o->json,
        [&] { return BuildDocumentRequest(*o); }, &v1::VerificationService::Stub::VerifyDocument);
  });
}

// Prints a built-in trust profile's anchors with their fingerprints, so an
// operator can compare them with the CA's publication before enabling it.
void PrintProfileCertificate(const crypto::TrustProfile& profile, const std::string& role,
                             const crypto::Certificate& c) {
  std::cout << role << ": " << c.subject() << "\n  valid   " << crypto::FormatUtc(c.not_before())
            << " to " << crypto::FormatUtc(c.not_after()) << "\n  SHA-256 "
            << absl::AsciiStrToUpper(c.fingerprint_hex()) << "\n";
  for (const auto& [fingerprint, anchor] : profile.config.anchors) {
    if (fingerprint != c.fingerprint_hex()) continue;
    for (const std::string& oid : anchor.required_certificate_policies) {
      std::cout << "  every path must be valid for certificate policy " << oid << "\n";
    }
    if (!anchor.validation_policies.empty()) {
      std::cout << "  used only under validation policy "
                << absl::StrJoin(anchor.validation_policies, ", ") << "\n";
    }
  }
}

int ShowTrustProfile(const std::string& name, bool json) {
  if (name.empty()) {
    for (const std::string& n : crypto::TrustProfileNames()) std::cout << n << "\n";
    return kExitOk;
  }
  auto profile = crypto::LoadTrustProfile(name);
  if (!profile.ok()) return Error("trust-profile", profile.status().message());
  for (const auto& [role, certs] : {std::pair{"anchor", &profile->anchors},
                                    std::pair{"intermediate", &profile->intermediates}}) {
    for (const crypto::CertificatePtr& c : *certs) {
      if (!json) {
        PrintProfileCertificate(*profile, role, *c);
        continue;
      }
      std::cout << nlohmann::json{{"profile", name},
                                  {"role", role},
                                  {"subject", c->subject()},
                                  {"not_before", crypto::FormatUtc(c->not_before())},
                                  {"not_after", crypto::FormatUtc(c->not_after())},
                                  {"sha256_fingerprint", c->fingerprint_hex()}}
                       .dump()
                << "\n";
    }
  }
  for (const crypto::ValidationPolicy& p : profile->config.policies) {
    if (!json && p.legacy.has_value()) {
      std::cout << "validation policy " << p.name << ": SHA-1 "
                << (p.legacy->allow_sha1 ? "accepted" : "refused")
                << ", RSA >= " << p.legacy->min_rsa_bits << " for validation times before "
                << crypto::FormatUtc(p.legacy_until) << "; as default after\n";
    }
  }
  return kExitOk;
}

void AddTrustProfile(CLI::App& app, int* exit_code) {
  struct Options {
    std::string name;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd =
      app.add_subcommand("trust-profile",
                         "List the built-in trust profiles, or one profile's anchors and "
                         "fingerprints (to compare with the CA's publication)");
  cmd->add_option("name", o->name, "a profile (e.g. vn-gov); none: list them");
  cmd->add_flag("--json", o->json, "one line of JSON per certificate");
  cmd->callback([o, exit_code] { *exit_code = ShowTrustProfile(o->name, o->json); });
}

}  // namespace

void AddVerifyCommands(CLI::App& app, Connection& connection, int* exit_code) {
  AddVerify(app, connection, exit_code);
  AddBatch(app, connection, exit_code);
  AddValidate(app, connection, exit_code);
  AddVerifyDocument(app, connection, exit_code);
  AddTrustProfile(app, exit_code);
}

}  // namespace sigverify::cli
