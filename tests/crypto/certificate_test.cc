#include "crypto/certificate.h"

#include <utility>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

using sigverify::testing::PkiFile;
using sigverify::testing::ReadFile;
using sigverify::testing::TestDataDir;

std::string VnGca(const std::string& name) { return ReadFile(TestDataDir() + "/vn-gca/" + name); }

TEST(CertificateTest, ParsesPemAndDerToTheSameCertificate) {
  auto pem = Certificate::Parse(PkiFile("signer-rsa.pem"));
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto der = Certificate::Parse((*pem)->der());
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_EQ((*pem)->fingerprint(), (*der)->fingerprint());
  EXPECT_EQ((*der)->der(), (*pem)->der());
}

TEST(CertificateTest, KeepsVietnameseNamesAsUtf8) {
  auto cert = Certificate::Parse(PkiFile("signer-rsa.pem"));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ((*cert)->display_name(), "Nguyễn Văn An");
  EXPECT_EQ((*cert)->subject(), "CN=Nguyễn Văn An,O=UBND phường Hoàn Kiếm,L=Hà Nội,C=VN");
  EXPECT_EQ((*cert)->public_key().Describe(), "RSA-2048");
  EXPECT_EQ((*cert)->key_usage() & kKeyUsageNonRepudiation, kKeyUsageNonRepudiation);
  EXPECT_EQ((*cert)->key_usage() & kKeyUsageDigitalSignature, 0u);
}

TEST(CertificateTest, RejectsTrailingBytesAfterDer) {
  auto cert = Certificate::Parse(PkiFile("signer-rsa.pem"));
  ASSERT_TRUE(cert.ok());
  auto with_tail = Certificate::Parse((*cert)->der() + "x");
  EXPECT_EQ(with_tail.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(with_tail.status().message().find("trailing"), std::string::npos);
}

TEST(CertificateTest, RejectsGarbageAndTruncation) {
  EXPECT_FALSE(Certificate::Parse("").ok());
  EXPECT_FALSE(Certificate::Parse("\x30\x82\xff\xff garbage").ok());
  auto cert = Certificate::Parse(PkiFile("signer-rsa.pem"));
  ASSERT_TRUE(cert.ok());
  const std::string& der = (*cert)->der();
  EXPECT_FALSE(Certificate::Parse(std::string_view(der).substr(0, der.size() - 1)).ok());
  EXPECT_FALSE(
      Certificate::Parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

TEST(CertificateTest, RejectsTextAfterPemBlock) {
  auto status = Certificate::Parse(PkiFile("signer-rsa.pem") + "extra\n").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(CertificateTest, RejectsOversizedInputBeforeParsing) {
  auto status = Certificate::Parse(std::string(kMaxCertificateBytes + 1, 'A')).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("limit"), std::string::npos);
}

TEST(CertificateTest, ParsesEveryRealPublicServiceCertificate) {
  for (const char* name :
       {"g1-root.pem", "g1-cp.pem", "g1-btc.pem", "g1-bca.pem", "g1-dcs.pem", "g1-bng.pem",
        "g2-root.pem", "g2-ca-nha-nuoc.pem", "g2-ca-dang.pem", "g2-ca-dich-vu-phan-mem.pem",
        "ee-btc-tchq-2015.pem", "ee-cp-vgca-license-keygen-2017.pem", "ee-g2-cuc-thue-2025.pem"}) {
    auto cert = Certificate::Parse(VnGca(name));
    EXPECT_TRUE(cert.ok()) << name << ": " << cert.status();
  }
}

TEST(CertificateTest, RealG2CertificatesHaveExpectedFieldsAndFingerprints) {
  auto root = Certificate::Parse(VnGca("g2-root.pem"));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(ToHex((*root)->fingerprint()),
            "f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8");
  EXPECT_EQ((*root)->display_name(), "RootCA chuyên dùng Chính phủ G2");
  EXPECT_EQ((*root)->public_key().Describe(), "RSA-4096");
  EXPECT_EQ((*root)->not_after(),
            absl::FromCivil(absl::CivilSecond(2048, 8, 14, 7, 36, 39), absl::UTCTimeZone()));

  auto tax = Certificate::Parse(VnGca("ee-g2-cuc-thue-2025.pem"));
  ASSERT_TRUE(tax.ok());
  EXPECT_EQ((*tax)->display_name(), "CỤC THUẾ");
  EXPECT_NE((*tax)->subject().find("O=BỘ TÀI CHÍNH"), std::string::npos) << (*tax)->subject();
  EXPECT_EQ((*tax)->issuer(), "CN=CA phục vụ các cơ quan Nhà nước G2,O=Ban Cơ yếu Chính phủ,C=VN");
  EXPECT_EQ((*tax)->public_key().Describe(), "RSA-3072");
}

TEST(CertificateTest, RealG1RootKeepsItsLeadingZeroSerial) {
  auto root = Certificate::Parse(VnGca("g1-root.pem"));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*root)->serial_hex(), "FF303AE4E90AC1ED");
  EXPECT_EQ(ToHex((*root)->fingerprint()),
            "f7bc89054cec7f12730d7b8cd3eb7955b163835087e5eb873edfb584763b3f90");
  auto bng = Certificate::Parse(VnGca("g1-bng.pem"));
  ASSERT_TRUE(bng.ok());
  EXPECT_EQ((*bng)->display_name(), "Cơ quan chứng thực số Bộ Ngoại giao");
}

// Certificate.serial_number: the value, with "-" before a negative one, as
// `openssl x509 -serial` prints each of these files' serial.
TEST(CertificateTest, SerialIsTheSignedValueInWholeBytes) {
  const std::pair<const char*, const char*> cases[] = {
      {"serial-minus255.pem", "-FF"}, {"serial-minus1.pem", "-01"}, {"serial-0.pem", "00"},
      {"serial-128.pem", "80"},       {"serial-255.pem", "FF"},
  };
  for (const auto& [file, printed] : cases) {
    auto cert = Certificate::Parse(ReadFile(TestDataDir() + "/serials/" + file));
    ASSERT_TRUE(cert.ok()) << file << ": " << cert.status();
    EXPECT_EQ((*cert)->serial_hex(), printed) << file;
  }
}

TEST(CertificateTest, ParseAllReadsABundle) {
  auto all = Certificate::ParseAll(PkiFile("root.pem") + PkiFile("ca.pem"));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
}

}  // namespace
}  // namespace sigverify::crypto

namespace sigverify::crypto {
namespace {

TEST(CertificateUrlsTest, ReadsTheRealG2CertificatesRevocationAndIssuerUrls) {
  auto cert = Certificate::Parse(sigverify::testing::ReadFile(sigverify::testing::TestDataDir() +
                                                              "/vn-gca/ee-g2-cuc-thue-2025.pem"));
  ASSERT_TRUE(cert.ok()) << cert.status();
  const CertificateUrls& urls = (*cert)->urls();
  EXPECT_EQ(urls.ocsp, std::vector<std::string>{"http://ocsp.ca.gov.vn"});
  EXPECT_EQ(urls.crl, std::vector<std::string>{"http://ca.gov.vn/pki/pub/crl/cpcag2.crl"});
  EXPECT_EQ(urls.ca_issuers, std::vector<std::string>{"http://ca.gov.vn/pki/pub/crt/cpcag2.crt"});
  EXPECT_TRUE(urls.delta_crl.empty());
}

}  // namespace
}  // namespace sigverify::crypto
