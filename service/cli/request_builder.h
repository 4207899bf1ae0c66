// Builds VerifyRequests from files (one record) or JSON Lines (a batch).
#ifndef SIGVERIFY_SERVICE_CLI_REQUEST_BUILDER_H_
#define SIGVERIFY_SERVICE_CLI_REQUEST_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::cli {

// "rsa-pkcs1-sha256", "RSA_PKCS1_V15_SHA256", "ecdsa-p1363-sha384", "ed25519"...
absl::StatusOr<v1::SignatureAlgorithm> ParseAlgorithm(const std::string& name);

struct RecordFiles {
  std::string record_id;
  std::string data_file;   // or
  std::string digest_hex;  // hash of the data, hex
  std::string signature_file;
  std::string certificate_file;
  std::vector<std::string> chain_files;
  std::string algorithm;
  std::string validation_time;  // RFC 3339, optional
};

absl::StatusOr<v1::VerifyRequest> BuildRequest(const RecordFiles& files);

// A ValidateCertificate request from a certificate file, chain files and an
// optional RFC 3339 time.
absl::StatusOr<v1::ValidateCertificateRequest> BuildValidateRequest(
    const std::string& certificate_file, const std::vector<std::string>& chain_files,
    const std::string& validation_time);

// One JSON Lines record. Keys: record_id, alg, data_file | data_b64 |
// digest_hex, signature_file | signature_b64, cert_file | cert_pem,
// chain_files (array), time (RFC 3339). Relative paths are taken from
// `base_dir`.
absl::StatusOr<v1::VerifyRequest> BuildRequestFromJson(const nlohmann::json& line,
                                                       const std::string& base_dir);

absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_REQUEST_BUILDER_H_
