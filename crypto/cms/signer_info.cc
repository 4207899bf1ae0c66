#include "crypto/cms/signer_info.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"
#include "crypto/der.h"
#include "crypto/distinguished_name.h"
#include "crypto/openssl_ptr.h"
#include "crypto/sha256.h"
#include "crypto/signature_verifier.h"

namespace sigverify::crypto::cms {
namespace {

using R = FailureReason;
using S = SubIndication;

constexpr char kAlgorithmProtectionOid[] = "1.2.840.113549.1.9.52";  // RFC 6211

using RsaPssParamsPtr = OpenSslPtr<RSA_PSS_PARAMS, RSA_PSS_PARAMS_free>;
using X509AlgorPtr = OpenSslPtr<X509_ALGOR, X509_ALGOR_free>;
using EssCertV2Ptr = OpenSslPtr<ESS_SIGNING_CERT_V2, ESS_SIGNING_CERT_V2_free>;
using EssCertPtr = OpenSslPtr<ESS_SIGNING_CERT, ESS_SIGNING_CERT_free>;

std::string_view View(const ASN1_STRING* s) {
  return std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<size_t>(ASN1_STRING_length(s)));
}

HashAlgorithm HashOfAlgorithm(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return HashFromNid(OBJ_obj2nid(obj));
}

std::string AlgorithmName(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  const int nid = OBJ_obj2nid(obj);
  const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  return sn != nullptr ? sn : OidText(obj);
}

// RSASSA-PSS-params (RFC 4055 3.1): hash, MGF1 with its hash, salt length,
// trailer 1; absent fields take their SHA-1 / 20 defaults.
absl::StatusOr<SignatureParams> PssParams(const X509_ALGOR* alg) {
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(nullptr, &ptype, &pval, alg);
  if (ptype != V_ASN1_SEQUENCE) return FormatError("RSASSA-PSS without parameters");
  const std::string_view seq = View(static_cast<const ASN1_STRING*>(pval));
  const auto* p = reinterpret_cast<const unsigned char*>(seq.data());
  RsaPssParamsPtr pss(d2i_RSA_PSS_PARAMS(nullptr, &p, static_cast<long>(seq.size())));
  if (pss == nullptr) return FormatError("RSASSA-PSS parameters");
  SignatureParams params;
  params.scheme = SignatureScheme::kRsaPss;
  params.hash =
      pss->hashAlgorithm == nullptr ? HashAlgorithm::kSha1 : HashOfAlgorithm(pss->hashAlgorithm);
  params.pss_mgf1_hash = HashAlgorithm::kSha1;
  if (pss->maskGenAlgorithm != nullptr) {
    const ASN1_OBJECT* mgf = nullptr;
    int mtype = 0;
    const void* mval = nullptr;
    X509_ALGOR_get0(&mgf, &mtype, &mval, pss->maskGenAlgorithm);
    if (OBJ_obj2nid(mgf) != NID_mgf1 || mtype != V_ASN1_SEQUENCE) {
      return UnsupportedFormat("RSASSA-PSS mask generation other than MGF1");
    }
    const std::string_view m = View(static_cast<const ASN1_STRING*>(mval));
    const auto* q = reinterpret_cast<const unsigned char*>(m.data());
    X509AlgorPtr mgf_hash(d2i_X509_ALGOR(nullptr, &q, static_cast<long>(m.size())));
    if (mgf_hash == nullptr) return FormatError("RSASSA-PSS MGF1 hash");
    params.pss_mgf1_hash = HashOfAlgorithm(mgf_hash.get());
  }
  params.pss_salt_length = 20;
  if (pss->saltLength != nullptr) {
    const long salt = ASN1_INTEGER_get(pss->saltLength);
    if (salt < 0 || salt > 1024) return FormatError("RSASSA-PSS salt length");
    params.pss_salt_length = static_cast<int>(salt);
  }
  if (pss->trailerField != nullptr && ASN1_INTEGER_get(pss->trailerField) != 1) {
    return FormatError("RSASSA-PSS trailer field");
  }
  if (params.hash == HashAlgorithm::kNone || params.pss_mgf1_hash == HashAlgorithm::kNone) {
    return UnsupportedFormat("RSASSA-PSS hash");
  }
  return params;
}

// The scheme of signatureAlgorithm, whose hash (when it names one) must be
// digestAlgorithm's.
absl::StatusOr<SignatureParams> SchemeOf(const X509_ALGOR* sig, HashAlgorithm digest,
                                         std::string* name) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, sig);
  const int nid = OBJ_obj2nid(obj);
  SignatureParams params;
  params.hash = digest;
  int md_nid = NID_undef;
  int pkey_nid = nid;
  if (nid != NID_rsaEncryption && nid != NID_rsassaPss && nid != NID_X9_62_id_ecPublicKey &&
      nid != NID_ED25519 && !OBJ_find_sigid_algs(nid, &md_nid, &pkey_nid)) {
    *name = OidText(obj);
    return UnsupportedFormat(absl::StrCat("signature algorithm ", *name));
  }
  switch (pkey_nid) {
    case NID_rsaEncryption:
      params.scheme = SignatureScheme::kRsaPkcs1;
      *name = "RSA PKCS#1 v1.5";
      break;
    case NID_rsassaPss: {
      *name = "RSA-PSS";
      auto pss = PssParams(sig);
      if (!pss.ok()) return pss.status();
      if (pss->hash != digest) {
        return FormatError("RSASSA-PSS hash differs from the digestAlgorithm");
      }
      return pss;
    }
    case NID_X9_62_id_ecPublicKey:
      params.scheme = SignatureScheme::kEcdsaDer;
      *name = "ECDSA";
      break;
    case NID_ED25519:
      params.scheme = SignatureScheme::kEd25519;
      *name = "Ed25519";
      return params;
    default:
      *name = OidText(obj);
      return UnsupportedFormat(absl::StrCat("signature algorithm ", *name));
  }
  if (md_nid != NID_undef && HashFromNid(md_nid) != digest) {
    return FormatError("signatureAlgorithm's hash differs from the digestAlgorithm");
  }
  return params;
}

std::string SignerIdText(CMS_SignerInfo* si) {
  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1) return "?";
  if (keyid != nullptr) return absl::StrCat("subjectKeyIdentifier ", ToHex(View(keyid)));
  std::string serial_hex;
  if (serial != nullptr) {
    BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
    OpenSslString hex(bn != nullptr ? BN_bn2hex(bn.get()) : nullptr);
    if (hex != nullptr) serial_hex = hex.get();
  }
  return absl::StrCat("issuer ", issuer != nullptr ? NameToString(issuer) : "?", ", serial ",
                      serial_hex);
}

// Each value of the attributes of type `nid` among `count` attributes read
// by `get`.
template <typename Get>
std::vector<const ASN1_TYPE*> ValuesOf(int count, Get get, int nid, int* attributes) {
  std::vector<const ASN1_TYPE*> values;
  *attributes = 0;
  for (int i = 0; i < count; ++i) {
    X509_ATTRIBUTE* a = get(i);
    if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a)) != nid) continue;
    ++*attributes;
    for (int j = 0; j < X509_ATTRIBUTE_count(a); ++j)
      values.push_back(X509_ATTRIBUTE_get0_type(a, j));
  }
  return values;
}

std::vector<const ASN1_TYPE*> SignedValues(CMS_SignerInfo* si, int nid, int* attributes) {
  return ValuesOf(
      std::max(0, CMS_signed_get_attr_count(si)),
      [si](int i) { return CMS_signed_get_attr(si, i); }, nid, attributes);
}

std::vector<const ASN1_TYPE*> UnsignedValues(CMS_SignerInfo* si, int nid, int* attributes) {
  return ValuesOf(
      std::max(0, CMS_unsigned_get_attr_count(si)),
      [si](int i) { return CMS_unsigned_get_attr(si, i); }, nid, attributes);
}

const X509_ATTRIBUTE* SignedAttributeByOid(CMS_SignerInfo* si, std::string_view oid) {
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    X509_ATTRIBUTE* a = CMS_signed_get_attr(si, i);
    if (OidText(X509_ATTRIBUTE_get0_object(a)) == oid) return a;
  }
  return nullptr;
}

// The DER of the signed attributes as a SET OF (RFC 5652 5.4): each
// attribute encoded, sorted, under the SET tag.
std::string SignedAttributesDer(CMS_SignerInfo* si) {
  std::vector<std::string> encoded;
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    X509_ATTRIBUTE* a = CMS_signed_get_attr(si, i);
    encoded.push_back(EncodeDer([a](unsigned char** p) { return i2d_X509_ATTRIBUTE(a, p); }));
  }
  std::sort(encoded.begin(), encoded.end());
  size_t length = 0;
  for (const std::string& e : encoded) length += e.size();
  std::string out(1, static_cast<char>(der::tags::kSet));
  if (length < 0x80) {
    out.push_back(static_cast<char>(length));
  } else {
    std::string bytes;
    for (size_t n = length; n > 0; n >>= 8)
      bytes.insert(bytes.begin(), static_cast<char>(n & 0xFF));
    out.push_back(static_cast<char>(0x80 | bytes.size()));
    out += bytes;
  }
  for (const std::string& e : encoded) out += e;
  return out;
}

SignerCheck Fails(S sub, Failure failure, const SignerInfoFacts& facts) {
  SignerCheck c;
  c.sub_indication = sub;
  c.failed = std::move(failure);
  if (facts.signer != nullptr) {
    c.failed.position = 1;
    c.failed.certificate = facts.signer;
  }
  return c;
}

SignerCheck Fails(S sub, R reason, const SignerInfoFacts& facts, std::string detail = {},
                  std::vector<std::string> names = {}) {
  Failure f;
  f.reason = reason;
  f.detail = std::move(detail);
  f.names = std::move(names);
  return Fails(sub, std::move(f), facts);
}

// RFC 6211: the protected algorithms are the SignerInfo's own.
bool AlgorithmProtectionHolds(const ASN1_TYPE* value, const X509_ALGOR* digest,
                              const X509_ALGOR* signature) {
  if (ASN1_TYPE_get(value) != V_ASN1_SEQUENCE) return false;
  std::string_view in = View(value->value.sequence);
  der::Tlv seq, dig;
  if (!der::ReadTagged(in, der::tags::kSequence, seq) || !in.empty()) return false;
  std::string_view body = seq.contents;
  if (!der::ReadTagged(body, der::tags::kSequence, dig)) return false;
  const std::string digest_der =
      EncodeDer([digest](unsigned char** p) { return i2d_X509_ALGOR(digest, p); });
  if (dig.whole != digest_der) return false;
  der::Tlv sig;
  if (!der::ReadTagged(body, 0xA1, sig) || !body.empty()) return false;  // [1] IMPLICIT
  std::string signature_der =
      EncodeDer([signature](unsigned char** p) { return i2d_X509_ALGOR(signature, p); });
  std::string_view rest = signature_der;
  der::Tlv whole;
  return der::ReadTagged(rest, der::tags::kSequence, whole) && sig.contents == whole.contents;
}

// RFC 5035: the first certificate identifier names the signer.
bool SigningCertificateNamesSigner(CMS_SignerInfo* si, const Certificate& signer) {
  int v1_attributes = 0, v2_attributes = 0;
  auto v1 = SignedValues(si, NID_id_smime_aa_signingCertificate, &v1_attributes);
  auto v2 = SignedValues(si, NID_id_smime_aa_signingCertificateV2, &v2_attributes);
  if (v1_attributes + v2_attributes == 0) return true;
  if (v1_attributes > 1 || v2_attributes > 1 || v1.size() > 1 || v2.size() > 1) return false;
  EssCertPtr ess;
  EssCertV2Ptr ess2;
  if (!v1.empty()) {
    ess.reset(static_cast<ESS_SIGNING_CERT*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(ESS_SIGNING_CERT), v1[0])));
    if (ess == nullptr) return false;
  }
  if (!v2.empty()) {
    ess2.reset(static_cast<ESS_SIGNING_CERT_V2*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(ESS_SIGNING_CERT_V2), v2[0])));
    if (ess2 == nullptr) return false;
  }
  X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), signer.x509());
  const int r = OSSL_ESS_check_signing_certs(ess.get(), ess2.get(), chain.get(), 1);
  ERR_clear_error();
  return r > 0;
}

}  // namespace

std::string DigestOf(HashAlgorithm hash, absl::Span<const std::string_view> pieces) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EvpMd(hash), nullptr) != 1) return {};
  for (std::string_view piece : pieces) {
    if (EVP_DigestUpdate(ctx.get(), piece.data(), piece.size()) != 1) return {};
  }
  if (EVP_DigestFinal_ex(ctx.get(), out, &n) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), n);
}

absl::StatusOr<SignerInfoFacts> ReadSignerInfo(const SignedData& signed_data, int index,
                                               absl::Span<const CertificatePtr> more_certificates) {
  CMS_SignerInfo* si = signed_data.signer(index);
  if (si == nullptr) return FormatError("no such SignerInfo");
  SignerInfoFacts facts;
  facts.signer_id = SignerIdText(si);
  for (auto certs : {absl::MakeConstSpan(signed_data.certificates()), more_certificates}) {
    for (const CertificatePtr& c : certs) {
      if (facts.signer == nullptr && CMS_SignerInfo_cert_cmp(si, c->x509()) == 0) facts.signer = c;
    }
  }
  ERR_clear_error();

  X509_ALGOR* digest = nullptr;
  X509_ALGOR* signature = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, &signature);
  facts.digest = HashOfAlgorithm(digest);
  facts.digest_name =
      facts.digest != HashAlgorithm::kNone ? HashName(facts.digest) : AlgorithmName(digest);
  auto params = SchemeOf(signature, facts.digest, &facts.signature_name);
  if (params.ok()) {
    facts.params = *params;
  } else {
    facts.params_status = params.status();
  }
  facts.signature_value = View(CMS_SignerInfo_get0_signature(si));
  facts.has_signed_attributes = CMS_signed_get_attr_count(si) > 0;

  int attributes = 0;
  auto times = SignedValues(si, NID_pkcs9_signingTime, &attributes);
  if (attributes > 1 || times.size() > 1) return FormatError("signingTime more than once");
  if (!times.empty()) {
    const ASN1_TYPE* t = times[0];
    const int type = ASN1_TYPE_get(t);
    if (type != V_ASN1_UTCTIME && type != V_ASN1_GENERALIZEDTIME) {
      return FormatError("signingTime is not a time");
    }
    auto at = AsnTimeToAbsl(reinterpret_cast<const ASN1_TIME*>(t->value.asn1_string));
    if (!at.ok()) return FormatError("signingTime");
    facts.claimed_signing_time = *at;
  }
  for (const ASN1_TYPE* token : UnsignedValues(si, NID_id_smime_aa_timeStampToken, &attributes)) {
    if (ASN1_TYPE_get(token) != V_ASN1_SEQUENCE) return FormatError("signature timestamp token");
    facts.timestamp_tokens.emplace_back(View(token->value.sequence));
  }
  int v1 = 0, v2 = 0;
  SignedValues(si, NID_id_smime_aa_signingCertificate, &v1);
  SignedValues(si, NID_id_smime_aa_signingCertificateV2, &v2);
  facts.has_signing_certificate_attribute = v1 + v2 > 0;
  facts.counter_signatures =
      static_cast<int>(UnsignedValues(si, NID_pkcs9_countersignature, &attributes).size());
  return facts;
}

SignerCheck VerifySignerInfo(const SignedData& signed_data, int index, const SignerInfoFacts& facts,
                             const ContentToCheck& content, const AlgorithmPolicy& algorithms) {
  CMS_SignerInfo* si = signed_data.signer(index);
  if (facts.signer == nullptr) {
    return Fails(S::kNoCertificateChainFound, R::kSignerCertificateNotFound, facts,
                 facts.signer_id);
  }
  // The algorithm policy before any computation.
  if (facts.digest == HashAlgorithm::kNone) {
    return Fails(S::kCryptoConstraintsFailure, R::kDocumentHashRefused, facts, {},
                 {facts.digest_name});
  }
  if (auto refused = CheckSignatureHash(algorithms, facts.digest, R::kDocumentHashRefused)) {
    return Fails(S::kCryptoConstraintsFailure, *std::move(refused), facts);
  }
  if (!facts.params_status.ok()) {
    Failure f = FailureOf(facts.params_status);
    return Fails(f.reason == R::kUnsupportedSignatureFormat ? S::kCryptoConstraintsFailure
                                                            : S::kFormatFailure,
                 std::move(f), facts);
  }
  if (auto weak = CheckKeyStrength(algorithms, facts.signer->public_key())) {
    return Fails(S::kCryptoConstraintsFailure, *std::move(weak), facts);
  }

  // The content's digest.
  std::string computed;
  if (content.digest_algorithm != HashAlgorithm::kNone) {
    if (content.digest_algorithm != facts.digest) {
      return Fails(S::kFormatFailure, R::kFormatInvalid, facts,
                   absl::StrCat("the detached digest is ", HashName(content.digest_algorithm),
                                "; the signer hashed with ", HashName(facts.digest)));
    }
    computed = std::string(content.digest);
  } else {
    computed = DigestOf(facts.digest, content.pieces);
  }
  if (computed.empty()) return Fails(S::kFormatFailure, R::kSignatureEngine, facts, {}, {"digest"});

  X509_ALGOR* digest_alg = nullptr;
  X509_ALGOR* signature_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_alg, &signature_alg);
  std::string signed_bytes_digest;
  std::string attributes_der;
  if (facts.has_signed_attributes) {
    int count = 0;
    auto types = SignedValues(si, NID_pkcs9_contentType, &count);
    if (count != 1 || types.size() != 1 || ASN1_TYPE_get(types[0]) != V_ASN1_OBJECT) {
      return Fails(S::kFormatFailure, R::kSignedAttributesInvalid, facts,
                   "not exactly one content-type attribute");
    }
    if (OidText(types[0]->value.object) != signed_data.content_type_oid()) {
      return Fails(S::kFormatFailure, R::kSignedAttributesInvalid, facts,
                   "the content-type attribute differs from eContentType");
    }
    auto digests = SignedValues(si, NID_pkcs9_messageDigest, &count);
    if (count != 1 || digests.size() != 1 || ASN1_TYPE_get(digests[0]) != V_ASN1_OCTET_STRING) {
      return Fails(S::kFormatFailure, R::kSignedAttributesInvalid, facts,
                   "not exactly one message-digest attribute");
    }
    if (View(digests[0]->value.octet_string) != computed) {
      return Fails(S::kHashFailure, R::kMessageDigestMismatch, facts, {}, {HashName(facts.digest)});
    }
    if (const X509_ATTRIBUTE* protection = SignedAttributeByOid(si, kAlgorithmProtectionOid)) {
      if (X509_ATTRIBUTE_count(protection) != 1 ||
          !AlgorithmProtectionHolds(
              X509_ATTRIBUTE_get0_type(const_cast<X509_ATTRIBUTE*>(protection), 0), digest_alg,
              signature_alg)) {
        return Fails(S::kFormatFailure, R::kSignedAttributesInvalid, facts,
                     "CMSAlgorithmProtection does not match the SignerInfo's algorithms");
      }
    }
    if (!SigningCertificateNamesSigner(si, *facts.signer)) {
      return Fails(S::kFormatFailure, R::kSigningCertificateMismatch, facts);
    }
    attributes_der = SignedAttributesDer(si);
    signed_bytes_digest = DigestOf(facts.digest, {attributes_der});
  } else {
    // RFC 5652 5.3: without signed attributes the content must be id-data.
    if (signed_data.content_type() != NID_pkcs7_data) {
      return Fails(S::kFormatFailure, R::kSignedAttributesInvalid, facts,
                   "signed attributes are required for a content type other than id-data");
    }
    signed_bytes_digest = computed;
  }

  SignatureCheck check;
  if (facts.params.scheme == SignatureScheme::kEd25519) {
    if (!facts.has_signed_attributes) {
      return Fails(S::kFormatFailure, R::kEd25519NeedsData, facts);
    }
    check = VerifySignature(facts.signer->public_key(), facts.params,
                            {crypto::SignedContent::kData, attributes_der}, facts.signature_value);
  } else {
    check = VerifySignature(facts.signer->public_key(), facts.params,
                            {crypto::SignedContent::kDigest, signed_bytes_digest},
                            facts.signature_value);
  }
  if (check.status != SignatureStatus::kValid) {
    return Fails(SubIndicationFor(check.status), std::move(check.failure), facts);
  }
  return {};
}

}  // namespace sigverify::crypto::cms
