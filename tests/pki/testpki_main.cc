// sigverify-testpki DIR: writes the test PKI (see test_pki.h) into DIR.
#include <cstdio>

#include "absl/time/clock.h"
#include "tests/pki/test_pki.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  absl::Status s = sigverify::testing::WriteTestPki(argv[1], absl::Now());
  if (!s.ok()) {
    std::fprintf(stderr, "sigverify-testpki: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
