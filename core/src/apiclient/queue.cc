// SPDX-License-Identifier: Apache-2.0
#include "cw/core/apiclient/queue.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

namespace cw::core::apiclient {
namespace {

Error sqliteError(sqlite3* db, const std::string& what) {
  return makeError(ErrorCode::Io, what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "?"));
}

// Finalizes a statement on every path.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

}  // namespace

struct AlertQueue::Impl {
  std::string path;
  sqlite3* db = nullptr;
  std::mutex mutex;  // one connection, used from the daemon's threads in turn

  ~Impl() {
    if (db != nullptr) {
      sqlite3_close(db);
    }
  }

  Result<bool> exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message != nullptr ? message : "?";
      sqlite3_free(message);
      return makeError(ErrorCode::Io, path + ": " + sql + ": " + text);
    }
    return true;
  }
};

AlertQueue::AlertQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlertQueue::~AlertQueue() = default;

const std::string& AlertQueue::path() const { return impl_->path; }

Result<std::unique_ptr<AlertQueue>> AlertQueue::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (sqlite3_open_v2(path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return sqliteError(impl->db, "cannot open alert queue " + path);
  }
  sqlite3_busy_timeout(impl->db, 5000);
  // WAL + synchronous=FULL: each commit is fsync'd before it returns, so a pushed alert
  // survives a crash or a power loss.
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
        "CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "body TEXT NOT NULL, queued_at INTEGER NOT NULL DEFAULT (strftime('%s','now')))"}) {
    auto ok = impl->exec(sql);
    if (!ok) {
      return ok.error();
    }
  }
  return std::unique_ptr<AlertQueue>(new AlertQueue(std::move(impl)));
}

Result<bool> AlertQueue::push(const std::vector<std::string>& alerts_json) {
  if (alerts_json.empty()) {
    return true;
  }
  std::lock_guard lock(impl_->mutex);
  auto ok = impl_->exec("BEGIN IMMEDIATE");
  if (!ok) {
    return ok.error();
  }
  Statement st;
  if (sqlite3_prepare_v2(impl_->db, "INSERT INTO alerts (body) VALUES (?)", -1, &st.stmt,
                         nullptr) != SQLITE_OK) {
    auto err = sqliteError(impl_->db, "alert queue insert");
    impl_->exec("ROLLBACK");
    return err;
  }
  for (const std::string& json : alerts_json) {
    sqlite3_bind_text(st.stmt, 1, json.data(), static_cast<int>(json.size()), SQLITE_STATIC);
    if (sqlite3_step(st.stmt) != SQLITE_DONE) {
      auto err = sqliteError(impl_->db, "alert queue insert");
      sqlite3_reset(st.stmt);
      impl_->exec("ROLLBACK");
      return err;
    }
    sqlite3_reset(st.stmt);
  }
  return impl_->exec("COMMIT");
}

Result<std::vector<QueuedAlert>> AlertQueue::peek(std::size_t max) {
  std::lock_guard lock(impl_->mutex);
  Statement st;
  if (sqlite3_prepare_v2(impl_->db, "SELECT id, body FROM alerts ORDER BY id LIMIT ?", -1, &st.stmt,
                         nullptr) != SQLITE_OK) {
    return sqliteError(impl_->db, "alert queue read");
  }
  sqlite3_bind_int64(st.stmt, 1, static_cast<sqlite3_int64>(max));
  std::vector<QueuedAlert> out;
  int rc = 0;
  while ((rc = sqlite3_step(st.stmt)) == SQLITE_ROW) {
    QueuedAlert q;
    q.id = sqlite3_column_int64(st.stmt, 0);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.stmt, 1));
    q.json.assign(text != nullptr ? text : "",
                  static_cast<std::size_t>(sqlite3_column_bytes(st.stmt, 1)));
    out.push_back(std::move(q));
  }
  if (rc != SQLITE_DONE) {
    return sqliteError(impl_->db, "alert queue read");
  }
  return out;
}

Result<bool> AlertQueue::remove(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) {
    return true;
  }
  std::lock_guard lock(impl_->mutex);
  auto ok = impl_->exec("BEGIN IMMEDIATE");
  if (!ok) {
    return ok.error();
  }
  Statement st;
  if (sqlite3_prepare_v2(impl_->db, "DELETE FROM alerts WHERE id = ?", -1, &st.stmt, nullptr) !=
      SQLITE_OK) {
    auto err = sqliteError(impl_->db, "alert queue delete");
    impl_->exec("ROLLBACK");
    return err;
  }
  for (const std::int64_t id : ids) {
    sqlite3_bind_int64(st.stmt, 1, id);
    if (sqlite3_step(st.stmt) != SQLITE_DONE) {
      auto err = sqliteError(impl_->db, "alert queue delete");
      sqlite3_reset(st.stmt);
      impl_->exec("ROLLBACK");
      return err;
    }
    sqlite3_reset(st.stmt);
  }
  return impl_->exec("COMMIT");
}

Result<std::size_t> AlertQueue::size() {
  std::lock_guard lock(impl_->mutex);
  Statement st;
  if (sqlite3_prepare_v2(impl_->db, "SELECT count(*) FROM alerts", -1, &st.stmt, nullptr) !=
          SQLITE_OK ||
      sqlite3_step(st.stmt) != SQLITE_ROW) {
    return sqliteError(impl_->db, "alert queue count");
  }
  return static_cast<std::size_t>(sqlite3_column_int64(st.stmt, 0));
}

}  // namespace cw::core::apiclient
