// Why a verdict is not TOTAL_PASSED, as data: a reason from one closed list
// and the typed facts behind it (which certificate, which times, which limit
// was crossed). Validators return these and never prose; the words are
// rendered in one place, crypto/message_catalog.h, in the caller's language.
//
// The reasons' numbers are sigverify.v1.FailureReason's: the service copies
// them across unchanged, and a test holds the two lists equal by name.
#ifndef SIGVERIFY_CRYPTO_FAILURE_H_
#define SIGVERIFY_CRYPTO_FAILURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "crypto/certificate.h"

namespace sigverify::crypto {

enum class FailureReason : int {
  kUnspecified = 0,
  // The document signature (check "signature").
  kSignatureInvalid = 1,        // does not verify under the signer's key
  kSignatureOverOtherData = 2,  // PKCS#1 v1.5: the signer's, over another digest
  kSchemeDoesNotFitKey = 3,     // names: scheme, key
  kKeyCannotVerify = 4,         // names: key, scheme, hash
  kEd25519NeedsData = 5,        // a digest was given for Ed25519
  kNoHashAlgorithm = 6,
  kDigestLength = 7,     // names: hash; limit: expected bytes; actual: given
  kRawEcdsaLength = 8,   // names: key; limit: expected bytes; actual: given
  kSignatureEngine = 9,  // the crypto library could not start or hash
  // Algorithm policy (checks "documentSignatureAlgorithm", "keySize",
  // "signatureAlgorithm").
  kDocumentHashRefused = 10,     // names: hash
  kKeyTooSmall = 11,             // names: key; limit: minimum bits; actual: bits
  kKeyTypeUnsupported = 12,      //
  kCertificateWeakHash = 13,     // MD2/MD4/MD5
  kCertificateHashRefused = 14,  // names: hash
  // Validity (check "validity"); time: notAfter / notBefore.
  kCertificateExpired = 15,
  kCertificateNotYetValid = 16,
  // Building the path (checks "issuer", "validationPolicy").
  kIssuerNotFound = 17,   // names: the missing issuer's DN, the stuck certificate's name
  kNotTrusted = 18,       // self-signed or untrusted at the top
  kPolicyNotServed = 19,  // names: the policy, then the anchors that refuse it
  // RFC 5280 6.1 on the path.
  kCertificateSignatureInvalid = 20,  // "certificateSignature"
  kNotACa = 21,                       // "basicConstraints"
  kPathLengthExceeded = 22,           // "pathLength"
  kNoKeyCertSign = 23,                // "keyUsage", an issuing certificate
  kSignerKeyUsage = 24,               // "keyUsage": neither digitalSignature nor nonRepudiation
  kSignerExtendedKeyUsage = 25,       // "extendedKeyUsage"; names: the OIDs it has
  kPurposeMismatch = 26,              // "extendedKeyUsage", from the path
  kUnhandledCriticalExtension = 27,   // "criticalExtension"
  kInvalidExtension = 28,             // "criticalExtension"
  kInvalidPolicyExtension = 29,       // "certificatePolicies"
  kNoValidPolicy = 30,     // "certificatePolicies"; names: the anchor, then the OIDs it requires
  kNameNotPermitted = 31,  // "nameConstraints"
  kNameExcluded = 32,      // "nameConstraints"
  kNameConstraintUnsupported = 33,  // "nameConstraints"
  kPathInvalid = 34,                // "path"; detail: the crypto library's reason
  kPathMismatch = 35,               // "path": the library validated another path
  kOutOfMemory = 36,                // "path"
  // Revocation of a validated path (check "revocation").
  kRevoked = 37,                // time: revocation time; actual: CRLReason (-1 none); names: source
  kRevocationUnavailable = 38,  // problems: why, per source
  kRevocationSourceMissing = 39,  // the anchor requires status; the certificate names no source

  // What went wrong with one source of revocation status or of issuer
  // certificates (SourceProblem::reason; listed in the evidence).
  kResponseMalformed = 40,            // detail: which field
  kResponderError = 41,               // detail: the responder's status (e.g. tryLater)
  kResponseSignatureInvalid = 42,     // OCSP response or CRL
  kResponderNotAuthorised = 43,       // neither the CA nor a responder it certified
  kResponderNotForOcsp = 44,          // delegated responder without id-kp-OCSPSigning
  kResponderCertificateExpired = 45,  // delegated responder not valid at the time
  kNoAnswerForCertificate = 46,       // detail: the serial
  kResponderDoesNotKnow = 47,         // OCSP "unknown"
  kResponseCriticalExtension = 48,    // detail: the OID
  kNonceMismatch = 49,
  kResponseNotYetValid = 50,  // time: thisUpdate
  kResponseStale = 51,        // time: nextUpdate
  kCrlWrongIssuer = 52,       // detail: the CRL's issuer
  kCrlIssuerCannotSign = 53,  // the CA's keyUsage lacks cRLSign
  kCrlNoNextUpdate = 54,
  kCrlTooLarge = 55,       // limit, actual: entries or issuers
  kCrlOutOfScope = 56,     // detail: which scope rule
  kCrlIsDelta = 57,        // a delta CRL where the complete CRL was named
  kDeltaCrlMismatch = 58,  // detail: which rule
  kFetchFailed = 59,       // detail: the transport's or the HTTP status
  kFetchTimedOut = 60,     // limit: milliseconds allowed
  kFetchTooLarge = 61,     // limit: bytes allowed
  kUrlNotAllowed = 62,     // not http://, or not under an allowed prefix
  kBackingOff = 63,        // time: when it is asked again; actual: failures so far
  kTooManyFetches = 64,    // limit: concurrent fetches allowed
  kNotACertificate = 65,   // an issuer URL answered something else
  kSourceInternal = 66,    // detail: what

  // A validation time the request claimed is not proof of existence.
  kExpiredAfterClaimedTime = 67,  // "validity"; time: notAfter; validation_time: claimed
  kRevokedAfterClaimedTime = 68,  // "revocation"; as kRevoked

  // A CRL distribution point no fetch reaches (no URI: a directory name, a
  // name relative to the CRL issuer, a cRLIssuer only) and no CRL at hand
  // covers the certificate. detail: the form.
  kCrlNotFetchable = 69,

  // A CRL signed by another key than the CA's (RFC 5280 6.3.3 (f)) whose
  // signer no longer has a validated path to the path's anchor (expired,
  // revoked, or not among the certificates at hand). detail: the signer.
  kCrlSignerUntrusted = 70,

  // A delegated OCSP responder without id-pkix-ocsp-nocheck that a valid CRL
  // of the CA at hand lists (RFC 6960 4.2.2.2.1). time: its revocation.
  kResponderRevoked = 71,

  // Signed documents (VerifyDocument).
  kFormatInvalid = 72,               // "document": cannot be read; detail: where
  kLimitExceeded = 73,               // "document": names: the limit; limit, actual
  kUnsupportedSignatureFormat = 74,  // "document": names: the SubFilter or content type
  kSignerCertificateNotFound = 75,   // "signerCertificate": detail: the signer identifier
  kMessageDigestMismatch = 76,       // "signature": names: hash; the content was changed
  kSignedAttributesInvalid = 77,     // "signedAttributes": detail: which rule
  kSigningCertificateMismatch = 78,  // "signedAttributes": ESS names another certificate
  kTimestampImprintMismatch = 79,    // "timestamp": names: hash
  kTsaExtendedKeyUsage = 80,         // "extendedKeyUsage": not a critical timeStamping-only EKU
  kByteRangeInvalid = 81,            // "byteRange": detail: the rule
  kDocumentModified = 82,            // "modifications": names: each change
  kDocMdpViolation = 83,             // "docMdp": actual: P; names: each change
  kFieldLocked = 84,                 // "fieldMdp": names: the field
};
inline constexpr int kFailureReasonCount = 85;

// One source's problem: an OCSP responder, a CRL distribution point, a
// caIssuers URL, or a response that came with the request.
struct SourceProblem {
  FailureReason reason = FailureReason::kUnspecified;
  std::string source;    // "ocsp", "crl", "stapled", "stapled_crl", "caIssuers"
  std::string location;  // the URL, when there is one
  absl::Time time = absl::InfinitePast();
  int64_t limit = 0;
  int64_t actual = 0;
  std::string detail;  // in no language: a field, an OID, a serial, a status code
};

struct Failure {
  FailureReason reason = FailureReason::kUnspecified;  // kUnspecified: nothing failed
  int position = 0;  // 1-based on the (candidate) path, the signer is 1; 0: none
  CertificatePtr certificate;
  absl::Time time = absl::InfinitePast();             // see the reason
  absl::Time validation_time = absl::InfinitePast();  // when it compares times
  int64_t limit = 0;
  int64_t actual = 0;
  std::vector<std::string> names;       // see the reason
  std::string detail;                   // in no language (the crypto library's text)
  int candidates_tried = 0;             // > 1: the first failure of several paths
  std::vector<SourceProblem> problems;  // revocation or issuer sources asked

  bool failed() const { return reason != FailureReason::kUnspecified; }
};

// `reason` for certificate i (0-based) of `path`, at `validation_time`.
Failure FailureAt(FailureReason reason, const std::vector<CertificatePtr>& path, size_t i,
                  absl::Time validation_time = absl::InfinitePast());

// The proto enum's name without its prefix ("CERTIFICATE_EXPIRED"), and the
// FailedCheck.check string the reason belongs to ("validity"; empty for the
// source problems, which are not checks).
std::string_view ReasonName(FailureReason reason);
std::string_view CheckName(FailureReason reason);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_FAILURE_H_
