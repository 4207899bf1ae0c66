// The auditor's commands of the sigverify CLI:
//   audit-query       records matching filters (table, --json or --csv)
//   audit-checkpoint  fetch the latest signed checkpoint (to keep it)
//   audit-prove       fetch a record, its inclusion proof and the checkpoint
//                     it is proven against, and verify all three with the
//                     log's public key
//   audit-consistency prove that a newer saved checkpoint extends an older
//                     one (nothing logged between them was rewritten)
//   audit-verify      re-verify a whole shard offline from the database
//                     file against a checkpoint, naming the first record
//                     that does not match
#ifndef SIGVERIFY_SERVICE_CLI_AUDIT_COMMANDS_H_
#define SIGVERIFY_SERVICE_CLI_AUDIT_COMMANDS_H_

#include "CLI/CLI.hpp"
#include "service/cli/connection.h"

namespace sigverify::cli {

// Adds the audit subcommands to `app`; the one that runs sets `*exit_code`
// (service/cli/exit_codes.h).
// `connection` as for AddVerifyCommands.
void AddAuditCommands(CLI::App& app, Connection& connection, int* exit_code);

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_AUDIT_COMMANDS_H_
