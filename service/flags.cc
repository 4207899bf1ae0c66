#include "service/flags.h"

#include "absl/flags/parse.h"

namespace sigverify::service {

std::vector<std::string> DashesToUnderscores(int argc, char** argv) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(argc));
  bool after_double_dash = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") after_double_dash = true;
    if (i > 0 && !after_double_dash && arg.size() > 2 && arg[0] == '-') {
      const size_t start = arg[1] == '-' ? 2 : 1;
      const size_t end = arg.find('=');
      for (size_t j = start; j < std::min(end, arg.size()); ++j) {
        if (arg[j] == '-') arg[j] = '_';
      }
    }
    out.push_back(std::move(arg));
  }
  return out;
}

std::vector<std::string> ParseCommandLine(int argc, char** argv) {
  std::vector<std::string> args = DashesToUnderscores(argc, argv);
  std::vector<char*> cargs;
  cargs.reserve(args.size());
  for (std::string& a : args) cargs.push_back(a.data());
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  return std::vector<std::string>(positional.begin(), positional.end());
}

}  // namespace sigverify::service
