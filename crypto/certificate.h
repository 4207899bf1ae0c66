// A parsed X.509 certificate with the fields verdicts and caches need, decoded
// once. Immutable after Parse(), so one instance is shared across threads.
#ifndef SIGVERIFY_CRYPTO_CERTIFICATE_H_
#define SIGVERIFY_CRYPTO_CERTIFICATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/certificate_urls.h"
#include "crypto/openssl_ptr.h"
#include "crypto/public_key.h"
#include "crypto/sha256.h"

namespace sigverify::crypto {

// RFC 5280 4.2.1.3 KeyUsage bits, as X509_get_key_usage reports them.
inline constexpr uint32_t kKeyUsageDigitalSignature = 0x80;
inline constexpr uint32_t kKeyUsageNonRepudiation = 0x40;

// Upper bound on one encoded certificate; real ones are 1-3 KiB.
inline constexpr size_t kMaxCertificateBytes = 64 * 1024;

class Certificate {
 public:
  // Accepts one DER certificate with nothing after it, or one PEM
  // "CERTIFICATE" block with only whitespace around it.
  static absl::StatusOr<std::shared_ptr<const Certificate>> Parse(std::string_view der_or_pem);
  // Parses every PEM certificate in `pem` (a bundle), or one DER certificate.
  static absl::StatusOr<std::vector<std::shared_ptr<const Certificate>>> ParseAll(
      std::string_view der_or_pem);

  X509* x509() const { return x509_.get(); }
  const std::string& der() const { return der_; }
  const Sha256Digest& fingerprint() const { return fingerprint_; }
  // The fingerprint in lower-case hex, computed once for every response.
  const std::string& fingerprint_hex() const { return fingerprint_hex_; }
  // RFC 4514 strings with UTF-8 left unescaped, e.g. "CN=Nguyễn Văn An,C=VN".
  const std::string& subject() const { return subject_; }
  const std::string& issuer() const { return issuer_; }
  // The value of the CN attribute of the subject, or the whole subject.
  const std::string& display_name() const { return display_name_; }
  // Upper-case hex of the serial number.
  const std::string& serial_hex() const { return serial_hex_; }
  absl::Time not_before() const { return not_before_; }
  absl::Time not_after() const { return not_after_; }
  // KeyUsage bits; all bits set when the extension is absent (RFC 5280:
  // absence means no restriction).
  uint32_t key_usage() const { return key_usage_; }
  bool has_key_usage() const { return has_key_usage_; }
  const PublicKey& public_key() const { return *public_key_; }
  // Where its issuer and revocation status are published (read at parse).
  const CertificateUrls& urls() const { return urls_; }

 private:
  Certificate() = default;
  static absl::StatusOr<std::shared_ptr<const Certificate>> FromX509(X509Ptr x509);

  X509Ptr x509_;
  std::string der_;
  Sha256Digest fingerprint_{};
  std::string fingerprint_hex_;
  std::string subject_;
  std::string issuer_;
  std::string display_name_;
  std::string serial_hex_;
  absl::Time not_before_;
  absl::Time not_after_;
  uint32_t key_usage_ = 0;
  bool has_key_usage_ = false;
  std::shared_ptr<const PublicKey> public_key_;
  CertificateUrls urls_;
};

using CertificatePtr = std::shared_ptr<const Certificate>;

// "2025-03-01 00:00:00 UTC"
std::string FormatUtc(absl::Time t);

// An ASN1_TIME (UTCTime or GeneralizedTime) as an absl::Time.
absl::StatusOr<absl::Time> AsnTimeToAbsl(const ASN1_TIME* t);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_CERTIFICATE_H_
