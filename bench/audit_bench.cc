// The audit log's append throughput at durable commit, for each store, on
// this machine's disk: SQLite (WAL, synchronous=FULL, an fsync per group
// commit); segments with SQLite as the index behind them (one write and one
// fdatasync per group commit; the layout sigverifyd runs with --audit-db);
// and PostgreSQL (a server this bench starts: initdb, default
// fsync/synchronous_commit=on, on a Unix socket). One record per call from
// several callers (as Verify calls arrive), and batches of 1,000 (as a
// VerifyBatch hands them over). items_per_second is records made durable
// per second; process_cpu_us_per_record is the CPU time of the whole
// process (writer and index threads included) per record. WINDOW_MS sets
// the commit window (default 0, as sigverifyd's).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "service/audit/audit_log.h"
#include "service/audit/postgres_audit_store.h"
#include "service/audit/segmented_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "tests/testing/postgres_server.h"

namespace sigverify::audit {
namespace {

std::unique_ptr<AuditLog> OpenLog(std::unique_ptr<AuditStore> store, const std::string& shard) {
  AuditLog::Options o;
  o.shard = shard;
  o.origin = "sigverify.bench/audit";
  o.commit_window =
      absl::Milliseconds(std::getenv("WINDOW_MS") ? std::atoi(std::getenv("WINDOW_MS")) : 0);
  return *AuditLog::Open(std::move(store), *CheckpointSigner::Generate(o.origin), o);
}

AuditLog& SqliteLog() {
  static AuditLog* log = [] {
    const std::string path = std::filesystem::temp_directory_path() / "sigverify-audit-bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return OpenLog(*SqliteAuditStore::Open(path), "bench").release();
  }();
  return *log;
}

// The embedded layout: segments as the log (the next prepared ahead), SQLite
// as the index behind it.
// The index may lag by up to 2 M records here, so that the bench measures
// what the durable path sustains; each run then waits for the index, whose
// CPU is counted in process_cpu_us_per_record.
SegmentedStore* segmented = nullptr;
AuditLog& SegmentsLog() {
  static AuditLog* log = [] {
    const std::string path =
        std::filesystem::temp_directory_path() / "sigverify-audit-bench-segments.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    std::filesystem::remove_all(path + ".segments");
    SegmentedStore::Options options{path + ".segments", "bench", uint64_t{64} << 20};
    options.prepare_segments = true;  // as sigverifyd keeps them
    options.max_unindexed = 2000000;
    auto store = *SegmentedStore::Open(std::move(options),
                                       *SqliteAuditStore::Open(path, 1, SqliteSync::kNormal));
    segmented = store.get();
    return OpenLog(std::move(store), "bench").release();
  }();
  return *log;
}

// CPU time of the whole process (the writer and index threads included).
double ProcessCpuSeconds() {
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// Around a run: the process's CPU per record, once the index (if any) has
// caught up.
class ProcessCpu {
 public:
  explicit ProcessCpu(benchmark::State& state) : state_(state) {
    if (state_.thread_index() == 0) started_ = ProcessCpuSeconds();
  }
  void Stop(uint64_t records) {
    if (state_.thread_index() != 0) return;
    if (segmented != nullptr) segmented->WaitIndexed(absl::Minutes(5));
    state_.counters["process_cpu_us_per_record"] = benchmark::Counter(
        (ProcessCpuSeconds() - started_) * 1e6 / double(records * state_.threads()));
  }

 private:
  benchmark::State& state_;
  double started_ = 0;
};

AuditLog& PostgresLog() {
  // Both end at exit, the log first: its connections close, so the server's
  // shutdown (which waits for them) completes and its directory is removed.
  static testing::PostgresServer server;
  static std::unique_ptr<AuditLog> log =
      OpenLog(*PostgresAuditStore::Open(server.conninfo()), "bench");
  return *log;
}

v1::AuditRecord Record(int i) {
  v1::AuditRecord r;
  r.set_method("Verify");
  r.set_record_id(absl::StrCat("record-", i));
  r.set_data_hash(std::string(32, 'd'));
  r.set_signature_sha256(std::string(32, 's'));
  r.mutable_signer()->set_subject("CN=Nguyễn Văn An,O=UBND phường Hoàn Kiếm,L=Hà Nội,C=VN");
  r.mutable_signer()->set_sha256_fingerprint(std::string(64, 'f'));
  r.set_indication(v1::INDICATION_TOTAL_PASSED);
  r.set_trust_store_version(std::string(64, 'v'));
  r.add_path(std::string(64, 'a'));
  r.add_path(std::string(64, 'b'));
  return r;
}

void Append(AuditLog& log, std::vector<v1::AuditRecord> records) {
  absl::Notification done;
  log.Append(std::move(records), [&](const absl::Status& s) {
    if (!s.ok()) std::abort();
    done.Notify();
  });
  done.WaitForNotification();
}

template <AuditLog& (*Log)()>
void BM_AppendOneRecordPerCall(benchmark::State& state) {
  AuditLog& log = Log();  // opened (the server started) before the timing
  int i = 0;
  ProcessCpu cpu(state);
  for (auto _ : state) Append(log, {Record(i++)});
  state.SetItemsProcessed(state.iterations());
  cpu.Stop(state.iterations());
}
BENCHMARK(BM_AppendOneRecordPerCall<SqliteLog>)
    ->Name("Sqlite/OneRecordPerCall")
    ->ThreadRange(1, 16)
    ->UseRealTime();
BENCHMARK(BM_AppendOneRecordPerCall<SegmentsLog>)
    ->Name("Segments/OneRecordPerCall")
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK(BM_AppendOneRecordPerCall<PostgresLog>)
    ->Name("Postgres/OneRecordPerCall")
    ->ThreadRange(1, 16)
    ->UseRealTime();

template <AuditLog& (*Log)()>
void BM_AppendBatchOf1000(benchmark::State& state) {
  std::vector<v1::AuditRecord> batch;
  batch.reserve(1000);
  for (int i = 0; i < 1000; ++i) batch.push_back(Record(i));
  AuditLog& log = Log();
  ProcessCpu cpu(state);
  for (auto _ : state) Append(log, batch);
  state.SetItemsProcessed(state.iterations() * 1000);
  cpu.Stop(state.iterations() * 1000);
}
BENCHMARK(BM_AppendBatchOf1000<SqliteLog>)->Name("Sqlite/BatchOf1000")->UseRealTime();
BENCHMARK(BM_AppendBatchOf1000<SegmentsLog>)
    ->Name("Segments/BatchOf1000")
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK(BM_AppendBatchOf1000<PostgresLog>)
    ->Name("Postgres/BatchOf1000")
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();

}  // namespace
}  // namespace sigverify::audit

BENCHMARK_MAIN();
