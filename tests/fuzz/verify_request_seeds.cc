// Writes serialized VerifyRequests built from the test PKI into a directory:
// the starting corpus of verify_request_fuzzer.
// Usage: verify_request_seeds TESTPKI_DIR OUT_DIR
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "sigverify/v1/verification.pb.h"

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s TESTPKI_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string pki = argv[1];
  const std::string out = argv[2];
  struct Seed {
    const char* signer;
    sigverify::v1::SignatureAlgorithm algorithm;
  };
  const Seed seeds[] = {
      {"signer-rsa", sigverify::v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256},
      {"signer-ec", sigverify::v1::SIGNATURE_ALGORITHM_ECDSA_SHA256},
      {"signer-ed25519", sigverify::v1::SIGNATURE_ALGORITHM_ED25519},
      {"signer-expired", sigverify::v1::SIGNATURE_ALGORITHM_RSA_PSS_SHA256},
  };
  int n = 0;
  for (const Seed& s : seeds) {
    sigverify::v1::VerifyRequest r;
    r.set_record_id(s.signer);
    r.set_data(Read(pki + "/sample.txt"));
    r.set_signature(Read(pki + "/sample.txt." + s.signer + ".sig"));
    r.set_algorithm(s.algorithm);
    r.set_signer_certificate(Read(pki + "/" + s.signer + ".pem"));
    r.add_intermediate_certificates(Read(pki + "/ca.pem"));
    r.mutable_validation_time()->set_seconds(1767225600);
    std::ofstream(out + "/seed-" + std::to_string(n++), std::ios::binary) << r.SerializeAsString();
  }
  return 0;
}
