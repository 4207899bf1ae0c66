// Runs N verifications of one signed record, either as raw OpenSSL
// (EVP_DigestVerify) or through the service's per-item path (Verifier::Verify),
// so that bench/instructions.sh can count instructions per item under
// callgrind: a measure that, unlike time on this machine, repeats exactly.
//
//   sigverify_cost_per_item --pki=DIR --alg=rsa-pkcs1-sha256 --mode=raw|item --n=200
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "bench/signed_record.h"
#include "service/cli/request_builder.h"
#include "service/verifier.h"

ABSL_FLAG(std::string, pki, "build/testpki", "test PKI directory");
ABSL_FLAG(std::string, alg, "rsa-pkcs1-sha256", "signature algorithm");
ABSL_FLAG(std::string, mode, "raw", "raw | item");
ABSL_FLAG(int, n, 200, "verifications");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace sigverify;
  auto alg = cli::ParseAlgorithm(absl::GetFlag(FLAGS_alg));
  if (!alg.ok()) return 2;
  const char* signer = *alg == v1::SIGNATURE_ALGORITHM_ECDSA_SHA256 ? "signer-ec"
                       : *alg == v1::SIGNATURE_ALGORITHM_ED25519    ? "signer-ed25519"
                                                                    : "signer-rsa";
  auto record = bench::MakeSignedRecord(absl::GetFlag(FLAGS_pki), signer, *alg, 1024);
  if (!record.ok()) {
    std::fprintf(stderr, "%s\n", record.status().ToString().c_str());
    return 2;
  }
  const int n = absl::GetFlag(FLAGS_n);
  int passed = 0;
  if (absl::GetFlag(FLAGS_mode) == "raw") {
    for (int i = 0; i < n; ++i) passed += bench::RawVerify(*record) ? 1 : 0;
  } else {
    auto ca = bench::ReadPkiFile(absl::GetFlag(FLAGS_pki), "root.pem");
    auto root = crypto::Certificate::Parse(*ca);
    auto store = crypto::TrustStore::FromCertificates({*root});
    auto paths = std::make_shared<crypto::PathValidator>(*store, 64);
    service::Verifier verifier(paths, {}, 64);
    service::CallScope scope = verifier.NewScope(absl::Now());
    for (int i = 0; i < n; ++i) {
      v1::VerifyResponse response;
      if (verifier.Verify(record->request, scope, &response).ok() &&
          response.indication() == v1::INDICATION_TOTAL_PASSED) {
        ++passed;
      }
    }
  }
  std::printf("%d/%d passed\n", passed, n);
  return passed == n ? 0 : 1;
}
