// RFC 3161 timestamps read in place: a TimeStampResp's status and token,
// and the TSTInfo a token signs. The token itself is a SignedData whose
// signature is checked like any other (signer_info.h).
#ifndef SIGVERIFY_CRYPTO_CMS_TST_INFO_H_
#define SIGVERIFY_CRYPTO_CMS_TST_INFO_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/algorithm.h"

namespace sigverify::crypto::cms {

struct TstInfo {
  absl::Time gen_time;
  // The messageImprint: its hash (kNone: another, see imprint_hash_name)
  // and value.
  HashAlgorithm imprint_hash = HashAlgorithm::kNone;
  std::string imprint_hash_name;
  std::string imprint;
  int64_t accuracy_micros = 0;  // 0: none given
  std::string policy_oid;
  std::string serial_hex;
};

// TSTInfo (RFC 3161 2.4.2), DER. Errors: format_error.h.
absl::StatusOr<TstInfo> ParseTstInfo(std::string_view der);

// Whether `der` is a TimeStampResp (a SEQUENCE opening with a
// PKIStatusInfo SEQUENCE) rather than a ContentInfo (opening with an OID).
bool IsTimeStampResp(std::string_view der);

// The timeStampToken of a TimeStampResp whose status is granted (0) or
// grantedWithMods (1), as the bytes in the response. Errors: format_error.h,
// naming a refusal's status.
absl::StatusOr<std::string_view> TokenOfResponse(std::string_view der);

}  // namespace sigverify::crypto::cms

#endif  // SIGVERIFY_CRYPTO_CMS_TST_INFO_H_
