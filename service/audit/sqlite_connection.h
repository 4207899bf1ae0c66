// One SQLite connection of the embedded audit store and its prepared
// statements, kept for the connection's life (an auditor's query shape is
// one of a few hundred), and the handle a statement is used through.
#ifndef SIGVERIFY_SERVICE_AUDIT_SQLITE_CONNECTION_H_
#define SIGVERIFY_SERVICE_AUDIT_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sigverify::audit {

// kFull: a commit is durable when it returns (the store is the log).
// kNormal: it may be lost in a power failure (the store is an index that is
// rebuilt from the log's segments); WAL keeps the file consistent either way.
enum class SqliteSync { kFull, kNormal };

// A statement from a connection's cache, reset (bindings cleared) when this
// handle goes out of scope.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  void Bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const void* data, size_t n) {
    sqlite3_bind_blob(stmt_, i, data, static_cast<int>(n), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // SQLITE_ROW, SQLITE_DONE or an error.
  int Step() { return sqlite3_step(stmt_); }
  // For the next row of a multi-row statement.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_stmt* raw() { return stmt_; }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    return std::string(static_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  // The column's bytes, valid until the next Step or Reset.
  std::string_view View(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    return std::string_view(static_cast<const char*>(p),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  absl::Status Error(const char* what) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // WAL, `sync`, a 32 MiB page cache, a 5 s busy timeout.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, SqliteSync sync = SqliteSync::kFull);

  sqlite3* db() { return db_; }
  absl::Status Exec(const char* sql);
  // A cached statement; !ok() when `sql` does not prepare.
  SqliteStatement Prepare(const std::string& sql);

 private:
  SqliteConnection() = default;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_SQLITE_CONNECTION_H_
