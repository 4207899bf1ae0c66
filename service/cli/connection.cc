#include "service/cli/connection.h"

#include <chrono>

#include "service/cli/request_builder.h"

namespace sigverify::cli {

void AddConnectionOptions(CLI::App& command, Connection& connection) {
  command.add_option("--server", connection.server, "sigverifyd address (host:port)")
      ->capture_default_str();
  command.add_option("--tls-ca", connection.tls_ca,
                     "CA bundle (PEM) to verify the server with; enables TLS");
  command.add_option("--tls-cert", connection.tls_cert,
                     "client certificate (PEM, chain allowed) for a server that requires one "
                     "(mutual TLS); needs --tls-ca and --tls-key");
  command.add_option("--tls-key", connection.tls_key, "the client certificate's private key (PEM)");
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
    if (connection.tls_cert.empty() != connection.tls_key.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (!connection.tls_cert.empty()) {
      auto cert = ReadFileBytes(connection.tls_cert);
      if (!cert.ok()) return cert.status();
      auto key = ReadFileBytes(connection.tls_key);
      if (!key.ok()) return key.status();
      options.pem_cert_chain = *cert;
      options.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(options);
  } else if (!connection.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-ca (the server's CA)");
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
