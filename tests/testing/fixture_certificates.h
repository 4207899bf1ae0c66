// Certificates for tests: those of one role of one generated RFC 5280
// fixture case (tests/pki/rfc5280_fixtures.h, <testpki>/rfc5280/<case>/
// <role>.pem), or of any file.
#ifndef SIGVERIFY_TESTS_TESTING_FIXTURE_CERTIFICATES_H_
#define SIGVERIFY_TESTS_TESTING_FIXTURE_CERTIFICATES_H_

#include <string>
#include <vector>

#include "crypto/certificate.h"
#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::testing {

inline std::vector<crypto::CertificatePtr> FixtureCertificates(const std::string& case_name,
                                                               const std::string& role) {
  auto certs = crypto::Certificate::ParseAll(PkiFile("rfc5280/" + case_name + "/" + role + ".pem"));
  EXPECT_TRUE(certs.ok()) << case_name << "/" << role << ": " << certs.status();
  return certs.ok() ? *certs : std::vector<crypto::CertificatePtr>{};
}

// The first certificate of the role, or null (and a test failure).
inline crypto::CertificatePtr FixtureCertificate(const std::string& case_name,
                                                 const std::string& role) {
  auto certs = FixtureCertificates(case_name, role);
  EXPECT_FALSE(certs.empty()) << case_name << "/" << role;
  return certs.empty() ? nullptr : certs[0];
}

// A certificate file (PEM or DER), or null (and a test failure).
inline crypto::CertificatePtr LoadCertificate(const std::string& path) {
  auto cert = crypto::Certificate::Parse(ReadFile(path));
  EXPECT_TRUE(cert.ok()) << path << ": " << cert.status();
  return cert.ok() ? *cert : nullptr;
}

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_FIXTURE_CERTIFICATES_H_
