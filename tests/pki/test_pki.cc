#include "tests/pki/test_pki.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace sigverify::testing {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Name = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

absl::Status OpenSslError(const std::string& what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

Key MakeKey(std::string_view type, int bits) {
  PkeyCtx ctx;
  if (type == "rsa") {
    ctx.reset(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0) {
      return nullptr;
    }
  } else if (type == "ec") {
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

Name MakeName(const std::vector<std::pair<const char*, std::string>>& rdns) {
  Name name(X509_NAME_new());
  for (const auto& [field, value] : rdns) {
    X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, 0);
  }
  return name;
}

struct Spec {
  std::string file;
  std::vector<std::pair<const char*, std::string>> subject;
  std::string key_type = "rsa";
  int bits = 2048;
  absl::Time not_before;
  absl::Time not_after;
  bool ca = false;
  int path_len = -1;
  std::string key_usage;  // openssl v3 config syntax
  bool policy = true;
  std::vector<std::pair<int, std::string>> extra_extensions;
};

struct Issued {
  Key key;
  Cert cert;
};

absl::StatusOr<Issued> Issue(const Spec& spec, const Issued* issuer, long serial) {
  Issued out;
  out.key = MakeKey(spec.key_type, spec.bits);
  if (!out.key) return OpenSslError(absl::StrCat(spec.file, ": key generation"));
  out.cert.reset(X509_new());
  X509* x = out.cert.get();
  Name subject = MakeName(spec.subject);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_set_subject_name(x, subject.get());
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert.get()) : subject.get());
  ASN1_TIME_set(X509_getm_notBefore(x), absl::ToTimeT(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x), absl::ToTimeT(spec.not_after));
  X509_set_pubkey(x, out.key.get());

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> exts;
  if (spec.ca) {
    exts.push_back({NID_basic_constraints,
                    spec.path_len >= 0 ? absl::StrCat("critical,CA:TRUE,pathlen:", spec.path_len)
                                       : std::string("critical,CA:TRUE")});
    exts.push_back({NID_key_usage, "critical,keyCertSign,cRLSign"});
  } else {
    exts.push_back({NID_basic_constraints, "critical,CA:FALSE"});
    exts.push_back({NID_key_usage, absl::StrCat("critical,", spec.key_usage)});
  }
  exts.insert(exts.end(), spec.extra_extensions.begin(), spec.extra_extensions.end());
  exts.push_back({NID_subject_key_identifier, "hash"});
  if (issuer) exts.push_back({NID_authority_key_identifier, "keyid:always"});
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (ext == nullptr) return OpenSslError(absl::StrCat(spec.file, ": extension ", value));
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (issuer && spec.policy) {
    // The public-service PKI's certificate policy OID.
    CERTIFICATEPOLICIES* policies = sk_POLICYINFO_new_null();
    POLICYINFO* info = POLICYINFO_new();
    info->policyid = OBJ_txt2obj("2.16.704.1.1.1.1.1", 1);
    sk_POLICYINFO_push(policies, info);
    const int added =
        X509_add1_ext_i2d(x, NID_certificate_policies, policies, 0, X509V3_ADD_DEFAULT);
    CERTIFICATEPOLICIES_free(policies);
    if (added != 1) return OpenSslError(absl::StrCat(spec.file, ": certificatePolicies"));
  }
  EVP_PKEY* signing_key = issuer ? issuer->key.get() : out.key.get();
  const EVP_MD* md = EVP_PKEY_id(signing_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(x, signing_key, md) <= 0) return OpenSslError(absl::StrCat(spec.file, ": sign"));
  return out;
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
  Bio cert_bio(BIO_new(BIO_s_mem()));
  Bio key_bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(cert_bio.get(), issued.cert.get()) ||
      !PEM_write_bio_PrivateKey(key_bio.get(), issued.key.get(), nullptr, nullptr, 0, nullptr,
                                nullptr)) {
    return OpenSslError(name);
  }
  for (auto [bio, ext] : {std::pair{cert_bio.get(), ".pem"}, std::pair{key_bio.get(), ".key"}}) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (auto s = WriteFile(dir / (name + ext), std::string_view(data, static_cast<size_t>(len)));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sign(EVP_PKEY* key, std::string_view data, bool pss = false) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = EVP_PKEY_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) <= 0) {
    return OpenSslError("sign init");
  }
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)) {
    return OpenSslError("pss");
  }
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) <= 0) return OpenSslError("sign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) <= 0) {
    return OpenSslError("sign");
  }
  sig.resize(len);
  return sig;
}

}  // namespace

absl::Status WriteTestPki(const std::string& dir_name, absl::Time now) {
  const std::filesystem::path dir(dir_name);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir_name, ": ", ec.message()));

  const absl::Time start = now - absl::Hours(24);
  // CAs predate every signer, so that a signer can be validated in the past.
  const absl::Time ca_start = now - absl::Hours(24 * 365 * 3);
  const absl::Time root_end = now + absl::Hours(24 * 365 * 20);
  const absl::Time ca_end = now + absl::Hours(24 * 365 * 10);
  const absl::Time end = now + absl::Hours(24 * 365 * 2);
  const std::vector<std::pair<const char*, std::string>> org = {
      {"O", "Ban Cơ yếu Chính phủ (thử nghiệm)"}, {"C", "VN"}};
  auto with_org = [&](std::vector<std::pair<const char*, std::string>> rdns) {
    rdns.insert(rdns.begin(), org.rbegin(), org.rend());
    return rdns;
  };
  auto signer_name = [](const std::string& cn) {
    return std::vector<std::pair<const char*, std::string>>{
        {"C", "VN"}, {"L", "Hà Nội"}, {"O", "UBND phường Hoàn Kiếm"}, {"CN", cn}};
  };

  Spec root_spec{"root", {}, "rsa", 4096, ca_start, root_end, true};
  root_spec.subject = {{"C", "VN"},
                       {"O", "Ban Cơ yếu Chính phủ (thử nghiệm)"},
                       {"CN", "RootCA chuyên dùng Chính phủ thử nghiệm G2"}};
  auto root = Issue(root_spec, nullptr, 1);
  if (!root.ok()) return root.status();

  Spec ca_spec{"ca", {}, "rsa", 4096, ca_start, ca_end, true, 0};
  ca_spec.subject = with_org({{"CN", "CA phục vụ các cơ quan Nhà nước thử nghiệm G2"}});
  auto ca = Issue(ca_spec, &*root, 2);
  if (!ca.ok()) return ca.status();

  Spec untrusted_spec{"untrusted-root", {}, "rsa", 2048, ca_start, root_end, true};
  untrusted_spec.subject = {{"C", "VN"}, {"CN", "CA không được tin cậy"}};
  auto untrusted = Issue(untrusted_spec, nullptr, 1);
  if (!untrusted.ok()) return untrusted.status();

  struct Leaf {
    Spec spec;
    const Issued* issuer;
  };
  const std::string nr = "nonRepudiation";
  const std::vector<Leaf> leaves = {
      {{"signer-rsa", signer_name("Nguyễn Văn An"), "rsa", 2048, start, end, false, -1, nr}, &*ca},
      {{"signer-ec", signer_name("Trần Thị Bình"), "ec", 256, start, end, false, -1,
        "digitalSignature,nonRepudiation"},
       &*ca},
      {{"signer-ed25519", signer_name("Lê Văn Cường"), "ed25519", 0, start, end, false, -1,
        "digitalSignature"},
       &*ca},
      {{"signer-expired", signer_name("Phạm Thị Dung"), "rsa", 2048, now - absl::Hours(24 * 800),
        now - absl::Hours(24 * 70), false, -1, nr},
       &*ca},
      {{"signer-notyet", signer_name("Hoàng Văn Em"), "rsa", 2048, now + absl::Hours(24 * 30), end,
        false, -1, nr},
       &*ca},
      {{"signer-wrong-ku", signer_name("Vũ Thị Giang"), "rsa", 2048, start, end, false, -1,
        "keyEncipherment"},
       &*ca},
      {{"signer-rsa1024", signer_name("Đặng Văn Hải"), "rsa", 1024, start, end, false, -1, nr},
       &*ca},
      {{"signer-untrusted", signer_name("Bùi Thị Lan"), "rsa", 2048, start, end, false, -1, nr},
       &*untrusted},
  };

  // A TLS server certificate for sigverifyd on loopback (--tls-cert).
  Spec tls_spec{"tls-server", {{"C", "VN"}, {"CN", "localhost"}}, "ec", 256, start, end, false, -1,
                "digitalSignature"};
  tls_spec.policy = false;
  tls_spec.extra_extensions = {{NID_ext_key_usage, "serverAuth"},
                               {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}};
  auto tls = Issue(tls_spec, &*ca, 99);
  if (!tls.ok()) return tls.status();
  if (auto s = WritePem(dir, "tls-server", *tls); !s.ok()) return s;

  for (auto [name, issued] : {std::pair{"root", &*root}, std::pair{"ca", &*ca},
                              std::pair{"untrusted-root", &*untrusted}}) {
    if (auto s = WritePem(dir, name, *issued); !s.ok()) return s;
  }
  const std::string sample =
      "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM\nQuyết định số 123/QĐ-UBND về việc thử nghiệm chữ ký số.\n";
  if (auto s = WriteFile(dir / "sample.txt", sample); !s.ok()) return s;
  long serial = 100;
  for (const Leaf& leaf : leaves) {
    auto issued = Issue(leaf.spec, leaf.issuer, serial++);
    if (!issued.ok()) return issued.status();
    if (auto s = WritePem(dir, leaf.spec.file, *issued); !s.ok()) return s;
    auto sig = Sign(issued->key.get(), sample);
    if (!sig.ok()) return sig.status();
    if (auto s = WriteFile(dir / absl::StrCat("sample.txt.", leaf.spec.file, ".sig"), *sig);
        !s.ok()) {
      return s;
    }
  }
  // The trust store a deployment would configure: the root alone.
  std::filesystem::create_directories(dir / "anchors", ec);
  std::filesystem::copy_file(dir / "root.pem", dir / "anchors" / "root.pem",
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write anchors: ", ec.message()));
  return absl::OkStatus();
}

}  // namespace sigverify::testing
