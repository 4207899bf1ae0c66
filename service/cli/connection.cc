#include "service/cli/connection.h"

#include <chrono>

#include "service/cli/request_builder.h"

namespace sigverify::cli {

void AddConnectionOptions(CLI::App& command, Connection& connection) {
  command.add_option("--server", connection.server, "sigverifyd address (host:port)")
      ->capture_default_str();
  command.add_option("--tls-ca", connection.tls_ca,
                     "CA bundle (PEM) to verify the server with; enables TLS");
  command
      .add_option_function<std::string>(
          "--timeout",
          [&connection](const std::string& text) {
            absl::Duration d;
            if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
              throw CLI::ValidationError("--timeout",
                                         "'" + text + "' is not a positive duration (e.g. 30s)");
            }
            connection.timeout = d;
          },
          "deadline of each call (e.g. 500ms, 30s, 2m)")
      ->default_str(absl::FormatDuration(connection.timeout));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& connection) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!connection.tls_ca.empty()) {
    auto pem = ReadFileBytes(connection.tls_ca);
    if (!pem.ok()) return pem.status();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *pem;
    creds = grpc::SslCredentials(options);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(connection.server, creds, args);
}

void SetDeadline(const Connection& connection, grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(connection.timeout));
}

}  // namespace sigverify::cli
