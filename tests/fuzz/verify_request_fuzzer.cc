// libFuzzer target: any bytes as a VerifyRequest through the whole
// verification core (limits, certificate parsing, signature, path) against
// the real G2 root as trust anchor. Must never crash, leak or hang; every
// outcome is a verdict or an INVALID_ARGUMENT.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/time/time.h"
#include "service/verifier.h"

namespace {

const sigverify::service::Verifier* verifier = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::ifstream in(SIGVERIFY_TESTDATA_DIR "/vn-gca/g2-root.pem");
  std::stringstream pem;
  pem << in.rdbuf();
  auto root = sigverify::crypto::Certificate::Parse(pem.str());
  if (!root.ok()) {
    std::fprintf(stderr, "cannot load the G2 root\n");
    std::abort();
  }
  auto store = sigverify::crypto::TrustStore::FromCertificates({*root});
  auto paths = std::make_shared<sigverify::crypto::PathValidator>(*store, 64);
  verifier = new sigverify::service::Verifier(paths, {}, 64);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sigverify::v1::VerifyRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  sigverify::service::CallScope scope = verifier->NewScope(absl::FromUnixSeconds(1767225600));
  sigverify::v1::VerifyResponse response;
  const absl::Status s = verifier->Verify(request, scope, &response);
  if (s.ok() && response.indication() == sigverify::v1::INDICATION_TOTAL_PASSED &&
      response.path_size() == 0) {
    std::abort();  // a pass always carries its path
  }
  return 0;
}
