// RSA public exponents outside what real keys use are refused when the key
// is decoded, before any arithmetic: a huge e made each verification a full
// modular exponentiation (CPU exhaustion), and e = 1 made the "signature" the
// padded hash itself (anyone could sign for a key a CA certified).
#include <string>

#include "crypto/public_key.h"
#include "gtest/gtest.h"

namespace sigverify::crypto {
namespace {

std::string Tlv(uint8_t tag, const std::string& body) {
  std::string out(1, static_cast<char>(tag));
  if (body.size() < 0x80) {
    out.push_back(static_cast<char>(body.size()));
  } else {
    std::string len;
    for (size_t n = body.size(); n > 0; n >>= 8) len.insert(len.begin(), static_cast<char>(n));
    out.push_back(static_cast<char>(0x80 | len.size()));
    out += len;
  }
  return out + body;
}

// A DER INTEGER from big-endian two's-complement content bytes.
std::string Integer(const std::string& content) { return Tlv(0x02, content); }

// The content bytes of a non-negative integer given as big-endian magnitude.
std::string Positive(std::string magnitude) {
  while (magnitude.size() > 1 && magnitude[0] == 0) magnitude.erase(0, 1);
  if (static_cast<uint8_t>(magnitude[0]) & 0x80) magnitude.insert(magnitude.begin(), '\0');
  return magnitude;
}

std::string Word(uint64_t v) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
  return Positive(out);
}

// An RSA SubjectPublicKeyInfo with a 2048-bit modulus and exponent `e`
// (INTEGER content bytes).
std::string RsaSpki(const std::string& e) {
  std::string n(256, '\xC3');
  n.back() = '\x01';
  const std::string key = Tlv(0x30, Integer(Positive(n)) + Integer(e));
  const std::string algorithm =
      Tlv(0x30, std::string("\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01\x05\x00", 13));
  return Tlv(0x30, algorithm + Tlv(0x03, std::string(1, '\0') + key));
}

void ExpectRefused(const std::string& e, const std::string& what) {
  auto key = PublicKey::FromSpki(RsaSpki(e));
  EXPECT_FALSE(key.ok()) << what << " was accepted";
#ifndef OPENSSL_IS_BORINGSSL
  // OpenSSL decodes these keys; the bound is what refuses them. (BoringSSL
  // refuses them in its own decoder.)
  EXPECT_NE(key.status().message().find("exponent"), std::string::npos)
      << what << ": " << key.status();
#endif
}

TEST(RsaExponentTest, ExponentsRealKeysUseAreAccepted) {
  for (uint64_t e : {uint64_t{3}, uint64_t{17}, uint64_t{65537}, (uint64_t{1} << 33) - 1}) {
    auto key = PublicKey::FromSpki(RsaSpki(Word(e)));
    EXPECT_TRUE(key.ok()) << "e = " << e << ": " << key.status();
  }
}

TEST(RsaExponentTest, DegenerateExponentsAreRefused) {
  ExpectRefused(Word(1), "e = 1");
  ExpectRefused(Word(0), "e = 0");
  ExpectRefused(Word(2), "e = 2");
  ExpectRefused(Word(65536), "an even e");
  ExpectRefused(std::string("\xFD", 1), "e = -3");
}

TEST(RsaExponentTest, HugeExponentsAreRefused) {
  ExpectRefused(Word((uint64_t{1} << 33) + 1), "e = 2^33 + 1");
  // The probe's key: a 3071-bit odd exponent.
  std::string huge(384, '\x55');
  huge[0] = '\x40';
  huge.back() = '\x01';
  ExpectRefused(Positive(huge), "a 3071-bit e");
}

}  // namespace
}  // namespace sigverify::crypto
