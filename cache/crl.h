// A certificate revocation list (RFC 5280 5), validated against the CA that
// issued it and indexed for lookups on the hot path. Built off the hot path
// (when a CRL is fetched, stapled or loaded from disk); immutable after.
//
// A CRL is accepted only if all of these hold (RFC 5280 6.3.3): it is
// strict DER with nothing after it (cache/crl_der.h); its issuer name is the
// CA's subject and the CA may sign CRLs (keyUsage cRLSign when keyUsage is
// present) and its signature verifies with the CA's key, or else (6.3.3
// (f)) its signature verifies with the key of a certificate named as its
// issuer whose own path validated (crypto::CrlSigners: a separate
// CRL-signing key, the CA's key after a rollover, the issuer of an indirect
// CRL); thisUpdate is not in the future and nextUpdate is present and not in
// the past (both with skew); no unrecognised critical extension, on the CRL
// or on any entry; at most `max_entries` entries.
//
// Parsing is one pass over the DER: the entries are read in place, never
// decoded into objects; the signature is verified over the TBS bytes as
// received. What a CRL keeps is its DER (for evidence and the disk store)
// and the index: one 16-byte record per entry sorted by a 64-bit hash of
// the serial, and a directory from the hash's top bits to the records that
// start with them (about 8 per bucket). A lookup is a directory read and a
// binary search within one bucket; only a matching hash reads the entry
// from the DER to compare the serial: O(1) expected, a few cache lines
// (bench/crl_bench.cc measures it at 10^6 entries).
#ifndef SIGVERIFY_CACHE_CRL_H_
#define SIGVERIFY_CACHE_CRL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/crl_der.h"
#include "crypto/certificate.h"
#include "crypto/revocation.h"

namespace sigverify::cache {

struct CrlCheck {
  absl::Time now;
  absl::Duration skew = absl::Minutes(5);
  size_t max_entries = 4'000'000;
};

struct CrlEntry {
  absl::Time revocation_time;
  int reason = -1;  // CRLReason; -1 when the entry has none
};

// Who may have signed a CRL besides the CA, and for which certificate:
// they are asked only about a CRL that names the certificate's issuer (the
// CA's other key) or a cRLIssuer of one of its distribution points (an
// indirect CRL), so that the CRLs of the path's other CAs cost nothing.
struct OtherSigners {
  const crypto::CrlSigners* signers = nullptr;
  const crypto::Certificate* cert = nullptr;
};

// The ReasonFlags a CRL covers (RFC 5280 5.2.5 onlySomeReasons): bit n
// for the flag numbered n, keyCompromise (1) to aACompromise (8).
inline constexpr uint16_t kAllReasons = crypto::kAllReasonFlags;

// CRLReason removeFromCRL (RFC 5280 5.3.1): in a delta CRL, the
// certificate is no longer revoked (a released hold).
inline constexpr int kRemoveFromCrl = 8;

class Crl {
 public:
  // An error carries the rule that failed as a SourceProblem
  // (cache/source_error.h: ProblemOf): RESPONSE_MALFORMED, CRL_WRONG_ISSUER,
  // CRL_ISSUER_CANNOT_SIGN, RESPONSE_SIGNATURE_INVALID, CRL_NO_NEXT_UPDATE,
  // RESPONSE_NOT_YET_VALID, RESPONSE_STALE, RESPONSE_CRITICAL_EXTENSION,
  // CRL_TOO_LARGE (more than max_entries entries).
  static absl::StatusOr<std::shared_ptr<const Crl>> Parse(std::string_view der,
                                                          const crypto::Certificate& issuer,
                                                          const CrlCheck& check,
                                                          OtherSigners others = {});

  // OK when this CRL speaks for `cert` (issuer name; issuingDistributionPoint
  // scope: only user / only CA / only attribute certificates, and its
  // distribution point name against the certificate's); CRL_OUT_OF_SCOPE
  // naming the rule otherwise. It may speak for some reasons only
  // (reasons()): a status of "good" needs CRLs whose reasons add up to all.
  absl::Status Covers(const crypto::Certificate& cert) const { return Scope(cert).status(); }
  // The same, with the reasons it covers for `cert` (6.3.3 (d)): its own
  // (reasons()) intersected with the reasons fields of the distribution
  // points it serves (their union, when it serves several).
  absl::StatusOr<uint16_t> Scope(const crypto::Certificate& cert) const;
  // The entry listing `cert` (its serial; in an indirect CRL also its
  // issuer, from the certificateIssuer entry extensions), if any.
  std::optional<CrlEntry> Find(const crypto::Certificate& cert) const;
  // The same by serial: its magnitude, big-endian (as OpenSSL holds a
  // certificate's) and its sign; `cert_issuer` matters only for an
  // indirect CRL.
  std::optional<CrlEntry> FindSerial(std::string_view serial, const X509_NAME* cert_issuer,
                                     bool negative = false) const;

  absl::Time this_update() const { return this_update_; }
  absl::Time next_update() const { return next_update_; }
  const std::string& issuer() const { return issuer_; }  // RFC 4514
  // Who signed it when it was not the CA's key (certificate null otherwise).
  const crypto::CrlSigner& signer() const { return signer_; }
  size_t size() const { return records_.size(); }
  const std::string& der() const { return der_; }
  const std::string& der_sha256() const { return der_sha256_; }  // hex, computed at parse
  // The cRLNumber, big-endian magnitude ("" when absent).
  const std::string& number() const { return number_; }
  bool is_delta() const { return is_delta_; }
  // The reasons it covers: kAllReasons unless onlySomeReasons.
  uint16_t reasons() const { return reasons_; }
  // A delta CRL's BaseCRLNumber (deltaCRLIndicator), big-endian magnitude.
  const std::string& base_number() const { return base_number_; }
  // Where the delta CRLs for this (base) CRL are: its FreshestCRL extension.
  const std::vector<std::string>& delta_urls() const { return delta_urls_; }
  // Bytes the index holds (records and directory; the entries themselves
  // are read from der()), for metrics and bench/.
  size_t index_bytes() const;

 private:
  // An entry's record: the hash of its serial (SerialKey), where the entry
  // is in der_ (its serial and time are read from there on a match), its
  // issuer and its reason.
  struct Record {
    uint64_t hash;
    uint32_t entry;
    uint16_t issuer;  // index into issuers_ (indirect CRLs); 0: the CRL issuer
    int8_t reason;
    uint8_t unused;
  };
  static_assert(sizeof(Record) == 16);

  friend absl::Status CheckDeltaFor(const Crl& delta, const Crl& base);
  Crl() = default;
  absl::Status Index(const CrlLayout& layout, const CrlCheck& check);
  // The issuers_ index of a certificateIssuer (GeneralNames DER); `current`
  // when it names the same issuer as the entry before.
  absl::StatusOr<uint16_t> CertificateIssuer(std::string_view general_names, uint16_t current);

  std::string der_;
  std::string der_sha256_;
  std::string issuer_;
  crypto::CrlSigner signer_;
  absl::Time this_update_;
  absl::Time next_update_;
  std::string number_;
  std::string base_number_;
  bool is_delta_ = false;
  bool indirect_ = false;
  bool only_user_ = false, only_ca_ = false, only_attribute_ = false;
  uint16_t reasons_ = kAllReasons;
  // The IDP's distribution point names, as GeneralNameKey (a name relative
  // to the CRL issuer: the full name it stands for).
  std::vector<std::string> dp_names_;
  std::vector<std::string> delta_urls_;
  // Entry issuers: [0] the CRL's issuer, then the certificateIssuer names
  // of an indirect CRL.
  std::vector<crypto::OpenSslPtr<X509_NAME, X509_NAME_free>> issuers_;
  std::vector<Record> records_;      // sorted by hash
  std::vector<uint32_t> directory_;  // bucket -> first record; one extra: the end
  int directory_bits_ = 1;
};

// Whether `a`'s CRL number is greater than `b`'s (big-endian magnitudes).
bool CrlNumberGreater(const std::string& a, const std::string& b);

// OK when `delta` may be merged with `base` (RFC 5280 5.2.4, 6.3.3(c)):
// it is a delta CRL of the same issuer and scope whose BaseCRLNumber is not
// above the base's cRLNumber, and it is not older than the base.
absl::Status CheckDeltaFor(const Crl& delta, const Crl& base);

// Whether `cert` is revoked by `base` merged with `delta` (when not null):
// an entry in the delta wins; removeFromCRL in the delta clears the base's.
std::optional<CrlEntry> RevokedBy(const Crl& base, const Crl* delta,
                                  const crypto::Certificate& cert);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_CRL_H_
