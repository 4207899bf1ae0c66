#include "crypto/message_catalog.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace sigverify::crypto {
namespace {

using R = FailureReason;
using F = Fragment;

template <typename Key>
struct Text {
  Key key;
  std::string_view text;
};

// Each language: its reasons, fragments and outcomes. Rows may come in any
// order; a test holds each table complete.
struct Table {
  absl::Span<const Text<FailureReason>> reasons;
  absl::Span<const Text<Fragment>> fragments;
  absl::Span<const Text<Outcome>> outcomes;
};

constexpr Text<FailureReason> kVietnameseReasons[] = {
    {R::kUnspecified, "không có lỗi"},
    {R::kSignatureInvalid, "chữ ký {name0} không hợp lệ với khóa {name1} của người ký"},
    {R::kSignatureOverOtherData,
     "chữ ký đúng là của người ký nhưng trên giá trị băm {name0} khác: dữ liệu đã bị thay đổi"},
    {R::kSchemeDoesNotFitKey, "{name0} không phù hợp với khóa {name1} của người ký"},
    {R::kKeyCannotVerify, "khóa {name0} của người ký không kiểm tra được {name1} với {name2}"},
    {R::kEd25519NeedsData,
     "Ed25519 ký trực tiếp trên dữ liệu: không thể kiểm tra bằng giá trị băm"},
    {R::kNoHashAlgorithm, "chưa chỉ định hàm băm"},
    {R::kDigestLength, "giá trị băm {name0} dài {limit} byte, nhận được {actual}"},
    {R::kRawEcdsaLength, "chữ ký r||s cho khóa {name0} dài {limit} byte, nhận được {actual}"},
    {R::kSignatureEngine, "thư viện mật mã không kiểm tra được chữ ký ({name0})"},
    {R::kDocumentHashRefused, "chữ ký trên tài liệu dùng {name0}, bị chính sách xác thực từ chối"},
    {R::kKeyTooSmall, "{who}: khóa {name0} nhỏ hơn mức tối thiểu của chính sách ({limit} bit)"},
    {R::kKeyTypeUnsupported, "{who}: khóa thuộc loại không được hỗ trợ"},
    {R::kCertificateWeakHash, "{who}: chữ ký dùng hàm băm MD2/MD4/MD5"},
    {R::kCertificateHashRefused, "chữ ký trên {who} dùng {name0}, bị chính sách xác thực từ chối"},
    {R::kCertificateExpired, "{who}: đã hết hạn: notAfter {time} trước thời điểm xác thực {at}"},
    {R::kCertificateNotYetValid,
     "{who}: chưa có hiệu lực: notBefore {time} sau thời điểm xác thực {at}"},
    {R::kIssuerNotFound,
     "không tìm thấy đường dẫn đến chứng thư số tin cậy: tổ chức cấp \"{name0}\" của \"{name1}\" "
     "không có trong các chứng thư số được gửi, kho chứng thư số trung gian hay danh sách tin cậy"},
    {R::kNotTrusted, "{who}: không thuộc danh sách tin cậy"},
    {R::kPolicyNotServed,
     "đường dẫn chỉ dẫn tới chứng thư số tin cậy ({rest}) không được dùng theo chính sách xác "
     "thực \"{name0}\""},
    {R::kCertificateSignatureInvalid, "{who}: chữ ký trên chứng thư số không hợp lệ"},
    {R::kNotACa, "{who}: không phải chứng thư số của tổ chức cấp (basicConstraints cA)"},
    {R::kPathLengthExceeded, "{who}: vượt quá độ dài đường dẫn cho phép (pathLenConstraint)"},
    {R::kNoKeyCertSign, "{who}: keyUsage không cho phép ký chứng thư số (keyCertSign)"},
    {R::kSignerKeyUsage, "{who}: keyUsage không cho phép digitalSignature hay nonRepudiation"},
    {R::kSignerExtendedKeyUsage, "{who}: extendedKeyUsage ({names}) không cho phép ký tài liệu"},
    {R::kPurposeMismatch, "{who}: mục đích sử dụng không phù hợp"},
    {R::kUnhandledCriticalExtension, "{who}: có phần mở rộng critical không được hỗ trợ"},
    {R::kInvalidExtension, "{who}: có phần mở rộng không hợp lệ"},
    {R::kInvalidPolicyExtension, "{who}: có phần mở rộng chính sách chứng thư số không hợp lệ"},
    {R::kNoValidPolicy,
     "{who}: không có chính sách chứng thư số (certificate policy) hợp lệ cho toàn đường "
     "dẫn{required}"},
    {R::kNameNotPermitted, "{who}: tên nằm ngoài phạm vi được phép (nameConstraints)"},
    {R::kNameExcluded, "{who}: tên thuộc phạm vi bị loại trừ (nameConstraints)"},
    {R::kNameConstraintUnsupported, "{who}: ràng buộc tên (nameConstraints) không được hỗ trợ"},
    {R::kPathInvalid, "{who}: đường dẫn chứng thực không hợp lệ (mã lỗi X.509 {detail})"},
    {R::kPathMismatch, "đường dẫn đã xác thực khác đường dẫn được xây dựng"},
    {R::kOutOfMemory, "hết bộ nhớ"},
    {R::kRevoked,
     "{who}: đã bị thu hồi lúc {time}{revocation_reason}, trước thời điểm xác thực {at} (nguồn: "
     "{source})"},
    {R::kRevocationUnavailable, "{who}: chưa có thông tin thu hồi còn hiệu lực: {problems}"},
    {R::kRevocationSourceMissing,
     "{who}: không nêu nguồn thông tin thu hồi nào, mà chứng thư số tin cậy yêu cầu có thông tin "
     "thu hồi cho mọi chứng thư số"},
    {R::kResponseMalformed, "phản hồi không đúng định dạng ({detail})"},
    {R::kResponderError, "máy chủ OCSP trả lời {detail}"},
    {R::kResponseSignatureInvalid, "chữ ký trên phản hồi không hợp lệ"},
    {R::kResponderNotAuthorised,
     "phản hồi được ký bằng khóa không phải của tổ chức cấp, cũng không phải của máy chủ OCSP "
     "được tổ chức cấp ủy quyền"},
    {R::kResponderNotForOcsp,
     "chứng thư số của máy chủ OCSP được ủy quyền thiếu id-kp-OCSPSigning"},
    {R::kResponderCertificateExpired,
     "chứng thư số của máy chủ OCSP được ủy quyền không có hiệu lực tại thời điểm này"},
    {R::kNoAnswerForCertificate, "phản hồi không có trạng thái cho số hiệu {detail}"},
    {R::kResponderDoesNotKnow, "máy chủ OCSP không biết chứng thư số này"},
    {R::kResponseCriticalExtension,
     "phản hồi có phần mở rộng critical không được hỗ trợ ({detail})"},
    {R::kNonceMismatch, "nonce trong phản hồi khác nonce đã gửi (phản hồi bị phát lại?)"},
    {R::kResponseNotYetValid, "thisUpdate {time} của phản hồi nằm ở tương lai"},
    {R::kResponseStale, "phản hồi đã quá hạn: nextUpdate {time} đã qua"},
    {R::kCrlWrongIssuer, "CRL do {detail} phát hành, không phải tổ chức cấp của chứng thư số"},
    {R::kCrlIssuerCannotSign, "chứng thư số của tổ chức cấp không cho phép ký CRL (cRLSign)"},
    {R::kCrlNoNextUpdate, "CRL không có nextUpdate nên không đánh giá được độ mới"},
    {R::kCrlTooLarge, "CRL quá lớn: {actual} mục, tối đa {limit} mục được chấp nhận"},
    {R::kCrlOutOfScope, "CRL không áp dụng cho chứng thư số này ({detail})"},
    {R::kCrlIsDelta, "nhận được CRL delta thay vì CRL đầy đủ mà chứng thư số chỉ tới"},
    {R::kDeltaCrlMismatch, "CRL delta không khớp với CRL cơ sở ({detail})"},
    {R::kFetchFailed, "tải thất bại ({detail})"},
    {R::kFetchTimedOut, "không có trả lời trong {limit} ms"},
    {R::kFetchTooLarge, "câu trả lời lớn hơn {limit} byte"},
    {R::kUrlNotAllowed, "không tải: địa chỉ không thuộc tiền tố được phép"},
    {R::kBackingOff, "đã thất bại {actual} lần; chưa hỏi lại trước {time}"},
    {R::kTooManyFetches, "bỏ qua: quá nhiều yêu cầu tải đồng thời (tối đa {limit})"},
    {R::kNotACertificate, "câu trả lời không phải chứng thư số DER hay gói chứng thư số PKCS#7"},
    {R::kSourceInternal, "lỗi nội bộ ({detail})"},
    {R::kExpiredAfterClaimedTime,
     "{who}: hợp lệ tại thời điểm xác thực {at} do yêu cầu đưa ra, nhưng đã hết hạn lúc {time}; "
     "không có gì chứng minh chữ ký tồn tại tại thời điểm đó"},
    {R::kRevokedAfterClaimedTime,
     "{who}: đã bị thu hồi lúc {time}{revocation_reason} (nguồn: {source}); thời điểm xác thực "
     "{at} do yêu cầu đưa ra không chứng minh chữ ký có trước khi bị thu hồi"},
    {R::kCrlNotFetchable,
     "điểm phân phối CRL ({detail}) không có địa chỉ để tải và yêu cầu không kèm CRL nào áp dụng "
     "cho chứng thư số"},
    {R::kCrlSignerUntrusted,
     "CRL do {detail} ký, nhưng chứng thư số của bên ký này không còn xác thực được tới cùng "
     "chứng thư số gốc"},
    {R::kResponderRevoked,
     "chứng thư số của máy chủ OCSP được ủy quyền đã bị thu hồi lúc {time} theo CRL kèm theo"},
    {R::kFormatInvalid, "không đọc được tài liệu hoặc chữ ký: {detail}"},
    {R::kLimitExceeded, "tài liệu vượt giới hạn {name0}: {actual} (tối đa {limit})"},
    {R::kUnsupportedSignatureFormat, "định dạng chữ ký {name0} không được hỗ trợ"},
    {R::kSignerCertificateNotFound,
     "không tìm thấy chứng thư số của người ký ({detail}) trong chữ ký hay trong yêu cầu"},
    {R::kMessageDigestMismatch,
     "giá trị băm {name0} của nội dung khác giá trị đã ký: nội dung đã bị thay đổi"},
    {R::kSignedAttributesInvalid, "thuộc tính được ký không hợp lệ: {detail}"},
    {R::kSigningCertificateMismatch,
     "thuộc tính signingCertificate chỉ tới chứng thư số khác với chứng thư số của người ký"},
    {R::kTimestampImprintMismatch,
     "dấu thời gian được cấp cho dữ liệu khác (messageImprint {name0} không khớp)"},
    {R::kTsaExtendedKeyUsage,
     "{who}: không phải chứng thư số cấp dấu thời gian (cần extendedKeyUsage timeStamping duy "
     "nhất, critical)"},
    {R::kByteRangeInvalid, "vùng ký (/ByteRange) không hợp lệ: {detail}"},
    {R::kDocumentModified, "tài liệu đã bị sửa sau khi ký: {names}"},
    {R::kDocMdpViolation, "chữ ký chứng nhận (mức P{actual}) không cho phép thay đổi: {names}"},
    {R::kFieldLocked, "trường {name0} bị chữ ký khóa nhưng đã bị thay đổi"},
};

constexpr Text<FailureReason> kEnglishReasons[] = {
    {R::kUnspecified, "nothing failed"},
    {R::kSignatureInvalid, "{name0} signature does not verify with the signer's {name1} key"},
    {R::kSignatureOverOtherData,
     "the signature is the signer's, but over a different {name0} digest: the data was changed"},
    {R::kSchemeDoesNotFitKey, "{name0} does not fit the signer's {name1} key"},
    {R::kKeyCannotVerify, "the signer's {name0} key cannot verify {name1} with {name2}"},
    {R::kEd25519NeedsData, "Ed25519 signs the data itself: a digest cannot be verified"},
    {R::kNoHashAlgorithm, "no hash algorithm given"},
    {R::kDigestLength, "a {name0} digest is {limit} bytes, got {actual}"},
    {R::kRawEcdsaLength, "an r||s signature for {name0} is {limit} bytes, got {actual}"},
    {R::kSignatureEngine, "the crypto library could not check the signature ({name0})"},
    {R::kDocumentHashRefused,
     "the document signature uses {name0}, refused by the validation policy"},
    {R::kKeyTooSmall, "{who}: {name0} key is below the policy minimum of {limit} bits"},
    {R::kKeyTypeUnsupported, "{who}: the key is of an unsupported type"},
    {R::kCertificateWeakHash, "{who}: signed with MD2/MD4/MD5"},
    {R::kCertificateHashRefused,
     "the signature on {who} uses {name0}, refused by the validation policy"},
    {R::kCertificateExpired,
     "{who}: certificate has expired: notAfter {time} is before the validation time {at}"},
    {R::kCertificateNotYetValid,
     "{who}: certificate is not yet valid: notBefore {time} is after the validation time {at}"},
    {R::kIssuerNotFound,
     "no path to a trust anchor: the issuer \"{name0}\" of \"{name1}\" is neither among the "
     "certificates sent, the intermediate pool nor the trust anchors"},
    {R::kNotTrusted, "{who}: not among the trust anchors"},
    {R::kPolicyNotServed,
     "the only paths found end at trust anchors ({rest}) that are not used under validation "
     "policy \"{name0}\""},
    {R::kCertificateSignatureInvalid, "{who}: certificate signature failure"},
    {R::kNotACa, "{who}: not a CA certificate (basicConstraints cA)"},
    {R::kPathLengthExceeded, "{who}: path length constraint exceeded (pathLenConstraint)"},
    {R::kNoKeyCertSign, "{who}: keyUsage does not allow keyCertSign"},
    {R::kSignerKeyUsage, "{who}: keyUsage allows neither digitalSignature nor nonRepudiation"},
    {R::kSignerExtendedKeyUsage,
     "{who}: extendedKeyUsage ({names}) does not allow signing documents"},
    {R::kPurposeMismatch, "{who}: unsuitable certificate purpose"},
    {R::kUnhandledCriticalExtension, "{who}: unhandled critical extension"},
    {R::kInvalidExtension, "{who}: invalid or inconsistent certificate extension"},
    {R::kInvalidPolicyExtension, "{who}: invalid or inconsistent certificate policy extension"},
    {R::kNoValidPolicy, "{who}: no explicit policy valid for the whole path{required}"},
    {R::kNameNotPermitted, "{who}: permitted subtree violation (nameConstraints)"},
    {R::kNameExcluded, "{who}: excluded subtree violation (nameConstraints)"},
    {R::kNameConstraintUnsupported, "{who}: name constraint (nameConstraints) not supported"},
    {R::kPathInvalid, "{who}: the path is not valid (X.509 error {detail})"},
    {R::kPathMismatch, "the validated path differs from the candidate path"},
    {R::kOutOfMemory, "out of memory"},
    {R::kRevoked,
     "{who}: revoked at {time}{revocation_reason}, before the validation time {at} (source: "
     "{source})"},
    {R::kRevocationUnavailable, "{who}: no fresh revocation status: {problems}"},
    {R::kRevocationSourceMissing,
     "{who}: names no revocation source, and its trust anchor requires status for every "
     "certificate"},
    {R::kResponseMalformed, "the response is malformed ({detail})"},
    {R::kResponderError, "the OCSP responder answered {detail}"},
    {R::kResponseSignatureInvalid, "the response's signature does not verify"},
    {R::kResponderNotAuthorised,
     "the response is signed by a key that is neither the issuing CA's nor a responder certified "
     "by it"},
    {R::kResponderNotForOcsp, "the delegated OCSP responder's certificate lacks id-kp-OCSPSigning"},
    {R::kResponderCertificateExpired,
     "the delegated OCSP responder's certificate is not valid at the time"},
    {R::kNoAnswerForCertificate, "the response has no answer for serial {detail}"},
    {R::kResponderDoesNotKnow, "the OCSP responder does not know this certificate"},
    {R::kResponseCriticalExtension,
     "the response has an unrecognised critical extension ({detail})"},
    {R::kNonceMismatch, "the response's nonce is not the one sent (a replayed response?)"},
    {R::kResponseNotYetValid, "the response's thisUpdate {time} is in the future"},
    {R::kResponseStale, "the response is stale: nextUpdate {time} has passed"},
    {R::kCrlWrongIssuer, "the CRL is issued by {detail}, not by the certificate's issuer"},
    {R::kCrlIssuerCannotSign, "the CA's certificate does not allow it to sign CRLs (cRLSign)"},
    {R::kCrlNoNextUpdate, "the CRL has no nextUpdate, so its freshness cannot be judged"},
    {R::kCrlTooLarge, "the CRL is too large: {actual} entries, at most {limit} are accepted"},
    {R::kCrlOutOfScope, "the CRL does not cover this certificate ({detail})"},
    {R::kCrlIsDelta, "a delta CRL, not the complete CRL the certificate names"},
    {R::kDeltaCrlMismatch, "the delta CRL does not fit its base CRL ({detail})"},
    {R::kFetchFailed, "fetch failed ({detail})"},
    {R::kFetchTimedOut, "no answer within {limit} ms"},
    {R::kFetchTooLarge, "the answer is larger than {limit} bytes"},
    {R::kUrlNotAllowed, "not fetched: the URL is not under an allowed prefix"},
    {R::kBackingOff, "failed {actual} time(s); not asked again before {time}"},
    {R::kTooManyFetches, "skipped: too many fetches at once (at most {limit})"},
    {R::kNotACertificate,
     "the answer is neither a DER certificate nor a PKCS#7 certificate bundle"},
    {R::kSourceInternal, "internal error ({detail})"},
    {R::kExpiredAfterClaimedTime,
     "{who}: valid at the validation time {at} the request gave, but expired at {time}; nothing "
     "proves the signature existed at that time"},
    {R::kRevokedAfterClaimedTime,
     "{who}: revoked at {time}{revocation_reason} (source: {source}); the validation time {at} "
     "the request gave does not prove the signature came before the revocation"},
    {R::kCrlNotFetchable,
     "the CRL distribution point ({detail}) has no address to fetch from, and no CRL in the "
     "request covers the certificate"},
    {R::kCrlSignerUntrusted,
     "the CRL was signed by {detail}, whose certificate no longer validates to the same trust "
     "anchor"},
    {R::kResponderRevoked,
     "the delegated OCSP responder's certificate was revoked at {time} by a CRL at hand"},
    {R::kFormatInvalid, "the document or signature cannot be read: {detail}"},
    {R::kLimitExceeded, "the document exceeds the limit {name0}: {actual} (at most {limit})"},
    {R::kUnsupportedSignatureFormat, "the signature format {name0} is not supported"},
    {R::kSignerCertificateNotFound,
     "the signer's certificate ({detail}) is neither in the signature nor in the request"},
    {R::kMessageDigestMismatch,
     "the {name0} digest of the content differs from the one signed: the content was changed"},
    {R::kSignedAttributesInvalid, "the signed attributes are invalid: {detail}"},
    {R::kSigningCertificateMismatch,
     "the signingCertificate attribute names another certificate than the signer's"},
    {R::kTimestampImprintMismatch,
     "the timestamp was issued over other data (its {name0} messageImprint does not match)"},
    {R::kTsaExtendedKeyUsage,
     "{who}: not a timestamping certificate (needs a critical extendedKeyUsage of timeStamping "
     "alone)"},
    {R::kByteRangeInvalid, "the signature's /ByteRange is invalid: {detail}"},
    {R::kDocumentModified, "the document was changed after it was signed: {names}"},
    {R::kDocMdpViolation,
     "the certification signature (level P{actual}) forbids the changes: {names}"},
    {R::kFieldLocked, "field {name0} is locked by the signature but was changed"},
};

constexpr Text<Fragment> kVietnameseFragments[] = {
    {F::kCertificateAt, "chứng thư số thứ {position} của đường dẫn ({name})"},
    {F::kThePath, "đường dẫn chứng thực"},
    {F::kCandidatesTried, " (đã thử {tried} đường dẫn)"},
    {F::kRevocationReason, " (lý do {code})"},
    {F::kRequiredPolicies, " (chứng thư số tin cậy {name0} yêu cầu {rest})"},
    {F::kSourceOcsp, "OCSP"},
    {F::kSourceCrl, "CRL"},
    {F::kSourceStapledOcsp, "phản hồi OCSP gửi kèm yêu cầu"},
    {F::kSourceStapledCrl, "CRL gửi kèm yêu cầu"},
    {F::kSourceCaIssuers, "địa chỉ caIssuers"},
    {F::kSignatureNumber, "chữ ký thứ {n}: "},
};

constexpr Text<Fragment> kEnglishFragments[] = {
    {F::kCertificateAt, "certificate {position} of the path ({name})"},
    {F::kThePath, "the path"},
    {F::kCandidatesTried, " ({tried} candidate paths tried)"},
    {F::kRevocationReason, " (reason {code})"},
    {F::kRequiredPolicies, " (trust anchor {name0} requires {rest})"},
    {F::kSourceOcsp, "OCSP"},
    {F::kSourceCrl, "CRL"},
    {F::kSourceStapledOcsp, "the OCSP response sent with the request"},
    {F::kSourceStapledCrl, "the CRL sent with the request"},
    {F::kSourceCaIssuers, "caIssuers"},
    {F::kSignatureNumber, "signature {n}: "},
};

constexpr Text<Outcome> kVietnameseOutcomes[] = {
    {Outcome::kSignatureAndPathValid, "chữ ký và đường dẫn chứng thực hợp lệ"},
    {Outcome::kSignatureAndPathValidAtGivenTime,
     "chữ ký và đường dẫn chứng thực hợp lệ tại thời điểm xác thực do yêu cầu cung cấp (chưa "
     "được chứng minh)"},
    {Outcome::kSignatureAndPathValidAtAttestedTime,
     "chữ ký và đường dẫn chứng thực hợp lệ tại thời điểm xác thực do hệ thống gửi yêu cầu xác "
     "nhận (hệ thống được cấp quyền xác nhận thời điểm)"},
    {Outcome::kPathValid, "đường dẫn chứng thực hợp lệ"},
    {Outcome::kPathValidAtAttestedTime,
     "đường dẫn chứng thực hợp lệ tại thời điểm xác thực do hệ thống gửi yêu cầu xác nhận (hệ "
     "thống được cấp quyền xác nhận thời điểm)"},
    {Outcome::kPathValidAtGivenTime,
     "đường dẫn chứng thực hợp lệ tại thời điểm xác thực do yêu cầu cung cấp (chưa được chứng "
     "minh)"},
    {Outcome::kDocumentValid, "mọi chữ ký của tài liệu đều hợp lệ"},
    {Outcome::kSignatureValidAtTimestamp,
     "chữ ký và đường dẫn chứng thực hợp lệ tại thời điểm dấu thời gian chứng minh"},
    {Outcome::kTimestampValid, "dấu thời gian hợp lệ"},
    {Outcome::kNoteNoSigningCertificate,
     "chữ ký không có thuộc tính signingCertificate (ESS) gắn với chứng thư số của người ký"},
    {Outcome::kNoteSigningTimeSevenHoursAhead,
     "thời điểm ký do người ký ghi sớm hơn dấu thời gian 7 giờ: giờ Việt Nam bị ghi như giờ UTC"},
    {Outcome::kNoteSigningTimeAfterTimestamp,
     "thời điểm ký do người ký ghi muộn hơn thời điểm dấu thời gian chứng minh"},
    {Outcome::kNoteCounterSignatures, "có chữ ký phê duyệt (countersignature) chưa được kiểm tra"},
    {Outcome::kNoteTimestampFailed,
     "một dấu thời gian của chữ ký không hợp lệ và không được dùng làm bằng chứng thời điểm"},
    {Outcome::kNoteUnreadableCertificates, "chữ ký chứa chứng thư số không đọc được (bỏ qua)"},
};

constexpr Text<Outcome> kEnglishOutcomes[] = {
    {Outcome::kSignatureAndPathValid, "signature and path valid"},
    {Outcome::kSignatureAndPathValidAtGivenTime,
     "signature and path valid at the validation time given in the request (not proven)"},
    {Outcome::kSignatureAndPathValidAtAttestedTime,
     "signature and path valid at the validation time attested by the calling system (granted "
     "to attest times)"},
    {Outcome::kPathValid, "path valid"},
    {Outcome::kPathValidAtAttestedTime,
     "path valid at the validation time attested by the calling system (granted to attest "
     "times)"},
    {Outcome::kPathValidAtGivenTime,
     "path valid at the validation time given in the request (not proven)"},
    {Outcome::kDocumentValid, "every signature of the document is valid"},
    {Outcome::kSignatureValidAtTimestamp,
     "signature and path valid at the time its timestamp proves"},
    {Outcome::kTimestampValid, "timestamp valid"},
    {Outcome::kNoteNoSigningCertificate,
     "the signature has no ESS signingCertificate attribute binding the signer's certificate"},
    {Outcome::kNoteSigningTimeSevenHoursAhead,
     "the signing time the signer wrote is 7 hours ahead of its timestamp: local time written "
     "as UTC"},
    {Outcome::kNoteSigningTimeAfterTimestamp,
     "the signing time the signer wrote is later than the time its timestamp proves"},
    {Outcome::kNoteCounterSignatures, "counter-signatures are present and were not validated"},
    {Outcome::kNoteTimestampFailed, "a timestamp of the signature is not valid and proves no time"},
    {Outcome::kNoteUnreadableCertificates,
     "the signature carries certificates that cannot be read (ignored)"},
};

const Table& TableFor(Language language) {
  static const Table kVietnamese = {kVietnameseReasons, kVietnameseFragments, kVietnameseOutcomes};
  static const Table kEnglish = {kEnglishReasons, kEnglishFragments, kEnglishOutcomes};
  return language == Language::kEnglish ? kEnglish : kVietnamese;
}

template <typename Key>
std::string_view Find(absl::Span<const Text<Key>> texts, Key key) {
  for (const Text<Key>& t : texts) {
    if (t.key == key) return t.text;
  }
  return {};
}

std::string SourceLabel(std::string_view source, Language language) {
  Fragment label;
  if (source == "ocsp") {
    label = F::kSourceOcsp;
  } else if (source == "crl") {
    label = F::kSourceCrl;
  } else if (source == "stapled") {
    label = F::kSourceStapledOcsp;
  } else if (source == "stapled_crl") {
    label = F::kSourceStapledCrl;
  } else if (source == "caIssuers") {
    label = F::kSourceCaIssuers;
  } else {
    return std::string(source);
  }
  return std::string(TextOf(label, language));
}

std::string Fill(std::string_view text,
                 std::initializer_list<std::pair<absl::string_view, absl::string_view>> params) {
  return absl::StrReplaceAll(absl::string_view(text.data(), text.size()), params);
}

std::string TimeText(absl::Time t) {
  return t == absl::InfinitePast() ? std::string("-") : FormatUtc(t);
}

std::string NameAt(const std::vector<std::string>& names, size_t i) {
  return i < names.size() ? names[i] : std::string();
}

}  // namespace

std::string_view TextOf(FailureReason reason, Language language) {
  return Find<FailureReason>(TableFor(language).reasons, reason);
}

std::string_view TextOf(Fragment fragment, Language language) {
  return Find<Fragment>(TableFor(language).fragments, fragment);
}

std::string_view Render(Outcome outcome, Language language) {
  return Find<Outcome>(TableFor(language).outcomes, outcome);
}

std::string Render(const SourceProblem& problem, Language language) {
  const std::string text =
      Fill(TextOf(problem.reason, language), {{"{time}", TimeText(problem.time)},
                                              {"{limit}", absl::StrCat(problem.limit)},
                                              {"{actual}", absl::StrCat(problem.actual)},
                                              {"{detail}", problem.detail}});
  const std::string where =
      problem.location.empty() ? SourceLabel(problem.source, language) : problem.location;
  return where.empty() ? text : absl::StrCat(where, ": ", text);
}

std::string Render(absl::Span<const SourceProblem> problems, Language language) {
  return absl::StrJoin(problems, "; ", [language](std::string* out, const SourceProblem& p) {
    out->append(Render(p, language));
  });
}

std::string Render(const Failure& failure, Language language) {
  const std::string name = failure.certificate ? failure.certificate->display_name() : "";
  const std::string position = absl::StrCat(failure.position);
  const std::string who =
      failure.position > 0 && failure.certificate
          ? Fill(TextOf(F::kCertificateAt, language), {{"{position}", position}, {"{name}", name}})
          : std::string(TextOf(F::kThePath, language));
  const std::vector<std::string>& names = failure.names;
  const std::string rest =
      names.size() > 1 ? absl::StrJoin(names.begin() + 1, names.end(), ", ") : std::string();
  const std::string required =
      failure.reason == R::kNoValidPolicy && names.size() > 1
          ? Fill(TextOf(F::kRequiredPolicies, language), {{"{name0}", names[0]}, {"{rest}", rest}})
          : std::string();
  const std::string revocation_reason =
      (failure.reason == R::kRevoked || failure.reason == R::kRevokedAfterClaimedTime) &&
              failure.actual >= 0
          ? Fill(TextOf(F::kRevocationReason, language), {{"{code}", absl::StrCat(failure.actual)}})
          : std::string();
  const std::string_view text = TextOf(failure.reason, language);
  std::string out = Fill(text, {{"{who}", who},
                                {"{position}", position},
                                {"{name}", name},
                                {"{time}", TimeText(failure.time)},
                                {"{at}", TimeText(failure.validation_time)},
                                {"{limit}", absl::StrCat(failure.limit)},
                                {"{actual}", absl::StrCat(failure.actual)},
                                {"{names}", absl::StrJoin(names, ", ")},
                                {"{name0}", NameAt(names, 0)},
                                {"{name1}", NameAt(names, 1)},
                                {"{name2}", NameAt(names, 2)},
                                {"{rest}", rest},
                                {"{detail}", failure.detail},
                                {"{source}", SourceLabel(failure.detail, language)},
                                {"{required}", required},
                                {"{revocation_reason}", revocation_reason},
                                {"{problems}", Render(failure.problems, language)}});
  // Problems the text has no place for (what the issuer sources found).
  if (!failure.problems.empty() && text.find("{problems}") == std::string_view::npos) {
    absl::StrAppend(&out, "; ", Render(failure.problems, language));
  }
  if (failure.candidates_tried > 1) {
    absl::StrAppend(&out, Fill(TextOf(F::kCandidatesTried, language),
                               {{"{tried}", absl::StrCat(failure.candidates_tried)}}));
  }
  return out;
}

}  // namespace sigverify::crypto
