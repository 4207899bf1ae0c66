#include "tests/pki/der_writer.h"

#include <openssl/crypto.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::testing {

std::string Tlv(uint8_t tag, std::string_view contents) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = contents.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else {
    std::string length;
    for (size_t m = n; m != 0; m >>= 8) length.insert(length.begin(), static_cast<char>(m & 0xFF));
    out.push_back(static_cast<char>(0x80 | length.size()));
    out += length;
  }
  out.append(contents);
  return out;
}

std::string Seq(std::initializer_list<std::string_view> parts) {
  std::string contents;
  for (std::string_view p : parts) contents.append(p);
  return Tlv(0x30, contents);
}

std::string IntegerHex(std::string_view hex) {
  return Tlv(0x02, absl::HexStringToBytes(absl::string_view(hex.data(), hex.size())));
}
std::string UtcTime(std::string_view text) { return Tlv(0x17, text); }
std::string GeneralizedTime(std::string_view text) { return Tlv(0x18, text); }

absl::StatusOr<std::string> SignedCertificateList(const X509_NAME* issuer,
                                                  std::string_view this_update,
                                                  std::string_view next_update,
                                                  std::string_view revoked,
                                                  std::string_view extensions, EVP_PKEY* key) {
  const bool ec = EVP_PKEY_base_id(key) == EVP_PKEY_EC;
  // sha256WithRSAEncryption (with its NULL parameters) or ecdsa-with-SHA256.
  const std::string algorithm =
      ec ? Seq({Tlv(0x06, absl::HexStringToBytes("2a8648ce3d040302"))})
         : Seq({Tlv(0x06, absl::HexStringToBytes("2a864886f70d01010b")), Tlv(0x05, "")});
  unsigned char* name = nullptr;
  const int name_len = i2d_X509_NAME(issuer, &name);
  if (name_len <= 0) return absl::InternalError("i2d_X509_NAME");
  std::string tbs_fields = IntegerHex("01") + algorithm +
                           std::string(reinterpret_cast<char*>(name), name_len) +
                           std::string(this_update) + std::string(next_update);
  OPENSSL_free(name);
  if (!revoked.empty()) tbs_fields += Tlv(0x30, revoked);
  if (!extensions.empty()) tbs_fields += Tlv(0xA0, Tlv(0x30, extensions));
  const std::string tbs = Tlv(0x30, tbs_fields);
  crypto::OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return absl::InternalError("EVP_DigestSign");
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return absl::InternalError("EVP_DigestSign");
  }
  sig.resize(sig_len);
  return Seq({tbs, algorithm, Tlv(0x03, std::string(1, '\0') + sig)});
}

}  // namespace sigverify::testing
