// SPDX-License-Identifier: Apache-2.0
#pragma once

// CrowdSec 1.4.6's own Local API (from the reference sandbox that scripts/reference-crowdsec
// builds into .cache/reference), run LAPI-only in a temporary folder with its own sqlite file,
// for tests of our client against the real server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cw::test {

/// A TCP port nothing listens on right now (bound to port 0, then released).
inline int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// True once something accepts TCP connections on 127.0.0.1:port.
inline bool portOpen(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

/// Runs `argv` to completion with output in `log`; returns the exit status (-1 if not run).
inline int run(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* out = std::freopen(log.c_str(), "a", stdout);
    (void)out;
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Rows of an SQL query on an sqlite file, each row's columns joined with '|'.
inline std::vector<std::string> sqliteRows(const std::string& db_path, const std::string& sql) {
  std::vector<std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        if (c != 0) {
          row += '|';
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
        row += text != nullptr ? text : "";
      }
      rows.push_back(row);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

class ReferenceLapi {
 public:
  /// Why the reference cannot run here, or nullopt when it can.
  static std::optional<std::string> missing() {
    if (!std::filesystem::exists(bin("crowdsec")) ||
        !std::filesystem::exists(root() + "/cs/etc/config.yaml")) {
      return "CrowdSec 1.4.6 reference sandbox not found in " + root() +
             " (run scripts/reference-crowdsec)";
    }
    return std::nullopt;
  }

  static std::string root() { return std::string(CW_SOURCE_DIR) + "/.cache/reference"; }
  static std::string bin(const std::string& name) { return root() + "/debs/usr/bin/" + name; }

  /// Prepares a config in a fresh temporary folder and adds machine `login`/`password`.
  ReferenceLapi(const std::string& login, const std::string& password) {
    namespace fs = std::filesystem;
    dir_ = (fs::temp_directory_path() /
            ("cw-reflapi-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++)))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/log");
    port_ = freePort();
    std::ifstream in(root() + "/cs/etc/config.yaml");
    std::string line;
    std::ostringstream out;
    while (std::getline(in, line)) {
      const auto key = line.find_first_not_of(' ');
      const std::string rest = key == std::string::npos ? "" : line.substr(key);
      const std::string indent = line.substr(0, key == std::string::npos ? 0 : key);
      if (rest.rfind("db_path:", 0) == 0) {
        line = indent + "db_path: " + db();
      } else if (rest.rfind("listen_uri:", 0) == 0) {
        line = indent + "listen_uri: 127.0.0.1:" + std::to_string(port_);
      } else if (rest.rfind("log_dir:", 0) == 0) {
        line = indent + "log_dir: " + dir_ + "/log/";
      } else if (rest.rfind("credentials_path:", 0) == 0) {
        line = indent + "credentials_path: " + dir_ + "/credentials.yaml";
      } else if (rest.rfind("enabled: true", 0) == 0) {
        line = indent + "enabled: false";  // prometheus: no fixed port
      }
      out << line << '\n';
    }
    std::ofstream(config()) << out.str();
    run({bin("cscli"), "-c", config(), "--error", "machines", "add", login, "-p", password, "-f",
         dir_ + "/credentials.yaml"},
        dir_ + "/cscli.log");
  }

  ~ReferenceLapi() {
    stop();
    std::filesystem::remove_all(dir_);
  }

  /// Starts `crowdsec -no-cs -no-capi` and waits until it listens (10 s at most).
  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::FILE* out = std::freopen((dir_ + "/crowdsec.out").c_str(), "a", stdout);
      (void)out;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      const std::string b = bin("crowdsec");
      const std::string c = config();
      ::execl(b.c_str(), b.c_str(), "-c", c.c_str(), "-no-cs", "-no-capi",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (portOpen(port_)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int port() const { return port_; }
  std::string db() const { return dir_ + "/crowdsec.db"; }
  std::string config() const { return dir_ + "/config.yaml"; }
  const std::string& dir() const { return dir_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace cw::test
