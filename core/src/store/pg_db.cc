// SPDX-License-Identifier: Apache-2.0
// PostgreSQL connection for the store (libpq). `?` placeholders become $1..$n; integers, reals
// and text travel as text with their type OID, 16-byte addresses as binary bytea.
#include <libpq-fe.h>

#include <cstdio>
#include <string>

#include "db.h"

namespace cw::core::store::detail {

namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kByteaOid = 17;

/// Replaces every `?` outside quoted literals by $1, $2...
std::string numberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') {
      quoted = !quoted;
    }
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

void ignoreNotice(void* /*arg*/, const char* /*message*/) {}

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::Postgres; }

  Result<Rows> query(std::string_view sql, const SqlParams& params) override {
    std::int64_t changed = 0;
    return run(sql, params, changed);
  }

  Result<std::int64_t> exec(std::string_view sql, const SqlParams& params) override {
    std::int64_t changed = 0;
    auto r = run(sql, params, changed);
    if (!r) {
      return r.error();
    }
    return changed;
  }

  Result<bool> script(std::string_view sql) override {
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string m = PQresultErrorMessage(res);
      PQclear(res);
      return makeError(ErrorCode::Io, "postgres: " + trim(m));
    }
    PQclear(res);
    return true;
  }

  Result<bool> begin() override { return script("BEGIN"); }

 private:
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
      s.pop_back();
    }
    return s;
  }

  Result<Rows> run(std::string_view sql, const SqlParams& params, std::int64_t& changed) {
    const std::string text = numberPlaceholders(sql);
    const std::size_t n = params.size();
    std::vector<std::string> storage(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0);
    std::vector<int> formats(n, 0);
    std::vector<Oid> types(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        continue;
      }
      if (const auto* k = std::get_if<std::int64_t>(&v)) {
        storage[i] = std::to_string(*k);
        types[i] = kInt8Oid;
      } else if (const auto* d = std::get_if<double>(&v)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        storage[i] = buf;
        types[i] = kFloat8Oid;
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        if (auto bad = checkText(*t); !bad.empty()) {
          return makeError(ErrorCode::Invalid, bad);
        }
        storage[i] = *t;
        types[i] = kTextOid;
      } else {
        const Blob& b = std::get<Blob>(v);
        storage[i].assign(reinterpret_cast<const char*>(b.data()), b.size());
        types[i] = kByteaOid;
        formats[i] = 1;
      }
      values[i] = storage[i].data();
      lengths[i] = static_cast<int>(storage[i].size());
    }
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(n), types.data(),
                                 values.data(), lengths.data(), formats.data(), 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string m = PQresultErrorMessage(res);
      PQclear(res);
      if (PQstatus(conn_) == CONNECTION_BAD) {
        PQreset(conn_);  // the next statement on this connection gets a fresh session
      }
      return makeError(ErrorCode::Io, "postgres: " + trim(m));
    }
    const int rows_n = PQntuples(res);
    const int cols_n = PQnfields(res);
    Rows rows(static_cast<std::size_t>(cols_n));
    for (int r = 0; r < rows_n; ++r) {
      for (int c = 0; c < cols_n; ++c) {
        if (PQgetisnull(res, r, c) != 0) {
          rows.push(std::nullopt);
        } else {
          rows.push(
              std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
        }
      }
    }
    const char* tuples = PQcmdTuples(res);
    changed = (tuples != nullptr && *tuples != '\0') ? std::stoll(tuples) : 0;
    PQclear(res);
    return rows;
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<Connection>> openPgConnection(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) {
    return makeError(ErrorCode::Io, "postgres: out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn);
    PQfinish(conn);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) {
      m.pop_back();
    }
    return makeError(ErrorCode::Io, "postgres: cannot connect: " + m);
  }
  PQsetNoticeProcessor(conn, ignoreNotice, nullptr);
  auto c = std::make_unique<PgConnection>(conn);
  if (auto r = c->script("SET TIME ZONE 'UTC'"); !r) {
    return r.error();
  }
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace cw::core::store::detail
