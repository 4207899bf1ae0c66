// TLS for the metrics endpoint: the listeners' certificate chain and private
// key, and the client CAs whose certificates may connect (none: no client
// certificate is asked for). TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers,
// no renegotiation, no session resumption. The files are read again when
// they change; a connection keeps the context it began with.
#ifndef SIGVERIFY_SERVICE_METRICS_HTTP_TLS_CONTEXT_H_
#define SIGVERIFY_SERVICE_METRICS_HTTP_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sigverify::service::metrics_http {

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using SslContextPtr = std::shared_ptr<SSL_CTX>;

struct TlsFiles {
  std::string certificate_chain;  // PEM, the leaf first
  std::string private_key;        // PEM
  std::string client_ca;          // PEM; empty: clients are not asked for a certificate
};

// A context of `files`; INVALID_ARGUMENT naming the file and OpenSSL's
// reason when one does not load or the key does not match.
absl::StatusOr<SslContextPtr> BuildTlsContext(const TlsFiles& files);

class TlsContext {
 public:
  using Log = std::function<void(const std::string&)>;

  // Loads `files` (the first error is returned). Changes are looked for at
  // most once per `check_interval`.
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(TlsFiles files,
                                                            absl::Duration check_interval, Log log);

  // The context for a connection accepted at `now`: built again first when
  // a file changed since it was last read. A change that does not load is
  // logged and the context in force stays (tried again on the next change).
  SslContextPtr Get(absl::Time now);

  bool verifies_clients() const { return !files_.client_ca.empty(); }

 private:
  TlsContext(TlsFiles files, absl::Duration check_interval, Log log)
      : files_(std::move(files)), check_interval_(check_interval), log_(std::move(log)) {}
  std::string FilesState() const;

  const TlsFiles files_;
  const absl::Duration check_interval_;
  const Log log_;
  absl::Mutex mu_;
  SslContextPtr current_ ABSL_GUARDED_BY(mu_);
  std::string files_state_ ABSL_GUARDED_BY(mu_);
  absl::Time next_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace sigverify::service::metrics_http

#endif  // SIGVERIFY_SERVICE_METRICS_HTTP_TLS_CONTEXT_H_
