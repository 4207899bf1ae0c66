// A national CA's CRL: 1,000,000 entries (20-byte serials), built once per
// run. Measured: the time and memory to validate and index it (Crl::Parse)
// against raw OpenSSL parsing and verifying the same bytes; lookup ns/op in
// the index against OpenSSL's own X509_CRL_get0_by_serial on the parsed CRL;
// and a whole CRL-checker cache hit (lock-free map, scope check, lookup,
// evidence) at 1..N threads; and a CRL brought again by a later request
// (the memo of the request's CRLs).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/x509.h>

#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "cache/crl.h"
#include "cache/crl_memo.h"
#include "cache/crl_revocation_checker.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"

namespace sigverify::cache {
namespace {

constexpr int kEntries = 1'000'000;  // and one more: the "listed" certificate
constexpr char kUrl[] = "http://crl.bench.invalid/ca.crl";

struct Fixture {
  testing::Issued ca;
  crypto::CertificatePtr ca_cert;
  crypto::CertificatePtr listed;    // a certificate the CRL lists
  crypto::CertificatePtr unlisted;  // one it does not
  std::string der;
  std::vector<std::string> serials;  // magnitudes, as certificates encode them
};

crypto::CertificatePtr Wrap(const testing::Issued& issued) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(issued.cert.get(), &der);
  auto c = crypto::Certificate::Parse(std::string(reinterpret_cast<char*>(der), n));
  OPENSSL_free(der);
  return *c;
}

const Fixture& TheFixture() {
  static const Fixture* f = [] {
    auto* f = new Fixture();
    const absl::Time now = absl::Now();
    testing::CertSpec ca;
    ca.subject = {{"C", "VN"}, {"CN", "CRL bench CA"}};
    ca.not_before = now - absl::Hours(24);
    ca.not_after = now + absl::Hours(24 * 365);
    ca.extensions = {{"basicConstraints", "critical,CA:TRUE"},
                     {"keyUsage", "critical,keyCertSign,cRLSign"}};
    f->ca = *testing::Issue(ca, nullptr, {"rsa", 2048});
    f->ca_cert = Wrap(f->ca);
    std::mt19937_64 rng(1);
    testing::CrlSpec spec;
    spec.this_update = now - absl::Hours(1);
    spec.next_update = now + absl::Hours(24);
    for (int i = 0; i < kEntries; ++i) {
      const std::string hex =
          absl::StrFormat("%016x%016x%08x", (rng() >> 1) | (1ull << 62), rng(), rng() >> 32);
      f->serials.push_back(absl::HexStringToBytes(hex));
      spec.entries.push_back({hex, now - absl::Seconds(i), i % 10 == 0 ? 1 : -1});
    }
    spec.entries.push_back({"7fff0002", now - absl::Hours(2), 1});
    f->der = *testing::IssueCrl(spec, f->ca.cert.get(), f->ca.key.get());
    for (long serial : {0, 1}) {
      testing::CertSpec leaf;
      leaf.subject = {{"CN", "leaf"}};
      leaf.not_before = ca.not_before;
      leaf.not_after = ca.not_after;
      leaf.extensions = {{"crlDistributionPoints", std::string("URI:") + kUrl}};
      leaf.serial = serial == 0 ? 0x7fff0001 : 0x7fff0002;
      (serial == 0 ? f->unlisted : f->listed) = Wrap(*testing::Issue(leaf, &f->ca));
    }
    return f;
  }();
  return *f;
}

// Heap bytes in use, mapped blocks included (not RSS, which keeps what
// earlier benchmarks freed).
size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Raw OpenSSL: parse and verify the signature, no index.
void BM_OpenSsl_ParseAndVerify_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  for (auto _ : state) {
    const auto* p = reinterpret_cast<const unsigned char*>(f.der.data());
    X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(f.der.size()));
    benchmark::DoNotOptimize(X509_CRL_verify(crl, X509_get0_pubkey(f.ca.cert.get())));
    X509_CRL_free(crl);
  }
  state.counters["der_MiB"] = static_cast<double>(f.der.size()) / (1 << 20);
}
BENCHMARK(BM_OpenSsl_ParseAndVerify_1M)->Unit(benchmark::kMillisecond)->Iterations(3);

// Crl::Parse: parse, verify, check every entry, build the index.
// retained_MiB: what a parsed CRL keeps on the heap (the index and the
// DER, kept for evidence and persistence).
void BM_Crl_ParseAndIndex_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  const size_t heap_before = HeapInUse();
  std::shared_ptr<const Crl> kept;
  for (auto _ : state) {
    kept.reset();
    auto crl = Crl::Parse(f.der, *f.ca_cert, {absl::Now()});
    if (!crl.ok()) state.SkipWithError(std::string(crl.status().message()).c_str());
    kept = *crl;
  }
  state.counters["entries"] = static_cast<double>(kept->size());
  state.counters["index_MiB"] = static_cast<double>(kept->index_bytes()) / (1 << 20);
  state.counters["retained_MiB"] = static_cast<double>(HeapInUse() - heap_before) / (1 << 20);
}
BENCHMARK(BM_Crl_ParseAndIndex_1M)->Unit(benchmark::kMillisecond)->Iterations(3);

// The same CRL brought again by a later request: the memo hashes and
// compares the bytes instead of parsing them.
void BM_CrlMemo_SameBytesAgain_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  CrlMemo memo({});
  if (!memo.Parse(f.der, *f.ca_cert, {absl::Now()}, {}).ok()) std::abort();
  const std::string copy = f.der;  // as a new request's bytes: other memory
  for (auto _ : state) {
    benchmark::DoNotOptimize(memo.Parse(copy, *f.ca_cert, {absl::Now()}, {}));
  }
  state.counters["hits"] = static_cast<double>(memo.stats().hits);
}
BENCHMARK(BM_CrlMemo_SameBytesAgain_1M)->Unit(benchmark::kMillisecond);

const Crl& Indexed() {
  static const std::shared_ptr<const Crl> crl =
      *Crl::Parse(TheFixture().der, *TheFixture().ca_cert, {absl::Now()});
  return *crl;
}

// A serial to look up: one of the million listed (a revoked certificate),
// or, for state.range(0) == 0, a made-up one the CRL does not list (a good
// certificate: the common case).
class SerialPicker {
 public:
  explicit SerialPicker(const benchmark::State& state)
      : listed_(state.range(0) != 0), rng_(static_cast<uint64_t>(state.thread_index()) + 7) {}
  std::string_view Next(const Fixture& f) {
    const uint64_t r = rng_();
    if (listed_) return f.serials[r % f.serials.size()];
    std::memcpy(miss_.data(), &r, sizeof(r));
    return miss_;
  }

 private:
  bool listed_;
  std::mt19937_64 rng_;
  std::string miss_ = std::string(20, '\x55');
};

void BM_Crl_Lookup_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  const Crl& crl = Indexed();
  const X509_NAME* issuer = X509_get_subject_name(f.ca.cert.get());
  SerialPicker pick(state);
  for (auto _ : state) benchmark::DoNotOptimize(crl.FindSerial(pick.Next(f), issuer));
}
BENCHMARK(BM_Crl_Lookup_1M)->ArgName("listed")->Arg(0)->Arg(1)->ThreadRange(1, 2)->UseRealTime();

// What the lookup benchmarks spend choosing a serial, to subtract.
void BM_Harness_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  SerialPicker pick(state);
  for (auto _ : state) {
    const std::string_view s = pick.Next(f);
    benchmark::DoNotOptimize(s.data()[s.size() - 1]);
  }
}
BENCHMARK(BM_Harness_1M)->ArgName("listed")->Arg(0)->Arg(1)->ThreadRange(1, 2)->UseRealTime();

// The same lookups with OpenSSL's own index (sorted on first use).
void BM_OpenSsl_GetBySerial_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  static X509_CRL* crl = [&] {
    const auto* p = reinterpret_cast<const unsigned char*>(f.der.data());
    X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(f.der.size()));
    X509_REVOKED* unused = nullptr;
    ASN1_INTEGER* first = ASN1_INTEGER_new();
    X509_CRL_get0_by_serial(c, &unused, first);  // sorts once, before the threads start
    ASN1_INTEGER_free(first);
    return c;
  }();
  SerialPicker pick(state);
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  for (auto _ : state) {
    const std::string_view s = pick.Next(f);
    ASN1_STRING_set(serial, s.data(), static_cast<int>(s.size()));
    X509_REVOKED* found = nullptr;
    benchmark::DoNotOptimize(X509_CRL_get0_by_serial(crl, &found, serial));
  }
  ASN1_INTEGER_free(serial);
}
BENCHMARK(BM_OpenSsl_GetBySerial_1M)
    ->ArgName("listed")
    ->Arg(0)
    ->Arg(1)
    ->ThreadRange(1, 2)
    ->UseRealTime();

// A whole cache hit of the CRL checker, as path validation asks for it.
void BM_CrlChecker_Hit_1M(benchmark::State& state) {
  const Fixture& f = TheFixture();
  static CrlRevocationChecker* checker = [&] {
    auto* c = new CrlRevocationChecker({});
    PersistedRecord record;
    record.kind = PersistedRecord::Kind::kCrl;
    record.url = kUrl;
    record.issuer_der = f.ca_cert->der();
    record.data = f.der;
    const std::string key = CrlRevocationChecker::Key(*f.ca_cert, kUrl);
    if (!c->Restore(RevocationStore::FileKey(key), record).ok()) std::abort();
    return c;
  }();
  const crypto::CertificatePtr& cert = state.range(0) != 0 ? f.listed : f.unlisted;
  for (auto _ : state) benchmark::DoNotOptimize(checker->Check(cert, f.ca_cert));
}
BENCHMARK(BM_CrlChecker_Hit_1M)
    ->ArgName("listed")
    ->Arg(0)
    ->Arg(1)
    ->ThreadRange(1, 2)
    ->UseRealTime();

}  // namespace
}  // namespace sigverify::cache

BENCHMARK_MAIN();
