// libFuzzer target: any bytes as the OCSP response for the test PKI's
// ocsp/good.pem (issuer ocsp/ca.pem), through the whole check: parsing,
// responder authorisation (the CA or a delegated responder, its key bounded
// before the signature), signature, CertID match, times, extensions. An
// accepted response must be internally consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "cache/ocsp.h"
#include "crypto/certificate.h"

namespace {

std::string ReadPki(const std::string& name) {
  const char* dir = std::getenv("SIGVERIFY_TESTPKI_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : SIGVERIFY_TESTPKI_DIR) + "/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  sigverify::crypto::CertificatePtr cert;
  sigverify::crypto::CertificatePtr issuer;
  absl::Time now = absl::Now();
};

const Fixture& TheFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    auto cert = sigverify::crypto::Certificate::Parse(ReadPki("ocsp/good.pem"));
    auto issuer = sigverify::crypto::Certificate::Parse(ReadPki("ocsp/ca.pem"));
    if (!cert.ok() || !issuer.ok()) std::abort();  // the test PKI is missing
    f->cert = *cert;
    f->issuer = *issuer;
    return f;
  }();
  return *fixture;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = TheFixture();
  const std::string_view der(reinterpret_cast<const char*>(data), size);
  sigverify::cache::OcspCheck check;
  check.now = f.now;
  auto status = sigverify::cache::ValidateOcspResponse(der, *f.cert, *f.issuer, check);
  if (!status.ok()) return 0;
  Check(status->next_update >= status->this_update);
  Check(status->this_update <= f.now + check.skew);
  if (status->status != sigverify::cache::CertStatus::kRevoked) {
    Check(status->revocation_reason == -1);
  }
  return 0;
}
