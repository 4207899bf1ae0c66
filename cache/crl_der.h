// A CertificateList (RFC 5280 5.1) read in place, in one pass over its DER:
// where the signed part and the list of revoked certificates are, and each
// entry of that list without decoding it into objects. A CRL of a national
// CA has a million entries; decoding each into OpenSSL's structures is what
// made parsing one take seconds and keep twice its size.
//
// Strict DER, so that the bytes have one meaning: definite lengths in the
// fewest bytes, INTEGERs in the fewest bytes, BOOLEAN DEFAULT FALSE absent
// rather than FALSE, times in RFC 5280's forms (YYMMDDHHMMSSZ,
// YYYYMMDDHHMMSSZ), nothing after the last field of any structure. Entry
// extensions are checked here: crlReason, invalidityDate,
// certificateIssuer and holdInstructionCode each at most once and well
// formed; any other critical one refuses the list. Errors are SourceErrors
// (cache/source_error.h): RESPONSE_MALFORMED naming the field, or
// RESPONSE_CRITICAL_EXTENSION naming the extension.
#ifndef SIGVERIFY_CACHE_CRL_DER_H_
#define SIGVERIFY_CACHE_CRL_DER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sigverify::cache {

struct CrlLayout {
  // The TBSCertList, tag and length included: the bytes the signature covers.
  std::string_view tbs;
  // The outer signatureAlgorithm, which the TBS's `signature` field repeats
  // byte for byte (checked).
  std::string_view signature_algorithm;
  // The contents of revokedCertificates (empty when the field is absent)
  // and where they start in the DER.
  std::string_view revoked;
  size_t revoked_offset = 0;
  // The same CertificateList without revokedCertificates: everything else,
  // small enough to decode with a general ASN.1 library. Its signature no
  // longer matches; verify `tbs`.
  std::string shell;
};

// Splits `der`, which must be exactly one CertificateList.
absl::StatusOr<CrlLayout> SplitCertificateList(std::string_view der);

struct RevokedEntry {
  // userCertificate's contents: two's complement, fewest bytes.
  std::string_view serial;
  absl::Time revocation_time;
  int reason = -1;  // CRLReason; -1 when the entry has none
  // The certificateIssuer extension's GeneralNames, tag and length
  // included; empty when the entry has none.
  std::string_view certificate_issuer;
};

// The entries of revokedCertificates, in order.
class RevokedReader {
 public:
  explicit RevokedReader(std::string_view list) : list_(list), rest_(list) {}
  bool done() const { return rest_.empty(); }
  // Reads the next entry; `offset`: where it starts in the list.
  absl::Status Next(RevokedEntry& entry, size_t& offset);

 private:
  std::string_view list_;
  std::string_view rest_;
};

// How many entries the list holds, counting their outer headers only (the
// entries themselves are checked by RevokedReader).
absl::StatusOr<size_t> CountRevoked(std::string_view list);

// The entry at the front of `at` (read before by a RevokedReader);
// `head_only`: its serial and time, not its extensions (reason -1).
absl::StatusOr<RevokedEntry> ReadRevoked(std::string_view at, bool head_only = false);

// A serial as compared with a certificate's: its magnitude, big-endian
// without leading zeros (zero: empty), and its sign. Serials are positive
// (RFC 5280 4.1.2.2) but CAs have issued negative ones.
struct SerialKey {
  std::string_view magnitude;
  bool negative = false;
};
// The key of INTEGER contents `twos_complement`; a negative one's magnitude
// is written into `scratch`.
SerialKey SerialKeyOf(std::string_view twos_complement, std::string& scratch);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_CRL_DER_H_
