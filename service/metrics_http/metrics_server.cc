#include "service/metrics_http/metrics_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/openssl_ptr.h"
#include "service/metrics_http/request_head.h"

namespace sigverify::service::metrics_http {
namespace {

// Stat names and help live as long as the program (StatsTable holds
// pointers).
constexpr char kRefused[] = "sigverify_metrics_http_refused_total";
constexpr char kRefusedHelp[] =
    "Connections to /metrics closed without metrics, by reason: TLS handshake failed (handshake), "
    "client not granted (forbidden), malformed or other request (bad_request), deadline passed "
    "(deadline), closed for a newer one over the connection limit (evicted)";

// After the answer, how long the client's remaining bytes are read (so that
// closing does not reset the connection before the client has read it).
constexpr absl::Duration kLinger = absl::Seconds(1);

// HOST and PORT of "HOST:PORT" ("[::1]:9464" for IPv6).
absl::StatusOr<std::pair<std::string, std::string>> SplitAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(absl::StrCat(address, " is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, address.substr(colon + 1));
}

std::string FormatAddress(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return absl::StrCat("[", host, "]:", ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
  inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
  return absl::StrCat(host, ":", ntohs(a->sin_port));
}

absl::StatusOr<FileDescriptor> Listen(const std::string& address) {
  auto parts = SplitAddress(address);
  if (!parts.ok()) return parts.status();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int e = getaddrinfo(parts->first.c_str(), parts->second.c_str(), &hints, &found);
      e != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", address, ": ", gai_strerror(e)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(found, freeaddrinfo);
  std::string why = "no address";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    FileDescriptor fd(socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
      why = strerror(errno);
      continue;
    }
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || listen(fd.get(), 64) != 0) {
      why = strerror(errno);
      continue;
    }
    return fd;
  }
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", why));
}

std::string Response(int code, absl::string_view reason, absl::string_view extra_headers,
                     absl::string_view content_type, absl::string_view body, bool head_only) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\n", extra_headers,
                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                      head_only ? absl::string_view() : body);
}

std::string Plain(int code, absl::string_view reason, absl::string_view text,
                  absl::string_view extra_headers = "", bool head_only = false) {
  return Response(code, reason, extra_headers, "text/plain; charset=utf-8",
                  absl::StrCat(text, "\n"), head_only);
}

// The peer's certificate, PEM; empty without one.
std::string PeerPem(SSL* ssl) {
  const crypto::X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (cert == nullptr) return "";
  const crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

// One client's connection, from accept to close.
struct MetricsServer::Connection {
  enum class State { kHandshake, kReading, kWriting, kLingering };

  FileDescriptor fd;
  SslPtr ssl;  // null: plaintext
  absl::Time deadline;
  State state;
  short wait_for = POLLIN;  // what the socket must become before the next step
  absl::Status allowed;     // the client's authorization, from its certificate
  std::string received;
  std::string answer;
  size_t written = 0;
};

MetricsServer::MetricsServer(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Bind(Options options) {
  auto listener = Listen(options.address);
  if (!listener.ok()) return listener.status();
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(options)));
  server->listener_ = *std::move(listener);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(server->listener_.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  server->address_ = FormatAddress(bound);
  server->wake_ = FileDescriptor(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!server->wake_.valid())
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  return server;
}

void MetricsServer::Serve() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

MetricsServer::~MetricsServer() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(wake_.get(), &one, sizeof(one));
    thread_.join();
  }
}

void MetricsServer::Run() {
  // A client that goes away makes a write fail with EPIPE: here, never a
  // signal (OpenSSL writes with write(2), not send(MSG_NOSIGNAL)). Blocked
  // for this thread only; the signal stays pending, unseen.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  std::vector<pollfd> polled;
  for (;;) {
    absl::Time now = absl::Now();
    const bool accepting = now >= accept_paused_until_;
    polled.clear();
    polled.push_back({wake_.get(), POLLIN, 0});
    polled.push_back({accepting ? listener_.get() : -1, POLLIN, 0});
    absl::Time wake_at = now + absl::Seconds(1);
    if (!accepting) wake_at = std::min(wake_at, accept_paused_until_);
    for (const Connection& c : connections_) {
      polled.push_back({c.fd.get(), c.wait_for, 0});
      wake_at = std::min(wake_at, c.deadline);
    }
    const int timeout_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(wake_at - now) + 1));
    if (poll(polled.data(), polled.size(), timeout_ms) < 0 && errno != EINTR) {
      options_.log(absl::StrCat("metrics: poll failed, /metrics stops: ", strerror(errno)));
      break;
    }
    if (polled[0].revents != 0) break;
    now = absl::Now();
    size_t i = 2;
    for (auto it = connections_.begin(); it != connections_.end(); ++i) {
      const bool ready = polled[i].revents != 0;
      bool open = true;
      if (now >= it->deadline) {
        if (it->state != Connection::State::kLingering) ++refused_deadline_;
        open = false;
      } else if (ready) {
        open = Step(*it, now);
      }
      it = open ? std::next(it) : connections_.erase(it);
    }
    if (polled[1].revents != 0) Accept(now);
  }
  connections_.clear();
}

void MetricsServer::Accept(absl::Time now) {
  for (;;) {
    FileDescriptor fd(accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: the pending connection stays queued;
        // look again shortly rather than spin on it.
        accept_paused_until_ = now + absl::Milliseconds(100);
        return;
      }
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      return;  // EAGAIN: none left
    }
    Connection c;
    c.fd = std::move(fd);
    c.deadline = now + options_.deadline;
    c.state = Connection::State::kReading;
    if (options_.tls != nullptr) {
      const SslContextPtr ctx = options_.tls->Get(now);
      c.ssl.reset(SSL_new(ctx.get()));
      if (c.ssl == nullptr || SSL_set_fd(c.ssl.get(), c.fd.get()) != 1) {
        ERR_clear_error();
        ++refused_handshake_;
        continue;
      }
      c.state = Connection::State::kHandshake;
    } else if (options_.authorize) {
      c.allowed = options_.authorize("", now);
    }
    connections_.push_back(std::move(c));
    if (connections_.size() > options_.max_connections) {
      ++refused_evicted_;
      connections_.pop_front();
    }
    // Its first step waits for the client: the poll after this one.
  }
}

namespace {

// What one read or write on a connection came to.
enum class Io { kDone, kWantRead, kWantWrite, kClosed };

Io Outcome(SSL* ssl, int ret) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    default:
      ERR_clear_error();
      return Io::kClosed;
  }
}

Io Read(SSL* ssl, int fd, char* buffer, size_t size, size_t* got) {
  if (ssl != nullptr) {
    const int ret = SSL_read_ex(ssl, buffer, size, got);
    return ret == 1 ? Io::kDone : Outcome(ssl, ret);
  }
  const ssize_t n = recv(fd, buffer, size, 0);
  if (n > 0) {
    *got = static_cast<size_t>(n);
    return Io::kDone;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Io::kWantRead;
  return Io::kClosed;
}

Io Write(SSL* ssl, int fd, const char* data, size_t size, size_t* put) {
  if (ssl != nullptr) {
    const int ret = SSL_write_ex(ssl, data, size, put);
    return ret == 1 ? Io::kDone : Outcome(ssl, ret);
  }
  const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) {
    *put = static_cast<size_t>(n);
    return Io::kDone;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantWrite;
  return Io::kClosed;
}

short PollFor(Io io) { return io == Io::kWantWrite ? POLLOUT : POLLIN; }

}  // namespace

bool MetricsServer::Step(Connection& c, absl::Time now) {
  using State = Connection::State;
  char buffer[4096];
  for (;;) {
    switch (c.state) {
      case State::kHandshake: {
        const int ret = SSL_accept(c.ssl.get());
        if (ret != 1) {
          const Io io = Outcome(c.ssl.get(), ret);
          if (io == Io::kClosed) {
            ++refused_handshake_;
            return false;
          }
          c.wait_for = PollFor(io);
          return true;
        }
        if (options_.authorize) c.allowed = options_.authorize(PeerPem(c.ssl.get()), now);
        c.state = State::kReading;
        break;
      }
      case State::kReading: {
        size_t got = 0;
        const Io io = Read(c.ssl.get(), c.fd.get(), buffer, sizeof(buffer), &got);
        if (io == Io::kClosed) return false;
        if (io != Io::kDone) {
          c.wait_for = PollFor(io);
          return true;
        }
        // Only what the head may need is kept: HeadEnd looks at most
        // kMaxRequestHeadBytes + 1 bytes.
        c.received.append(buffer, std::min(got, kMaxRequestHeadBytes + 1 - c.received.size()));
        const std::optional<size_t> end = HeadEnd(c.received);
        if (end.has_value()) {
          c.answer = Answer(absl::string_view(c.received).substr(0, *end), c.allowed);
        } else if (c.received.size() > kMaxRequestHeadBytes) {
          ++refused_bad_request_;
          c.answer =
              Plain(431, "Request Header Fields Too Large",
                    absl::StrCat("the request head is over ", kMaxRequestHeadBytes, " bytes"));
        } else {
          break;
        }
        c.received.clear();
        c.state = State::kWriting;
        break;
      }
      case State::kWriting: {
        size_t put = 0;
        const Io io = Write(c.ssl.get(), c.fd.get(), c.answer.data() + c.written,
                            c.answer.size() - c.written, &put);
        if (io == Io::kClosed) return false;
        if (io != Io::kDone) {
          c.wait_for = PollFor(io);
          return true;
        }
        c.written += put;
        if (c.written < c.answer.size()) break;
        // Answered: say so, then read what the client still sends until it
        // closes (closing with unread bytes would reset the connection and
        // could discard the answer before the client reads it).
        if (c.ssl != nullptr) (void)SSL_shutdown(c.ssl.get());
        ERR_clear_error();
        shutdown(c.fd.get(), SHUT_WR);
        c.deadline = std::min(c.deadline, now + kLinger);
        c.state = State::kLingering;
        c.wait_for = POLLIN;
        break;
      }
      case State::kLingering: {
        const ssize_t n = recv(c.fd.get(), buffer, sizeof(buffer), 0);
        if (n > 0) break;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
        return false;
      }
    }
  }
}

std::string MetricsServer::Answer(absl::string_view head, const absl::Status& allowed) {
  const ParsedHead parsed = ParseRequestHead(head);
  if (parsed.error.has_value()) {
    ++refused_bad_request_;
    return Plain(parsed.error->code, parsed.error->reason, parsed.error->detail);
  }
  const RequestHead& request = *parsed.head;
  const bool head_only = request.method == "HEAD";
  if (request.method != "GET" && !head_only) {
    ++refused_bad_request_;
    return Plain(405, "Method Not Allowed", "GET or HEAD", "Allow: GET, HEAD\r\n");
  }
  if (!allowed.ok()) {
    ++refused_forbidden_;
    return Plain(403, "Forbidden", allowed.message(), "", head_only);
  }
  if (request.path != options_.path) {
    ++refused_bad_request_;
    return Plain(404, "Not Found", absl::StrCat("metrics are at ", options_.path), "", head_only);
  }
  ++scrapes_;
  return Response(200, "OK", "", "text/plain; version=0.0.4; charset=utf-8", options_.render(),
                  head_only);
}

StatsTable MetricsServer::stats_table() const {
  auto counter = [](const std::atomic<uint64_t>& v) {
    return [&v] { return static_cast<double>(v.load(std::memory_order_relaxed)); };
  };
  StatsTable table = {{"sigverify_metrics_http_scrapes_total", "Metrics served", StatKind::kCounter,
                       counter(scrapes_)}};
  for (const auto& [reason, count] :
       {std::pair<const char*, const std::atomic<uint64_t>*>{"handshake", &refused_handshake_},
        {"forbidden", &refused_forbidden_},
        {"bad_request", &refused_bad_request_},
        {"deadline", &refused_deadline_},
        {"evicted", &refused_evicted_}}) {
    table.push_back(
        {kRefused, kRefusedHelp, StatKind::kCounter, counter(*count), {{"reason", reason}}});
  }
  return table;
}

}  // namespace sigverify::service::metrics_http
