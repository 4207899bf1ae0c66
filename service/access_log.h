// The access log: one JSON line per call — when, from where, which client
// certificate and grant, which method, its status, how many records, how
// long — for every service (verification, audit, admin), refusals included.
// Never document content, nor record ids. Calls hand their line to a
// bounded queue and return; a thread of its own writes. A full queue drops
// lines and counts them rather than slow verification. Reopen() (SIGHUP)
// starts a new file after logrotate moved the old one.
#ifndef SIGVERIFY_SERVICE_ACCESS_LOG_H_
#define SIGVERIFY_SERVICE_ACCESS_LOG_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/stats_table.h"
#include "service/access/access_control.h"

namespace sigverify::service {

struct AccessLogEntry {
  absl::Time time;
  std::string peer;
  access::ClientIdentityPtr identity;  // null: no client certificate
  std::string grant;                   // empty: refused before a grant matched
  std::string method;                  // "/sigverify.v1.AuditService/QueryRecords"
  int code = 0;                        // grpc::StatusCode
  uint64_t items = 0;
  absl::Duration latency;
  std::string request_id;
};

// The entry as its JSON line (without the newline).
std::string AccessLogLine(const AccessLogEntry& entry);

class AccessLog;

// One call's line, filled in as the call goes and written when it ends
// (once). Without an access log it only keeps the facts.
class CallLog {
 public:
  CallLog(AccessLog* log, std::string peer, std::string method, absl::Time start) : log_(log) {
    entry_.time = start;
    entry_.peer = std::move(peer);
    entry_.method = std::move(method);
  }
  void Authorized(const access::Caller& caller) {
    entry_.identity = caller.identity;
    entry_.grant = caller.label;
  }
  void Identified(access::ClientIdentityPtr identity) { entry_.identity = std::move(identity); }
  void Items(uint64_t items) { entry_.items = items; }
  void RequestId(std::string id) { entry_.request_id = std::move(id); }
  void Finish(int code, absl::Time now);

 private:
  AccessLog* log_;
  AccessLogEntry entry_;
  bool done_ = false;
};

class AccessLog {
 public:
  static constexpr size_t kMaxQueuedLines = 65536;

  // Opens `path` for appending (created 0640).
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(std::string path);
  ~AccessLog();  // writes what is queued, then closes

  void Record(const AccessLogEntry& entry);
  absl::Status Reopen();

  // sigverify_access_log_lines_total, ..._dropped_total
  StatsTable stats_table() const;

 private:
  explicit AccessLog(std::string path) : path_(std::move(path)) {}
  void Run();

  const std::string path_;
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool reopen_ ABSL_GUARDED_BY(mu_) = false;
  FILE* file_ = nullptr;  // the writer thread's
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::thread writer_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_ACCESS_LOG_H_
