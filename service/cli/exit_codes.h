// The sigverify CLI's one exit-code contract, for every subcommand.
#ifndef SIGVERIFY_SERVICE_CLI_EXIT_CODES_H_
#define SIGVERIFY_SERVICE_CLI_EXIT_CODES_H_

namespace sigverify::cli {

// Every record TOTAL_PASSED, the proof held, the command did what it was asked.
inline constexpr int kExitOk = 0;
// Something was checked and did not hold: a verdict other than TOTAL_PASSED,
// a proof, a signature or a hash.
inline constexpr int kExitNotPassed = 1;
// It could not be checked: usage, a file, the connection, an RPC error.
inline constexpr int kExitError = 2;

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_EXIT_CODES_H_
