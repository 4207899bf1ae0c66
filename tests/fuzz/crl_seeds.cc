// Writes CRLs made with the test PKI's CRL factory into a directory: the
// starting corpus of crl_fuzzer (entries with and without reasons, long,
// short and high-bit serials, certificateIssuer, invalidityDate, an
// unknown extension; UTCTime and GeneralizedTime).
// Usage: crl_seeds OUT_DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  namespace t = sigverify::testing;
  const absl::Time now = absl::FromUnixSeconds(1'790'000'000);
  t::CertSpec ca;
  ca.subject = {{"C", "VN"}, {"CN", "Fuzz seed CA"}};
  ca.not_before = now - absl::Hours(24);
  ca.not_after = now + absl::Hours(24 * 365);
  ca.extensions = {{"basicConstraints", "critical,CA:TRUE"}};
  auto issued = t::Issue(ca, nullptr);
  if (!issued.ok()) return 1;
  for (int seed = 0; seed < 4; ++seed) {
    t::CrlSpec spec;
    spec.this_update = now - absl::Hours(1);
    spec.next_update = now + absl::Hours(24);
    if (seed == 3) {
      spec.extensions = {{"issuingDistributionPoint", "critical,@idp"}};
      spec.sections = "[idp]\nindirectCRL = TRUE\n";
    }
    for (int i = 0; i < 3 + seed * 4; ++i) {
      t::CrlEntrySpec e;
      e.serial_hex = i % 3 == 0 ? absl::StrFormat("%02x", 0x80 + i)
                                : absl::StrFormat("%040x", 0x1234567 * (i + 1));
      e.revoked =
          now - absl::Hours(i) + (seed == 2 ? absl::Hours(24 * 365 * 30) : absl::ZeroDuration());
      e.reason = i % 4 == 0 ? -1 : i % 7;
      if (seed == 3 && i % 2 == 1) e.certificate_issuer = {{"CN", "Other"}};
      if (seed == 1 && i == 2)
        e.extensions = {{"2.5.29.24", "DER:18:0F:32303236303130313030303030305A"}};
      if (seed == 1 && i == 3) e.extensions = {{"1.2.3.4", "DER:05:00"}};
      spec.entries.push_back(e);
    }
    auto der = t::IssueCrl(spec, issued->cert.get(), issued->key.get());
    if (!der.ok()) return 1;
    std::ofstream(std::string(argv[1]) + absl::StrFormat("/crl-%d.der", seed), std::ios::binary)
        << *der;
  }
  return 0;
}
