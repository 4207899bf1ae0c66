// How a subcommand reaches sigverifyd: --server, --tls-ca and --timeout, the
// options every calling subcommand has, and the channel and deadlines made
// from them.
#ifndef SIGVERIFY_SERVICE_CLI_CONNECTION_H_
#define SIGVERIFY_SERVICE_CLI_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sigverify::cli {

struct Connection {
  std::string server = "127.0.0.1:50051";
  std::string tls_ca;    // PEM bundle; TLS when set
  std::string tls_cert;  // client certificate (mutual TLS)
  std::string tls_key;
  absl::Duration timeout = absl::Seconds(60);
};

// Adds --server, --tls-ca and --timeout (a duration: 500ms, 30s, 2m) to `command`.
void AddConnectionOptions(CLI::App& command, Connection& connection);

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& connection);

// `ctx`'s deadline: now + --timeout.
void SetDeadline(const Connection& connection, grpc::ClientContext* ctx);

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_CONNECTION_H_
