#include "service/request_check.h"

#include "absl/strings/str_cat.h"

namespace sigverify::service {
namespace {

using crypto::HashAlgorithm;
using crypto::SignatureScheme;

absl::Status TooLarge(const char* field, size_t size, size_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", size, " bytes, over the limit of ", limit, " bytes"));
}

HashAlgorithm HashFor(v1::HashAlgorithm h) {
  switch (h) {
    case v1::HASH_ALGORITHM_SHA1:
      return HashAlgorithm::kSha1;
    case v1::HASH_ALGORITHM_SHA256:
      return HashAlgorithm::kSha256;
    case v1::HASH_ALGORITHM_SHA384:
      return HashAlgorithm::kSha384;
    case v1::HASH_ALGORITHM_SHA512:
      return HashAlgorithm::kSha512;
    default:
      return HashAlgorithm::kNone;
  }
}

// A repeated bytes field: at most `max_count` values ("certificates",
// "responses": `what`), each at most `max_bytes`.
absl::Status CheckRepeatedBytes(const char* field, const char* what,
                                const google::protobuf::RepeatedPtrField<std::string>& values,
                                size_t max_count, size_t max_bytes) {
  if (static_cast<size_t>(values.size()) > max_count) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", values.size(), " ", what, ", over the limit of ", max_count));
  }
  for (int i = 0; i < values.size(); ++i) {
    if (values.Get(i).size() > max_bytes) {
      return TooLarge(absl::StrCat(field, "[", i, "]").c_str(), values.Get(i).size(), max_bytes);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckIntermediates(const google::protobuf::RepeatedPtrField<std::string>& certs,
                                const Limits& limits) {
  return CheckRepeatedBytes("intermediate_certificates", "certificates", certs,
                            limits.max_intermediates, limits.max_certificate_bytes);
}

absl::Status CheckOcspResponses(const google::protobuf::RepeatedPtrField<std::string>& responses,
                                const Limits& limits) {
  return CheckRepeatedBytes("ocsp_responses", "responses", responses, limits.max_ocsp_responses,
                            limits.max_ocsp_response_bytes);
}

absl::Status CheckCrls(const google::protobuf::RepeatedPtrField<std::string>& crls,
                       const Limits& limits) {
  return CheckRepeatedBytes("crls", "CRLs", crls, limits.max_crls, limits.max_crl_bytes);
}

// google.protobuf.Timestamp's own range: 0001-01-01 to 9999-12-31.
template <typename Request>
absl::Status CheckTime(const Request& r) {
  if (!r.has_validation_time()) return absl::OkStatus();
  const auto& t = r.validation_time();
  if (t.seconds() < -62135596800 || t.seconds() > 253402300799 || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return absl::InvalidArgumentError("validation_time: outside 0001..9999 or malformed");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<crypto::SignatureParams> ParamsFor(v1::SignatureAlgorithm algorithm) {
  auto p = [](SignatureScheme s, HashAlgorithm h) {
    crypto::SignatureParams params;
    params.scheme = s;
    params.hash = h;
    return params;
  };
  switch (algorithm) {
    case v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA1:
      return p(SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha1);
    case v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256:
      return p(SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha256);
    case v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA384:
      return p(SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha384);
    case v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA512:
      return p(SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha512);
    case v1::SIGNATURE_ALGORITHM_RSA_PSS_SHA256:
      return p(SignatureScheme::kRsaPss, HashAlgorithm::kSha256);
    case v1::SIGNATURE_ALGORITHM_RSA_PSS_SHA384:
      return p(SignatureScheme::kRsaPss, HashAlgorithm::kSha384);
    case v1::SIGNATURE_ALGORITHM_RSA_PSS_SHA512:
      return p(SignatureScheme::kRsaPss, HashAlgorithm::kSha512);
    case v1::SIGNATURE_ALGORITHM_ECDSA_SHA256:
      return p(SignatureScheme::kEcdsaDer, HashAlgorithm::kSha256);
    case v1::SIGNATURE_ALGORITHM_ECDSA_SHA384:
      return p(SignatureScheme::kEcdsaDer, HashAlgorithm::kSha384);
    case v1::SIGNATURE_ALGORITHM_ECDSA_SHA512:
      return p(SignatureScheme::kEcdsaDer, HashAlgorithm::kSha512);
    case v1::SIGNATURE_ALGORITHM_ECDSA_P1363_SHA256:
      return p(SignatureScheme::kEcdsaP1363, HashAlgorithm::kSha256);
    case v1::SIGNATURE_ALGORITHM_ECDSA_P1363_SHA384:
      return p(SignatureScheme::kEcdsaP1363, HashAlgorithm::kSha384);
    case v1::SIGNATURE_ALGORITHM_ECDSA_P1363_SHA512:
      return p(SignatureScheme::kEcdsaP1363, HashAlgorithm::kSha512);
    case v1::SIGNATURE_ALGORITHM_ED25519:
      return p(SignatureScheme::kEd25519, HashAlgorithm::kNone);
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("algorithm: unspecified or unknown value ", static_cast<int>(algorithm)));
}

absl::StatusOr<crypto::SignatureParams> CheckRequest(const v1::VerifyRequest& r,
                                                     const Limits& limits) {
  if (r.record_id().size() > limits.max_record_id_bytes) {
    return TooLarge("record_id", r.record_id().size(), limits.max_record_id_bytes);
  }
  auto params = ParamsFor(r.algorithm());
  if (!params.ok()) return params.status();
  if (r.signature().empty()) return absl::InvalidArgumentError("signature: empty");
  if (r.signature().size() > limits.max_signature_bytes) {
    return TooLarge("signature", r.signature().size(), limits.max_signature_bytes);
  }
  if (r.signer_certificate().empty()) {
    return absl::InvalidArgumentError("signer_certificate: empty");
  }
  if (r.signer_certificate().size() > limits.max_certificate_bytes) {
    return TooLarge("signer_certificate", r.signer_certificate().size(),
                    limits.max_certificate_bytes);
  }
  if (auto s = CheckIntermediates(r.intermediate_certificates(), limits); !s.ok()) return s;
  if (auto s = CheckOcspResponses(r.ocsp_responses(), limits); !s.ok()) return s;
  if (auto s = CheckCrls(r.crls(), limits); !s.ok()) return s;
  switch (r.content_case()) {
    case v1::VerifyRequest::kData:
      if (r.data().size() > limits.max_data_bytes) {
        return TooLarge("data", r.data().size(), limits.max_data_bytes);
      }
      break;
    case v1::VerifyRequest::kDigest: {
      if (params->scheme == SignatureScheme::kEd25519) {
        return absl::InvalidArgumentError(
            "digest: Ed25519 signs the data itself; send data, not a digest");
      }
      const HashAlgorithm h = HashFor(r.digest().algorithm());
      if (h != params->hash) {
        return absl::InvalidArgumentError(absl::StrCat("digest.algorithm: ", crypto::HashName(h),
                                                       " does not match the signature algorithm's ",
                                                       crypto::HashName(params->hash)));
      }
      if (r.digest().value().size() != crypto::HashLength(h)) {
        return absl::InvalidArgumentError(absl::StrCat("digest.value: a ", crypto::HashName(h),
                                                       " digest is ", crypto::HashLength(h),
                                                       " bytes, got ", r.digest().value().size()));
      }
      break;
    }
    default:
      return absl::InvalidArgumentError("content: neither data nor digest is set");
  }
  if (auto s = CheckTime(r); !s.ok()) return s;
  return params;
}

absl::Status CheckRequest(const v1::ValidateCertificateRequest& r, const Limits& limits) {
  if (r.certificate().empty()) return absl::InvalidArgumentError("certificate: empty");
  if (r.certificate().size() > limits.max_certificate_bytes) {
    return TooLarge("certificate", r.certificate().size(), limits.max_certificate_bytes);
  }
  if (auto s = CheckIntermediates(r.intermediate_certificates(), limits); !s.ok()) return s;
  if (auto s = CheckOcspResponses(r.ocsp_responses(), limits); !s.ok()) return s;
  if (auto s = CheckCrls(r.crls(), limits); !s.ok()) return s;
  return CheckTime(r);
}

absl::StatusOr<crypto::HashAlgorithm> CheckRequest(const v1::VerifyDocumentRequest& r,
                                                   size_t document_bytes, const Limits& limits) {
  if (r.record_id().size() > limits.max_record_id_bytes) {
    return TooLarge("record_id", r.record_id().size(), limits.max_record_id_bytes);
  }
  if (document_bytes == 0) return absl::InvalidArgumentError("document: empty");
  if (auto s = CheckRepeatedBytes("certificates", "certificates", r.certificates(),
                                  limits.max_document_certificates, limits.max_certificate_bytes);
      !s.ok()) {
    return s;
  }
  if (auto s =
          CheckRepeatedBytes("ocsp_responses", "responses", r.ocsp_responses(),
                             limits.max_document_ocsp_responses, limits.max_ocsp_response_bytes);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckRepeatedBytes("crls", "CRLs", r.crls(), limits.max_document_crls,
                                  limits.max_crl_bytes);
      !s.ok()) {
    return s;
  }
  if (!r.has_detached_digest()) return HashAlgorithm::kNone;
  const HashAlgorithm h = HashFor(r.detached_digest().algorithm());
  if (h == HashAlgorithm::kNone) {
    return absl::InvalidArgumentError("detached_digest.algorithm: unspecified or unknown");
  }
  if (r.detached_digest().value().size() != crypto::HashLength(h)) {
    return absl::InvalidArgumentError(
        absl::StrCat("detached_digest.value: a ", crypto::HashName(h), " digest is ",
                     crypto::HashLength(h), " bytes, got ", r.detached_digest().value().size()));
  }
  return h;
}

}  // namespace sigverify::service
