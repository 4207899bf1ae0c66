#include "service/cli/admin_commands.h"

#include <iostream>
#include <memory>
#include <string>

#include "grpcpp/client_context.h"
#include "service/cli/exit_codes.h"
#include "service/cli/output.h"
#include "sigverify/v1/admin.grpc.pb.h"

namespace sigverify::cli {
namespace {

struct AdminOptions {
  Connection* connection = nullptr;
  bool json = false;
};

// Runs `call` with a stub on the configured channel; 2 when the channel or
// the call fails.
template <typename Call>
int WithStub(const AdminOptions& o, const char* method, Call call) {
  auto channel = OpenChannel(*o.connection);
  if (!channel.ok()) {
    std::cerr << "sigverify: " << channel.status().message() << "\n";
    return kExitError;
  }
  auto stub = v1::AdminService::NewStub(*channel);
  grpc::ClientContext ctx;
  SetDeadline(*o.connection, &ctx);
  const grpc::Status status = call(*stub, ctx);
  if (!status.ok()) {
    std::cerr << "sigverify: " << method << ": " << status.error_message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

int Status(const AdminOptions& o) {
  v1::GetStatusResponse r;
  const int code =
      WithStub(o, "GetStatus", [&](v1::AdminService::Stub& stub, grpc::ClientContext& ctx) {
        return stub.GetStatus(&ctx, v1::GetStatusRequest(), &r);
      });
  if (code != kExitOk) return code;
  if (o.json) {
    std::cout << JsonLine(r) << "\n";
    return kExitOk;
  }
  std::cout << "trust store " << r.trust_store_version() << " (" << r.trust_anchors()
            << " anchors), " << r.workers() << " workers, up " << r.uptime_seconds() << " s\n"
            << "access control "
            << (r.access_control() ? "on: " + std::to_string(r.grants()) + " grants, version " +
                                         r.access_config_version()
                                   : std::string("OFF"))
            << "\n";
  if (!r.audit_shard().empty()) {
    std::cout << "audit shard " << r.audit_shard() << ", " << r.audit_tree_size() << " records\n";
  }
  return kExitOk;
}

int Reload(const AdminOptions& o) {
  v1::ReloadResponse r;
  const int code =
      WithStub(o, "Reload", [&](v1::AdminService::Stub& stub, grpc::ClientContext& ctx) {
        return stub.Reload(&ctx, v1::ReloadRequest(), &r);
      });
  if (code != kExitOk) return code;
  for (const std::string& error : r.errors()) std::cerr << "not reloaded: " << error << "\n";
  std::cout << "trust store " << r.trust_store_version() << "\n";
  return r.errors().empty() ? kExitOk : kExitNotPassed;
}

}  // namespace

void AddAdminCommands(CLI::App& app, Connection& connection, int* exit_code) {
  auto o = std::make_shared<AdminOptions>();
  o->connection = &connection;
  CLI::App* status = app.add_subcommand(
      "admin-status", "What the server runs with: trust store, access control, audit shard");
  status->add_flag("--json", o->json, "the response as JSON");
  status->callback([o, exit_code] { *exit_code = Status(*o); });
  CLI::App* reload = app.add_subcommand(
      "admin-reload",
      "Reload the trust store, access configuration and client CRLs (as SIGHUP); exit 1 when "
      "one did not load (the server keeps the previous one)");
  reload->callback([o, exit_code] { *exit_code = Reload(*o); });
}

}  // namespace sigverify::cli
