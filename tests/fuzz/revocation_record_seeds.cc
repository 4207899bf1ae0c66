// Seeds for revocation_record_fuzzer: cache files as sigverifyd writes them,
// an OCSP-shaped and a CRL-shaped record (with and without a delta) over
// certificates of the test PKI.
// Usage: revocation_record_seeds TESTPKI_DIR OUT_DIR
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cache/revocation_store.h"

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: revocation_record_seeds TESTPKI_DIR OUT_DIR\n";
    return 2;
  }
  const std::string pki = argv[1];
  const std::string out = argv[2];
  using sigverify::cache::PersistedRecord;
  PersistedRecord ocsp;
  ocsp.kind = PersistedRecord::Kind::kOcsp;
  ocsp.url = "http://ocsp.sigverify.invalid/";
  ocsp.issuer_der = Read(pki + "/ocsp/ca.pem");
  ocsp.cert_der = Read(pki + "/ocsp/good.pem");
  ocsp.data = std::string(300, '\x30');
  PersistedRecord crl = ocsp;
  crl.kind = PersistedRecord::Kind::kCrl;
  crl.url = "http://crl.sigverify.invalid/ca.crl";
  crl.cert_der.clear();
  crl.data = Read(pki + "/client-ca.crl");
  PersistedRecord with_delta = crl;
  with_delta.delta = Read(pki + "/client-ca-empty.crl");
  int n = 0;
  for (const PersistedRecord* r : {&ocsp, &crl, &with_delta}) {
    std::ofstream(out + "/record-" + std::to_string(n++), std::ios::binary)
        << sigverify::cache::EncodeRecord(*r);
  }
  return 0;
}
