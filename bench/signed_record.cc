#include "bench/signed_record.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "crypto/certificate.h"

namespace sigverify::bench {

absl::StatusOr<std::string> ReadPkiFile(const std::string& pki_dir, const std::string& name) {
  std::ifstream in(pki_dir + "/" + name, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", pki_dir, "/", name));
  return buf.str();
}

absl::StatusOr<SignedRecord> MakeSignedRecord(const std::string& pki_dir, const std::string& signer,
                                              v1::SignatureAlgorithm algorithm, size_t data_bytes,
                                              int variant) {
  auto key_pem = ReadPkiFile(pki_dir, signer + ".key");
  auto cert_pem = ReadPkiFile(pki_dir, signer + ".pem");
  auto ca_pem = ReadPkiFile(pki_dir, "ca.pem");
  if (!key_pem.ok()) return key_pem.status();
  if (!cert_pem.ok()) return cert_pem.status();
  if (!ca_pem.ok()) return ca_pem.status();

  crypto::BioPtr bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  crypto::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return absl::InvalidArgumentError(absl::StrCat(signer, ".key: not a private key"));

  SignedRecord r;
  r.data.assign(data_bytes, 'd');
  const std::string tag = absl::StrCat(variant, ":");
  if (variant != 0) r.data.replace(0, std::min(tag.size(), r.data.size()), tag);
  r.md = algorithm == v1::SIGNATURE_ALGORITHM_ED25519 ? nullptr : EVP_sha256();
  r.pss = algorithm == v1::SIGNATURE_ALGORITHM_RSA_PSS_SHA256;
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, r.md, nullptr, key.get()) != 1) {
    return absl::InternalError("sign init");
  }
  if (r.pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  const auto* d = reinterpret_cast<const unsigned char*>(r.data.data());
  EVP_DigestSign(ctx.get(), nullptr, &len, d, r.data.size());
  r.signature.resize(len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(r.signature.data()), &len, d,
                     r.data.size()) != 1) {
    return absl::InternalError("sign");
  }
  r.signature.resize(len);

  auto cert = crypto::Certificate::Parse(*cert_pem);
  if (!cert.ok()) return cert.status();
  r.public_key.reset(X509_get_pubkey((*cert)->x509()));
  r.request.set_record_id("bench");
  r.request.set_data(r.data);
  r.request.set_signature(r.signature);
  r.request.set_algorithm(algorithm);
  // DER, the API's primary form (PEM is accepted too, at 4/3 the bytes).
  auto ca = crypto::Certificate::Parse(*ca_pem);
  if (!ca.ok()) return ca.status();
  r.request.set_signer_certificate((*cert)->der());
  r.request.add_intermediate_certificates((*ca)->der());
  if (!RawVerify(r)) return absl::InternalError("the signed record does not verify");
  return r;
}

bool RawVerify(const SignedRecord& r) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestVerifyInit(ctx, &pctx, r.md, nullptr, r.public_key.get());
  if (r.pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  const int ok = EVP_DigestVerify(
      ctx, reinterpret_cast<const unsigned char*>(r.signature.data()), r.signature.size(),
      reinterpret_cast<const unsigned char*>(r.data.data()), r.data.size());
  EVP_MD_CTX_free(ctx);
  return ok == 1;
}

}  // namespace sigverify::bench
