// A real HTTP server for tests: Python's http.server on a loopback port of
// its own choosing, serving a directory, its request log kept in a file.
// Debian's /usr/bin/python3 (the python3 first on PATH may be another build).
#ifndef SIGVERIFY_TESTS_TESTING_HTTP_SERVER_H_
#define SIGVERIFY_TESTS_TESTING_HTTP_SERVER_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sigverify::testing {

class HttpServer {
 public:
  explicit HttpServer(const std::string& directory) : log_(directory + ".http.log") {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      FILE* log = std::fopen(log_.c_str(), "w");
      if (log != nullptr) dup2(fileno(log), STDERR_FILENO);
      close(out[0]);
      execl("/usr/bin/python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
            "--directory", directory.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
    FILE* in = fdopen(out[0], "r");
    char line[512];
    if (in == nullptr || std::fgets(line, sizeof(line), in) == nullptr ||
        std::sscanf(line, "Serving HTTP on %*s port %d", &port_) != 1) {
      Stop();
      throw std::runtime_error("http.server did not start");
    }
    stdout_ = in;
  }
  ~HttpServer() { Stop(); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // Requests served so far ("GET /path HTTP/1.1" lines).
  int Requests() const {
    std::ifstream in(log_);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.find("\"GET ") != std::string::npos;
    return n;
  }

 private:
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdout_ != nullptr) {
      std::fclose(stdout_);
      stdout_ = nullptr;
    }
  }
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* stdout_ = nullptr;
};

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_HTTP_SERVER_H_
