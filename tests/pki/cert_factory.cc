#include "tests/pki/cert_factory.h"

#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fstream>

#include "absl/strings/str_cat.h"

namespace sigverify::testing {
namespace {

using Name = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Conf = std::unique_ptr<CONF, Deleter<CONF, NCONF_free>>;

Name MakeName(const Rdns& rdns) {
  Name name(X509_NAME_new());
  for (const auto& [field, value] : rdns) {
    X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, 0);
  }
  return name;
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

absl::Status OpenSslError(const std::string& what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

Key MakeKey(const KeySpec& spec) {
  PkeyCtx ctx;
  if (spec.type == "rsa") {
    ctx.reset(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), spec.bits) <= 0) {
      return nullptr;
    }
  } else if (spec.type == "ec") {
    ctx.reset(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) <= 0) {
      return nullptr;
    }
  } else {
    ctx.reset(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0) return nullptr;
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &key) <= 0) return nullptr;
  return Key(key);
}

absl::StatusOr<Issued> Issue(const CertSpec& spec, const Issued* issuer, const KeySpec& key_spec,
                             EVP_PKEY* key) {
  const std::string what = spec.subject.empty() ? "certificate" : spec.subject.back().second;
  Issued out;
  if (key != nullptr) {
    EVP_PKEY_up_ref(key);
    out.key.reset(key);
  } else {
    out.key = MakeKey(key_spec);
  }
  if (!out.key) return OpenSslError(absl::StrCat(what, ": key generation"));
  out.cert.reset(X509_new());
  X509* x = out.cert.get();
  Name subject = MakeName(spec.subject);
  Name issuer_override = MakeName(spec.issuer_name);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial);
  X509_set_subject_name(x, subject.get());
  if (!spec.issuer_name.empty()) {
    X509_set_issuer_name(x, issuer_override.get());
  } else {
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert.get()) : subject.get());
  }
  ASN1_TIME_set(X509_getm_notBefore(x), absl::ToTimeT(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x), absl::ToTimeT(spec.not_after));
  X509_set_pubkey(x, out.key.get());

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
  auto extensions = spec.extensions;
  if (spec.key_identifiers) {
    extensions.push_back({"subjectKeyIdentifier", "hash"});
    if (issuer) extensions.push_back({"authorityKeyIdentifier", "keyid:always"});
  }
  if (auto s = AddExtensions(extensions, spec.sections, &v3, what,
                             [x](X509_EXTENSION* ext) { X509_add_ext(x, ext, -1); });
      !s.ok()) {
    return s;
  }
  EVP_PKEY* signing_key = issuer ? issuer->key.get() : out.key.get();
  const EVP_MD* md = EVP_PKEY_id(signing_key) == EVP_PKEY_ED25519
                         ? nullptr
                         : EVP_get_digestbyname(spec.digest.c_str());
  if (X509_sign(x, signing_key, md) <= 0) return OpenSslError(absl::StrCat(what, ": sign"));
  return out;
}

absl::Status AddExtensions(const std::vector<std::pair<std::string, std::string>>& extensions,
                           const std::string& sections, X509V3_CTX* ctx, const std::string& what,
                           const std::function<void(X509_EXTENSION*)>& add) {
  Conf conf(NCONF_new(nullptr));
  if (!sections.empty()) {
    Bio text(BIO_new_mem_buf(sections.data(), static_cast<int>(sections.size())));
    long error_line = 0;
    if (NCONF_load_bio(conf.get(), text.get(), &error_line) <= 0) {
      return OpenSslError(absl::StrCat(what, ": sections, line ", error_line));
    }
  }
  X509V3_set_nconf(ctx, conf.get());
  for (const auto& [name, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_nconf(conf.get(), ctx, name.c_str(), value.c_str());
    if (ext == nullptr) return OpenSslError(absl::StrCat(what, ": extension ", name, "=", value));
    add(ext);
    X509_EXTENSION_free(ext);
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

absl::Status WritePem(const std::filesystem::path& dir, const std::string& name,
                      const Issued& issued) {
  Bio key_bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(key_bio.get(), issued.key.get(), nullptr, nullptr, 0, nullptr,
                                nullptr)) {
    return OpenSslError(name);
  }
  if (auto s = WriteCertificates(dir / (name + ".pem"), {issued.cert.get()}); !s.ok()) return s;
  return WriteFile(dir / (name + ".key"), BioString(key_bio.get()));
}

absl::Status WriteCertificates(const std::filesystem::path& path,
                               const std::vector<const X509*>& certs) {
  Bio bio(BIO_new(BIO_s_mem()));
  for (const X509* c : certs) {
    if (!PEM_write_bio_X509(bio.get(), const_cast<X509*>(c))) return OpenSslError(path.string());
  }
  return WriteFile(path, BioString(bio.get()));
}

}  // namespace sigverify::testing
