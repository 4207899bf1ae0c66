#include "crypto/distinguished_name.h"

#include <openssl/asn1.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include "crypto/openssl_ptr.h"

namespace sigverify::crypto {

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string CommonName(const X509_NAME* name) {
  const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* value =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(const_cast<X509_NAME*>(name), idx));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  const OpenSslBytes owner(utf8);
  if (len < 0) return {};
  return std::string(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
}

std::string OidText(const ASN1_OBJECT* oid) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), oid, /*always_return_oid=*/1);
  return n > 0 && n < static_cast<int>(sizeof(buf)) ? std::string(buf, static_cast<size_t>(n))
                                                    : std::string("?");
}

}  // namespace sigverify::crypto
