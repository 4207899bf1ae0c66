// libFuzzer target: any bytes through the in-place CertificateList reader
// (cache/crl_der.h), differentially against OpenSSL: when the reader
// accepts a list and OpenSSL decodes the same bytes, both must see the same
// entries (serial and sign, time, reason). The reader is the stricter; a
// list OpenSSL refuses and the reader accepts is not an error here (the
// shell and the certificateIssuer are decoded by OpenSSL in Crl::Parse).
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cache/crl_der.h"
#include "crypto/certificate.h"

namespace {

using sigverify::cache::RevokedEntry;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto layout = sigverify::cache::SplitCertificateList(in);
  if (!layout.ok()) return 0;
  std::vector<RevokedEntry> entries;
  std::vector<size_t> offsets;
  sigverify::cache::RevokedReader reader(layout->revoked);
  while (!reader.done()) {
    RevokedEntry e;
    size_t offset = 0;
    if (!reader.Next(e, offset).ok()) return 0;
    entries.push_back(e);
    offsets.push_back(offset);
  }
  Check(*sigverify::cache::CountRevoked(layout->revoked) == entries.size());
  std::string scratch, scratch2;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto again = sigverify::cache::ReadRevoked(layout->revoked.substr(offsets[i]), i % 2 == 0);
    Check(again.ok() && again->serial == entries[i].serial &&
          again->revocation_time == entries[i].revocation_time);
  }
  const auto* p = data;
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(size));
  if (crl == nullptr || p != data + size) {
    X509_CRL_free(crl);
    return 0;
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  const int n = revoked == nullptr ? 0 : sk_X509_REVOKED_num(revoked);
  Check(static_cast<size_t>(n) == entries.size());
  for (int i = 0; i < n; ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(r);
    std::string_view magnitude(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                               static_cast<size_t>(ASN1_STRING_length(serial)));
    while (!magnitude.empty() && magnitude.front() == '\0') magnitude.remove_prefix(1);
    const auto key = sigverify::cache::SerialKeyOf(entries[i].serial, scratch);
    Check(key.magnitude == magnitude);
    Check(key.negative == (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) || magnitude.empty());
    auto when = sigverify::crypto::AsnTimeToAbsl(X509_REVOKED_get0_revocationDate(r));
    Check(when.ok() && *when == entries[i].revocation_time);
    int crit = 0;
    auto* reason =
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr));
    if (reason != nullptr) Check(ASN1_ENUMERATED_get(reason) == entries[i].reason);
    if (reason == nullptr) Check(entries[i].reason == -1);
    ASN1_ENUMERATED_free(reason);
  }
  X509_CRL_free(crl);
  return 0;
}
