#include "service/flags.h"

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_replace.h"

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

std::set<std::string> SpecifiedFlags(int argc, char** argv) {
  std::set<std::string> out;
  const std::vector<std::string> args = DashesToUnderscores(argc, argv);
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    std::string name = arg.substr(start, arg.find('=') - start);
    if (absl::FindCommandLineFlag(name) == nullptr && name.rfind("no", 0) == 0 &&
        absl::FindCommandLineFlag(name.substr(2)) != nullptr) {
      name = name.substr(2);
    }
    if (absl::FindCommandLineFlag(name) == nullptr) continue;
    out.insert("--" + absl::StrReplaceAll(name, {{"_", "-"}}));
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
