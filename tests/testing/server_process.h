// A real server for tests, run as a child process: its stdout and stderr go
// to a log file, and the constructor returns once the log shows the server's
// "ready" line (10 s at most; a port probe can wedge some servers, e.g.
// `openssl ocsp`). The destructor stops it with SIGTERM.
#ifndef SIGVERIFY_TESTS_TESTING_SERVER_PROCESS_H_
#define SIGVERIFY_TESTS_TESTING_SERVER_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sigverify::testing {

class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& argv, std::string log, const std::string& ready)
      : log_(std::move(log)) {
    // Emptied here, not only in the child: a previous run's ready line must
    // not be read as this one's.
    std::ofstream(log_, std::ios::trunc).close();
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (Log().find(ready) != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Stop();
    throw std::runtime_error(argv[0] + " did not print '" + ready + "': " + Log());
  }
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // How many times `needle` occurs in the log so far.
  int Count(const std::string& needle) const {
    const std::string log = Log();
    int n = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  pid_t pid() const { return pid_; }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_SERVER_PROCESS_H_
