// SPDX-License-Identifier: Apache-2.0
// Acquisition plugin `journalctl` (acquisition.md section 3), reading the journal with
// libsystemd's sd-journal instead of running journalctl: the same filters (the matches and
// the journalctl options that select entries or journals), each entry formatted as
// journalctl's default "short" output ("Mon DD HH:MM:SS host ident[pid]: message").
// Tail mode starts at the end, or after the cursor saved in the state folder at the last
// stop; cat mode and the journalctl:// DSN read from the start (or `since`) to the end.
#include <systemd/sd-journal.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cw/sdk/plugin.h"

namespace cw::plugins::acquisition::journald {
namespace {

std::string errText(int r) { return std::strerror(r < 0 ? -r : r); }

struct Options {
  std::vector<std::string> filters;  // as written, for Line.Src
  std::vector<std::string> matches;  // FIELD=value, or "+" for a disjunction
  std::vector<std::string> files;    // --file
  std::string directory;             // --directory
  bool cat = false;
  std::uint64_t since_usec = 0;  // cat mode: entries at or after this realtime
  std::string state_dir;
};

std::string percentDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// "YYYY-MM-DD[ HH:MM:SS]" (local time) or "-N{s,m,h,d}" relative to now; 0 = invalid.
std::uint64_t parseSince(const std::string& text) {
  if (!text.empty() && text[0] == '-') {
    char* end = nullptr;
    long long n = std::strtoll(text.c_str() + 1, &end, 10);
    std::string unit(end);
    long long mult = unit == "s"   ? 1
                     : unit == "m" ? 60
                     : unit == "h" ? 3600
                     : unit == "d" ? 86400
                                   : 0;
    if (n <= 0 || mult == 0) {
      return 0;
    }
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    return static_cast<std::uint64_t>(now - n * mult * 1000000);
  }
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') {
    tm = std::tm{};
    end = ::strptime(text.c_str(), "%Y-%m-%d", &tm);
    if (end == nullptr || *end != '\0') {
      return 0;
    }
  }
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  return t < 0 ? 0 : static_cast<std::uint64_t>(t) * 1000000;
}

/// One journalctl argument into Options; false + error when not understood.
void addFilter(const std::string& f, std::vector<std::string>& args, std::size_t& i, Options& o,
               cw::sdk::Errors& errors) {
  auto value = [&](const std::string& opt) -> std::string {
    if (f.size() > opt.size() && f.compare(0, opt.size() + 1, opt + "=") == 0) {
      return f.substr(opt.size() + 1);
    }
    if (i + 1 < args.size()) {
      return args[++i];
    }
    errors.push_back("journalctl_filter: " + opt + " needs a value");
    return "";
  };
  auto is = [&](const char* s, const char* l) {
    return f == s || f == l || f.rfind(std::string(l) + "=", 0) == 0;
  };
  if (f == "+") {
    o.matches.push_back("+");
  } else if (is("-u", "--unit")) {
    std::string u = value("--unit");
    if (!u.empty() && u.find('.') == std::string::npos) {
      u += ".service";
    }
    o.matches.push_back("_SYSTEMD_UNIT=" + u);
  } else if (is("-t", "--identifier")) {
    o.matches.push_back("SYSLOG_IDENTIFIER=" + value("--identifier"));
  } else if (is("-D", "--directory")) {
    o.directory = value("--directory");
  } else if (is("--file", "--file")) {
    o.files.push_back(value("--file"));
  } else if (f == "--follow" || f == "-f" || f == "--no-pager" || f == "-q" || f == "--quiet") {
    // journalctl display options, meaningless here
  } else if (!f.empty() && f[0] != '-' && f.find('=') != std::string::npos && f.find('=') > 0) {
    o.matches.push_back(f);
  } else {
    errors.push_back("journalctl_filter: '" + f +
                     "' is not a FIELD=value match or a "
                     "supported option (-u, -t, -D, --file, +)");
  }
}

class JournalSource : public cw::sdk::Source {
 public:
  static std::unique_ptr<JournalSource> create(const cw::sdk::SourceConfig& config,
                                               cw::sdk::Errors& errors) {
    auto s = std::make_unique<JournalSource>();
    Options& o = s->opts_;
    o.cat = config.mode == CW_MODE_CAT;
    o.state_dir = std::string(config.state_dir);
    std::vector<std::string> args;
    if (!config.dsn.empty()) {
      const std::string dsn(config.dsn);
      const std::string prefix = "journalctl://";
      if (dsn.rfind(prefix, 0) != 0) {
        errors.push_back("DSN '" + dsn + "' does not start with journalctl://");
        return nullptr;
      }
      o.cat = true;
      std::stringstream qs(dsn.substr(prefix.size()));
      std::string kv;
      while (std::getline(qs, kv, '&')) {
        std::size_t eq = kv.find('=');
        const std::string k = kv.substr(0, eq);
        const std::string v = eq == std::string::npos ? "" : percentDecode(kv.substr(eq + 1));
        if (k == "filters") {
          args.push_back(v);
        } else if (k == "since") {
          o.since_usec = parseSince(v);
          if (o.since_usec == 0) {
            errors.push_back("DSN since '" + v + "' is not YYYY-MM-DD[ HH:MM:SS] or -N[smhd]");
          }
        } else if (k != "log_level") {
          errors.push_back("DSN: unknown query key '" + k + "'");
        }
      }
    } else {
      YAML::Node doc;
      try {
        doc = YAML::Load(std::string(config.yaml));
      } catch (const YAML::Exception& e) {
        errors.push_back(std::string("invalid YAML: ") + e.what());
        return nullptr;
      }
      for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string key = it->first.Scalar();
        const YAML::Node v = it->second;
        if (key == "journalctl_filter" && v.IsSequence()) {
          for (std::size_t i = 0; i < v.size(); ++i) {
            args.push_back(v[i].IsScalar() ? v[i].Scalar() : "");
          }
        } else if (key == "journalctl_filter") {
          errors.push_back("journalctl_filter must be a list");
        } else {
          errors.push_back("unknown key '" + key + "'");
        }
      }
    }
    if (args.empty()) {
      errors.push_back("journalctl_filter is required (e.g. [_SYSTEMD_UNIT=ssh.service])");
    }
    o.filters = args;
    for (std::size_t i = 0; i < args.size(); ++i) {
      addFilter(args[i], args, i, o, errors);
    }
    if (!o.directory.empty() && !o.files.empty()) {
      errors.push_back("journalctl_filter: --directory and --file exclude each other");
    }
    s->src_ = "journalctl-";
    for (std::size_t i = 0; i < args.size(); ++i) {
      s->src_ += (i == 0 ? "" : ".") + args[i];
    }
    return errors.empty() ? std::move(s) : nullptr;
  }

  ~JournalSource() override { stop(); }

  void start(cw::sdk::LineSink sink) override {
    sink_ = sink;
    sd_journal* j = nullptr;
    int r = 0;
    if (!opts_.directory.empty()) {
      r = sd_journal_open_directory(&j, opts_.directory.c_str(), 0);
    } else if (!opts_.files.empty()) {
      std::vector<const char*> paths;
      for (const auto& f : opts_.files) {
        paths.push_back(f.c_str());
      }
      paths.push_back(nullptr);
      r = sd_journal_open_files(&j, paths.data(), 0);
    } else {
      r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
    }
    if (r < 0) {
      throw std::runtime_error("cannot open the journal: " + errText(r));
    }
    for (const std::string& m : opts_.matches) {
      r = m == "+" ? sd_journal_add_disjunction(j) : sd_journal_add_match(j, m.data(), m.size());
      if (r < 0) {
        sd_journal_close(j);
        throw std::runtime_error("invalid match '" + m + "': " + errText(r));
      }
    }
    j_ = j;
    position();
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() override {
    if (!running_) {
      return;
    }
    running_ = false;
    if (thread_.joinable()) {
      thread_.join();
    }
    saveCursor();
    sd_journal_close(j_);
    j_ = nullptr;
  }

  cw::sdk::SourceCounters counters() const override {
    cw::sdk::SourceCounters c;
    c.lines = lines_.load();
    c.dropped = dropped_.load();
    c.errors = errors_.load();
    return c;
  }

 private:
  std::string cursorPath() const { return opts_.state_dir + "/cursor"; }

  /// Where reading starts: the saved cursor, the start (cat) or the end (tail).
  void position() {
    if (opts_.cat) {
      if (opts_.since_usec != 0) {
        sd_journal_seek_realtime_usec(j_, opts_.since_usec);
      } else {
        sd_journal_seek_head(j_);
      }
      return;
    }
    std::string cursor;
    if (!opts_.state_dir.empty()) {
      std::ifstream in(cursorPath());
      std::getline(in, cursor);
    }
    if (!cursor.empty() && sd_journal_seek_cursor(j_, cursor.c_str()) >= 0) {
      // The entry at the cursor was delivered before: skip it if it is still there.
      if (sd_journal_next(j_) > 0 && sd_journal_test_cursor(j_, cursor.c_str()) <= 0) {
        sd_journal_previous(j_);
      }
      have_entry_ = true;
      return;
    }
    sd_journal_seek_tail(j_);
    have_entry_ = sd_journal_previous(j_) > 0;
  }

  void saveCursor() {
    if (opts_.cat || opts_.state_dir.empty() || !have_entry_) {
      return;
    }
    char* cursor = nullptr;
    if (sd_journal_get_cursor(j_, &cursor) < 0) {
      return;
    }
    const std::string tmp = cursorPath() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << cursor << "\n";
    }
    std::free(cursor);
    std::rename(tmp.c_str(), cursorPath().c_str());
    last_save_ = std::chrono::steady_clock::now();
  }

  std::string_view field(const char* name) {
    const void* data = nullptr;
    std::size_t len = 0;
    if (sd_journal_get_data(j_, name, &data, &len) < 0) {
      return {};
    }
    std::string_view v(static_cast<const char*>(data), len);
    const std::size_t eq = v.find('=');
    return eq == std::string_view::npos ? std::string_view() : v.substr(eq + 1);
  }

  /// journalctl's "short" output of the current entry.
  bool format(std::string& out) {
    std::uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(j_, &usec) < 0) {
      return false;
    }
    std::string_view message = field("MESSAGE");
    if (message.data() == nullptr) {
      return false;
    }
    out.clear();
    std::time_t t = static_cast<std::time_t>(usec / 1000000);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char stamp[32];
    std::size_t n = std::strftime(stamp, sizeof stamp, "%b %d %H:%M:%S", &tm);
    out.append(stamp, n);
    out.push_back(' ');
    std::string_view host = field("_HOSTNAME");
    out.append(host.empty() ? std::string_view("localhost") : host);
    out.push_back(' ');
    std::string_view ident = field("SYSLOG_IDENTIFIER");
    if (ident.empty()) {
      ident = field("_COMM");
    }
    out.append(ident.empty() ? std::string_view("unknown") : ident);
    std::string_view pid = field("_PID");
    if (pid.empty()) {
      pid = field("SYSLOG_PID");
    }
    if (!pid.empty()) {
      out.push_back('[');
      out.append(pid);
      out.push_back(']');
    }
    out.append(": ");
    out.append(message);
    while (!out.empty() && out.back() == '\n') {
      out.pop_back();
    }
    return true;
  }

  void run() {
    std::string line;
    while (running_) {
      int r = sd_journal_next(j_);
      if (r < 0) {
        errors_.fetch_add(1);
        cw::sdk::Host::log(CW_LOG_ERROR, "Cannot read the journal error=" + errText(r));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      if (r == 0) {
        if (opts_.cat) {
          break;
        }
        if (std::chrono::steady_clock::now() - last_save_ > std::chrono::seconds(1)) {
          saveCursor();
        }
        sd_journal_wait(j_, 200000);  // wakes on new entries or new journal files
        continue;
      }
      have_entry_ = true;
      if (!format(line)) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (sink_.emit(line, src_)) {
        lines_.fetch_add(1, std::memory_order_relaxed);
      } else {
        errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (opts_.cat) {
      sink_.finished();
    }
  }

  Options opts_;
  std::string src_;
  cw::sdk::LineSink sink_;
  sd_journal* j_ = nullptr;
  bool have_entry_ = false;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::chrono::steady_clock::time_point last_save_{};
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace
}  // namespace cw::plugins::acquisition::journald

CW_ACQUISITION_PLUGIN(cw::plugins::acquisition::journald::JournalSource, "crowdwall/journald",
                      "0.1", "journalctl", "journalctl")
