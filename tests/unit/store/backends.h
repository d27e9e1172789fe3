// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cw/core/store/store.h"

// The store tests run one body per backend: a fresh SQLite file in a temporary folder, or a
// fresh schema of the PostgreSQL database that scripts/postgres starts (conninfo from env
// CW_PG_CONNINFO, else <repo>/.cache/pg/conninfo). Without PostgreSQL the PostgreSQL half
// skips with the reason.
namespace cw::test {

/// A freshly opened, empty store plus what must be removed after the test.
class TestStore {
 public:
  /// Opens `backend` ("sqlite" or "postgres"); on failure store() is null and skipReason() says
  /// why.
  explicit TestStore(const std::string& backend) {
    TestStore& t = *this;
    if (backend == "sqlite") {
      t.dir_ = std::filesystem::temp_directory_path() /
               ("cw-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(next()));
      std::filesystem::create_directories(t.dir_);
      auto s = core::store::Store::openSqlite((t.dir_ / "crowdwall.db").string());
      if (s) {
        t.store_ = std::move(*s);
      } else {
        t.reason_ = s.error().message;
      }
      return;
    }
    const std::string base = pgConninfo();
    if (base.empty()) {
      t.reason_ = "no conninfo: run scripts/postgres";
      return;
    }
    t.schema_ = "cwtest_" + std::to_string(::getpid()) + "_" + std::to_string(next());
    if (auto err = admin(base, "CREATE SCHEMA " + t.schema_); !err.empty()) {
      t.reason_ = err;
      t.schema_.clear();
      return;
    }
    t.base_ = base;
    auto s = core::store::Store::openPostgres(withSchema(base, t.schema_), 4);
    if (s) {
      t.store_ = std::move(*s);
    } else {
      t.reason_ = s.error().message;
    }
  }
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;
  ~TestStore() { cleanup(); }

  /// Another Store on the same database (a second process would see the same).
  std::unique_ptr<core::store::Store> reopen() const {
    auto s = schema_.empty() ? core::store::Store::openSqlite((dir_ / "crowdwall.db").string())
                             : core::store::Store::openPostgres(withSchema(base_, schema_), 2);
    return s ? std::move(*s) : nullptr;
  }

  /// Runs SQL statements on the test database behind the Store's back (to fake an older
  /// schema); returns the error text, "" when it worked.
  std::string execRaw(const std::string& sql) const {
    if (schema_.empty()) {
      sqlite3* db = nullptr;
      if (sqlite3_open((dir_ / "crowdwall.db").c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        return "cannot open the sqlite file";
      }
      char* msg = nullptr;
      std::string err;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        err = msg != nullptr ? msg : "error";
      }
      sqlite3_free(msg);
      sqlite3_close(db);
      return err;
    }
    return admin(base_, "SET search_path = " + schema_ + "; " + sql);
  }

  core::store::Store* store() const { return store_.get(); }
  const std::string& skipReason() const { return reason_; }
  std::filesystem::path sqlitePath() const { return dir_ / "crowdwall.db"; }

 private:
  static int next() {
    static std::atomic<int> n{0};
    return ++n;
  }

  static std::string pgConninfo() {
    if (const char* env = std::getenv("CW_PG_CONNINFO"); env != nullptr && *env != '\0') {
      return env;
    }
    const char* dir = std::getenv("CW_PG_DIR");
    std::ifstream in(dir != nullptr ? std::string(dir) + "/conninfo"
                                    : std::string(CW_SOURCE_DIR) + "/.cache/pg/conninfo");
    std::string line;
    std::getline(in, line);
    return line;
  }

  static std::string withSchema(const std::string& base, const std::string& schema) {
    return base + " options='-csearch_path=" + schema + "'";
  }

  /// Runs one statement on a direct connection; returns the error text ("" when it worked).
  static std::string admin(const std::string& conninfo, const std::string& sql) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string m = PQerrorMessage(c);
      PQfinish(c);
      while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) {
        m.pop_back();
      }
      std::replace(m.begin(), m.end(), '\n', ' ');  // one line for the skip report
      std::replace(m.begin(), m.end(), '\t', ' ');
      return "cannot connect: " + m;
    }
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
    PGresult* r = PQexec(c, sql.c_str());
    std::string err =
        PQresultStatus(r) == PGRES_COMMAND_OK ? "" : std::string(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return err;
  }

  void cleanup() {
    store_.reset();
    if (!schema_.empty()) {
      admin(base_, "DROP SCHEMA " + schema_ + " CASCADE");
      schema_.clear();
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  std::unique_ptr<core::store::Store> store_;
  std::string reason_;
  std::filesystem::path dir_;
  std::string base_;
  std::string schema_;
};

}  // namespace cw::test

/// Declares `ts` (TestStore) and `store` (Store*) for the backend GENERATE picked, or WARNs
/// "skipped: ..." and leaves the test case when that backend is unavailable.
#define CW_STORE_BACKEND()                                                                 \
  const std::string backend = GENERATE(as<std::string>{}, "sqlite", "postgres");           \
  cw::test::TestStore ts(backend);                                                         \
  if (ts.store() == nullptr) {                                                             \
    if (backend == "postgres") {                                                           \
      WARN("skipped: PostgreSQL not available (" << ts.skipReason().substr(0, 40) << ")"); \
      return;                                                                              \
    }                                                                                      \
    FAIL("cannot open " << backend << ": " << ts.skipReason());                            \
  }                                                                                        \
  cw::core::store::Store* store = ts.store();                                              \
  INFO("backend " << backend)
