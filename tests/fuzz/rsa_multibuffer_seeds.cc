// Writes seeds for rsa_multibuffer_fuzzer: for each key and several parameter
// selectors, an input whose encoded message is the valid encoding of its
// digest (PKCS#1 v1.5 built here; PSS through the library's signing and a
// public operation back), so the fuzzer starts from valid signatures.
#include <openssl/rsa.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/fuzz/rsa_multibuffer_fuzzer.h"

namespace {

using namespace sigverify;  // NOLINT

// The encoded message behind a library signature: s^e mod n.
std::string Open(EVP_PKEY* key, const std::string& sig) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  std::string out(sig.size(), '\0');
  size_t len = out.size();
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) <= 0 ||
      EVP_PKEY_verify_recover(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                              reinterpret_cast<const uint8_t*>(sig.data()), sig.size()) <= 0) {
    return "";
  }
  out.resize(len);
  return out;
}

std::string Sign(EVP_PKEY* key, const crypto::SignatureParams& p, const std::string& digest) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  size_t len = static_cast<size_t>(EVP_PKEY_size(key));
  std::string sig(len, '\0');
  const bool pss = p.scheme == crypto::SignatureScheme::kRsaPss;
  const crypto::HashAlgorithm mgf1 =
      p.pss_mgf1_hash == crypto::HashAlgorithm::kNone ? p.hash : p.pss_mgf1_hash;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), crypto::EvpMd(p.hash)) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <=
          0 ||
      (pss && (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), crypto::EvpMd(mgf1)) <= 0 ||
               EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), p.pss_salt_length) <= 0)) ||
      EVP_PKEY_sign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len,
                    reinterpret_cast<const uint8_t*>(digest.data()), digest.size()) <= 0) {
    return "";
  }
  sig.resize(len);
  return sig;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  int written = 0;
  for (int k = 0; k < 3; ++k) {
    crypto::EvpPkeyPtr key = fuzz::LoadKey(fuzz::kKeyBits[k]);
    // PKCS#1 with each hash; PSS with SHA-256 and salts -1 (as the hash),
    // 0 and 32, and with SHA-512 and MGF1-SHA-1.
    for (uint8_t selector : {0x00, 0x02, 0x04, 0x06, 0x03, 0x23, 0xa3, 0x4f, 0x0f}) {
      const crypto::SignatureParams p = fuzz::ParamsFrom(selector);
      const std::string digest(crypto::HashLength(p.hash), static_cast<char>(0x40 + k));
      const std::string sig = Sign(key.get(), p, digest);
      if (sig.empty()) continue;
      const std::string em = Open(key.get(), sig);
      if (em.empty()) continue;
      for (uint8_t mode : {0, 1}) {
        std::string input;
        input.push_back(static_cast<char>(k));
        input.push_back(static_cast<char>(selector));
        input.push_back(static_cast<char>(mode));
        input += digest + (mode == 0 ? em : sig);
        std::ofstream(std::string(argv[1]) + "/seed-" + std::to_string(k) + "-" +
                          std::to_string(selector) + "-" + std::to_string(mode),
                      std::ios::binary)
            << input;
        ++written;
      }
    }
  }
  std::printf("%d seeds\n", written);
  return written > 0 ? 0 : 1;
}
