// The verifying subcommands of the sigverify CLI, each with its own options:
//   verify         one signed record
//   batch          records from a JSON Lines file, in VerifyBatch calls
//   validate       a certificate's path (ValidateCertificate)
//   trust-profile  the built-in trust profiles' anchors and fingerprints
#ifndef SIGVERIFY_SERVICE_CLI_VERIFY_COMMANDS_H_
#define SIGVERIFY_SERVICE_CLI_VERIFY_COMMANDS_H_

#include "CLI/CLI.hpp"
#include "service/cli/connection.h"

namespace sigverify::cli {

// Adds the subcommands to `app`; the one that runs sets `*exit_code`
// (service/cli/exit_codes.h). Their --server, --tls-ca and --timeout set
// `connection`, which outlives the parse.
void AddVerifyCommands(CLI::App& app, Connection& connection, int* exit_code);

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_VERIFY_COMMANDS_H_
