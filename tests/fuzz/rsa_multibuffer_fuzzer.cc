// libFuzzer target: the multi-buffer RSA path (VerifySignatures, eight lanes
// of the same job) against the library's (VerifySignature) on the same
// inputs. Any difference in verdict, reason or facts aborts. Encoded messages
// are signed raw with fixed private keys, so the fuzzer explores the padding
// checks themselves; see rsa_multibuffer_fuzzer.h for the input's layout.
#include "tests/fuzz/rsa_multibuffer_fuzzer.h"

#include <openssl/rsa.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "crypto/batch_verifier.h"
#include "crypto/cpu_features.h"
#include "crypto/message_catalog.h"

namespace {

using namespace sigverify;  // NOLINT: a fuzz target's brevity

struct Key {
  crypto::EvpPkeyPtr private_key;
  std::shared_ptr<const crypto::PublicKey> public_key;
  std::string n;
};

const std::array<Key, 3>& Keys() {
  static const std::array<Key, 3>* keys = [] {
    auto* out = new std::array<Key, 3>;
    for (int i = 0; i < 3; ++i) {
      Key& k = (*out)[static_cast<size_t>(i)];
      k.private_key = fuzz::LoadKey(fuzz::kKeyBits[i]);
      uint8_t* der = nullptr;
      const int len = i2d_PUBKEY(k.private_key.get(), &der);
      k.public_key = *crypto::PublicKey::FromSpki(std::string(reinterpret_cast<char*>(der), len));
      OPENSSL_free(der);
      const crypto::RsaLaneKey* lane = k.public_key->lane_key();
      if (lane == nullptr) std::abort();
      k.n.assign(reinterpret_cast<const char*>(lane->n_bytes()), lane->modulus_bytes());
    }
    return out;
  }();
  return *keys;
}

// em^d mod n, or empty when em is not below n.
std::string RawSign(const Key& key, const std::string& em) {
  if (em.compare(key.n) >= 0) return "";
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.private_key.get(), nullptr));
  std::string out(em.size(), '\0');
  size_t len = out.size();
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) <= 0 ||
      EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                       reinterpret_cast<const uint8_t*>(em.data()), em.size()) <= 0) {
    std::abort();
  }
  return out;
}

std::string Render(const crypto::SignatureCheck& c) {
  std::string out = std::to_string(static_cast<int>(c.status)) + "/" +
                    std::string(crypto::ReasonName(c.failure.reason));
  for (const std::string& name : c.failure.names) out += "/" + name;
  return out + "/" + std::to_string(c.failure.limit) + "/" + std::to_string(c.failure.actual);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const Key& key = Keys()[data[0] % 3];
  const crypto::SignatureParams params = fuzz::ParamsFrom(data[1]);
  const bool raw_signature = (data[2] & 1) != 0;
  std::string in(reinterpret_cast<const char*>(data) + 3, size - 3);
  const size_t h = crypto::HashLength(params.hash);
  const std::string digest = in.substr(0, h) + std::string(h - std::min(h, in.size()), '\0');
  std::string rest = in.size() > h ? in.substr(h) : "";
  std::string signature;
  if (raw_signature) {
    signature = rest;
  } else {
    rest.resize(key.n.size(), '\0');
    signature = RawSign(key, rest);
    if (signature.empty()) signature = rest;  // at or above n: both refuse it
  }
  const crypto::SignatureJob job{
      key.public_key.get(), params, {crypto::SignedContent::kDigest, digest}, signature};
  const std::string want =
      Render(crypto::VerifySignature(*job.key, job.params, job.content, job.signature));
  std::array<crypto::SignatureJob, 8> jobs;
  jobs.fill(job);
  std::array<crypto::SignatureCheck, 8> got;
  crypto::VerifySignatures(jobs, absl::MakeSpan(got));
  for (const crypto::SignatureCheck& c : got) {
    if (Render(c) != want) {
      std::fprintf(stderr, "multi-buffer %s, library %s (kernel: %d)\n", Render(c).c_str(),
                   want.c_str(), crypto::TakesMultiBuffer(job) ? 1 : 0);
      std::abort();
    }
  }
  return 0;
}
