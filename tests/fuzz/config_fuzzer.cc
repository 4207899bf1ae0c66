// libFuzzer target: the text and files an operator writes. Any bytes as the
// server configuration, the trust configuration and the access configuration
// (protobuf text format, then each checked as sigverifyd checks it: the
// grants compiled, their subjects parsed as RFC 4514 names), as a
// distinguished name by itself, as client CRLs (against the test PKI's
// client CA) and as a client certificate. Nothing here touches the network
// or the file system beyond the fixture.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "service/access/access_policy.h"
#include "service/access/client_crls.h"
#include "service/access/client_identity.h"
#include "service/access/distinguished_name.h"
#include "service/server_config.h"
#include "service/text_proto.h"
#include "service/trust_config.h"

namespace {

namespace access = sigverify::service::access;

const std::vector<sigverify::crypto::CertificatePtr>& ClientCas() {
  static const auto* cas = [] {
    const char* dir = std::getenv("SIGVERIFY_TESTPKI_DIR");
    std::ifstream in(std::string(dir != nullptr ? dir : SIGVERIFY_TESTPKI_DIR) + "/client-ca.pem");
    std::stringstream s;
    s << in.rdbuf();
    auto parsed = sigverify::crypto::Certificate::ParseAll(s.str());
    if (!parsed.ok()) std::abort();
    return new std::vector<sigverify::crypto::CertificatePtr>(*std::move(parsed));
  }();
  return *cas;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)sigverify::service::ParseServerConfig(text);
  (void)sigverify::service::ParseTrustConfig(text);
  access::cfg::AccessConfig config;
  if (sigverify::service::ParseTextProto(text, &config).ok()) {
    auto policy = access::AccessPolicy::Compile(config);
    if (policy.ok()) Check((*policy)->grants() == static_cast<size_t>(config.grants_size()));
  }
  // A name that parses is in canonical form, which parses to itself.
  if (auto name = access::CanonicalName(text); name.ok()) {
    auto again = access::CanonicalName(*name);
    Check(again.ok() && *again == *name);
  }
  if (auto crls = access::ClientCrls::Load(text, ClientCas()); crls.ok()) {
    Check(crls->size() <= 1 + size / 64);
  }
  if (auto identity = access::IdentityFromPem(text); identity.ok()) {
    Check((*identity)->sha256_hex().size() == 64);
  }
  return 0;
}
