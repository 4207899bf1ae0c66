// A real HTTP server for tests: Python's http.server on a loopback port of
// its own choosing, serving a directory. Debian's /usr/bin/python3 (the
// python3 first on PATH may be another build).
#ifndef SIGVERIFY_TESTS_TESTING_HTTP_SERVER_H_
#define SIGVERIFY_TESTS_TESTING_HTTP_SERVER_H_

#include <cstdio>
#include <string>

#include "tests/testing/server_process.h"

namespace sigverify::testing {

class HttpServer {
 public:
  explicit HttpServer(const std::string& directory)
      : process_({"/usr/bin/python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                  "--directory", directory},
                 directory + ".http.log", "Serving HTTP on") {
    // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
    const std::string log = process_.Log();
    std::sscanf(log.c_str() + log.find("Serving HTTP on"), "Serving HTTP on %*s port %d", &port_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // Requests served so far ("GET /path HTTP/1.1" lines in its log).
  int Requests() const { return process_.Count("\"GET "); }

 private:
  ServerProcess process_;
  int port_ = 0;
};

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_HTTP_SERVER_H_
