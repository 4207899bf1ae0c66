// libFuzzer target: any bytes as a revocation cache file (the framing
// sigverifyd writes OCSP responses and CRLs in, and reads back at start from
// a directory an attacker with disk access may have altered). A file that
// decodes must encode back to bytes that decode to the same record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cache/revocation_store.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Same(const sigverify::cache::PersistedRecord& a, const sigverify::cache::PersistedRecord& b) {
  return a.kind == b.kind && a.url == b.url && a.issuer_der == b.issuer_der &&
         a.cert_der == b.cert_der && a.data == b.data && a.delta == b.delta;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto record =
      sigverify::cache::DecodeRecord(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!record.ok()) return 0;
  auto again = sigverify::cache::DecodeRecord(sigverify::cache::EncodeRecord(*record));
  Check(again.ok() && Same(*record, *again));
  return 0;
}
