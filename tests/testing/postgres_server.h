// A real PostgreSQL server for tests: a fresh cluster (initdb) in a
// temporary directory, listening only on a Unix socket there, run as the
// `postgres` user when the tests run as root (PostgreSQL refuses root).
// Debian's `postgresql` package provides the binaries.
#ifndef SIGVERIFY_TESTS_TESTING_POSTGRES_SERVER_H_
#define SIGVERIFY_TESTS_TESTING_POSTGRES_SERVER_H_

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/testing/server_process.h"

namespace sigverify::testing {

class PostgresServer {
 public:
  PostgresServer() {
    const std::string bin = BinDir();
    char dir[] = "/tmp/sigverify-pg-XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = dir;
    std::vector<std::string> as_user;
    if (geteuid() == 0) {
      const passwd* pg = getpwnam("postgres");
      if (pg == nullptr) throw std::runtime_error("no postgres user (install postgresql)");
      if (chown(dir, pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown");
      as_user = {"runuser", "-u", "postgres", "--"};
    }
    std::string prefix;
    for (const std::string& a : as_user) prefix += a + " ";
    const std::string initdb = prefix + bin + "/initdb -D " + dir_ +
                               "/data -A trust -U sigverify --no-sync >" + dir_ +
                               "/initdb.log 2>&1";
    if (std::system(initdb.c_str()) != 0) {
      throw std::runtime_error("initdb failed: see " + dir_ + "/initdb.log");
    }
    std::vector<std::string> argv = as_user;
    argv.insert(argv.end(), {bin + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-c",
                             "listen_addresses=", "-p", "5432"});
    process_ = std::make_unique<ServerProcess>(argv, dir_ + "/postgres.log",
                                               "ready to accept connections");
  }
  ~PostgresServer() {
    process_.reset();
    std::filesystem::remove_all(dir_);
  }

  // libpq connection string for `database`.
  std::string conninfo(const std::string& database = "postgres") const {
    return "host=" + dir_ + " port=5432 user=sigverify dbname=" + database;
  }

 private:
  static std::string BinDir() {
    std::error_code ec;
    for (const auto& v : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      if (std::filesystem::exists(v.path() / "bin" / "postgres"))
        return (v.path() / "bin").string();
    }
    throw std::runtime_error("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres)");
  }

  std::string dir_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_POSTGRES_SERVER_H_
