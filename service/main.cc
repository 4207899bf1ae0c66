// sigverifyd: the signature verification service. The configuration is built
// and checked whole before anything happens (exit 2 naming the field and its
// flag); then the server is composed, started, and stopped on SIGTERM/SIGINT
// (SIGHUP reloads the trust store). Exit codes: 0 stopped cleanly, 1 could
// not start (a port, the audit store), 2 configuration.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/flags.h"
#include "service/server.h"
#include "service/server_flags.h"
#include "service/text_proto.h"

namespace {

void Log(absl::string_view line) {
  std::fprintf(stderr, "%s sigverifyd: %.*s\n",
               absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()).c_str(),
               static_cast<int>(line.size()), line.data());
}

sigset_t StopAndReloadSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sigverify::service;  // NOLINT(google-build-using-namespace)
  // Blocked in every thread (before any starts); taken below with sigwait.
  const sigset_t signals = StopAndReloadSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
#ifdef NDEBUG
  // The abseil library this links may be built to check lock order for
  // deadlocks on every Mutex operation (a graph lookup each time; 2 % of the
  // audit writer's CPU under unary load). Debug builds, the sanitizer runs
  // and the unit tests keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif

  absl::SetProgramUsageMessage(
      "sigverifyd [--config=FILE] [--check-config] --trust-anchors=DIR [--listen=HOST:PORT] ...");
  ParseCommandLine(argc, argv);
  absl::StatusOr<ServerConfig> config = ServerConfigFromFlags(SpecifiedFlags(argc, argv));
  if (config.ok()) {
    if (absl::Status valid = ValidateServerConfig(*config); !valid.ok()) config = valid;
  }
  if (!config.ok()) {
    Log(config.status().message());
    return 2;
  }
  if (CheckConfigOnly()) {
    if (auto store = LoadTrustStore(*config, Log); !store.ok()) {
      Log(store.status().message());
      return 2;
    }
    std::cout << ToTextProto(*config);
    return 0;
  }
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(*config, Log);
  if (!server.ok()) {
    Log(server.status().message());
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (absl::Status started = (*server)->Start(); !started.ok()) {
    Log(started.message());
    return 1;
  }
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) (void)(*server)->Reload();
  Log(absl::StrCat("signal ", sig, ": draining in-flight calls"));
  (*server)->Shutdown();
  Log("stopped");
  return 0;
}
