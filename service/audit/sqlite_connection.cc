#include "service/audit/sqlite_connection.h"

#include "absl/strings/str_cat.h"

namespace sigverify::audit {

absl::Status SqliteStatement::Error(const char* what) const {
  return absl::UnavailableError(absl::StrCat("audit store: ", what, ": ", sqlite3_errmsg(db_)));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                         SqliteSync sync) {
  auto c = std::unique_ptr<SqliteConnection>(new SqliteConnection);
  if (sqlite3_open_v2(path.c_str(), &c->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ",
                                               c->db_ ? sqlite3_errmsg(c->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(c->db_, 5000);
  for (const char* sql :
       {"PRAGMA journal_mode=WAL",
        sync == SqliteSync::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
        "PRAGMA cache_size=-32768"}) {
    if (auto s = c->Exec(sql); !s.ok()) return s;
  }
  return c;
}

absl::Status SqliteConnection::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return absl::UnavailableError(absl::StrCat("audit store: ", why));
  }
  return absl::OkStatus();
}

SqliteStatement SqliteConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteStatement(db_, nullptr);
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return SqliteStatement(db_, it->second);
}

}  // namespace sigverify::audit
