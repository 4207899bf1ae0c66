// Command-line spelling: the documented flags use dashes (--trust-anchors),
// Abseil flags use underscores; both spellings are accepted.
#ifndef SIGVERIFY_SERVICE_FLAGS_H_
#define SIGVERIFY_SERVICE_FLAGS_H_

#include <set>
#include <string>
#include <vector>

namespace sigverify::service {

// Returns argv with "--a-b[=v]" rewritten to "--a_b[=v]" (values untouched).
std::vector<std::string> DashesToUnderscores(int argc, char** argv);

// The flags argv names, in their dashed form ("--audit-db"); "--noflag" of a
// boolean flag counts as "--flag". Only names of registered flags.
std::set<std::string> SpecifiedFlags(int argc, char** argv);

// Parses the command line with Abseil after DashesToUnderscores; returns the
// positional arguments (the program name first).
std::vector<std::string> ParseCommandLine(int argc, char** argv);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_FLAGS_H_
