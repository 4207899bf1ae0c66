// The /metrics endpoint: HTTP/1.1, plaintext or TLS (optionally with client
// certificates), GET and HEAD of one path, every answer closing its
// connection. One thread polls every connection, so idle or slow clients
// cost a descriptor each, not a thread: each connection has one deadline
// for its handshake, request and answer, at most `max_connections` are
// open (the oldest is closed for a new one), and a request head is at most
// kMaxRequestHeadBytes.
#ifndef SIGVERIFY_SERVICE_METRICS_HTTP_METRICS_SERVER_H_
#define SIGVERIFY_SERVICE_METRICS_HTTP_METRICS_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/stats_table.h"
#include "service/metrics_http/file_descriptor.h"
#include "service/metrics_http/tls_context.h"

namespace sigverify::service::metrics_http {

class MetricsServer {
 public:
  struct Options {
    std::string address;              // HOST:PORT; port 0: the system chooses
    std::string path = "/metrics";    // the one path served
    std::unique_ptr<TlsContext> tls;  // null: plaintext
    // Whether the client whose certificate is `peer_pem` (PEM; empty without
    // one) may scrape at `now`; its error message is the 403's body. Null:
    // every client that connects may.
    std::function<absl::Status(absl::string_view peer_pem, absl::Time now)> authorize;
    // The body of a scrape (Prometheus text format 0.0.4).
    std::function<std::string()> render;
    size_t max_connections = 64;
    absl::Duration deadline = absl::Seconds(5);  // per connection
    std::function<void(const std::string&)> log = [](const std::string&) {};
  };

  // Binds `options.address` (connections queue until Serve); UNAVAILABLE
  // naming the address when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Bind(Options options);
  // Starts serving, on a thread of its own (once).
  void Serve();
  // Stops serving; connections still open are closed.
  ~MetricsServer();

  // The address bound (its port chosen when 0 was asked for).
  const std::string& address() const { return address_; }

  // sigverify_metrics_http_scrapes_total,
  // sigverify_metrics_http_refused_total{reason}
  StatsTable stats_table() const;

 private:
  struct Connection;
  explicit MetricsServer(Options options);
  void Run();
  void Accept(absl::Time now);
  // Advances `c` as far as its socket allows; false when it is finished.
  bool Step(Connection& c, absl::Time now);
  std::string Answer(absl::string_view head, const absl::Status& allowed);

  Options options_;
  std::string address_;
  FileDescriptor listener_;
  FileDescriptor wake_;  // eventfd: written to stop
  std::thread thread_;
  std::list<Connection> connections_;  // oldest first; the thread's own
  absl::Time accept_paused_until_ = absl::InfinitePast();

  std::atomic<uint64_t> scrapes_{0};
  std::atomic<uint64_t> refused_handshake_{0};
  std::atomic<uint64_t> refused_forbidden_{0};
  std::atomic<uint64_t> refused_bad_request_{0};
  std::atomic<uint64_t> refused_deadline_{0};
  std::atomic<uint64_t> refused_evicted_{0};
};

}  // namespace sigverify::service::metrics_http

#endif  // SIGVERIFY_SERVICE_METRICS_HTTP_METRICS_SERVER_H_
