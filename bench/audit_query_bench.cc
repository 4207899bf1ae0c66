// Auditor query latency on a large SQLite audit log (10 million records by
// default, one year of verdicts): each benchmark is one auditor request as
// AuditService serves it — a page of 100 matching records, one record, one
// inclusion proof. The log is generated once through AuditLog (the writer
// sigverifyd uses, so the tree, nodes and checkpoints are real) and kept as
// sigverifyd keeps it, in segments with a SQLite search index, at
// AUDIT_QUERY_DB (default $TMPDIR/sigverify-audit-query.db, the segments
// beside it) for later runs; AUDIT_QUERY_RECORDS sets its size.
//
// The data is shaped like a ministry's year: 20,000 officials signing about
// 500 documents each, one organisation seal signing 5% of everything, 40
// document systems calling, 97% passed / 2% failed / 1% indeterminate.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/audit/audit_log.h"
#include "service/audit/segmented_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/proto_time.h"

namespace sigverify::audit {
namespace {

constexpr int kSigners = 20000;
constexpr int kCallers = 40;
constexpr int64_t kStartMicros = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
constexpr int64_t kYearMicros = 365LL * 86400 * 1000000;
constexpr size_t kPage = 100;

uint64_t Records() {
  const char* v = std::getenv("AUDIT_QUERY_RECORDS");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : 10000000;
}

// Deterministic per record, so queries know what exists.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
int SignerOf(uint64_t i) {
  const uint64_t h = Mix(i);
  return h % 100 < 5 ? 0 : 1 + static_cast<int>((h >> 8) % (kSigners - 1));  // 0: the seal
}
std::string Fingerprint(int signer) {
  return absl::StrFormat("%064x", Mix(static_cast<uint64_t>(signer) + 1000003));
}
std::string Serial(int signer) { return absl::StrFormat("54010101%08X", signer); }
std::string Subject(int signer) {
  if (signer == 0) return "CN=Văn phòng Bộ Nội vụ,O=Bộ Nội vụ,L=Hà Nội,C=VN";
  return absl::StrFormat("CN=Nguyễn Thị Cán Bộ %05d,OU=Phòng %d,O=UBND quận %d,L=Hà Nội,C=VN",
                         signer, signer % 17, signer % 30);
}
std::string Caller(uint64_t i) {
  return absl::StrFormat("ipv4:10.20.0.%d", Mix(i ^ 77) % kCallers);
}
int64_t TimeOf(uint64_t i, uint64_t n) {
  return kStartMicros + static_cast<int64_t>(static_cast<double>(kYearMicros) *
                                             static_cast<double>(i) / static_cast<double>(n));
}
std::string RecordId(uint64_t i) { return absl::StrCat("VB-2026-", i); }

void SetMicros(int64_t micros, google::protobuf::Timestamp* t) {
  *t = service::TimestampFromMicros(micros);
}

v1::AuditRecord Record(uint64_t i, uint64_t n) {
  const int signer = SignerOf(i);
  const uint64_t h = Mix(i ^ 0x5555);
  v1::AuditRecord r;
  SetMicros(TimeOf(i, n), r.mutable_time());
  r.set_method("Verify");
  r.set_request_id(absl::StrFormat("%016x", h));
  r.set_caller(Caller(i));
  r.set_record_id(RecordId(i));
  r.set_data_hash(std::string(32, static_cast<char>(h)));
  r.set_signature_sha256(std::string(32, static_cast<char>(h >> 8)));
  v1::Certificate* c = r.mutable_signer();
  c->set_subject(Subject(signer));
  c->set_issuer("CN=CA phục vụ các cơ quan Nhà nước G2,O=Ban Cơ yếu Chính phủ,C=VN");
  c->set_serial_number(Serial(signer));
  c->set_sha256_fingerprint(Fingerprint(signer));
  const int roll = static_cast<int>(h % 100);
  r.set_indication(roll < 97   ? v1::INDICATION_TOTAL_PASSED
                   : roll < 99 ? v1::INDICATION_TOTAL_FAILED
                               : v1::INDICATION_INDETERMINATE);
  r.set_policy("vn-gov");
  r.set_trust_store_version(std::string(64, 'e'));
  SetMicros(TimeOf(i, n), r.mutable_validation_time());
  r.add_path(c->sha256_fingerprint());
  r.add_path(std::string(64, 'c'));
  r.add_path(std::string(64, 'r'));
  v1::RevocationEvidence* e = r.add_revocation();
  e->set_status("good");
  e->set_source("ocsp");
  e->set_from_cache(true);
  SetMicros(TimeOf(i, n) - 3600000000LL, e->mutable_this_update());
  SetMicros(TimeOf(i, n) + 3600000000LL, e->mutable_next_update());
  e->set_responder("CN=OCSP G2,O=Ban Cơ yếu Chính phủ,C=VN");
  e->set_location("http://ocsp.ca.gov.vn");
  r.set_latency_micros(400 + h % 600);
  return r;
}

// The log as sigverifyd opens it: segments, and the index behind them.
std::unique_ptr<SegmentedStore> OpenStore(const std::string& path) {
  auto index = SqliteAuditStore::Open(path, 1, SqliteSync::kNormal);
  auto store = index.ok() ? SegmentedStore::Open({path + ".segments", "bench"}, *std::move(index))
                          : index.status();
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    std::exit(1);
  }
  return *std::move(store);
}

std::string DbPath() {
  const char* v = std::getenv("AUDIT_QUERY_DB");
  return v != nullptr
             ? v
             : (std::filesystem::temp_directory_path() / "sigverify-audit-query.db").string();
}

// Appends records [from, n) through AuditLog, 20 batches of 2,000 in flight.
void Generate(const std::string& path, uint64_t from, uint64_t n) {
  AuditLog::Options o;
  o.shard = "bench";
  o.origin = "sigverify.bench/query";
  o.max_batch = 20000;  // fewer, larger commits: the log is built, not measured
  std::unique_ptr<SegmentedStore> store = OpenStore(path);
  SegmentedStore* segmented = store.get();
  auto log = AuditLog::Open(std::move(store), *CheckpointSigner::Generate(o.origin), o);
  if (!log.ok()) {
    std::cerr << log.status() << "\n";
    std::exit(1);
  }
  std::cerr << "generating records " << from << ".." << n << " in " << path << "\n";
  const absl::Time started = absl::Now();
  absl::Mutex mu;
  int in_flight = 0;
  for (uint64_t i = from; i < n;) {
    std::vector<v1::AuditRecord> batch;
    for (; i < n && batch.size() < 2000; ++i) batch.push_back(Record(i, n));
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int* f) { return *f < 20; }, &in_flight));
      ++in_flight;
    }
    (*log)->Append(std::move(batch), [&](const absl::Status& s) {
      if (!s.ok()) {
        std::cerr << s << "\n";
        std::abort();
      }
      absl::MutexLock lock(&mu);
      --in_flight;
    });
    if (i % 100000 == 0) {
      // The index is filled behind the log; past a bound the log refuses
      // records until it catches up. A year squeezed into minutes makes
      // blocks of a record or two (a block spans a second of verdicts), so
      // the index is the slower here: let it catch up.
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(+[](int* f) { return *f == 0; }, &in_flight));
      segmented->WaitIndexed(absl::InfiniteDuration());
    }
    if (i % 1000000 == 0) std::cerr << "  " << i << " (" << absl::Now() - started << ")\n";
  }
  log->reset();  // commits what is queued
  std::cerr << "generated in " << absl::Now() - started << "\n";
}

AuditStore& Store() {
  static AuditStore* store = [] {
    const std::string path = DbPath();
    const uint64_t n = Records();
    uint64_t have = 0;
    if (std::filesystem::exists(path)) have = *OpenStore(path)->Size("bench");
    if (have > n) {
      std::cerr << path << " holds " << have << " records, more than " << n << ": remove it\n";
      std::exit(1);
    }
    if (have < n) Generate(path, have, n);
    return OpenStore(path).release();
  }();
  return *store;
}

void Run(benchmark::State& state, const std::function<LeafQuery(std::mt19937_64&)>& make,
         const LeafCursor* after = nullptr) {
  Store();
  std::mt19937_64 rng(42);
  size_t found = 0;
  for (auto _ : state) {
    LeafQuery q = make(rng);
    auto rows = Store().Find(q, after, kPage);
    if (!rows.ok()) {
      state.SkipWithError(std::string(rows.status().message()).c_str());
      return;
    }
    found += rows->size();
  }
  state.counters["rows_per_query"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
}

uint64_t Random(std::mt19937_64& rng) { return rng() % Records(); }
int RandomOfficial(std::mt19937_64& rng) { return 1 + static_cast<int>(rng() % (kSigners - 1)); }
int64_t RandomTime(std::mt19937_64& rng, int64_t span) {
  return kStartMicros + static_cast<int64_t>(rng() % static_cast<uint64_t>(kYearMicros - span));
}

void BM_GetRecordBySequence(benchmark::State& state) {
  Store();
  std::mt19937_64 rng(42);
  for (auto _ : state) benchmark::DoNotOptimize(Store().Leaf("bench", Random(rng)));
}
BENCHMARK(BM_GetRecordBySequence);

void BM_InclusionProof(benchmark::State& state) {
  Store();
  const uint64_t n = Records();
  std::mt19937_64 rng(42);
  NodeSource nodes = [](int level, uint64_t index) { return Store().Node("bench", level, index); };
  for (auto _ : state) benchmark::DoNotOptimize(InclusionProof(nodes, Random(rng), n));
}
BENCHMARK(BM_InclusionProof);

void BM_QueryByRecordId(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.record_id = RecordId(Random(rng));
    return q;
  });
}
BENCHMARK(BM_QueryByRecordId);

void BM_QueryBySigner(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.signer_fingerprint = Fingerprint(RandomOfficial(rng));
    return q;
  });
}
BENCHMARK(BM_QueryBySigner);

void BM_QueryBySealSigner500k(benchmark::State& state) {
  Run(state, [](std::mt19937_64&) {
    LeafQuery q;
    q.signer_fingerprint = Fingerprint(0);
    return q;
  });
}
BENCHMARK(BM_QueryBySealSigner500k);

void BM_QueryBySerial(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.signer_serial = Serial(RandomOfficial(rng));
    return q;
  });
}
BENCHMARK(BM_QueryBySerial);

void BM_QueryOneHour(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.since_micros = RandomTime(rng, 3600000000LL);
    q.until_micros = q.since_micros + 3600000000LL;
    return q;
  });
}
BENCHMARK(BM_QueryOneHour);

void BM_QueryNewestPageDeep(benchmark::State& state) {
  // A page far into a newest-first listing (keyset paging: the cursor).
  const LeafCursor after{kStartMicros + kYearMicros / 2, "bench", Records() / 2};
  Run(
      state, [](std::mt19937_64&) { return LeafQuery{}; }, &after);
}
BENCHMARK(BM_QueryNewestPageDeep);

void BM_QueryIndeterminateInOneDay(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.indication = v1::INDICATION_INDETERMINATE;
    q.since_micros = RandomTime(rng, 86400000000LL);
    q.until_micros = q.since_micros + 86400000000LL;
    return q;
  });
}
BENCHMARK(BM_QueryIndeterminateInOneDay);

void BM_QueryCallerInOneDay(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.caller = absl::StrFormat("ipv4:10.20.0.%d", rng() % kCallers);
    q.since_micros = RandomTime(rng, 86400000000LL);
    q.until_micros = q.since_micros + 86400000000LL;
    return q;
  });
}
BENCHMARK(BM_QueryCallerInOneDay);

void BM_QuerySubjectContains(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.subject_contains = absl::StrFormat("Cán Bộ %05d", RandomOfficial(rng));
    return q;
  });
}
BENCHMARK(BM_QuerySubjectContains)->Unit(benchmark::kMillisecond);

void BM_QuerySubjectContainsEveryone(benchmark::State& state) {
  // A substring every subject holds: the newest page of the whole log.
  Run(state, [](std::mt19937_64&) {
    LeafQuery q;
    q.subject_contains = "Hà Nội";
    return q;
  });
}
BENCHMARK(BM_QuerySubjectContainsEveryone)->Unit(benchmark::kMillisecond);

void BM_QuerySubjectContainsInOneWeek(benchmark::State& state) {
  Run(state, [](std::mt19937_64& rng) {
    LeafQuery q;
    q.subject_contains = absl::StrFormat("Cán Bộ %05d", RandomOfficial(rng));
    q.since_micros = RandomTime(rng, 7 * 86400000000LL);
    q.until_micros = q.since_micros + 7 * 86400000000LL;
    return q;
  });
}
BENCHMARK(BM_QuerySubjectContainsInOneWeek)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sigverify::audit

BENCHMARK_MAIN();
