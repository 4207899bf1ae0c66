// A certificate a test issued with tests/pki/cert_factory.h, as the
// crypto::Certificate the code under test takes.
#ifndef SIGVERIFY_TESTS_TESTING_ISSUED_CERTIFICATE_H_
#define SIGVERIFY_TESTS_TESTING_ISSUED_CERTIFICATE_H_

#include <string>

#include "crypto/certificate.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"

namespace sigverify::testing {

inline crypto::CertificatePtr AsCertificate(const Issued& issued) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(issued.cert.get(), &der);
  auto cert = crypto::Certificate::Parse(std::string(reinterpret_cast<char*>(der), n));
  OPENSSL_free(der);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *cert : nullptr;
}

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_ISSUED_CERTIFICATE_H_
