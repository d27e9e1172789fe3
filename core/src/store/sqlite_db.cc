// SPDX-License-Identifier: Apache-2.0
// SQLite connection for the store: prepared statements cached per SQL text, every value bound.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <unordered_map>

#include "db.h"

namespace cw::core::store::detail {

namespace {

// The current row of a stepped statement, read in place with the cells' own types.
class StatementRow final : public RowView {
 public:
  explicit StatementRow(sqlite3_stmt* s) : s_(s) {}
  bool isNull(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string_view text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (p == nullptr) {
      return {};
    }
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
  }
  std::int64_t integer(int col) const override {
    if (sqlite3_column_type(s_, col) == SQLITE_TEXT) {
      // As Rows::integer: the leading digits of the text.
      const std::string_view t = text(col);
      std::int64_t v = 0;
      std::from_chars(t.data(), t.data() + t.size(), v);
      return v;
    }
    return sqlite3_column_int64(s_, col);
  }

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) {
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::Sqlite; }

  Result<Rows> query(std::string_view sql, const SqlParams& params) override {
    auto stmt = prepare(sql, params);
    if (!stmt) {
      return stmt.error();
    }
    sqlite3_stmt* s = *stmt;
    const int columns = sqlite3_column_count(s);
    Rows rows(static_cast<std::size_t>(columns));
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) {
        break;
      }
      if (rc != SQLITE_ROW) {
        auto err = failure("step");
        sqlite3_reset(s);
        return err;
      }
      for (int i = 0; i < columns; ++i) {
        if (sqlite3_column_type(s, i) == SQLITE_NULL) {
          rows.push(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
          rows.push(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(s, i))));
        }
      }
    }
    sqlite3_reset(s);
    return rows;
  }

  Result<bool> each(std::string_view sql, const SqlParams& params,
                    const std::function<void(const RowView&)>& row) override {
    auto stmt = prepare(sql, params);
    if (!stmt) {
      return stmt.error();
    }
    const StatementRow view(*stmt);
    for (;;) {
      int rc = sqlite3_step(*stmt);
      if (rc == SQLITE_DONE) {
        break;
      }
      if (rc != SQLITE_ROW) {
        auto err = failure("step");
        sqlite3_reset(*stmt);
        return err;
      }
      row(view);
    }
    sqlite3_reset(*stmt);
    return true;
  }

  Result<std::int64_t> exec(std::string_view sql, const SqlParams& params) override {
    auto r = query(sql, params);
    if (!r) {
      return r.error();
    }
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  Result<bool> script(std::string_view sql) override {
    char* msg = nullptr;
    std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg != nullptr ? msg : "unknown error";
      sqlite3_free(msg);
      return makeError(ErrorCode::Io, "sqlite: " + m);
    }
    return true;
  }

  Result<bool> begin() override { return script("BEGIN IMMEDIATE"); }

 private:
  Error failure(const char* what) const {
    return makeError(ErrorCode::Io, std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_));
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql, const SqlParams& params) {
    std::string key(sql);
    sqlite3_stmt* s = nullptr;
    if (auto it = cache_.find(key); it != cache_.end()) {
      s = it->second;
    } else {
      if (sqlite3_prepare_v2(db_, key.data(), static_cast<int>(key.size()), &s, nullptr) !=
          SQLITE_OK) {
        return failure("prepare");
      }
      cache_.emplace(std::move(key), s);
    }
    sqlite3_clear_bindings(s);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(s, idx);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(s, idx, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(s, idx, *d);
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        if (auto bad = checkText(*t); !bad.empty()) {
          return makeError(ErrorCode::Invalid, bad);
        }
        rc = sqlite3_bind_text64(s, idx, t->data(), t->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        const Blob& b = std::get<Blob>(v);
        rc = sqlite3_bind_blob(s, idx, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) {
        return failure("bind");
      }
    }
    return s;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> openSqliteConnection(const std::string& path, bool wal) {
  // Create the file ourselves so that it is private from the first byte (it holds password
  // hashes and API key hashes); SQLite gives its -wal and -shm files the same mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return makeError(ErrorCode::Io, "sqlite: cannot open " + path + ": " + std::strerror(errno));
  }
  ::close(fd);

  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return makeError(ErrorCode::Io, "sqlite: cannot open " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, 10000);
  auto conn = std::make_unique<SqliteConnection>(db);
  std::string pragmas = "PRAGMA foreign_keys = ON;";
  pragmas += wal ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;" : "";
  if (auto r = conn->script(pragmas); !r) {
    return r.error();
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace cw::core::store::detail
