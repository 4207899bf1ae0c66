// libFuzzer target: any bytes through the certificate parser (DER, PEM,
// bundles) and, when they parse, through everything a verdict reads from it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto cert = sigverify::crypto::Certificate::Parse(in); cert.ok()) {
    const auto& c = **cert;
    (void)c.subject().size();
    (void)c.issuer().size();
    (void)c.serial_hex().size();
    (void)c.public_key().Describe();
    (void)sigverify::crypto::FormatUtc(c.not_after());
  }
  (void)sigverify::crypto::Certificate::ParseAll(in);
  return 0;
}
