// sigverify's operator subcommands (AdminService; ROLE_ADMIN under access
// control): admin-status prints what the server runs with, admin-reload
// does what SIGHUP does and prints what did not load.
#ifndef SIGVERIFY_SERVICE_CLI_ADMIN_COMMANDS_H_
#define SIGVERIFY_SERVICE_CLI_ADMIN_COMMANDS_H_

#include "CLI/CLI.hpp"
#include "service/cli/connection.h"

namespace sigverify::cli {

void AddAdminCommands(CLI::App& app, Connection& connection, int* exit_code);

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_ADMIN_COMMANDS_H_
