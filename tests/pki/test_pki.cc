#include "tests/pki/test_pki.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/cms_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/pki/rfc5280_fixtures.h"

namespace sigverify::testing {
namespace {

using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

// A member of the G2-shaped hierarchy.
struct Spec {
  std::string file;
  Rdns subject;
  std::string key_type = "rsa";
  int bits = 2048;
  absl::Time not_before;
  absl::Time not_after;
  bool ca = false;
  int path_len = -1;
  std::string key_usage;  // openssl v3 config syntax
  bool policy = true;
  std::vector<std::pair<std::string, std::string>> extra_extensions;
};

absl::StatusOr<Issued> Issue(const Spec& spec, const Issued* issuer, long serial) {
  CertSpec c;
  c.subject = spec.subject;
  c.not_before = spec.not_before;
  c.not_after = spec.not_after;
  c.serial = serial;
  if (spec.ca) {
    c.extensions.push_back(
        {"basicConstraints", spec.path_len >= 0
                                 ? absl::StrCat("critical,CA:TRUE,pathlen:", spec.path_len)
                                 : std::string("critical,CA:TRUE")});
    c.extensions.push_back({"keyUsage", "critical,keyCertSign,cRLSign"});
  } else {
    c.extensions.push_back({"basicConstraints", "critical,CA:FALSE"});
    c.extensions.push_back({"keyUsage", absl::StrCat("critical,", spec.key_usage)});
  }
  c.extensions.insert(c.extensions.end(), spec.extra_extensions.begin(),
                      spec.extra_extensions.end());
  // The public-service PKI's certificate policy OID.
  if (issuer && spec.policy) c.extensions.push_back({"certificatePolicies", "2.16.704.1.1.1.1.1"});
  return testing::Issue(c, issuer, KeySpec{spec.key_type, spec.bits});
}

absl::StatusOr<std::string> Sign(EVP_PKEY* key, std::string_view data, bool pss = false,
                                 const char* digest = "sha256") {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = EVP_PKEY_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_get_digestbyname(digest);
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

// The G1 shape: RSA-2048 everywhere, sha1WithRSA signatures, a signer with
// nonRepudiation only, and intranet-only URLs (as http://ca.btc/ in the real
// G1). The G1 root also cross-certifies the G2 root, so a G2 signer has two
// paths. The signer signs sample.txt with SHA-1, as G1-era software did.
absl::Status WriteG1Hierarchy(const std::filesystem::path& dir, absl::Time now,
                              const Issued& g2_root, std::string_view sample) {
  const absl::Time ca_start = now - absl::Hours(24 * 365 * 12);
  const absl::Time ca_end = now + absl::Hours(24 * 365 * 4);
  auto spec = [&](Rdns subject, std::vector<std::pair<std::string, std::string>> extensions,
                  long serial) {
    CertSpec c;
    c.subject = std::move(subject);
    c.not_before = ca_start;
    c.not_after = ca_end;
    c.serial = serial;
    c.extensions = std::move(extensions);
    c.digest = "sha1";
    return c;
  };
  const std::vector<std::pair<std::string, std::string>> ca_extensions = {
      {"basicConstraints", "critical,CA:TRUE"}, {"keyUsage", "keyCertSign,cRLSign"}};
  const KeySpec rsa2048{"rsa", 2048};
  auto root = Issue(spec({{"C", "VN"},
                          {"O", "Ban Co yeu Chinh phu (thu nghiem)"},
                          {"CN", "Co quan chung thuc so chuyen dung Chinh phu thu nghiem G1"}},
                         ca_extensions, 1),
                    nullptr, rsa2048);
  if (!root.ok()) return root.status();
  auto ca_extensions_urls = ca_extensions;
  ca_extensions_urls.push_back(
      {"crlDistributionPoints", "URI:http://ca.g1.invalid/pki/pub/crl/root.crl"});
  auto ca = Issue(spec({{"C", "VN"},
                        {"O", "Ban Co yeu Chinh phu (thu nghiem)"},
                        {"CN", "Co quan chung thuc so Bo Tai chinh thu nghiem G1"}},
                       ca_extensions_urls, 2),
                  &*root, rsa2048);
  if (!ca.ok()) return ca.status();
  CertSpec signer = spec(
      {{"C", "VN"}, {"O", "BTC"}, {"CN", "TCHQ thu nghiem"}},
      {{"basicConstraints", "CA:FALSE"},
       {"keyUsage", "nonRepudiation"},
       {"authorityInfoAccess",
        "OCSP;URI:http://ocsp.g1.invalid/,caIssuers;URI:http://ca.g1.invalid/pki/pub/cert/btc.crt"},
       {"crlDistributionPoints", "URI:http://ca.g1.invalid/pki/pub/crl/btc.crl"}},
      3);
  signer.not_before = now - absl::Hours(24 * 365 * 6);
  signer.not_after = now + absl::Hours(24 * 365);
  auto g1_signer = Issue(signer, &*ca, rsa2048);
  if (!g1_signer.ok()) return g1_signer.status();

  // The G2 root's key and name, certified by the G1 root.
  CertSpec cross;
  cross.subject = {{"C", "VN"},
                   {"O", "Ban Cơ yếu Chính phủ (thử nghiệm)"},
                   {"CN", "RootCA chuyên dùng Chính phủ thử nghiệm G2"}};
  cross.not_before = now - absl::Hours(24 * 365);
  cross.not_after = ca_end;
  cross.serial = 4;
  cross.extensions = ca_extensions;
  auto g2_cross = Issue(cross, &*root, {}, g2_root.key.get());
  if (!g2_cross.ok()) return g2_cross.status();

  for (auto [name, issued] :
       {std::pair{"g1-root", &*root}, std::pair{"g1-ca", &*ca}, std::pair{"g1-signer", &*g1_signer},
        std::pair{"g2-root-cross-g1", &*g2_cross}}) {
    if (auto s = WritePem(dir, name, *issued); !s.ok()) return s;
  }
  auto sig = Sign(g1_signer->key.get(), sample, /*pss=*/false, "sha1");
  if (!sig.ok()) return sig.status();
  return WriteFile(dir / "sample.txt.g1-signer.sig", *sig);
}

// AIA: an issuing CA that no trust store or pool holds, published at an
// intranet-style URL under aia/ (DER and PKCS#7 certs-only, RFC 5280
// 4.2.2.1), and signers that name it in caIssuers. Tests serve aia/ over
// real HTTP and map http://ca.sigverify.invalid/ to it with URL rewriting.
absl::Status WriteAiaFixtures(const std::filesystem::path& dir, absl::Time now,
                              const Issued& root) {
  constexpr char kPublished[] = "http://ca.sigverify.invalid/pki/pub/crt/";
  CertSpec ca;
  ca.subject = {
      {"C", "VN"}, {"O", "Ban Cơ yếu Chính phủ (thử nghiệm)"}, {"CN", "CA AIA thử nghiệm G2"}};
  ca.not_before = now - absl::Hours(24 * 365);
  ca.not_after = now + absl::Hours(24 * 365 * 5);
  ca.serial = 50;
  ca.extensions = {{"basicConstraints", "critical,CA:TRUE,pathlen:0"},
                   {"keyUsage", "critical,keyCertSign,cRLSign"}};
  auto ca_aia = Issue(ca, &root, KeySpec{"ec", 256});
  if (!ca_aia.ok()) return ca_aia.status();
  const std::filesystem::path pub = dir / "aia" / "pki" / "pub" / "crt";
  std::error_code ec;
  std::filesystem::create_directories(pub, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", pub.string()));
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(ca_aia->cert.get(), &der);
  if (der_len <= 0) return OpenSslError("ca-aia DER");
  const std::string der_bytes(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  if (auto s = WriteFile(pub / "ca-aia.crt", der_bytes); !s.ok()) return s;
  std::unique_ptr<PKCS7, Deleter<PKCS7, PKCS7_free>> p7(PKCS7_new());
  unsigned char* p7_der = nullptr;
  int p7_len = 0;
  if (!p7 || !PKCS7_set_type(p7.get(), NID_pkcs7_signed) ||
      !PKCS7_content_new(p7.get(), NID_pkcs7_data) ||
      !PKCS7_add_certificate(p7.get(), ca_aia->cert.get()) ||
      (p7_len = i2d_PKCS7(p7.get(), &p7_der)) <= 0) {
    return OpenSslError("ca-aia PKCS#7");
  }
  const std::string p7_bytes(reinterpret_cast<char*>(p7_der), static_cast<size_t>(p7_len));
  OPENSSL_free(p7_der);
  if (auto s = WriteFile(pub / "ca-aia.p7c", p7_bytes); !s.ok()) return s;
  if (auto s = WriteFile(pub / "garbage.crt", "this is not a certificate"); !s.ok()) return s;
  if (auto s = WritePem(dir, "ca-aia", *ca_aia); !s.ok()) return s;

  long serial = 60;
  for (const auto& [name, url] : std::vector<std::pair<std::string, std::string>>{
           {"signer-aia", absl::StrCat(kPublished, "ca-aia.crt")},
           {"signer-aia-p7c", absl::StrCat(kPublished, "ca-aia.p7c")},
           {"signer-aia-garbage", absl::StrCat(kPublished, "garbage.crt")},
           {"signer-aia-elsewhere", "http://elsewhere.invalid/ca-aia.crt"}}) {
    CertSpec leaf;
    leaf.subject = {{"C", "VN"}, {"O", "UBND phường Hoàn Kiếm"}, {"CN", name}};
    leaf.not_before = now - absl::Hours(24);
    leaf.not_after = now + absl::Hours(24 * 365);
    leaf.serial = serial++;
    leaf.extensions = {{"basicConstraints", "critical,CA:FALSE"},
                       {"keyUsage", "critical,digitalSignature,nonRepudiation"},
                       {"authorityInfoAccess", absl::StrCat("caIssuers;URI:", url)}};
    auto signer = Issue(leaf, &*ca_aia, KeySpec{"ec", 256});
    if (!signer.ok()) return signer.status();
    if (auto s = WritePem(dir, name, *signer); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// OCSP: a CA whose database (index.txt, OpenSSL's ca format) a real
// `openssl ocsp` responder serves; certificates good, revoked and unlisted;
// responders: the CA itself, a delegated one with id-kp-OCSPSigning (and
// one more with id-pkix-ocsp-nocheck), one without it, and an unrelated key.
absl::Status WriteOcspFixtures(const std::filesystem::path& dir, absl::Time now,
                               std::string_view sample) {
  const std::filesystem::path out = dir / "ocsp";
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", out.string()));
  auto spec = [&](const std::string& cn, long serial,
                  std::vector<std::pair<std::string, std::string>> extensions) {
    CertSpec c;
    c.subject = {{"C", "VN"}, {"O", "sigverify OCSP tests"}, {"CN", cn}};
    c.not_before = now - absl::Hours(24 * 30);
    c.not_after = now + absl::Hours(24 * 365);
    c.serial = serial;
    c.extensions = std::move(extensions);
    return c;
  };
  const std::vector<std::pair<std::string, std::string>> ca_ext = {
      {"basicConstraints", "critical,CA:TRUE"}, {"keyUsage", "critical,keyCertSign,cRLSign"}};
  const std::vector<std::pair<std::string, std::string>> leaf_ext = {
      {"basicConstraints", "critical,CA:FALSE"},
      {"keyUsage", "critical,digitalSignature,nonRepudiation"},
      {"authorityInfoAccess", "OCSP;URI:http://ocsp.sigverify.invalid/"}};
  // Both sources, for the order in which they are asked.
  auto with_crl_ext = leaf_ext;
  with_crl_ext.push_back({"crlDistributionPoints", "URI:http://crl.sigverify.invalid/ocsp-ca.crl"});
  auto ca = Issue(spec("OCSP Test CA", 1, ca_ext), nullptr);
  auto rogue = Issue(spec("Rogue Responder", 1, ca_ext), nullptr);
  if (!ca.ok()) return ca.status();
  if (!rogue.ok()) return rogue.status();
  struct Member {
    std::string name;
    long serial;
    std::vector<std::pair<std::string, std::string>> extensions;
  };
  const std::vector<Member> members = {
      {"good", 0x1001, leaf_ext},
      {"revoked", 0x1002, leaf_ext},
      {"unlisted", 0x1003, leaf_ext},
      {"with-crl", 0x1004, with_crl_ext},
      {"responder",
       0x2001,
       {{"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature"},
        {"extendedKeyUsage", "OCSPSigning"}}},
      {"responder-no-eku",
       0x2002,
       {{"basicConstraints", "critical,CA:FALSE"}, {"keyUsage", "critical,digitalSignature"}}},
      {"responder-nocheck",
       0x2003,
       {{"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature"},
        {"extendedKeyUsage", "OCSPSigning"},
        {"noCheck", "ignored"}}},
  };
  for (const Member& m : members) {
    auto issued = Issue(spec(m.name, m.serial, m.extensions), &*ca);
    if (!issued.ok()) return issued.status();
    if (auto s = WritePem(out, m.name, *issued); !s.ok()) return s;
    if (m.name != "revoked") continue;
    // sample.txt signed by the revoked certificate, with a signature
    // timestamp (the test TSA) a day before its revocation, and one an hour
    // after it: proof of existence before the revocation, and too late.
    auto cms = SignDetached(sample, issued->cert.get(), issued->key.get());
    if (!cms.ok()) return cms.status();
    auto value = SignatureValueOf(*cms);
    if (!value.ok()) return value.status();
    for (auto [file, at] :
         {std::pair{"sample.txt.revoked-stamped-before.p7s", now - absl::Hours(48)},
          std::pair{"sample.txt.revoked-stamped-after.p7s", now - absl::Hours(23)}}) {
      auto token = MakeTimestampToken(*value, dir.string(), "tsa", at);
      if (!token.ok()) return token.status();
      auto stamped = AddSignatureTimestamp(*cms, *token);
      if (!stamped.ok()) return stamped.status();
      if (auto s = WriteFile(out / file, *stamped); !s.ok()) return s;
    }
  }
  if (auto s = WritePem(out, "ca", *ca); !s.ok()) return s;
  if (auto s = WritePem(out, "rogue", *rogue); !s.ok()) return s;
  // V/R, expiry, revocation[,reason], serial, file, subject (tab-separated).
  auto asn1 = [](absl::Time t) {
    return absl::FormatTime("%y%m%d%H%M%SZ", t, absl::UTCTimeZone());
  };
  const std::string expiry = asn1(now + absl::Hours(24 * 365));
  const std::string index =
      absl::StrCat("V\t", expiry, "\t\t1001\tunknown\t/C=VN/O=sigverify OCSP tests/CN=good\n",
                   "R\t", expiry, "\t", asn1(now - absl::Hours(24)),
                   ",keyCompromise\t1002\tunknown\t/C=VN/O=sigverify OCSP tests/CN=revoked\n",
                   "V\t", expiry, "\t\t1004\tunknown\t/C=VN/O=sigverify OCSP tests/CN=with-crl\n");
  if (auto s = WriteFile(out / "index.txt", index); !s.ok()) return s;
  return WriteFile(out / "index.txt.attr", "unique_subject = no\n");
}

// Mutual TLS for sigverifyd (--tls-client-ca): a CA of its own for client
// certificates, one client per role a test needs, and its CRLs (DER).
//   client-verifier   a ministry's document system (SAN URI too)
//   client-attester   a document system trusted to attest validation times
//   client-auditor    CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN
//   client-admin      an operator
//   client-unknown    valid, granted nothing
//   client-revoked    revoked by client-ca.crl (not by client-ca-empty.crl)
//   client-serverauth extendedKeyUsage serverAuth only: not a client
//   client-foreign    issued by another CA (refused at the handshake)
//   client-monitor    a Prometheus server (ROLE_MONITOR: /metrics over TLS)
// client-ca-stale.crl is past its nextUpdate.
absl::Status WriteClientPki(const std::filesystem::path& dir, absl::Time now) {
  const absl::Time start = now - absl::Hours(24);
  const absl::Time end = now + absl::Hours(24 * 365);
  auto ca_spec = [&](Rdns subject) {
    CertSpec c;
    c.subject = std::move(subject);
    c.not_before = now - absl::Hours(24 * 30);
    c.not_after = now + absl::Hours(24 * 365 * 5);
    c.extensions = {{"basicConstraints", "critical,CA:TRUE"},
                    {"keyUsage", "critical,keyCertSign,cRLSign"}};
    return c;
  };
  auto ca = Issue(ca_spec({{"C", "VN"},
                           {"O", "Sở Thông tin và Truyền thông (thử nghiệm)"},
                           {"CN", "CA máy khách sigverify thử nghiệm"}}),
                  nullptr);
  if (!ca.ok()) return ca.status();
  auto foreign_ca =
      Issue(ca_spec({{"C", "VN"}, {"CN", "CA máy khách không được tin cậy"}}), nullptr);
  if (!foreign_ca.ok()) return foreign_ca.status();
  struct Client {
    const char* file;
    Rdns subject;
    const char* eku;
    const char* san;
    const Issued* issuer;
    long serial;
  };
  const std::vector<Client> clients = {
      {"client-verifier",
       {{"C", "VN"}, {"O", "Sở Nội vụ Hà Nội"}, {"CN", "Hệ thống quản lý văn bản Sở Nội vụ"}},
       "clientAuth",
       "URI:spiffe://sigverify.test/dms/so-noi-vu",
       &*ca,
       501},
      {"client-attester",
       {{"C", "VN"}, {"O", "UBND phường Hoàn Kiếm"}, {"CN", "Hệ thống một cửa phường Hoàn Kiếm"}},
       "clientAuth",
       nullptr,
       &*ca,
       502},
      {"client-auditor",
       {{"C", "VN"}, {"O", "Thanh tra Thành phố"}, {"CN", "Kiểm toán viên"}},
       "clientAuth",
       nullptr,
       &*ca,
       503},
      {"client-admin",
       {{"C", "VN"}, {"O", "Trung tâm dữ liệu"}, {"CN", "Vận hành sigverify"}},
       "clientAuth",
       nullptr,
       &*ca,
       504},
      {"client-unknown",
       {{"C", "VN"}, {"CN", "Máy khách chưa được cấp quyền"}},
       "clientAuth",
       nullptr,
       &*ca,
       505},
      {"client-revoked",
       {{"C", "VN"}, {"CN", "Máy khách bị thu hồi"}},
       "clientAuth",
       nullptr,
       &*ca,
       506},
      {"client-serverauth",
       {{"C", "VN"}, {"CN", "Máy chủ, không phải máy khách"}},
       "serverAuth",
       nullptr,
       &*ca,
       507},
      {"client-foreign",
       {{"C", "VN"}, {"CN", "Máy khách của CA khác"}},
       "clientAuth",
       nullptr,
       &*foreign_ca,
       508},
      {"client-monitor",
       {{"C", "VN"}, {"O", "Trung tâm dữ liệu"}, {"CN", "Prometheus giám sát"}},
       "clientAuth",
       nullptr,
       &*ca,
       509},
  };
  for (const Client& client : clients) {
    CertSpec c;
    c.subject = client.subject;
    c.not_before = start;
    c.not_after = end;
    c.serial = client.serial;
    c.extensions = {{"basicConstraints", "critical,CA:FALSE"},
                    {"keyUsage", "critical,digitalSignature"},
                    {"extendedKeyUsage", client.eku}};
    if (client.san != nullptr) c.extensions.push_back({"subjectAltName", client.san});
    auto issued = Issue(c, client.issuer);
    if (!issued.ok()) return issued.status();
    if (auto s = WritePem(dir, client.file, *issued); !s.ok()) return s;
  }
  if (auto s = WritePem(dir, "client-ca", *ca); !s.ok()) return s;
  for (auto [file, this_update, next_update, revoke] :
       {std::tuple{"client-ca-empty.crl", now - absl::Hours(1), now + absl::Hours(24 * 7), false},
        std::tuple{"client-ca.crl", now - absl::Minutes(1), now + absl::Hours(24 * 7), true},
        std::tuple{"client-ca-stale.crl", now - absl::Hours(24 * 8), now - absl::Hours(24),
                   false}}) {
    CrlSpec spec;
    spec.this_update = this_update;
    spec.next_update = next_update;
    if (revoke) spec.entries.push_back({"01FA", now - absl::Hours(2), 1});  // 506, keyCompromise
    auto crl = IssueCrl(spec, ca->cert.get(), ca->key.get());
    if (!crl.ok()) return crl.status();
    if (auto s = WriteFile(dir / file, *crl); !s.ok()) return s;
  }
  return absl::OkStatus();
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
  Spec tls_spec{
      "tls-server",      {{"C", "VN"}, {"CN", "localhost"}}, "ec", 256, start, end, false, -1,
      "digitalSignature"};
  tls_spec.policy = false;
  tls_spec.extra_extensions = {{"extendedKeyUsage", "serverAuth"},
                               {"subjectAltName", "DNS:localhost,IP:127.0.0.1"}};
  auto tls = Issue(tls_spec, &*ca, 99);
  if (!tls.ok()) return tls.status();
  if (auto s = WritePem(dir, "tls-server", *tls); !s.ok()) return s;
  if (auto s = WriteClientPki(dir, now); !s.ok()) return s;

  // Timestamping authorities (RFC 3161 2.3): one as it must be, one whose
  // timeStamping extendedKeyUsage is not critical. Their validity began long
  // ago, so that tests can have them stamp times in the past.
  for (auto [file, cn, eku, serial] :
       {std::tuple{"tsa", "TSA thử nghiệm", "critical,timeStamping", 97},
        std::tuple{"tsa-noncritical", "TSA thử nghiệm (EKU không critical)", "timeStamping", 98}}) {
    Spec tsa_spec{file, with_org({{"CN", cn}}),           "rsa", 2048, ca_start, end, false,
                  -1,   "digitalSignature,nonRepudiation"};
    tsa_spec.extra_extensions = {{"extendedKeyUsage", eku}};
    auto tsa = Issue(tsa_spec, &*ca, serial);
    if (!tsa.ok()) return tsa.status();
    if (auto s = WritePem(dir, file, *tsa); !s.ok()) return s;
  }

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
  if (auto s = WriteG1Hierarchy(dir, now, *root, sample); !s.ok()) return s;
  if (auto s = WriteAiaFixtures(dir, now, *root); !s.ok()) return s;
  if (auto s = WriteOcspFixtures(dir, now, sample); !s.ok()) return s;
  return WriteRfc5280Fixtures(dir / "rfc5280", now);
}

}  // namespace sigverify::testing
