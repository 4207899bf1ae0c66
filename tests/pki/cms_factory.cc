#include "tests/pki/cms_factory.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ts.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "tests/pki/cert_factory.h"

namespace sigverify::testing {
namespace {

using Cms = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using RespCtx = std::unique_ptr<TS_RESP_CTX, Deleter<TS_RESP_CTX, TS_RESP_CTX_free>>;
using Resp = std::unique_ptr<TS_RESP, Deleter<TS_RESP, TS_RESP_free>>;
using Req = std::unique_ptr<TS_REQ, Deleter<TS_REQ, TS_REQ_free>>;
using Imprint = std::unique_ptr<TS_MSG_IMPRINT, Deleter<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>>;
using Algor = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR, X509_ALGOR_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Obj = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;

int FixedTime(TS_RESP_CTX*, void* data, long* seconds, long* micros) {
  *seconds = static_cast<long>(absl::ToUnixSeconds(*static_cast<absl::Time*>(data)));
  *micros = 0;
  return 1;
}

absl::StatusOr<Cms> ParseCms(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (cms == nullptr) return OpenSslError("d2i_CMS_ContentInfo");
  return cms;
}

template <typename Encode>
std::string Der(Encode encode) {
  unsigned char* der = nullptr;
  const int n = encode(&der);
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(der), n) : std::string();
  OPENSSL_free(der);
  return out;
}

}  // namespace

absl::StatusOr<std::string> SignDetached(std::string_view data, X509* cert, EVP_PKEY* key) {
  Bio in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  Cms cms(CMS_sign(cert, key, nullptr, in.get(), CMS_DETACHED | CMS_BINARY));
  if (cms == nullptr) return OpenSslError("CMS_sign");
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return OpenSslError("i2d_CMS_ContentInfo");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::string> MakeTimestampToken(std::string_view data, const std::string& dir,
                                               const std::string& tsa, absl::Time at) {
  Bio cert_bio(BIO_new_file((dir + "/" + tsa + ".pem").c_str(), "r"));
  Bio key_bio(BIO_new_file((dir + "/" + tsa + ".key").c_str(), "r"));
  if (cert_bio == nullptr || key_bio == nullptr) return OpenSslError("open the TSA's files");
  Cert cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr || key == nullptr) return OpenSslError("read the TSA's certificate and key");

  RespCtx ctx(TS_RESP_CTX_new());
  Obj policy(OBJ_txt2obj("1.2.3.4.1", 1));
  if (!TS_RESP_CTX_set_signer_cert(ctx.get(), cert.get()) ||
      !TS_RESP_CTX_set_signer_key(ctx.get(), key.get()) ||
      !TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()) ||
      !TS_RESP_CTX_add_md(ctx.get(), EVP_sha256()) ||
      !TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) ||
      !TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256())) {
    return OpenSslError("TS_RESP_CTX");
  }
  absl::Time when = at;
  TS_RESP_CTX_set_time_cb(ctx.get(), FixedTime, &when);

  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  Req req(TS_REQ_new());
  Imprint imprint(TS_MSG_IMPRINT_new());
  Algor algorithm(X509_ALGOR_new());
  X509_ALGOR_set_md(algorithm.get(), EVP_sha256());
  if (!TS_MSG_IMPRINT_set_algo(imprint.get(), algorithm.get()) ||
      !TS_MSG_IMPRINT_set_msg(imprint.get(), digest, sizeof(digest)) ||
      !TS_REQ_set_version(req.get(), 1) || !TS_REQ_set_msg_imprint(req.get(), imprint.get()) ||
      !TS_REQ_set_cert_req(req.get(), 1)) {
    return OpenSslError("TS_REQ");
  }
  const std::string req_der = Der([&](unsigned char** p) { return i2d_TS_REQ(req.get(), p); });
  Bio in(BIO_new_mem_buf(req_der.data(), static_cast<int>(req_der.size())));
  Resp resp(TS_RESP_create_response(ctx.get(), in.get()));
  if (resp == nullptr) return OpenSslError("TS_RESP_create_response");
  PKCS7* token = TS_RESP_get_token(resp.get());
  if (token == nullptr) return OpenSslError("the responder made no token");
  return Der([&](unsigned char** p) { return i2d_PKCS7(token, p); });
}

absl::StatusOr<std::string> SignatureValueOf(std::string_view cms_der) {
  auto cms = ParseCms(cms_der);
  if (!cms.ok()) return cms.status();
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms->get()), 0);
  if (si == nullptr) return absl::InvalidArgumentError("no SignerInfo");
  const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(sig)),
                     ASN1_STRING_length(sig));
}

absl::StatusOr<std::string> AddSignatureTimestamp(std::string_view cms_der,
                                                  std::string_view token) {
  auto cms = ParseCms(cms_der);
  if (!cms.ok()) return cms.status();
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms->get()), 0);
  if (si == nullptr) return absl::InvalidArgumentError("no SignerInfo");
  if (!CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
                                     token.data(), static_cast<int>(token.size()))) {
    return OpenSslError("CMS_unsigned_add1_attr_by_NID");
  }
  return Der([&](unsigned char** p) { return i2d_CMS_ContentInfo(cms->get(), p); });
}

}  // namespace sigverify::testing
