// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cw/core/common/result.h"

// The small SQL layer both stores are written on: a connection runs one statement with bound
// parameters and returns text cells. SQL is written once with `?` placeholders; the PostgreSQL
// connection renumbers them ($1, $2...). Values are always bound, never spliced into SQL.
namespace cw::core::store::detail {

/// 16-byte big-endian address (IpRange::start/end).
using Blob = std::array<std::uint8_t, 16>;

/// A bound parameter: NULL, integer, real, text or 16-byte blob.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;
using SqlParams = std::vector<SqlValue>;

/// Result rows as text cells (nullopt = NULL), row-major.
class Rows {
 public:
  explicit Rows(std::size_t columns = 0) : columns_(columns) {}

  std::size_t size() const { return columns_ == 0 ? 0 : cells_.size() / columns_; }
  bool empty() const { return size() == 0; }
  bool isNull(std::size_t row, std::size_t col) const { return !at(row, col).has_value(); }
  /// Text of a cell ("" for NULL).
  const std::string& text(std::size_t row, std::size_t col) const;
  /// Integer of a cell (0 for NULL or non-numeric).
  std::int64_t integer(std::size_t row, std::size_t col) const;
  /// Real of a cell (0 for NULL).
  double real(std::size_t row, std::size_t col) const;

  void setColumns(std::size_t n) { columns_ = n; }
  void push(std::optional<std::string> cell) { cells_.push_back(std::move(cell)); }

 private:
  const std::optional<std::string>& at(std::size_t row, std::size_t col) const {
    return cells_[row * columns_ + col];
  }

  std::size_t columns_;
  std::vector<std::optional<std::string>> cells_;
};

/// Empty when `text` may be stored: valid UTF-8 without NUL bytes (PostgreSQL refuses both,
/// so SQLite is held to the same rule); else why not.
std::string checkText(std::string_view text);

/// Which SQL dialect a connection speaks (DDL and a few expressions differ).
enum class Dialect { Sqlite, Postgres };

/// One row seen by Connection::each; its cells are valid until the callback returns.
class RowView {
 public:
  virtual ~RowView() = default;
  /// True when the cell is NULL.
  virtual bool isNull(int col) const = 0;
  /// Text of a cell ("" for NULL).
  virtual std::string_view text(int col) const = 0;
  /// Integer of a cell (0 for NULL or non-numeric).
  virtual std::int64_t integer(int col) const = 0;
};

/// One database connection. Not thread-safe: the Pool hands it to one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  /// Runs one statement; rows for SELECT / RETURNING, none otherwise.
  virtual Result<Rows> query(std::string_view sql, const SqlParams& params) = 0;
  /// Runs one SELECT and calls `row` on each row in turn, holding none of them (SQLite reads
  /// typed cells from the statement; the default goes through query()).
  virtual Result<bool> each(std::string_view sql, const SqlParams& params,
                            const std::function<void(const RowView&)>& row);
  /// Runs one statement and returns the number of rows it changed.
  virtual Result<std::int64_t> exec(std::string_view sql, const SqlParams& params) = 0;
  /// Runs statements separated by ';' without parameters (DDL).
  virtual Result<bool> script(std::string_view sql) = 0;
  /// Starts a write transaction (SQLite: BEGIN IMMEDIATE).
  virtual Result<bool> begin() = 0;
};

/// A fixed set of connections handed out one at a time; acquire() blocks while all are busy.
class Pool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

  /// Opens `size` connections with `factory` (at least 1).
  static Result<std::unique_ptr<Pool>> create(Factory factory, int size);

  /// A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(Pool* pool, Connection* c) : pool_(pool), c_(c) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), c_(o.c_) { o.c_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (c_ != nullptr) {
        pool_->release(c_);
      }
    }
    Connection* operator->() const { return c_; }
    Connection& operator*() const { return *c_; }

   private:
    Pool* pool_;
    Connection* c_;
  };

  Lease acquire();

 private:
  void release(Connection* c);

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> idle_;
};

/// Opens a SQLite file (created with mode 0600 when missing), foreign keys on, busy timeout,
/// WAL when `wal`.
Result<std::unique_ptr<Connection>> openSqliteConnection(const std::string& path, bool wal);

/// Opens a PostgreSQL connection with libpq.
Result<std::unique_ptr<Connection>> openPgConnection(const std::string& conninfo);

}  // namespace cw::core::store::detail
