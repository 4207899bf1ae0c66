// Verification cost: the service's paths against raw OpenSSL on the same key,
// in the same run, and certificate parse cost with and without the cache.
//
//   build/bin/sigverify_bench [--pki=DIR] [google benchmark flags]
//
// Prints Google Benchmark's table, then one ratio per algorithm:
// service item CPU / raw OpenSSL verify CPU.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/signed_record.h"
#include "crypto/certificate_cache.h"
#include "crypto/message_catalog.h"
#include "crypto/record_verifier.h"
#include "service/audit/leaf_encoding.h"
#include "service/audit_record.h"
#include "service/request_check.h"
#include "service/verification_service.h"
#include "service/verifier.h"
#include "tests/pki/test_pki.h"

namespace sigverify::bench {
namespace {

using crypto::CertificatePtr;

std::string g_pki_dir = "build/testpki";

std::string Read(const std::string& name) {
  auto bytes = ReadPkiFile(g_pki_dir, name);
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s\n", bytes.status().ToString().c_str());
    std::exit(2);
  }
  return *std::move(bytes);
}

struct Case {
  const char* name;
  const char* signer;
  v1::SignatureAlgorithm algorithm;
};

const Case kCases[] = {
    {"rsa2048_pkcs1_sha256", "signer-rsa", v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256},
    {"rsa2048_pss_sha256", "signer-rsa", v1::SIGNATURE_ALGORITHM_RSA_PSS_SHA256},
    {"ecdsa_p256_sha256", "signer-ec", v1::SIGNATURE_ALGORITHM_ECDSA_SHA256},
    {"ed25519", "signer-ed25519", v1::SIGNATURE_ALGORITHM_ED25519},
};

// One signed 1 KiB record per case.
SignedRecord& FixtureFor(int i) {
  static auto* fixtures = new std::map<int, SignedRecord>();
  auto it = fixtures->find(i);
  if (it == fixtures->end()) {
    auto r = MakeSignedRecord(g_pki_dir, kCases[i].signer, kCases[i].algorithm, 1024);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::exit(2);
    }
    it = fixtures->emplace(i, *std::move(r)).first;
  }
  return it->second;
}

std::shared_ptr<const service::Verifier> SharedVerifier() {
  static std::shared_ptr<const service::Verifier> v = [] {
    auto root = crypto::Certificate::Parse(Read("root.pem"));
    auto store = crypto::TrustStore::FromCertificates({*root});
    auto paths = std::make_shared<crypto::PathValidator>(*store, 4096);
    return std::make_shared<const service::Verifier>(paths, service::Limits{}, 4096);
  }();
  return v;
}

// Raw OpenSSL, the way an application verifies: a fresh EVP_MD_CTX, init,
// one-shot verify over the data.
void BM_Raw_EvpDigestVerify(benchmark::State& state) {
  SignedRecord& f = FixtureFor(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    if (!RawVerify(f)) state.SkipWithError("raw verify failed");
  }
  state.SetLabel(kCases[state.range(0)].name);
}

// crypto::VerifyRecord on parsed certificates (path memo warm).
void BM_Sigverify_VerifyRecord(benchmark::State& state) {
  SignedRecord& f = FixtureFor(static_cast<int>(state.range(0)));
  auto verifier = SharedVerifier();
  auto params = service::ParamsFor(f.request.algorithm());
  auto paths = verifier->paths();
  auto signer = verifier->certificate_cache().GetOrParse(f.request.signer_certificate());
  auto ca = verifier->certificate_cache().GetOrParse(f.request.intermediate_certificates(0));
  std::vector<CertificatePtr> chain = {*ca};
  crypto::Record r;
  r.params = *params;
  r.content = {crypto::SignedContent::kData, f.data};
  r.signature = f.signature;
  r.signer = *signer;
  r.intermediates = chain;
  r.validation_time = absl::Now();
  for (auto _ : state) {
    crypto::Verdict v = crypto::VerifyRecord(r, *paths, crypto::ValidationPolicy{});
    if (v.indication != crypto::Indication::kTotalPassed)
      state.SkipWithError(crypto::English(v.failed).c_str());
    benchmark::DoNotOptimize(v);
  }
  state.SetLabel(kCases[state.range(0)].name);
}

// One batch item as a worker runs it: request checks, certificate resolution
// (bytes repeat across the batch), verification, response filling.
void BM_Sigverify_ServiceItem(benchmark::State& state) {
  SignedRecord& f = FixtureFor(static_cast<int>(state.range(0)));
  auto verifier = SharedVerifier();
  service::CallScope scope = verifier->NewScope(absl::Now());
  v1::VerifyResponse response;
  for (auto _ : state) {
    response.Clear();
    absl::Status s = verifier->Verify(f.request, scope, &response);
    if (!s.ok() || response.indication() != v1::INDICATION_TOTAL_PASSED) {
      state.SkipWithError("service verify failed");
    }
  }
  state.SetLabel(kCases[state.range(0)].name);
}

// A whole VerifyBatch of 1,000 items through a real gRPC server on loopback
// (client in the same process: its serialisation is counted too). Reported
// per item, process CPU time over both cores.
void BM_Sigverify_GrpcBatch1000(benchmark::State& state) {
  SignedRecord& f = FixtureFor(static_cast<int>(state.range(0)));
  auto verifier = SharedVerifier();
  prometheus::Registry registry;
  service::ServiceMetrics metrics(registry);
  service::WorkerPool pool(2, 1 << 20);
  service::Drain drain;
  service::VerificationService svc(verifier, &pool, &metrics, &drain);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(32 << 20);
  builder.RegisterService(&svc);
  auto server = builder.BuildAndStart();
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(32 << 20);
  args.SetMaxReceiveMessageSize(32 << 20);
  auto stub = v1::VerificationService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), args));
  v1::VerifyBatchRequest batch;
  for (int i = 0; i < 1000; ++i) *batch.add_requests() = f.request;
  for (auto _ : state) {
    grpc::ClientContext ctx;
    v1::VerifyBatchResponse resp;
    if (!stub->VerifyBatch(&ctx, batch, &resp).ok() || resp.results_size() != 1000 ||
        resp.results(999).response().indication() != v1::INDICATION_TOTAL_PASSED) {
      state.SkipWithError("batch failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetLabel(kCases[state.range(0)].name);
  server->Shutdown();
}

// Path validation of the RSA-2048 signer through the RSA-4096 issuing CA to
// the RSA-4096 root: first time (X509_verify_cert) against a repeat signer
// (one hash and one memo lookup).
struct PathCase {
  PathCase() {
    signer = *crypto::Certificate::Parse(Read("signer-rsa.pem"));
    chain = {*crypto::Certificate::Parse(Read("ca.pem"))};
    store = *crypto::TrustStore::FromCertificates({*crypto::Certificate::Parse(Read("root.pem"))});
  }
  CertificatePtr signer;
  std::vector<CertificatePtr> chain;
  std::shared_ptr<const crypto::TrustStore> store;
  absl::Time now = absl::Now();
};

void BM_Path_FirstValidation(benchmark::State& state) {
  PathCase c;
  for (auto _ : state) {
    state.PauseTiming();
    crypto::PathValidator fresh(c.store, 64);
    state.ResumeTiming();
    if (!fresh.Validate(c.signer, c.chain, c.now).ok()) state.SkipWithError("path invalid");
  }
}

void BM_Path_RepeatSigner(benchmark::State& state) {
  PathCase c;
  crypto::PathValidator memo(c.store, 64);
  (void)memo.Validate(c.signer, c.chain, c.now);
  for (auto _ : state) {
    if (!memo.Validate(c.signer, c.chain, c.now).ok()) state.SkipWithError("path invalid");
  }
}

void BM_Parse_D2iX509Only(benchmark::State& state) {
  auto cert = crypto::Certificate::Parse(Read("signer-rsa.pem"));
  const std::string der = (*cert)->der();
  for (auto _ : state) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    EVP_PKEY* k = X509_get_pubkey(x);
    EVP_PKEY_free(k);
    X509_free(x);
  }
}

void BM_Parse_CertificateUncached(benchmark::State& state) {
  auto cert =
      crypto::Certificate::Parse(Read(state.range(0) == 0 ? "signer-rsa.pem" : "signer-ec.pem"));
  const std::string der = (*cert)->der();
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Certificate::Parse(der));
  state.SetLabel(state.range(0) == 0 ? "rsa2048" : "p256");
}

void BM_Parse_CertificateCacheHit(benchmark::State& state) {
  crypto::CertificateCache cache(1024);
  auto cert =
      crypto::Certificate::Parse(Read(state.range(0) == 0 ? "signer-rsa.pem" : "signer-ec.pem"));
  const std::string der = (*cert)->der();
  (void)cache.GetOrParse(der);
  for (auto _ : state) benchmark::DoNotOptimize(cache.GetOrParse(der));
  state.SetLabel(state.range(0) == 0 ? "rsa2048" : "p256");
}

// A verifying thread's share of the audit log for one item: its record,
// encoded and indexed as the log's writer takes it. Arg 0: an AuditRecord
// message filled from the verdict, then encoded (AuditLog::Prepare); arg 1:
// encoded straight from the verdict (PrepareVerifyRecord, what sigverifyd
// does), with the signer's encoding the thread already has.
void BM_AuditRecord(benchmark::State& state) {
  v1::VerifyRequest request;
  request.set_record_id("CV-2026/000123");
  request.set_data(std::string(2048, 'd'));
  request.set_signature(std::string(256, 's'));
  v1::VerifyResponse response;
  response.set_indication(v1::INDICATION_TOTAL_PASSED);
  v1::Certificate* signer = response.mutable_signer();
  signer->set_subject("CN=Nguyễn Văn An,OU=Văn phòng,O=UBND phường Hoàn Kiếm,L=Hà Nội,C=VN");
  signer->set_issuer("CN=CA phục vụ các cơ quan Nhà nước,O=Ban Cơ yếu Chính phủ,C=VN");
  signer->set_serial_number("54033F6A2C3D9B1E");
  signer->set_sha256_fingerprint(std::string(64, 'f'));
  signer->mutable_not_before()->set_seconds(1700000000);
  signer->mutable_not_after()->set_seconds(1900000000);
  for (char c : {'a', 'b', 'c'}) response.add_path()->set_sha256_fingerprint(std::string(64, c));
  v1::RevocationEvidence* e = response.add_revocation();
  e->set_status("good");
  e->set_source("ocsp");
  e->set_from_cache(true);
  e->mutable_this_update()->set_seconds(1795990000);
  response.set_policy("vn-gov");
  response.set_trust_store_version(std::string(64, 'v'));
  response.mutable_validation_time()->set_seconds(1796000000);
  service::CallInfo call;
  call.method = "VerifyBatch";
  call.caller = "ipv4:127.0.0.1:50321";
  call.arrived = absl::Now();
  auto entry = std::make_shared<service::CertificateEncodings::Entry>();
  entry->certificate = response.signer();
  entry->encoding = response.signer().SerializeAsString();
  const auto der = std::make_shared<const std::string>(1200, 'c');
  const std::string shard = "hanoi-01";
  const bool direct = state.range(0) == 1;
  for (auto _ : state) {
    audit::RecordAttachments attachments;
    attachments.signer_der = der;
    attachments.data_sha256 = std::string(32, 'h');
    const absl::Time now = absl::Now();
    if (direct) {
      audit::PreparedRecord p = service::PrepareVerifyRecord(
          call, request, response, std::move(attachments), now, shard, entry);
      benchmark::DoNotOptimize(p.row.leaf.data());
    } else {
      v1::AuditRecord r = service::AuditRecordOf(call, request, response, attachments, now);
      r.set_shard(shard);
      auto leaf = audit::EncodeWithoutSequence(r);
      audit::LeafRow row = audit::IndexColumns(r, std::move(leaf->bytes));
      benchmark::DoNotOptimize(row.leaf.data());
    }
  }
  state.SetLabel(direct ? "encoded directly" : "through the message");
}

BENCHMARK(BM_Raw_EvpDigestVerify)->DenseRange(0, 3);
BENCHMARK(BM_AuditRecord)->DenseRange(0, 1);
BENCHMARK(BM_Sigverify_VerifyRecord)->DenseRange(0, 3);
BENCHMARK(BM_Sigverify_ServiceItem)->DenseRange(0, 3);
BENCHMARK(BM_Sigverify_ServiceItem)->DenseRange(0, 3)->Threads(2)->UseRealTime();
BENCHMARK(BM_Sigverify_GrpcBatch1000)
    ->DenseRange(0, 3)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Path_FirstValidation);
BENCHMARK(BM_Path_RepeatSigner);
BENCHMARK(BM_Parse_D2iX509Only);
BENCHMARK(BM_Parse_CertificateUncached)->DenseRange(0, 1);
BENCHMARK(BM_Parse_CertificateCacheHit)->DenseRange(0, 1);

// Keeps every run's CPU time per iteration so that ratios can be printed.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      results_[r.benchmark_name()] = r.GetAdjustedCPUTime();
      real_[r.benchmark_name()] = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    std::printf("\nRatios (CPU time per verification, same key, same run; 1.00 = raw OpenSSL):\n");
    std::printf("%-22s %10s %12s %12s %14s %16s\n", "algorithm", "raw (us)", "record/raw",
                "item/raw", "item 2thr/raw", "grpc batch/raw");
    for (int i = 0; i < 4; ++i) {
      auto get = [&](const std::string& name, const std::map<std::string, double>& m) {
        auto it = m.find(name);
        return it == m.end() ? 0.0 : it->second;
      };
      const std::string n = std::to_string(i);
      const double raw = get("BM_Raw_EvpDigestVerify/" + n, results_);
      if (raw == 0) continue;
      const double record = get("BM_Sigverify_VerifyRecord/" + n, results_);
      const double item = get("BM_Sigverify_ServiceItem/" + n, results_);
      // With 2 threads and real time, each thread's item costs wall * 2 CPU.
      const double item2 = 2 * get("BM_Sigverify_ServiceItem/" + n + "/real_time/threads:2", real_);
      // Process CPU per batch (ms) over 1000 items, in the unit of raw (ns).
      const double batch =
          get("BM_Sigverify_GrpcBatch1000/" + n + "/process_time/real_time", results_) * 1e6 / 1000;
      std::printf("%-22s %10.1f %12.3f %12.3f %14.3f %16.3f\n", kCases[i].name, raw / 1e3,
                  record / raw, item / raw, item2 / raw, batch / raw);
    }
  }

 private:
  std::map<std::string, double> results_;
  std::map<std::string, double> real_;
};

}  // namespace
}  // namespace sigverify::bench

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--pki=", 0) == 0) {
      sigverify::bench::g_pki_dir = a.substr(6);
    } else {
      args.push_back(argv[i]);
    }
  }
  if (!std::filesystem::exists(sigverify::bench::g_pki_dir + "/root.pem")) {
    std::fprintf(stderr, "generating test PKI in %s\n", sigverify::bench::g_pki_dir.c_str());
    auto s = sigverify::testing::WriteTestPki(sigverify::bench::g_pki_dir, absl::Now());
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 2;
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  sigverify::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
