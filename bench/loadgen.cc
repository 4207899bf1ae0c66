// sigverify_loadgen: drives a running sigverifyd with VerifyBatch calls (or
// unary Verify calls, or VerifyStream streams) and
// reports throughput, latency, and the server's CPU time per item (read from
// /proc/PID/stat) against one raw OpenSSL verification measured here, on the
// same key, in the same run. Bounded in time and in calls; loopback only.
//
//   sigverify_loadgen --server=127.0.0.1:50051 --server-pid=PID --pki=DIR
//       [--alg=rsa-pkcs1-sha256] [--batch=1000] [--concurrency=2] [--seconds=5]
//       [--unique=N] [--unary | --stream]
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/signed_record.h"
#include "service/cli/request_builder.h"
#include "service/flags.h"
#include "sigverify/v1/verification.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "sigverifyd address (loopback)");
ABSL_FLAG(int, server_pid, 0, "sigverifyd's pid, for its CPU time; 0 to skip");
ABSL_FLAG(std::string, pki, "build/testpki", "test PKI directory");
ABSL_FLAG(std::string, alg, "rsa-pkcs1-sha256",
          "rsa-pkcs1-sha256 | rsa-pss-sha256 | ecdsa-sha256 | ed25519");
ABSL_FLAG(int, batch, 1000, "items per VerifyBatch");
ABSL_FLAG(int, concurrency, 2, "calls in flight");
ABSL_FLAG(double, rate, 0,
          "calls per second over all callers, each sent at its scheduled time and its latency "
          "counted from then (an open load: a slow answer delays the next call's send, not its "
          "schedule); 0: each caller sends its next call when the last is answered");
ABSL_FLAG(double, seconds, 5, "duration");
ABSL_FLAG(int, max_calls, 100000, "upper bound on calls");
ABSL_FLAG(std::string, signer, "",
          "the signer's <name>.pem and .key in --pki (with ca.pem there); empty: the test PKI's "
          "signer for --alg");
ABSL_FLAG(int, unique, 1, "distinct signed records the load cycles through (1: one repeated)");
ABSL_FLAG(bool, unary, false, "unary Verify calls of one item instead of VerifyBatch");
ABSL_FLAG(bool, stream, false,
          "VerifyStream instead of VerifyBatch: --concurrency streams, each writing records as "
          "fast as the server's window lets it and reading the answers");

namespace sigverify::bench {
namespace {

// utime + stime of a /proc stat file (a process's or a thread's), and the
// command name it gives (a thread's name); -1 when it cannot be read.
double StatCpuSeconds(const std::string& path, std::string* name = nullptr) {
  std::ifstream in(path);
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name; utime and stime are 14 and 15.
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return -1;
  if (name != nullptr) *name = stat.substr(open + 1, close - open - 1);
  std::vector<std::string> f;
  size_t pos = close + 2;
  while (pos < stat.size()) {
    const size_t next = stat.find(' ', pos);
    f.push_back(stat.substr(pos, next - pos));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (f.size() < 13) return -1;
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ProcessCpuSeconds(int pid) { return StatCpuSeconds(absl::StrCat("/proc/", pid, "/stat")); }

// CPU seconds of the process's threads, summed by thread name (gRPC's,
// the worker pool's, the audit writer's and index's). A thread that ends
// during the run takes its time with it.
std::map<std::string, double> ThreadCpuSeconds(int pid) {
  std::map<std::string, double> by_name;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::string name;
    const double seconds = StatCpuSeconds((task.path() / "stat").string(), &name);
    if (seconds >= 0) by_name[name] += seconds;
  }
  return by_name;
}

const char* SignerFor(v1::SignatureAlgorithm a) {
  switch (a) {
    case v1::SIGNATURE_ALGORITHM_ECDSA_SHA256:
      return "signer-ec";
    case v1::SIGNATURE_ALGORITHM_ED25519:
      return "signer-ed25519";
    default:
      return "signer-rsa";
  }
}

int Run() {
  auto alg = cli::ParseAlgorithm(absl::GetFlag(FLAGS_alg));
  if (!alg.ok()) {
    std::fprintf(stderr, "%s\n", alg.status().ToString().c_str());
    return 2;
  }
  const std::string server = absl::GetFlag(FLAGS_server);
  if (!absl::StartsWith(server, "127.") && !absl::StartsWith(server, "localhost:") &&
      !absl::StartsWith(server, "[::1]:")) {
    std::fprintf(stderr, "refusing to load a non-loopback address: %s\n", server.c_str());
    return 2;
  }
  const std::string signer =
      absl::GetFlag(FLAGS_signer).empty() ? SignerFor(*alg) : absl::GetFlag(FLAGS_signer);
  auto record = MakeSignedRecord(absl::GetFlag(FLAGS_pki), signer, *alg, 1024);
  if (!record.ok()) {
    std::fprintf(stderr, "%s\n", record.status().ToString().c_str());
    return 2;
  }
  // The requests the load cycles through: each a different signature.
  std::vector<v1::VerifyRequest> requests = {record->request};
  for (int v = 1; v < absl::GetFlag(FLAGS_unique); ++v) {
    auto other = MakeSignedRecord(absl::GetFlag(FLAGS_pki), signer, *alg, 1024, v);
    if (!other.ok()) {
      std::fprintf(stderr, "%s\n", other.status().ToString().c_str());
      return 2;
    }
    requests.push_back(other->request);
  }
  const bool unary = absl::GetFlag(FLAGS_unary);

  // The baseline, before the load so that nothing competes with it: the
  // median of 15 rounds, since this machine's speed drifts by tens of percent.
  std::vector<double> raw_rounds;
  for (int round = 0; round < 15; ++round) {
    constexpr int kIterations = 200;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kIterations; ++i) RawVerify(*record);
    raw_rounds.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
        kIterations);
  }
  std::sort(raw_rounds.begin(), raw_rounds.end());
  const double raw_us = raw_rounds[raw_rounds.size() / 2];

  const bool streams = absl::GetFlag(FLAGS_stream);
  const int batch_size = unary || streams ? 1 : absl::GetFlag(FLAGS_batch);
  // Consecutive slices of the requests, as many as it takes to use each.
  std::vector<v1::VerifyBatchRequest> batches(
      std::max<size_t>(1, requests.size() / static_cast<size_t>(batch_size)));
  for (size_t b = 0; b < batches.size(); ++b) {
    for (int i = 0; i < batch_size; ++i) {
      *batches[b].add_requests() = requests[(b * batch_size + i) % requests.size()];
    }
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::VerificationService::NewStub(channel);

  const int pid = absl::GetFlag(FLAGS_server_pid);
  const double cpu_before = pid > 0 ? ProcessCpuSeconds(pid) : 0;
  const std::map<std::string, double> threads_before =
      pid > 0 ? ThreadCpuSeconds(pid) : std::map<std::string, double>{};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  std::atomic<int> calls{0};
  std::atomic<long> items{0}, failures{0};
  absl::Mutex mu;
  std::vector<double> latencies_ms;
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(concurrency));
  // One stream: a writer sending records until the deadline, this thread
  // reading the answers; a record's latency is from its write to its answer.
  auto run_stream = [&] {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<v1::VerifyStreamRequest, v1::VerifyStreamResponse>>
        stream = stub->VerifyStream(&ctx);
    absl::Mutex sent_mu;
    std::vector<std::chrono::steady_clock::time_point> sent_at;
    std::thread writer([&] {
      v1::VerifyStreamRequest message;
      for (size_t i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
        *message.mutable_request() = requests[i % requests.size()];
        {
          absl::MutexLock lock(&sent_mu);
          sent_at.push_back(std::chrono::steady_clock::now());
        }
        if (!stream->Write(message)) break;
      }
      stream->WritesDone();
    });
    v1::VerifyStreamResponse answer;
    while (stream->Read(&answer)) {
      std::chrono::steady_clock::time_point t0;
      {
        absl::MutexLock lock(&sent_mu);
        t0 = sent_at[answer.sequence()];
      }
      if (answer.response().indication() != v1::INDICATION_TOTAL_PASSED) failures++;
      items++;
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      absl::MutexLock lock(&mu);
      latencies_ms.push_back(ms);
    }
    writer.join();
    if (!stream->Finish().ok()) failures++;
  };
  const double rate = absl::GetFlag(FLAGS_rate);
  // With --rate, caller t sends its k-th call at start + (k + t / concurrency) * every.
  const std::chrono::duration<double> every(rate > 0 ? concurrency / rate : 0);
  for (int t = 0; t < concurrency; ++t) {
    if (streams) {
      threads.emplace_back(run_stream);
      continue;
    }
    threads.emplace_back([&, t] {
      int call = 0;
      for (int k = 0; std::chrono::steady_clock::now() < deadline &&
                      (call = calls.fetch_add(1)) < absl::GetFlag(FLAGS_max_calls);
           ++k) {
        const v1::VerifyBatchRequest& batch = batches[static_cast<size_t>(call) % batches.size()];
        auto t0 = std::chrono::steady_clock::now();
        if (rate > 0) {
          t0 = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           every * (k + static_cast<double>(t) / concurrency));
          std::this_thread::sleep_until(t0);
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        grpc::Status s;
        if (unary) {
          v1::VerifyResponse resp;
          s = stub->Verify(&ctx, batch.requests(0), &resp);
          if (s.ok() && resp.indication() != v1::INDICATION_TOTAL_PASSED) failures++;
        } else {
          v1::VerifyBatchResponse resp;
          s = stub->VerifyBatch(&ctx, batch, &resp);
          if (s.ok() && resp.results_size() != batch_size) s = grpc::Status::CANCELLED;
          for (const auto& r : resp.results()) {
            if (r.response().indication() != v1::INDICATION_TOTAL_PASSED) failures++;
          }
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        if (!s.ok()) {
          failures++;
          continue;
        }
        items += batch_size;
        absl::MutexLock lock(&mu);
        latencies_ms.push_back(ms);
      }
    });
  }
  // Server CPU per item in one-second windows; the median resists the
  // machine's drift better than one average over the whole run.
  std::vector<double> window_us;
  if (pid > 0) {
    double cpu_prev = cpu_before;
    long items_prev = 0;
    while (std::chrono::steady_clock::now() + std::chrono::seconds(1) < deadline) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      const double cpu_now = ProcessCpuSeconds(pid);
      const long items_now = items.load();
      if (items_now > items_prev) {
        window_us.push_back((cpu_now - cpu_prev) * 1e6 /
                            static_cast<double>(items_now - items_prev));
      }
      cpu_prev = cpu_now;
      items_prev = items_now;
    }
  }
  for (auto& t : threads) t.join();
  std::sort(window_us.begin(), window_us.end());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = pid > 0 ? ProcessCpuSeconds(pid) - cpu_before : 0;
  std::map<std::string, double> threads_cpu =
      pid > 0 ? ThreadCpuSeconds(pid) : std::map<std::string, double>{};
  for (const auto& [name, seconds] : threads_before) threads_cpu[name] -= seconds;

  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0
                                : latencies_ms[static_cast<size_t>(
                                      p * static_cast<double>(latencies_ms.size() - 1))];
  };
  const double per_item_us = items > 0 ? cpu * 1e6 / static_cast<double>(items) : 0;
  std::printf("algorithm %s  %s %d  concurrency %d  rate %.0f calls/s  unique %zu  seconds %.1f\n",
              v1::SignatureAlgorithm_Name(*alg).c_str(),
              streams ? "stream, records per message"
              : unary ? "unary, items"
                      : "batch",
              batch_size, absl::GetFlag(FLAGS_concurrency), rate, requests.size(), wall);
  std::printf(
      "items %ld  failures %ld  throughput %.0f items/s  %s latency p50 %.1f ms p99 %.1f ms\n",
      items.load(), failures.load(), static_cast<double>(items) / wall, streams ? "record" : "call",
      pct(0.5), pct(0.99));
  std::printf("raw OpenSSL verify %.2f us/item (this process, 1 thread)\n", raw_us);
  if (pid > 0) {
    const double median = window_us.empty() ? per_item_us : window_us[window_us.size() / 2];
    std::printf("server CPU %.2f us/item over the run, %.2f median of %zu 1-s windows\n",
                per_item_us, median, window_us.size());
    std::printf("ratio server/raw %.3f (run) %.3f (median window)\n", per_item_us / raw_us,
                median / raw_us);
    std::printf("server CPU by thread (us/item):");
    for (const auto& [name, seconds] : threads_cpu) {
      const double us = items > 0 ? seconds * 1e6 / static_cast<double>(items) : 0;
      if (us >= 0.01) std::printf("  %s %.2f", name.c_str(), us);
    }
    std::printf("\n");
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sigverify::bench

int main(int argc, char** argv) {
  sigverify::service::ParseCommandLine(argc, argv);
  return sigverify::bench::Run();
}
