#include "service/audit/checkpoint.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sigverify::audit {
namespace {

constexpr absl::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // em dash, space
constexpr char kEd25519 = 0x01;
constexpr size_t kMaxNote = 1 << 20;

std::string KeyId(absl::string_view name, absl::string_view public_key) {
  std::string material(name.data(), name.size());
  material.push_back('\n');
  material.push_back(kEd25519);
  material.append(public_key.data(), public_key.size());
  const crypto::Sha256Digest d = crypto::Sha256(material);
  return std::string(reinterpret_cast<const char*>(d.data()), 4);
}

std::string Body(const Checkpoint& c) {
  return absl::StrCat(c.origin, "\n", c.size, "\n",
                      absl::Base64Escape(absl::string_view(
                          reinterpret_cast<const char*>(c.root.data()), c.root.size())),
                      "\n");
}

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed checkpoint: ", why));
}

bool ValidName(absl::string_view name) {
  return !name.empty() && name.find_first_of(" +\n\t") == absl::string_view::npos;
}

}  // namespace

CheckpointSigner::CheckpointSigner(crypto::EvpPkeyPtr key, std::string name)
    : key_(key.release(), EVP_PKEY_free), name_(std::move(name)) {
  unsigned char raw[32];
  size_t len = sizeof(raw);
  EVP_PKEY_get_raw_public_key(key_.get(), raw, &len);
  public_key_.assign(reinterpret_cast<const char*>(raw), len);
  key_id_ = KeyId(name_, public_key_);
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx != nullptr && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) > 0) {
    signing_ = std::shared_ptr<const EVP_MD_CTX>(ctx.release(), EVP_MD_CTX_free);
  }
  ERR_clear_error();
}

absl::StatusOr<CheckpointSigner> CheckpointSigner::FromPem(absl::string_view pem,
                                                           std::string key_name) {
  if (!ValidName(key_name)) return absl::InvalidArgumentError("invalid log key name");
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  crypto::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("the audit log key is not an Ed25519 private key (PEM)");
  }
  return CheckpointSigner(std::move(key), std::move(key_name));
}

absl::StatusOr<CheckpointSigner> CheckpointSigner::Generate(std::string key_name) {
  if (!ValidName(key_name)) return absl::InvalidArgumentError("invalid log key name");
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      EVP_PKEY_keygen(ctx.get(), &key) <= 0) {
    ERR_clear_error();
    return absl::InternalError("Ed25519 key generation failed");
  }
  return CheckpointSigner(crypto::EvpPkeyPtr(key), std::move(key_name));
}

absl::StatusOr<std::string> CheckpointSigner::Sign(const Checkpoint& checkpoint) const {
  if (!ValidName(checkpoint.origin)) return absl::InvalidArgumentError("invalid log origin");
  const std::string body = Body(checkpoint);
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t sig_len = sizeof(sig);
  const bool ready =
      ctx != nullptr && (signing_ != nullptr ? EVP_MD_CTX_copy_ex(ctx.get(), signing_.get()) > 0
                                             : EVP_DigestSignInit(ctx.get(), nullptr, nullptr,
                                                                  nullptr, key_.get()) > 0);
  if (!ready ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size()) <= 0) {
    ERR_clear_error();
    return absl::InternalError("Ed25519 signing failed");
  }
  const std::string blob = key_id_ + std::string(reinterpret_cast<const char*>(sig), sig_len);
  return absl::StrCat(body, "\n", kSignaturePrefix, name_, " ", absl::Base64Escape(blob), "\n");
}

std::string CheckpointSigner::VerifierKey() const {
  return absl::StrCat(name_, "+", absl::BytesToHexString(KeyId(name_, public_key_)), "+",
                      absl::Base64Escape(std::string(1, kEd25519) + public_key_));
}

absl::StatusOr<std::string> CheckpointSigner::PrivateKeyPem() const {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    ERR_clear_error();
    return absl::InternalError("cannot encode the key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<Checkpoint> OpenCheckpoint(absl::string_view note, absl::string_view verifier_key) {
  // The verifier key: name + hex key id + base64(type || key).
  std::vector<absl::string_view> vk =
      absl::StrSplit(verifier_key, absl::MaxSplits('+', 2));  // base64 may hold '+'
  std::string key_id, typed_key;
  if (vk.size() != 3 || !ValidName(vk[0]) || vk[1].size() != 8 ||
      vk[1].find_first_not_of("0123456789abcdef") != absl::string_view::npos ||
      !absl::Base64Unescape(vk[2], &typed_key) || typed_key.size() != 33 ||
      typed_key[0] != kEd25519) {
    return absl::InvalidArgumentError("malformed verifier key (name+keyid+base64 key)");
  }
  key_id = absl::HexStringToBytes(vk[1]);
  const std::string public_key = typed_key.substr(1);
  if (KeyId(vk[0], public_key) != key_id) {
    return absl::InvalidArgumentError("the verifier key's id does not match its key");
  }

  if (note.size() > kMaxNote) return Malformed("too large");
  for (unsigned char c : note) {
    if (c < 0x20 && c != '\n') return Malformed("control character");
  }
  const size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) return Malformed("no signature block");
  const absl::string_view body = note.substr(0, split + 1);
  absl::string_view signatures = note.substr(split + 2);
  if (signatures.empty() || signatures.back() != '\n') return Malformed("signature lines");
  signatures.remove_suffix(1);
  bool verified = false;
  for (absl::string_view line : absl::StrSplit(signatures, '\n')) {
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return Malformed("a signature line without the em dash");
    }
    line.remove_prefix(kSignaturePrefix.size());
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) return Malformed("a signature line without a signature");
    std::string blob;
    if (!absl::Base64Unescape(line.substr(space + 1), &blob) || blob.size() < 5) {
      return Malformed("a signature that is not base64");
    }
    if (line.substr(0, space) != vk[0] || blob.substr(0, 4) != key_id) continue;  // another key
    crypto::EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
        public_key.size()));
    crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    const bool ok =
        key != nullptr &&
        EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) > 0 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(blob.data() + 4),
                         blob.size() - 4, reinterpret_cast<const unsigned char*>(body.data()),
                         body.size()) == 1;
    ERR_clear_error();
    if (!ok) return absl::PermissionDeniedError("the checkpoint's signature does not verify");
    verified = true;
    break;
  }
  if (!verified) {
    return absl::PermissionDeniedError(
        absl::StrCat("the checkpoint carries no signature by ", vk[0]));
  }
  std::vector<absl::string_view> lines = absl::StrSplit(body.substr(0, body.size() - 1), '\n');
  if (lines.size() < 3) return Malformed("fewer than three lines");
  Checkpoint out;
  out.origin = std::string(lines[0]);
  std::string root;
  if (!absl::SimpleAtoi(lines[1], &out.size) || lines[1].empty() ||
      (lines[1].size() > 1 && lines[1][0] == '0')) {
    return Malformed("tree size");
  }
  if (!absl::Base64Unescape(lines[2], &root) || root.size() != 32) return Malformed("root hash");
  std::copy(root.begin(), root.end(), out.root.begin());
  return out;
}

}  // namespace sigverify::audit
