// sigverify: command-line client of sigverifyd. Each subcommand has its own
// options and help (`sigverify SUBCOMMAND --help`):
//
//   sigverify verify --data=doc.pdf --sig=doc.sig --cert=signer.pem --chain=ca.pem
//       --alg=rsa-pkcs1-sha256
//   sigverify batch --input=records.jsonl
//   sigverify validate --cert=signer.pem --chain=ca.pem
//   sigverify verify-document --file=decision.p7s --content=decision.docx
//   sigverify audit-prove --sequence=0 --log-key=KEY
//   sigverify admin-status
//
// Exit status, for every subcommand: 0 when every record is TOTAL_PASSED (or
// the proof held), 1 when one is not (or a proof, signature or hash did not
// hold), 2 on a usage, file, connection or RPC error.
#include <iostream>

#include "CLI/CLI.hpp"
#include "service/cli/admin_commands.h"
#include "service/cli/audit_commands.h"
#include "service/cli/connection.h"
#include "service/cli/exit_codes.h"
#include "service/cli/verify_commands.h"

int main(int argc, char** argv) try {
  using sigverify::cli::kExitError;
  CLI::App app("sigverify: the command-line client of sigverifyd", "sigverify");
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 passed or proven, 1 a verdict or proof did not hold, 2 usage, file, "
      "connection or RPC error.");
  int exit_code = kExitError;
  // Given before the subcommand or after it: one connection for all.
  sigverify::cli::Connection connection;
  sigverify::cli::AddConnectionOptions(app, connection);
  sigverify::cli::AddVerifyCommands(app, connection, &exit_code);
  sigverify::cli::AddAuditCommands(app, connection, &exit_code);
  sigverify::cli::AddAdminCommands(app, connection, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and is 0; any other parse error is a usage error.
    return app.exit(e) == 0 ? 0 : kExitError;
  } catch (const std::exception& e) {  // e.g. out of memory on a huge input file
    std::cerr << "sigverify: " << e.what() << "\n";
    return kExitError;
  }
  return exit_code;
} catch (...) {
  return sigverify::cli::kExitError;
}
