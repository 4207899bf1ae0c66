// The multi-buffer RSA public operation against the crypto library's own, on
// the same keys in the same run:
//
//   build/bin/sigverify_rsa_mb_bench [google benchmark flags]
//
// BM_Library: one EVP_PKEY_verify (PKCS#1 v1.5, SHA-256, digest given) per
// item, what `openssl speed rsaN` measures for verify. BM_Kernel: the IFMA
// kernel alone, 8 items per call. BM_VerifySignatures: 256 signatures of 8
// keys per call, encoded message checked, through the kernel where it
// applies. After the table, one ratio per size: CPU per item over the
// library's. Set SIGVERIFY_DISABLE_AVX512=1 to see the library path through
// VerifySignatures.
#include <benchmark/benchmark.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crypto/batch_verifier.h"
#include "crypto/cpu_features.h"
#include "crypto/openssl_ptr.h"
#include "crypto/rsa_multibuffer.h"

namespace sigverify::crypto {
namespace {

constexpr int kKeys = 8;
constexpr int kBatch = 256;

struct SizeFixture {
  std::vector<EvpPkeyPtr> private_keys;
  std::vector<std::shared_ptr<const PublicKey>> keys;
  std::vector<std::string> digests, signatures;
};

SizeFixture& Fixture(int bits) {
  static std::map<int, SizeFixture> fixtures;
  SizeFixture& f = fixtures[bits];
  if (!f.keys.empty()) return f;
  std::mt19937_64 rng(static_cast<uint64_t>(bits));
  for (int k = 0; k < kKeys; ++k) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
    EVP_PKEY* pkey = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0 ||
        EVP_PKEY_keygen(ctx.get(), &pkey) <= 0) {
      std::fprintf(stderr, "RSA-%d key generation failed\n", bits);
      std::exit(2);
    }
    f.private_keys.emplace_back(pkey);
    uint8_t* der = nullptr;
    const int len = i2d_PUBKEY(pkey, &der);
    f.keys.push_back(*PublicKey::FromSpki(std::string(reinterpret_cast<char*>(der), len)));
    OPENSSL_free(der);
  }
  // Unique signatures: every item of a batch is a different message.
  for (int i = 0; i < kBatch; ++i) {
    std::string digest(32, '\0');
    for (char& c : digest) c = static_cast<char>(rng());
    EVP_PKEY* pkey = f.private_keys[static_cast<size_t>(i % kKeys)].get();
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(pkey, nullptr));
    size_t len = static_cast<size_t>(EVP_PKEY_size(pkey));
    std::string sig(len, '\0');
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EvpMd(HashAlgorithm::kSha256)) <= 0 ||
        EVP_PKEY_sign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len,
                      reinterpret_cast<const uint8_t*>(digest.data()), digest.size()) <= 0) {
      std::fprintf(stderr, "RSA-%d signing failed\n", bits);
      std::exit(2);
    }
    f.digests.push_back(digest);
    f.signatures.push_back(sig);
  }
  return f;
}

std::vector<SignatureJob> Jobs(const SizeFixture& f) {
  std::vector<SignatureJob> jobs;
  for (int i = 0; i < kBatch; ++i) {
    jobs.push_back({f.keys[static_cast<size_t>(i % kKeys)].get(),
                    {SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha256},
                    {SignedContent::kDigest, f.digests[static_cast<size_t>(i)]},
                    f.signatures[static_cast<size_t>(i)]});
  }
  return jobs;
}

void BM_Library(benchmark::State& state) {
  const SizeFixture& f = Fixture(static_cast<int>(state.range(0)));
  const std::vector<SignatureJob> jobs = Jobs(f);
  size_t i = 0;
  for (auto _ : state) {
    const SignatureJob& j = jobs[i++ % jobs.size()];
    EvpPkeyCtxPtr ctx = j.key->NewVerifyContext(j.params);
    const int rc = EVP_PKEY_verify(
        ctx.get(), reinterpret_cast<const uint8_t*>(j.signature.data()), j.signature.size(),
        reinterpret_cast<const uint8_t*>(j.content.bytes.data()), j.content.bytes.size());
    if (rc != 1) state.SkipWithError("library refused a valid signature");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Kernel(benchmark::State& state) {
  if (!HasAvx512Ifma()) {
    state.SkipWithError("no AVX-512 IFMA");
    return;
  }
  const SizeFixture& f = Fixture(static_cast<int>(state.range(0)));
  std::vector<std::string> out(kRsaLanes, std::string(f.signatures[0].size(), '\0'));
  std::vector<RsaLaneJob> lanes;
  for (int k = 0; k < kRsaLanes; ++k) {
    lanes.push_back({f.keys[static_cast<size_t>(k)]->lane_key(),
                     f.signatures[static_cast<size_t>(k)],
                     reinterpret_cast<uint8_t*>(out[static_cast<size_t>(k)].data())});
  }
  for (auto _ : state) {
    if (!RsaPublicMultiBuffer(lanes)) state.SkipWithError("kernel refused the lanes");
    benchmark::DoNotOptimize(out[0].data());
  }
  state.SetItemsProcessed(state.iterations() * kRsaLanes);
}

void BM_VerifySignatures(benchmark::State& state) {
  const SizeFixture& f = Fixture(static_cast<int>(state.range(0)));
  const std::vector<SignatureJob> jobs = Jobs(f);
  std::vector<SignatureCheck> out(jobs.size());
  for (auto _ : state) {
    VerifySignatures(jobs, absl::MakeSpan(out));
    if (out[kBatch - 1].status != SignatureStatus::kValid) {
      state.SkipWithError("a valid signature was refused");
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK(BM_Library)->Arg(2048)->Arg(3072)->Arg(4096);
BENCHMARK(BM_Kernel)->Arg(2048)->Arg(3072)->Arg(4096);
BENCHMARK(BM_VerifySignatures)->Arg(2048)->Arg(3072)->Arg(4096);

// CPU time per item of each run, by benchmark and size, for the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto items = run.counters.find("items_per_second");
      if (run.error_occurred || items == run.counters.end() || run.iterations == 0) continue;
      const double per_iteration_ns = run.GetAdjustedCPUTime();
      const double items_per_iteration = run.benchmark_name().find("BM_Library") == 0  ? 1
                                         : run.benchmark_name().find("BM_Kernel") == 0 ? kRsaLanes
                                                                                       : kBatch;
      cpu_per_item_ns_[run.benchmark_name()] = per_iteration_ns / items_per_iteration;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() const {
    std::printf("\nCPU per item over the library's (same keys, same run):\n");
    for (int bits : {2048, 3072, 4096}) {
      const auto base = cpu_per_item_ns_.find("BM_Library/" + std::to_string(bits));
      if (base == cpu_per_item_ns_.end()) continue;
      std::printf("  RSA-%d: library %.2f us", bits, base->second / 1000);
      for (const char* name : {"BM_Kernel", "BM_VerifySignatures"}) {
        const auto it = cpu_per_item_ns_.find(std::string(name) + "/" + std::to_string(bits));
        if (it == cpu_per_item_ns_.end()) continue;
        std::printf(", %s %.2f us (%.2f x)", name + 3, it->second / 1000,
                    it->second / base->second);
      }
      std::printf("\n");
    }
  }

 private:
  std::map<std::string, double> cpu_per_item_ns_;
};

}  // namespace
}  // namespace sigverify::crypto

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  sigverify::crypto::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  return 0;
}
