#include "crypto/failure.h"

#include <array>

namespace sigverify::crypto {
namespace {

struct ReasonInfo {
  FailureReason reason;
  std::string_view name;
  std::string_view check;
};

using R = FailureReason;
constexpr ReasonInfo kReasons[] = {
    {R::kUnspecified, "UNSPECIFIED", ""},
    {R::kSignatureInvalid, "SIGNATURE_INVALID", "signature"},
    {R::kSignatureOverOtherData, "SIGNATURE_OVER_OTHER_DATA", "signature"},
    {R::kSchemeDoesNotFitKey, "SCHEME_DOES_NOT_FIT_KEY", "signature"},
    {R::kKeyCannotVerify, "KEY_CANNOT_VERIFY", "signature"},
    {R::kEd25519NeedsData, "ED25519_NEEDS_DATA", "signature"},
    {R::kNoHashAlgorithm, "NO_HASH_ALGORITHM", "signature"},
    {R::kDigestLength, "DIGEST_LENGTH", "signature"},
    {R::kRawEcdsaLength, "RAW_ECDSA_LENGTH", "signature"},
    {R::kSignatureEngine, "SIGNATURE_ENGINE", "signature"},
    {R::kDocumentHashRefused, "DOCUMENT_HASH_REFUSED", "documentSignatureAlgorithm"},
    {R::kKeyTooSmall, "KEY_TOO_SMALL", "keySize"},
    {R::kKeyTypeUnsupported, "KEY_TYPE_UNSUPPORTED", "keySize"},
    {R::kCertificateWeakHash, "CERTIFICATE_WEAK_HASH", "signatureAlgorithm"},
    {R::kCertificateHashRefused, "CERTIFICATE_HASH_REFUSED", "signatureAlgorithm"},
    {R::kCertificateExpired, "CERTIFICATE_EXPIRED", "validity"},
    {R::kCertificateNotYetValid, "CERTIFICATE_NOT_YET_VALID", "validity"},
    {R::kIssuerNotFound, "ISSUER_NOT_FOUND", "issuer"},
    {R::kNotTrusted, "NOT_TRUSTED", "issuer"},
    {R::kPolicyNotServed, "POLICY_NOT_SERVED", "validationPolicy"},
    {R::kCertificateSignatureInvalid, "CERTIFICATE_SIGNATURE_INVALID", "certificateSignature"},
    {R::kNotACa, "NOT_A_CA", "basicConstraints"},
    {R::kPathLengthExceeded, "PATH_LENGTH_EXCEEDED", "pathLength"},
    {R::kNoKeyCertSign, "NO_KEY_CERT_SIGN", "keyUsage"},
    {R::kSignerKeyUsage, "SIGNER_KEY_USAGE", "keyUsage"},
    {R::kSignerExtendedKeyUsage, "SIGNER_EXTENDED_KEY_USAGE", "extendedKeyUsage"},
    {R::kPurposeMismatch, "PURPOSE_MISMATCH", "extendedKeyUsage"},
    {R::kUnhandledCriticalExtension, "UNHANDLED_CRITICAL_EXTENSION", "criticalExtension"},
    {R::kInvalidExtension, "INVALID_EXTENSION", "criticalExtension"},
    {R::kInvalidPolicyExtension, "INVALID_POLICY_EXTENSION", "certificatePolicies"},
    {R::kNoValidPolicy, "NO_VALID_POLICY", "certificatePolicies"},
    {R::kNameNotPermitted, "NAME_NOT_PERMITTED", "nameConstraints"},
    {R::kNameExcluded, "NAME_EXCLUDED", "nameConstraints"},
    {R::kNameConstraintUnsupported, "NAME_CONSTRAINT_UNSUPPORTED", "nameConstraints"},
    {R::kPathInvalid, "PATH_INVALID", "path"},
    {R::kPathMismatch, "PATH_MISMATCH", "path"},
    {R::kOutOfMemory, "OUT_OF_MEMORY", "path"},
    {R::kRevoked, "REVOKED", "revocation"},
    {R::kRevocationUnavailable, "REVOCATION_UNAVAILABLE", "revocation"},
    {R::kRevocationSourceMissing, "REVOCATION_SOURCE_MISSING", "revocation"},
    {R::kResponseMalformed, "RESPONSE_MALFORMED", ""},
    {R::kResponderError, "RESPONDER_ERROR", ""},
    {R::kResponseSignatureInvalid, "RESPONSE_SIGNATURE_INVALID", ""},
    {R::kResponderNotAuthorised, "RESPONDER_NOT_AUTHORISED", ""},
    {R::kResponderNotForOcsp, "RESPONDER_NOT_FOR_OCSP", ""},
    {R::kResponderCertificateExpired, "RESPONDER_CERTIFICATE_EXPIRED", ""},
    {R::kNoAnswerForCertificate, "NO_ANSWER_FOR_CERTIFICATE", ""},
    {R::kResponderDoesNotKnow, "RESPONDER_DOES_NOT_KNOW", ""},
    {R::kResponseCriticalExtension, "RESPONSE_CRITICAL_EXTENSION", ""},
    {R::kNonceMismatch, "NONCE_MISMATCH", ""},
    {R::kResponseNotYetValid, "RESPONSE_NOT_YET_VALID", ""},
    {R::kResponseStale, "RESPONSE_STALE", ""},
    {R::kCrlWrongIssuer, "CRL_WRONG_ISSUER", ""},
    {R::kCrlIssuerCannotSign, "CRL_ISSUER_CANNOT_SIGN", ""},
    {R::kCrlNoNextUpdate, "CRL_NO_NEXT_UPDATE", ""},
    {R::kCrlTooLarge, "CRL_TOO_LARGE", ""},
    {R::kCrlOutOfScope, "CRL_OUT_OF_SCOPE", ""},
    {R::kCrlIsDelta, "CRL_IS_DELTA", ""},
    {R::kDeltaCrlMismatch, "DELTA_CRL_MISMATCH", ""},
    {R::kFetchFailed, "FETCH_FAILED", ""},
    {R::kFetchTimedOut, "FETCH_TIMED_OUT", ""},
    {R::kFetchTooLarge, "FETCH_TOO_LARGE", ""},
    {R::kUrlNotAllowed, "URL_NOT_ALLOWED", ""},
    {R::kBackingOff, "BACKING_OFF", ""},
    {R::kTooManyFetches, "TOO_MANY_FETCHES", ""},
    {R::kNotACertificate, "NOT_A_CERTIFICATE", ""},
    {R::kSourceInternal, "SOURCE_INTERNAL", ""},
    {R::kExpiredAfterClaimedTime, "EXPIRED_AFTER_CLAIMED_TIME", "validity"},
    {R::kRevokedAfterClaimedTime, "REVOKED_AFTER_CLAIMED_TIME", "revocation"},
    {R::kCrlNotFetchable, "CRL_NOT_FETCHABLE", ""},
    {R::kCrlSignerUntrusted, "CRL_SIGNER_UNTRUSTED", ""},
    {R::kResponderRevoked, "RESPONDER_REVOKED", ""},
    {R::kFormatInvalid, "FORMAT_INVALID", "document"},
    {R::kLimitExceeded, "LIMIT_EXCEEDED", "document"},
    {R::kUnsupportedSignatureFormat, "UNSUPPORTED_SIGNATURE_FORMAT", "document"},
    {R::kSignerCertificateNotFound, "SIGNER_CERTIFICATE_NOT_FOUND", "signerCertificate"},
    {R::kMessageDigestMismatch, "MESSAGE_DIGEST_MISMATCH", "signature"},
    {R::kSignedAttributesInvalid, "SIGNED_ATTRIBUTES_INVALID", "signedAttributes"},
    {R::kSigningCertificateMismatch, "SIGNING_CERTIFICATE_MISMATCH", "signedAttributes"},
    {R::kTimestampImprintMismatch, "TIMESTAMP_IMPRINT_MISMATCH", "timestamp"},
    {R::kTsaExtendedKeyUsage, "TSA_EXTENDED_KEY_USAGE", "extendedKeyUsage"},
    {R::kByteRangeInvalid, "BYTE_RANGE_INVALID", "byteRange"},
    {R::kDocumentModified, "DOCUMENT_MODIFIED", "modifications"},
    {R::kDocMdpViolation, "DOCMDP_VIOLATION", "docMdp"},
    {R::kFieldLocked, "FIELD_LOCKED", "fieldMdp"},
};
static_assert(std::size(kReasons) == kFailureReasonCount, "one row per reason");

constexpr bool InOrder() {
  for (int i = 0; i < kFailureReasonCount; ++i) {
    if (static_cast<int>(kReasons[i].reason) != i) return false;
  }
  return true;
}
static_assert(InOrder(), "rows in the enum's order, none missing");

const ReasonInfo& Info(FailureReason reason) {
  const int i = static_cast<int>(reason);
  return kReasons[i >= 0 && i < kFailureReasonCount ? i : 0];
}

}  // namespace

Failure FailureAt(FailureReason reason, const std::vector<CertificatePtr>& path, size_t i,
                  absl::Time validation_time) {
  Failure f;
  f.reason = reason;
  f.position = static_cast<int>(i) + 1;
  f.certificate = path[i];
  f.validation_time = validation_time;
  return f;
}

std::string_view ReasonName(FailureReason reason) { return Info(reason).name; }
std::string_view CheckName(FailureReason reason) { return Info(reason).check; }

}  // namespace sigverify::crypto
