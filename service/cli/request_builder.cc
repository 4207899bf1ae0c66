#include "service/cli/request_builder.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "service/proto_time.h"

namespace sigverify::cli {
namespace {

v1::HashAlgorithm HashOf(v1::SignatureAlgorithm a) {
  const std::string name = v1::SignatureAlgorithm_Name(a);
  if (absl::EndsWith(name, "SHA1")) return v1::HASH_ALGORITHM_SHA1;
  if (absl::EndsWith(name, "SHA256")) return v1::HASH_ALGORITHM_SHA256;
  if (absl::EndsWith(name, "SHA384")) return v1::HASH_ALGORITHM_SHA384;
  if (absl::EndsWith(name, "SHA512")) return v1::HASH_ALGORITHM_SHA512;
  return v1::HASH_ALGORITHM_UNSPECIFIED;
}

std::string Resolve(const std::string& base, const std::string& path) {
  if (base.empty() || path.empty() || path[0] == '/') return path;
  return base + "/" + path;
}

template <typename Request>
absl::Status SetTime(const std::string& text, Request* r) {
  if (text.empty()) return absl::OkStatus();
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("time '", text, "': ", err));
  }
  *r->mutable_validation_time() = service::ToTimestamp(t);
  return absl::OkStatus();
}

template <typename Request>
absl::Status AddChain(const std::vector<std::string>& files, Request* r) {
  for (const std::string& c : files) {
    auto bytes = ReadFileBytes(c);
    if (!bytes.ok()) return bytes.status();
    r->add_intermediate_certificates(*std::move(bytes));
  }
  return absl::OkStatus();
}

absl::Status SetDigest(const std::string& hex, v1::VerifyRequest* r) {
  const std::string value = absl::HexStringToBytes(hex);
  if (value.size() * 2 != hex.size() ||
      absl::BytesToHexString(value) != absl::AsciiStrToLower(hex)) {
    return absl::InvalidArgumentError("digest: not hex");
  }
  r->mutable_digest()->set_algorithm(HashOf(r->algorithm()));
  r->mutable_digest()->set_value(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

absl::StatusOr<v1::SignatureAlgorithm> ParseAlgorithm(const std::string& name) {
  std::string n = absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"-", "_"}}));
  if (absl::StartsWith(n, "SIGNATURE_ALGORITHM_")) n = n.substr(20);
  // Short spellings: rsa-pkcs1-sha256 means the v1.5 scheme.
  if (absl::StartsWith(n, "RSA_PKCS1_SHA")) n = absl::StrCat("RSA_PKCS1_V15_", n.substr(10));
  v1::SignatureAlgorithm a;
  if (!v1::SignatureAlgorithm_Parse(absl::StrCat("SIGNATURE_ALGORITHM_", n), &a) ||
      a == v1::SIGNATURE_ALGORITHM_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown algorithm '", name,
        "' (e.g. rsa-pkcs1-sha256, rsa-pss-sha256, ecdsa-sha256, ecdsa-p1363-sha256, ed25519)"));
  }
  return a;
}

absl::StatusOr<v1::VerifyRequest> BuildRequest(const RecordFiles& f) {
  v1::VerifyRequest r;
  r.set_record_id(f.record_id);
  auto alg = ParseAlgorithm(f.algorithm);
  if (!alg.ok()) return alg.status();
  r.set_algorithm(*alg);
  if (!f.data_file.empty() == !f.digest_hex.empty()) {
    return absl::InvalidArgumentError("give exactly one of --data and --digest");
  }
  if (!f.data_file.empty()) {
    auto data = ReadFileBytes(f.data_file);
    if (!data.ok()) return data.status();
    r.set_data(*std::move(data));
  } else if (auto s = SetDigest(f.digest_hex, &r); !s.ok()) {
    return s;
  }
  auto sig = ReadFileBytes(f.signature_file);
  if (!sig.ok()) return sig.status();
  r.set_signature(*std::move(sig));
  auto cert = ReadFileBytes(f.certificate_file);
  if (!cert.ok()) return cert.status();
  r.set_signer_certificate(*std::move(cert));
  if (auto s = AddChain(f.chain_files, &r); !s.ok()) return s;
  if (auto s = SetTime(f.validation_time, &r); !s.ok()) return s;
  return r;
}

absl::StatusOr<v1::ValidateCertificateRequest> BuildValidateRequest(
    const std::string& certificate_file, const std::vector<std::string>& chain_files,
    const std::string& validation_time) {
  v1::ValidateCertificateRequest r;
  auto cert = ReadFileBytes(certificate_file);
  if (!cert.ok()) return cert.status();
  r.set_certificate(*std::move(cert));
  if (auto s = AddChain(chain_files, &r); !s.ok()) return s;
  if (auto s = SetTime(validation_time, &r); !s.ok()) return s;
  return r;
}

absl::StatusOr<v1::VerifyRequest> BuildRequestFromJson(const nlohmann::json& j,
                                                       const std::string& base) {
  if (!j.is_object()) return absl::InvalidArgumentError("line is not a JSON object");
  auto str = [&](const char* key) -> std::string {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  auto b64 = [](const std::string& in, std::string* out) { return absl::Base64Unescape(in, out); };
  v1::VerifyRequest r;
  r.set_record_id(str("record_id"));
  auto alg = ParseAlgorithm(str("alg"));
  if (!alg.ok()) return alg.status();
  r.set_algorithm(*alg);
  if (!str("data_file").empty()) {
    auto data = ReadFileBytes(Resolve(base, str("data_file")));
    if (!data.ok()) return data.status();
    r.set_data(*std::move(data));
  } else if (j.contains("data_b64")) {
    if (!b64(str("data_b64"), r.mutable_data())) return absl::InvalidArgumentError("data_b64");
  } else if (!str("digest_hex").empty()) {
    if (auto s = SetDigest(str("digest_hex"), &r); !s.ok()) return s;
  } else {
    return absl::InvalidArgumentError("one of data_file, data_b64, digest_hex is required");
  }
  if (!str("signature_file").empty()) {
    auto sig = ReadFileBytes(Resolve(base, str("signature_file")));
    if (!sig.ok()) return sig.status();
    r.set_signature(*std::move(sig));
  } else if (!b64(str("signature_b64"), r.mutable_signature())) {
    return absl::InvalidArgumentError("signature_b64");
  }
  if (!str("cert_file").empty()) {
    auto cert = ReadFileBytes(Resolve(base, str("cert_file")));
    if (!cert.ok()) return cert.status();
    r.set_signer_certificate(*std::move(cert));
  } else {
    r.set_signer_certificate(str("cert_pem"));
  }
  if (j.contains("chain_files") && j["chain_files"].is_array()) {
    for (const auto& c : j["chain_files"]) {
      if (!c.is_string()) return absl::InvalidArgumentError("chain_files: not a string");
      auto bytes = ReadFileBytes(Resolve(base, c.get<std::string>()));
      if (!bytes.ok()) return bytes.status();
      r.add_intermediate_certificates(*std::move(bytes));
    }
  }
  r.set_policy(str("policy"));
  if (auto s = SetTime(str("time"), &r); !s.ok()) return s;
  return r;
}

}  // namespace sigverify::cli
