// The in-place CertificateList reader (cache/crl_der.h): what OpenSSL
// decodes from a CRL it made, the reader reads the same, entry by entry;
// and each way the DER of an entry can be out of shape is refused, naming
// the field.
#include "cache/crl_der.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "cache/source_error.h"
#include "crypto/certificate.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/pki/der_writer.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;
using testing::GeneralizedTime;
using testing::IntegerHex;
using testing::Seq;
using testing::Tlv;
using testing::UtcTime;

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);  // 2026-09-22

testing::Issued MakeCa() {
  testing::CertSpec spec;
  spec.subject = {{"C", "VN"}, {"CN", "DER Test CA"}};
  spec.not_before = kNow - absl::Hours(24 * 365);
  spec.not_after = kNow + absl::Hours(24 * 365);
  spec.extensions = {{"basicConstraints", "critical,CA:TRUE"},
                     {"keyUsage", "critical,keyCertSign,cRLSign"}};
  return *testing::Issue(spec, nullptr);
}

std::string Hex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}
std::string Bytes(std::string_view hex) {
  return absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
}

// Reads every entry of `list`; the first error, if any.
absl::Status ReadAll(std::string_view list, std::vector<RevokedEntry>* out = nullptr) {
  RevokedReader reader(list);
  while (!reader.done()) {
    RevokedEntry entry;
    size_t offset = 0;
    if (auto s = reader.Next(entry, offset); !s.ok()) return s;
    if (out != nullptr) out->push_back(entry);
  }
  return absl::OkStatus();
}

std::string Ext(std::string_view oid_hex, std::string_view value, bool critical = false) {
  return Seq(
      {Tlv(0x06, Bytes(oid_hex)), critical ? Tlv(0x01, "\xFF") : std::string(), Tlv(0x04, value)});
}
const std::string kReasonOid = "551d15";
std::string Reason(int n) { return Ext(kReasonOid, Tlv(0x0A, std::string(1, char(n)))); }
const std::string kWhen = UtcTime("260922000000Z");

TEST(CrlDerTest, ReadsEveryEntryAsOpenSslDecodesIt) {
  const testing::Issued ca = MakeCa();
  std::mt19937_64 rng(5);
  testing::CrlSpec spec;
  spec.this_update = kNow - absl::Hours(1);
  spec.next_update = kNow + absl::Hours(24);
  spec.extensions = {{"issuingDistributionPoint", "critical,@idp"}};
  spec.sections = "[idp]\nindirectCRL = TRUE\n";
  for (int i = 0; i < 300; ++i) {
    testing::CrlEntrySpec e;
    const int bytes = 1 + static_cast<int>(rng() % 20);
    for (int b = 0; b < bytes; ++b) e.serial_hex += absl::StrFormat("%02x", rng() & 0xFF);
    if (e.serial_hex.substr(0, 2) == "00") e.serial_hex[0] = '1';
    // Before 1950, after 2049 (GeneralizedTime) and between.
    e.revoked = absl::FromUnixSeconds(-700'000'000 + static_cast<int64_t>(rng() % 3'300'000'000));
    e.reason = static_cast<int>(rng() % 12) - 1;
    if (e.reason == 7) e.reason = 9;
    if (i % 17 == 3) e.certificate_issuer = {{"CN", absl::StrFormat("Issuer %d", i)}};
    if (i % 23 == 5) e.extensions = {{"2.5.29.24", "DER:18:0F:32303236303130313030303030305A"}};
    if (i % 29 == 7) e.extensions.push_back({"1.2.3.4", "DER:05:00"});
    spec.entries.push_back(e);
  }
  auto der = testing::IssueCrl(spec, ca.cert.get(), ca.key.get());
  ASSERT_TRUE(der.ok()) << der.status();
  auto layout = SplitCertificateList(*der);
  ASSERT_TRUE(layout.ok()) << layout.status();
  std::vector<RevokedEntry> entries;
  ASSERT_TRUE(ReadAll(layout->revoked, &entries).ok()) << ReadAll(layout->revoked);
  EXPECT_EQ(*CountRevoked(layout->revoked), 300u);

  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  crypto::OpenSslPtr<X509_CRL, X509_CRL_free> crl(
      d2i_X509_CRL(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_NE(crl, nullptr);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(static_cast<size_t>(sk_X509_REVOKED_num(revoked)), entries.size());
  std::string scratch;
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(i);
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, static_cast<int>(i));
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(r);
    const SerialKey key = SerialKeyOf(entries[i].serial, scratch);
    EXPECT_EQ(Hex(key.magnitude), Hex({reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                                       static_cast<size_t>(ASN1_STRING_length(serial))}));
    EXPECT_EQ(key.negative, ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER);
    EXPECT_EQ(entries[i].revocation_time,
              *crypto::AsnTimeToAbsl(X509_REVOKED_get0_revocationDate(r)));
    int crit = 0;
    crypto::OpenSslPtr<ASN1_ENUMERATED, ASN1_ENUMERATED_free> reason(
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr)));
    EXPECT_EQ(entries[i].reason, reason ? ASN1_ENUMERATED_get(reason.get()) : -1);
    crypto::OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free> names(static_cast<GENERAL_NAMES*>(
        X509_REVOKED_get_ext_d2i(r, NID_certificate_issuer, &crit, nullptr)));
    std::string names_der;
    if (names != nullptr) {
      unsigned char* out = nullptr;
      const int n = i2d_GENERAL_NAMES(names.get(), &out);
      names_der.assign(reinterpret_cast<char*>(out), n);
      OPENSSL_free(out);
    }
    EXPECT_EQ(Hex(entries[i].certificate_issuer), Hex(names_der));
  }
}

TEST(CrlDerTest, TheShellIsTheSameCrlWithoutItsEntries) {
  const testing::Issued ca = MakeCa();
  testing::CrlSpec spec;
  spec.this_update = kNow - absl::Hours(1);
  spec.next_update = kNow + absl::Hours(24);
  spec.number = 77;
  for (int i = 0; i < 200; ++i) spec.entries.push_back({absl::StrFormat("%04x", i + 1), kNow, 1});
  auto der = testing::IssueCrl(spec, ca.cert.get(), ca.key.get());
  ASSERT_TRUE(der.ok());
  auto layout = SplitCertificateList(*der);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->revoked.data(), der->data() + layout->revoked_offset);
  EXPECT_LT(layout->shell.size(), der->size() - layout->revoked.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(layout->shell.data());
  crypto::OpenSslPtr<X509_CRL, X509_CRL_free> shell(
      d2i_X509_CRL(nullptr, &p, static_cast<long>(layout->shell.size())));
  ASSERT_NE(shell, nullptr);
  EXPECT_LE(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(shell.get())), 0);
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(shell.get()), X509_get_subject_name(ca.cert.get())),
            0);
  int crit = 0;
  crypto::OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free> number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(shell.get(), NID_crl_number, &crit, nullptr)));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 77);
}

TEST(CrlDerTest, RefusesACertificateListOutOfShape) {
  const testing::Issued ca = MakeCa();
  testing::CrlSpec spec;
  spec.this_update = kNow - absl::Hours(1);
  spec.next_update = kNow + absl::Hours(24);
  auto der = testing::IssueCrl(spec, ca.cert.get(), ca.key.get());
  ASSERT_TRUE(der.ok());
  auto detail = [](std::string_view bytes) {
    auto layout = SplitCertificateList(bytes);
    return layout.ok() ? std::string("accepted") : ProblemOf(layout.status()).detail;
  };
  EXPECT_EQ(detail(*der + std::string(1, '\0')), "CertificateList");
  EXPECT_EQ(detail(der->substr(0, der->size() - 1)), "CertificateList");
  EXPECT_EQ(detail(""), "CertificateList");
  // The same contents with the outer length in more bytes than needed, or
  // indefinite.
  const size_t header = 2 + ((*der)[1] & 0x80 ? (*der)[1] & 0x7F : 0);
  const std::string contents = der->substr(header);
  std::string longer("\x30\x84", 2);
  for (int shift = 24; shift >= 0; shift -= 8) longer.push_back(char(contents.size() >> shift));
  EXPECT_EQ(detail(longer + contents), "CertificateList");
  EXPECT_EQ(detail(std::string("\x30\x80", 2) + contents + std::string(2, '\0')),
            "CertificateList");

  // The TBS's signature field must repeat the outer algorithm.
  const X509_NAME* name = X509_get_subject_name(ca.cert.get());
  auto good = testing::SignedCertificateList(name, UtcTime("260922000000Z"),
                                             UtcTime("260923000000Z"), "", "", ca.key.get());
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(detail(*good), "accepted");
  // ...sha256With... -> ...sha384With... in the TBS's copy (the first).
  const std::string_view algorithm = SplitCertificateList(*good)->signature_algorithm;
  std::string swapped = *good;
  const size_t oid_end = swapped.find(algorithm) + 4 + static_cast<uint8_t>(algorithm[3]);
  ++swapped[oid_end - 1];
  EXPECT_EQ(detail(swapped), "signature");
  // Times in the RFC 5280 forms only.
  auto no_seconds = testing::SignedCertificateList(name, UtcTime("2609220000Z"),
                                                   UtcTime("260923000000Z"), "", "", ca.key.get());
  EXPECT_EQ(detail(*no_seconds), "thisUpdate");
  auto offset = testing::SignedCertificateList(
      name, UtcTime("260922000000Z"), GeneralizedTime("20260923000000+0700"), "", "", ca.key.get());
  EXPECT_EQ(detail(*offset), "nextUpdate");
}

// Each entry below is out of shape in one way; the reader names the field.
TEST(CrlDerTest, RefusesEachMalformedEntryNamingTheField) {
  const std::string serial = IntegerHex("3001");
  struct Case {
    std::string name;
    std::string list;
    R reason;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"not a SEQUENCE", Tlv(0x31, serial + kWhen), R::kResponseMalformed, "revokedCertificates"},
      {"length in more bytes than needed",
       std::string("\x30\x81\x13", 3) + serial + std::string("\x17\x0D", 2) + "260922000000Z",
       R::kResponseMalformed, "revokedCertificates"},
      {"length past the end", Seq({serial, kWhen}).substr(0, 10), R::kResponseMalformed,
       "revokedCertificates"},
      {"serial with a needless 00", Seq({IntegerHex("0001"), kWhen}), R::kResponseMalformed,
       "userCertificate"},
      {"serial with a needless ff", Seq({IntegerHex("ff80"), kWhen}), R::kResponseMalformed,
       "userCertificate"},
      {"empty serial", Seq({IntegerHex(""), kWhen}), R::kResponseMalformed, "userCertificate"},
      {"serial as OCTET STRING", Seq({Tlv(0x04, "\x30"), kWhen}), R::kResponseMalformed,
       "userCertificate"},
      {"no time", Seq({serial}), R::kResponseMalformed, "revocationDate"},
      {"time without seconds", Seq({serial, UtcTime("2609220000Z")}), R::kResponseMalformed,
       "revocationDate"},
      {"month 13", Seq({serial, UtcTime("261322000000Z")}), R::kResponseMalformed,
       "revocationDate"},
      {"29 February 2023", Seq({serial, UtcTime("230229000000Z")}), R::kResponseMalformed,
       "revocationDate"},
      {"a fraction of a second", Seq({serial, GeneralizedTime("20260922000000.5Z")}),
       R::kResponseMalformed, "revocationDate"},
      {"a local time", Seq({serial, GeneralizedTime("20260922000000")}), R::kResponseMalformed,
       "revocationDate"},
      {"a letter for a digit", Seq({serial, UtcTime("26092200O000Z")}), R::kResponseMalformed,
       "revocationDate"},
      {"something after the time", Seq({serial, kWhen, IntegerHex("01")}), R::kResponseMalformed,
       "crlEntryExtensions"},
      {"empty extensions", Seq({serial, kWhen, Seq({})}), R::kResponseMalformed,
       "crlEntryExtensions"},
      {"extensions then more", Seq({serial, kWhen, Seq({Reason(1)}), IntegerHex("01")}),
       R::kResponseMalformed, "crlEntryExtensions"},
      {"critical written FALSE",
       Seq({serial, kWhen,
            Seq({Seq({Tlv(0x06, Bytes(kReasonOid)), Tlv(0x01, std::string(1, '\0')),
                      Tlv(0x04, Tlv(0x0A, "\x01"))})})}),
       R::kResponseMalformed, "crlEntryExtensions"},
      {"extension without a value",
       Seq({serial, kWhen, Seq({Seq({Tlv(0x06, Bytes(kReasonOid))})})}), R::kResponseMalformed,
       "crlEntryExtensions"},
      {"reason 7 (unused)", Seq({serial, kWhen, Seq({Reason(7)})}), R::kResponseMalformed,
       "reasonCode"},
      {"reason 11", Seq({serial, kWhen, Seq({Reason(11)})}), R::kResponseMalformed, "reasonCode"},
      {"reason as INTEGER", Seq({serial, kWhen, Seq({Ext(kReasonOid, IntegerHex("01"))})}),
       R::kResponseMalformed, "reasonCode"},
      {"reason in two bytes", Seq({serial, kWhen, Seq({Ext(kReasonOid, Tlv(0x0A, "\x00\x01"))})}),
       R::kResponseMalformed, "reasonCode"},
      {"reason twice", Seq({serial, kWhen, Seq({Reason(1), Reason(1)})}), R::kResponseMalformed,
       "crlEntryExtensions"},
      {"invalidityDate as UTCTime", Seq({serial, kWhen, Seq({Ext("551d18", kWhen)})}),
       R::kResponseMalformed, "invalidityDate"},
      {"certificateIssuer not GeneralNames", Seq({serial, kWhen, Seq({Ext("551d1d", kWhen)})}),
       R::kResponseMalformed, "certificateIssuer"},
      {"holdInstructionCode not an OID", Seq({serial, kWhen, Seq({Ext("551d17", kWhen)})}),
       R::kResponseMalformed, "holdInstructionCode"},
      {"unknown critical extension", Seq({serial, kWhen, Seq({Ext("2a0304", "\x05\x00", true)})}),
       R::kResponseCriticalExtension, "1.2.3.4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // After a good entry, so that the reader moves on before it fails.
    const absl::Status s = ReadAll(Seq({IntegerHex("01"), kWhen}) + c.list);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(ProblemOf(s).reason, c.reason) << s;
    EXPECT_EQ(ProblemOf(s).detail, c.detail) << s;
  }
}

TEST(CrlDerTest, AcceptsEveryWellFormedShape) {
  std::vector<RevokedEntry> entries;
  const std::string list = Seq({IntegerHex("00"), UtcTime("700101000000Z")}) +
                           Seq({IntegerHex("0080"), UtcTime("491231235959Z")}) +
                           Seq({IntegerHex("85"), UtcTime("500101000000Z"), Seq({Reason(0)})}) +
                           Seq({IntegerHex("7f"), GeneralizedTime("20500101000000Z"),
                                Seq({Reason(10), Ext("551d18", GeneralizedTime("20240229120000Z")),
                                     Ext("551d17", Tlv(0x06, "\x2a\x86\x48\xce\x38\x02\x01")),
                                     Ext("2a0304", "\x05\x00")})}) +
                           Seq({IntegerHex("01"), UtcTime("240229120000Z")});
  const absl::Status read = ReadAll(list, &entries);
  ASSERT_TRUE(read.ok()) << read << " " << ProblemOf(read).detail;
  ASSERT_EQ(entries.size(), 5u);
  const int64_t expected[] = {0, 2524607999, -631152000, 2524608000, 1709208000};
  const int reasons[] = {-1, -1, 0, 10, -1};
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(absl::ToUnixSeconds(entries[i].revocation_time), expected[i]) << i;
    EXPECT_EQ(entries[i].reason, reasons[i]) << i;
  }
  // ReadRevoked at an entry's offset reads the same entry again.
  RevokedReader reader(list);
  RevokedEntry entry;
  size_t offset = 0;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(reader.Next(entry, offset).ok());
  auto again = ReadRevoked(std::string_view(list).substr(offset));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reason, 10);
  EXPECT_EQ(again->revocation_time, entry.revocation_time);
  auto head = ReadRevoked(std::string_view(list).substr(offset), /*head_only=*/true);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(Hex(head->serial), "7f");
  EXPECT_EQ(head->reason, -1);
}

TEST(CrlDerTest, SerialKeysCarryMagnitudeAndSign) {
  std::string scratch;
  auto key = [&](std::string_view hex) {
    const std::string bytes = Bytes(hex);
    const SerialKey k = SerialKeyOf(bytes, scratch);
    return std::string(k.negative ? "-" : "+") + Hex(k.magnitude);
  };
  EXPECT_EQ(key("00"), "+");
  EXPECT_EQ(key("0080"), "+80");
  EXPECT_EQ(key("3001"), "+3001");
  EXPECT_EQ(key("ff"), "-01");
  EXPECT_EQ(key("80"), "-80");
  EXPECT_EQ(key("ff7f"), "-81");
  EXPECT_EQ(key("85"), "-7b");
  EXPECT_EQ(key("8000"), "-8000");
}

}  // namespace
}  // namespace sigverify::cache
