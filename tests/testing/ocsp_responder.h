// OpenSSL's own OCSP responder (`openssl ocsp` as a server) for tests, on a
// port of its own choosing, serving a CA database (index.txt). Known quirks
// of 3.0 as a server: one request at a time, no keep-alive; a bare connect
// can wedge it, so readiness is its ACCEPT line, not a port probe; without
// -ignore_err one malformed request ends it; stdbuf makes its log line-
// buffered.
#ifndef SIGVERIFY_TESTS_TESTING_OCSP_RESPONDER_H_
#define SIGVERIFY_TESTS_TESTING_OCSP_RESPONDER_H_

#include <cstdlib>
#include <string>

#include "tests/testing/server_process.h"

namespace sigverify::testing {

class OcspResponder {
 public:
  // `dir` holds index.txt and the CA; `signer` names <signer>.pem/.key there.
  OcspResponder(const std::string& dir, const std::string& signer, int next_update_minutes = 10)
      : process_(
            {"stdbuf", "-oL", "-eL", "openssl", "ocsp", "-index", dir + "/index.txt", "-port", "0",
             "-rsigner", dir + "/" + signer + ".pem", "-rkey", dir + "/" + signer + ".key", "-CA",
             dir + "/ca.pem", "-nmin", std::to_string(next_update_minutes), "-ignore_err"},
            dir + "/" + signer + ".ocsp.log", "ACCEPT") {
    // "ACCEPT [::]:36013 PID=..." or "ACCEPT 0.0.0.0:36013 ..."
    const std::string log = process_.Log();
    const size_t accept = log.find("ACCEPT ");
    const size_t colon = log.find_first_of(' ', accept + 7);
    const size_t port_at = log.rfind(':', colon);
    port_ = std::atoi(log.c_str() + port_at + 1);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string Log() const { return process_.Log(); }
  // Requests received so far.
  int Requests() const { return process_.Count("Received request"); }

 private:
  ServerProcess process_;
  int port_ = 0;
};

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_OCSP_RESPONDER_H_
