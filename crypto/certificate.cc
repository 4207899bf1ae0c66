#include "crypto/certificate.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "crypto/distinguished_name.h"

namespace sigverify::crypto {
namespace {

constexpr std::string_view kPemBegin = "-----BEGIN CERTIFICATE-----";

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  return s;
}

bool IsBlank(std::string_view s) { return TrimLeft(s).empty(); }

bool LooksLikePem(std::string_view in) {
  return TrimLeft(in).substr(0, kPemBegin.size()) == kPemBegin;
}

}  // namespace

absl::StatusOr<absl::Time> AsnTimeToAbsl(const ASN1_TIME* t) {
  // ASN1_TIME_diff against the epoch is the conversion both libraries share.
  OpenSslPtr<ASN1_TIME, ASN1_TIME_free> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0;
  int seconds = 0;
  if (!epoch || t == nullptr || !ASN1_TIME_diff(&days, &seconds, epoch.get(), t)) {
    return absl::InvalidArgumentError("malformed validity time");
  }
  return absl::FromUnixSeconds(int64_t{days} * 86400 + seconds);
}

namespace {

// The value in whole bytes of hex with "-" before a negative one, as
// `openssl x509 -serial` prints it (see Certificate.serial_number).
std::string SerialHex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  if (BN_is_zero(bn.get())) return "00";
  OpenSslString hex(BN_bn2hex(bn.get()));
  if (!hex) return {};
  // BoringSSL prints lower case, OpenSSL upper case; both whole bytes.
  return absl::AsciiStrToUpper(hex.get());
}

absl::StatusOr<X509Ptr> DecodeDer(std::string_view der) {
  const auto* p = reinterpret_cast<const uint8_t*>(der.data());
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a DER X.509 certificate");
  }
  if (p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(der.size() - (p - reinterpret_cast<const uint8_t*>(der.data())),
                     " bytes of trailing data after the DER certificate"));
  }
  return x509;
}

// Reads PEM certificates one by one; `rest` is what follows the last one.
absl::StatusOr<std::vector<X509Ptr>> DecodePem(std::string_view pem, size_t max_count) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return absl::ResourceExhaustedError("out of memory");
  std::vector<X509Ptr> out;
  while (out.size() < max_count) {
    X509Ptr x509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x509) break;
    out.push_back(std::move(x509));
  }
  ERR_clear_error();
  if (out.empty()) return absl::InvalidArgumentError("no readable PEM CERTIFICATE block");
  char* rest = nullptr;
  const long rest_len = BIO_get_mem_data(bio.get(), &rest);
  if (rest_len > 0 && !IsBlank(std::string_view(rest, static_cast<size_t>(rest_len)))) {
    return absl::InvalidArgumentError("unexpected data after the PEM certificate");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Certificate>> Certificate::Parse(std::string_view in) {
  if (in.size() > kMaxCertificateBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate of ", in.size(), " bytes exceeds the limit of ", kMaxCertificateBytes));
  }
  if (LooksLikePem(in)) {
    auto certs = DecodePem(in, 1);
    if (!certs.ok()) return certs.status();
    return FromX509(std::move(certs->front()));
  }
  auto x509 = DecodeDer(in);
  if (!x509.ok()) return x509.status();
  return FromX509(*std::move(x509));
}

absl::StatusOr<std::vector<std::shared_ptr<const Certificate>>> Certificate::ParseAll(
    std::string_view in) {
  std::vector<std::shared_ptr<const Certificate>> out;
  if (!LooksLikePem(in)) {
    auto one = Parse(in);
    if (!one.ok()) return one.status();
    out.push_back(*std::move(one));
    return out;
  }
  auto certs = DecodePem(in, SIZE_MAX);
  if (!certs.ok()) return certs.status();
  for (auto& x509 : *certs) {
    auto cert = FromX509(std::move(x509));
    if (!cert.ok()) return cert.status();
    out.push_back(*std::move(cert));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const Certificate>> Certificate::FromX509(X509Ptr x509) {
  std::shared_ptr<Certificate> cert(new Certificate());
  cert->der_ = EncodeDer([&](unsigned char** out) { return i2d_X509(x509.get(), out); });
  if (cert->der_.empty()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate cannot be re-encoded");
  }
  cert->fingerprint_ = Sha256(cert->der_);
  cert->fingerprint_hex_ = ToHex(cert->fingerprint_);

  // Decodes and caches the extensions now, single-threaded, so that later
  // concurrent readers never race to fill OpenSSL's lazy caches. A
  // certificate whose extensions do not decode is refused here.
  if (X509_check_purpose(x509.get(), -1, 0) < 0 ||
      (X509_get_extension_flags(x509.get()) & EXFLAG_INVALID) != 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate extensions are malformed");
  }
  cert->has_key_usage_ = (X509_get_extension_flags(x509.get()) & EXFLAG_KUSAGE) != 0;
  cert->key_usage_ = X509_get_key_usage(x509.get());

  cert->subject_ = NameToString(X509_get_subject_name(x509.get()));
  cert->issuer_ = NameToString(X509_get_issuer_name(x509.get()));
  cert->display_name_ = CommonName(X509_get_subject_name(x509.get()));
  if (cert->display_name_.empty()) cert->display_name_ = cert->subject_;
  cert->serial_hex_ = SerialHex(X509_get0_serialNumber(x509.get()));
  cert->urls_ = ReadCertificateUrls(x509.get());
  ERR_clear_error();

  auto not_before = AsnTimeToAbsl(X509_get0_notBefore(x509.get()));
  auto not_after = AsnTimeToAbsl(X509_get0_notAfter(x509.get()));
  if (!not_before.ok() || !not_after.ok()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate validity is malformed");
  }
  cert->not_before_ = *not_before;
  cert->not_after_ = *not_after;

  EvpPkeyPtr pkey(X509_get_pubkey(x509.get()));
  if (!pkey) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate public key cannot be decoded");
  }
  if (absl::Status s = CheckEncodedRsaExponent(X509_get_X509_PUBKEY(x509.get())); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("certificate public key: ", s.message()));
  }
  auto key = PublicKey::FromEvpPkey(std::move(pkey));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate public key: ", key.status().message()));
  }
  cert->public_key_ = *std::move(key);
  cert->x509_ = std::move(x509);
  return std::shared_ptr<const Certificate>(std::move(cert));
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

}  // namespace sigverify::crypto
