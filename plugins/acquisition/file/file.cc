// SPDX-License-Identifier: Apache-2.0
// Acquisition plugin `file` (acquisition.md section 2): follows files matched by globs, or
// reads them once (cat mode, file:// DSN).
//
// One thread per source. inotify on the patterns' folders only wakes the thread; every wake
// (or poll tick) runs a pass that reads each followed file to its end and checks it for
// rotation, so the polling fallback is the same code with a timer. Rotation:
// - rename + create: the old descriptor is drained to its end before the new file is opened
//   from its start, so no line is lost or read twice;
// - truncation (copytruncate): the rotated copy (a sibling whose bytes before our position
//   match what we read last) gives the lines we had not read yet, then the file restarts at 0.
// Positions (device, inode, offset) are saved in the source's state folder at stop and every
// second, and resumed at start (a file rotated while we were stopped is found by its inode).
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <re2/re2.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cw/sdk/plugin.h"

namespace cw::plugins::acquisition::file {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 256 * 1024;
constexpr std::size_t kFingerprint = 64;

std::string errnoText() { return std::strerror(errno); }

struct Options {
  std::vector<std::string> patterns;
  std::vector<std::unique_ptr<RE2>> excludes;
  bool cat = false;
  bool polling = false;      // poll_without_inotify
  bool polling_set = false;  // given explicitly (else: polling on network filesystems)
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds discovery_interval{30000};
  bool discovery = true;
  std::size_t max_line = 1024 * 1024;
  bool split_long = false;  // long_lines: split (else drop)
  std::string state_dir;
};

/// One followed file.
struct Tailed {
  std::string path;
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t read_pos = 0;   // bytes read from fd
  off_t committed = 0;  // bytes of complete lines consumed
  std::string buf;      // bytes read and not consumed (a partial line)
  bool discarding = false;
  bool splitting = false;  // pieces of a long line were emitted, its end not yet read
  std::string fp;          // last bytes before `committed`
  Clock::time_point missing_since{};
  bool missing = false;
};

struct SavedPos {
  dev_t dev;
  ino_t ino;
  off_t offset;
  std::string fp;
};

std::string hexEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string hexDecode(const std::string& s) {
  std::string out;
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<char>(v(s[i]) * 16 + v(s[i + 1])));
  }
  return out;
}

bool isNetworkFs(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0x6969UL:      // NFS
    case 0x517BUL:      // SMB
    case 0xFF534D42UL:  // CIFS
    case 0xFE534D42UL:  // SMB2
    case 0x65735546UL:  // FUSE (sshfs and others)
    case 0x564c:        // NCP
    case 0x6B414653UL:  // AFS
    case 0x01021997UL:  // 9P
    case 0x47504653UL:  // GPFS
    case 0x0BD00BD0UL:  // Lustre
    case 0x00C36400UL:  // CephFS
      return true;
    default:
      return false;
  }
}

class FileSource : public cw::sdk::Source {
 public:
  static std::unique_ptr<FileSource> create(const cw::sdk::SourceConfig& config,
                                            cw::sdk::Errors& errors) {
    auto s = std::make_unique<FileSource>();
    Options& o = s->opts_;
    o.state_dir = std::string(config.state_dir);
    o.cat = config.mode == CW_MODE_CAT;
    if (!config.dsn.empty()) {
      parseDsn(std::string(config.dsn), o, errors);
    } else {
      parseYaml(std::string(config.yaml), o, errors);
    }
    if (o.cat && errors.empty()) {
      std::vector<std::string> files = s->expand();
      if (files.empty()) {
        errors.push_back("no file matches " + join(o.patterns));
      }
    }
    return errors.empty() ? std::move(s) : nullptr;
  }

  ~FileSource() override { stop(); }

  void start(cw::sdk::LineSink sink) override {
    sink_ = sink;
    if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error("pipe: " + errnoText());
    }
    running_ = true;
    if (opts_.cat) {
      thread_ = std::thread([this] { runCat(); });
      return;
    }
    for (const std::string& p : opts_.patterns) {
      if (expand({p}).empty()) {  // a typo, or a log not written yet: said, not silent
        cw::sdk::Host::log(CW_LOG_WARN, "No file matches pattern=" + p);
      }
    }
    setupTail();
    thread_ = std::thread([this] { runTail(); });
  }

  void stop() override {
    if (!running_) {
      return;
    }
    running_ = false;
    char c = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_pipe_[1], &c, 1);
    if (thread_.joinable()) {
      thread_.join();
    }
    if (!opts_.cat) {
      savePositions();
    }
    closeState();
    for (auto& t : tailed_) {
      if (t.fd >= 0) {
        ::close(t.fd);
      }
    }
    tailed_.clear();
    if (inotify_fd_ >= 0) {
      ::close(inotify_fd_);
      inotify_fd_ = -1;
    }
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }

  cw::sdk::SourceCounters counters() const override {
    cw::sdk::SourceCounters c;
    c.lines = lines_.load();
    c.dropped = dropped_.load();
    c.errors = errors_.load();
    c.split = split_.load();
    return c;
  }

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
      out += (out.empty() ? "" : ", ") + s;
    }
    return out;
  }

  static void addExclude(const std::string& re, Options& o, cw::sdk::Errors& errors) {
    auto r = std::make_unique<RE2>(re, RE2::Quiet);
    if (!r->ok()) {
      errors.push_back("exclude_regexps: invalid regexp '" + re + "': " + r->error());
      return;
    }
    o.excludes.push_back(std::move(r));
  }

  static void parseYaml(const std::string& text, Options& o, cw::sdk::Errors& errors) {
    YAML::Node doc;
    try {
      doc = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      errors.push_back(std::string("invalid YAML: ") + e.what());
      return;
    }
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string key = it->first.Scalar();
      const YAML::Node v = it->second;
      try {
        if (key == "filename") {
          o.patterns.push_back(v.as<std::string>());
        } else if (key == "filenames") {
          for (std::size_t i = 0; i < v.size(); ++i) {
            o.patterns.push_back(v[i].as<std::string>());
          }
        } else if (key == "exclude_regexps") {
          for (std::size_t i = 0; i < v.size(); ++i) {
            addExclude(v[i].as<std::string>(), o, errors);
          }
        } else if (key == "poll_without_inotify") {
          o.polling = v.as<bool>();
          o.polling_set = true;
        } else if (key == "force_inotify") {
          (void)v.as<bool>();  // parent folders are always watched when they exist
        } else if (key == "discovery_poll_enable") {
          o.discovery = v.as<bool>();
        } else if (key == "discovery_poll_interval" || key == "poll_interval") {
          auto parsed = cw::sdk::parseDuration(v.as<std::string>());
          const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(
              parsed.value_or(std::chrono::nanoseconds(0)));
          if (d.count() <= 0) {
            errors.push_back(key + ": '" + v.as<std::string>() +
                             "' is not a positive duration (250ms, 2s, 1m)");
          } else if (key == "poll_interval") {
            o.poll_interval = d;
          } else {
            o.discovery_interval = d;
          }
        } else if (key == "max_buffer_size" || key == "max_line_length") {
          long long n = v.as<long long>();
          if (n <= 0) {
            errors.push_back(key + " must be positive");
          } else {
            o.max_line = static_cast<std::size_t>(n);
          }
        } else if (key == "long_lines") {
          std::string m = v.as<std::string>();
          if (m != "split" && m != "drop") {
            errors.push_back("long_lines: '" + m + "' is not split or drop");
          }
          o.split_long = m == "split";
        } else {
          errors.push_back("unknown key '" + key + "'");
        }
      } catch (const YAML::Exception&) {
        errors.push_back(key + ": wrong type");
      }
    }
    if (o.patterns.empty()) {
      errors.push_back("filename or filenames is required");
    }
  }

  static void parseDsn(const std::string& dsn, Options& o, cw::sdk::Errors& errors) {
    const std::string prefix = "file://";
    if (dsn.rfind(prefix, 0) != 0) {
      errors.push_back("DSN '" + dsn + "' does not start with file://");
      return;
    }
    std::string rest = dsn.substr(prefix.size());
    std::string query;
    if (std::size_t q = rest.find('?'); q != std::string::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (rest.empty()) {
      errors.push_back("DSN '" + dsn + "' has no path");
      return;
    }
    o.patterns.push_back(rest);
    o.cat = true;
    std::stringstream qs(query);
    std::string kv;
    while (std::getline(qs, kv, '&')) {
      if (kv.empty()) {
        continue;
      }
      std::size_t eq = kv.find('=');
      std::string k = kv.substr(0, eq);
      std::string v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (k == "log_level") {
        continue;
      }
      if (k == "max_buffer_size") {
        char* end = nullptr;
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n <= 0) {
          errors.push_back("DSN max_buffer_size '" + v + "' is not a positive number");
        } else {
          o.max_line = static_cast<std::size_t>(n);
        }
        continue;
      }
      errors.push_back("DSN: unknown query key '" + k + "'");
    }
  }

  bool excluded(const std::string& path) const {
    return std::any_of(opts_.excludes.begin(), opts_.excludes.end(),
                       [&](const auto& r) { return RE2::PartialMatch(path, *r); });
  }

  std::vector<std::string> expand() const { return expand(opts_.patterns); }

  std::vector<std::string> expand(const std::vector<std::string>& patterns) const {
    std::set<std::string> out;
    for (const std::string& p : patterns) {
      glob_t g{};
      if (::glob(p.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
          std::string path = g.gl_pathv[i];
          struct stat st {};
          if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && !excluded(path)) {
            out.insert(path);
          }
        }
      }
      ::globfree(&g);
    }
    return {out.begin(), out.end()};
  }

  // ---- line splitting ------------------------------------------------------------------

  void emitLine(std::string_view line, const std::string& src) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      return;
    }
    if (sink_.emit(line, src)) {
      lines_.fetch_add(1, std::memory_order_relaxed);
    } else {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  /// Consumes the complete lines of t.buf; with `eof_flush` also a last partial line.
  void consume(Tailed& t, bool eof_flush) {
    std::string& b = t.buf;
    std::size_t pos = 0;
    const std::size_t max = opts_.max_line;
    while (pos < b.size()) {
      const char* nl = static_cast<const char*>(std::memchr(b.data() + pos, '\n', b.size() - pos));
      if (nl == nullptr) {
        std::size_t left = b.size() - pos;
        if (t.discarding) {
          pos = b.size();
        } else if (left > max) {
          if (opts_.split_long) {
            if (!t.splitting) {
              split_.fetch_add(1, std::memory_order_relaxed);
              t.splitting = true;
            }
            while (b.size() - pos > max) {
              emitLine(std::string_view(b.data() + pos, max), t.path);
              pos += max;
            }
            continue;
          }
          t.discarding = true;
          dropped_.fetch_add(1, std::memory_order_relaxed);
          pos = b.size();
        } else if (eof_flush) {
          emitLine(std::string_view(b.data() + pos, left), t.path);
          pos = b.size();
          t.splitting = false;
        }
        break;
      }
      std::size_t len = static_cast<std::size_t>(nl - (b.data() + pos));
      if (t.discarding) {
        t.discarding = false;
      } else if (t.splitting) {
        // The rest of a line already split: its last piece (the count was taken).
        std::size_t p = pos;
        while (p + max < pos + len) {
          emitLine(std::string_view(b.data() + p, max), t.path);
          p += max;
        }
        emitLine(std::string_view(b.data() + p, pos + len - p), t.path);
        t.splitting = false;
      } else if (len > max && !(len == max + 1 && b[pos + len - 1] == '\r')) {
        if (opts_.split_long) {
          std::size_t p = pos;
          while (p + max < pos + len) {
            emitLine(std::string_view(b.data() + p, max), t.path);
            p += max;
          }
          split_.fetch_add(1, std::memory_order_relaxed);
          emitLine(std::string_view(b.data() + p, pos + len - p), t.path);
        } else {
          dropped_.fetch_add(1, std::memory_order_relaxed);
        }
      } else {
        emitLine(std::string_view(b.data() + pos, len), t.path);
      }
      pos += len + 1;
    }
    // Fingerprint: the last bytes consumed.
    if (pos >= kFingerprint) {
      t.fp.assign(b.data() + pos - kFingerprint, kFingerprint);
    } else if (pos > 0) {
      t.fp.append(b.data(), pos);
      if (t.fp.size() > kFingerprint) {
        t.fp.erase(0, t.fp.size() - kFingerprint);
      }
    }
    if (t.discarding) {
      t.committed = t.read_pos;  // a partial long line is skipped for good
    } else {
      t.committed = t.read_pos - static_cast<off_t>(b.size() - pos);
    }
    b.erase(0, pos);
  }

  /// Reads `fd` from t.read_pos to its end. Returns false on a read error.
  bool readToEnd(Tailed& t, int fd) {
    for (;;) {
      const std::size_t old = t.buf.size();
      t.buf.resize(old + kChunk);
      ssize_t n = ::pread(fd, t.buf.data() + old, kChunk, t.read_pos);
      if (n < 0 && errno == EINTR) {
        t.buf.resize(old);
        continue;
      }
      if (n <= 0) {
        t.buf.resize(old);
        if (n < 0) {
          errors_.fetch_add(1, std::memory_order_relaxed);
          cw::sdk::Host::log(CW_LOG_ERROR,
                             "Cannot read file path=" + t.path + " error=" + errnoText());
          return false;
        }
        return true;
      }
      t.buf.resize(old + static_cast<std::size_t>(n));
      t.read_pos += n;
      consume(t, false);
      if (!running_) {
        return true;
      }
    }
  }

  // ---- cat mode ------------------------------------------------------------------------

  void catFile(const std::string& path) {
    Tailed t;
    t.path = path;
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
      gzFile gz = ::gzopen(path.c_str(), "rb");
      if (gz == nullptr) {
        errors_.fetch_add(1);
        cw::sdk::Host::log(CW_LOG_ERROR, "Cannot open file path=" + path);
        return;
      }
      for (;;) {
        const std::size_t old = t.buf.size();
        t.buf.resize(old + kChunk);
        int n = ::gzread(gz, t.buf.data() + old, static_cast<unsigned>(kChunk));
        if (n <= 0) {
          t.buf.resize(old);
          if (n < 0) {
            errors_.fetch_add(1);
          }
          break;
        }
        t.buf.resize(old + static_cast<std::size_t>(n));
        t.read_pos += n;
        consume(t, false);
      }
      ::gzclose(gz);
      consume(t, true);
      return;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      errors_.fetch_add(1);
      cw::sdk::Host::log(CW_LOG_ERROR, "Cannot open file path=" + path + " error=" + errnoText());
      return;
    }
    readToEnd(t, fd);
    consume(t, true);
    ::close(fd);
  }

  void runCat() {
    for (const std::string& path : expand()) {
      if (!running_) {
        break;
      }
      catFile(path);
    }
    sink_.finished();
  }

  // ---- tail mode -----------------------------------------------------------------------

  std::string statePath() const { return opts_.state_dir + "/positions"; }

  std::map<std::string, SavedPos> loadPositions(bool& had_state) const {
    std::map<std::string, SavedPos> out;
    had_state = false;
    if (opts_.state_dir.empty()) {
      return out;
    }
    std::ifstream in(statePath());
    if (!in) {
      return out;
    }
    had_state = true;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      unsigned long long dev = 0;
      unsigned long long ino = 0;
      long long off = 0;
      std::string fp;
      std::string path;
      if (ls >> dev >> ino >> off >> fp && std::getline(ls >> std::ws, path)) {
        out[path] = SavedPos{static_cast<dev_t>(dev), static_cast<ino_t>(ino),
                             static_cast<off_t>(off), fp == "-" ? "" : hexDecode(fp)};
      }
    }
    return out;
  }

  void savePositions() {
    if (opts_.state_dir.empty()) {
      return;
    }
    std::string& text = save_text_;  // reused: no allocation per pass once grown
    text.clear();
    for (const auto& t : tailed_) {
      text += std::to_string(static_cast<unsigned long long>(t.dev)) + " " +
              std::to_string(static_cast<unsigned long long>(t.ino)) + " " +
              std::to_string(static_cast<long long>(t.committed)) + " " +
              (t.fp.empty() ? "-" : hexEncode(t.fp)) + " " + t.path + "\n";
    }
    if (saved_once_ && text == saved_text_) {
      return;  // unchanged since the last save
    }
    // Usually one pwrite() over the file this run wrote: the same lines, padded with empty
    // lines (skipped when read) to the file's size. Within one page it cannot be torn by a
    // kill; otherwise (first save, larger state, a failed write) a new file is renamed in.
    if (state_fd_ >= 0 && text.size() <= kInPlaceStateMax) {
      pad_text_.assign(text);
      if (pad_text_.size() < state_size_) {
        pad_text_.append(state_size_ - pad_text_.size(), '\n');
      }
      if (::pwrite(state_fd_, pad_text_.data(), pad_text_.size(), 0) ==
          static_cast<ssize_t>(pad_text_.size())) {
        state_size_ = pad_text_.size();
        saved_text_.swap(save_text_);
        return;
      }
    }
    closeState();
    const std::string tmp = statePath() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << text;
      if (!out) {
        errors_.fetch_add(1);
        return;
      }
    }
    if (std::rename(tmp.c_str(), statePath().c_str()) != 0) {
      errors_.fetch_add(1);
      return;
    }
    state_fd_ = ::open(statePath().c_str(), O_WRONLY | O_CLOEXEC);
    state_size_ = text.size();
    saved_text_.swap(save_text_);
    saved_once_ = true;
  }

  void closeState() {
    if (state_fd_ >= 0) {
      ::close(state_fd_);
      state_fd_ = -1;
    }
  }

  bool following(const std::string& path) const {
    return std::any_of(tailed_.begin(), tailed_.end(),
                       [&](const Tailed& t) { return t.path == path; });
  }

  /// Opens `path` and follows it from `offset` (-1 = its end).
  void follow(const std::string& path, off_t offset, const std::string& fp) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      errors_.fetch_add(1);
      cw::sdk::Host::log(CW_LOG_ERROR, "Cannot open file path=" + path + " error=" + errnoText());
      return;
    }
    struct stat st {};
    ::fstat(fd, &st);
    Tailed t;
    t.path = path;
    t.fd = fd;
    t.dev = st.st_dev;
    t.ino = st.st_ino;
    t.read_pos = offset < 0 || offset > st.st_size ? (offset < 0 ? st.st_size : 0) : offset;
    t.committed = t.read_pos;
    t.fp = fp;
    tailed_.push_back(std::move(t));
  }

  /// A file rotated while we were stopped: finds the old inode beside it and reads the rest.
  void drainRotatedSibling(const std::string& path, const SavedPos& saved) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(path).parent_path(), ec)) {
      struct stat st {};
      if (::stat(e.path().c_str(), &st) == 0 && st.st_dev == saved.dev && st.st_ino == saved.ino &&
          st.st_size >= saved.offset) {
        int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
          Tailed t;
          t.path = path;
          t.read_pos = saved.offset;
          t.committed = saved.offset;
          readToEnd(t, fd);
          consume(t, true);
          ::close(fd);
        }
        return;
      }
    }
  }

  void setupTail() {
    bool had_state = false;
    std::map<std::string, SavedPos> saved = loadPositions(had_state);
    for (const std::string& path : expand()) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        continue;
      }
      auto it = saved.find(path);
      if (it == saved.end()) {
        // First run: from the end (tail -f); a file that appeared while we were stopped:
        // from its start.
        follow(path, had_state ? 0 : -1, "");
      } else if (it->second.dev == st.st_dev && it->second.ino == st.st_ino &&
                 st.st_size >= it->second.offset) {
        follow(path, it->second.offset, it->second.fp);
      } else {
        drainRotatedSibling(path, it->second);
        follow(path, 0, "");
      }
    }
    if (!opts_.polling_set) {
      // inotify sees no change made by another host: poll files on network filesystems.
      for (const std::string& p : opts_.patterns) {
        struct statfs fs_info {};
        const std::string dir = fs::path(p).parent_path().string();
        if (::statfs(dir.c_str(), &fs_info) == 0 && isNetworkFs(fs_info.f_type)) {
          opts_.polling = true;
        }
      }
    }
    if (!opts_.polling) {
      inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (inotify_fd_ < 0) {
        cw::sdk::Host::log(CW_LOG_WARN, "inotify unavailable, polling error=" + errnoText());
      } else {
        std::set<std::string> dirs;
        for (const std::string& p : opts_.patterns) {
          dirs.insert(fs::path(p).parent_path().string());
        }
        for (const std::string& d : dirs) {
          if (d.find_first_of("*?[") != std::string::npos) {
            continue;  // wildcard folders: found by periodic discovery
          }
          ::inotify_add_watch(inotify_fd_, d.c_str(),
                              IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                  IN_CLOSE_WRITE | IN_ATTRIB);
        }
      }
    }
    last_discovery_ = Clock::now();
    savePositions();
  }

  /// Reads the part of a truncated file we had not read from its rotated copy, if found.
  void recoverFromCopy(Tailed& t) {
    if (t.fp.empty() || t.committed == 0) {
      return;
    }
    const fs::path p(t.path);
    const std::string base = p.filename().string();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
      const std::string name = e.path().filename().string();
      if (name == base || name.rfind(base, 0) != 0) {
        continue;
      }
      struct stat st {};
      if (::stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < t.committed) {
        continue;
      }
      int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      std::string probe(t.fp.size(), '\0');
      ssize_t n =
          ::pread(fd, probe.data(), probe.size(), t.committed - static_cast<off_t>(t.fp.size()));
      if (n == static_cast<ssize_t>(probe.size()) && probe == t.fp) {
        Tailed copy;
        copy.path = t.path;
        copy.read_pos = t.committed;
        copy.committed = t.committed;
        readToEnd(copy, fd);
        consume(copy, true);
        ::close(fd);
        return;
      }
      ::close(fd);
    }
  }

  /// True when the bytes before our position are no longer those we read: the file was
  /// truncated and written again past our position before we noticed the size drop.
  bool rewritten(const Tailed& t) const {
    if (t.fp.empty() || t.committed < static_cast<off_t>(t.fp.size())) {
      return false;
    }
    char probe[kFingerprint];
    ssize_t n = ::pread(t.fd, probe, t.fp.size(), t.committed - static_cast<off_t>(t.fp.size()));
    return n != static_cast<ssize_t>(t.fp.size()) ||
           std::memcmp(probe, t.fp.data(), t.fp.size()) != 0;
  }

  /// Truncated (copytruncate): the unread end from the rotated copy, then from offset 0.
  void restartTruncated(Tailed& t) {
    recoverFromCopy(t);
    t.buf.clear();
    t.discarding = false;
    t.splitting = false;
    t.read_pos = 0;
    t.committed = 0;
    t.fp.clear();
    readToEnd(t, t.fd);
  }

  /// One pass: read every followed file to its end, handle rotation, discover new files.
  void pass(bool discover) {
    for (std::size_t i = 0; i < tailed_.size(); ++i) {
      Tailed& t = tailed_[i];
      if (rewritten(t)) {
        restartTruncated(t);
      }
      readToEnd(t, t.fd);
      struct stat now {};
      if (::stat(t.path.c_str(), &now) != 0) {
        // Renamed or deleted: keep reading the old descriptor until a new file appears.
        if (!t.missing) {
          t.missing = true;
          t.missing_since = Clock::now();
        } else if (Clock::now() - t.missing_since > std::chrono::seconds(5)) {
          consume(t, true);
          ::close(t.fd);
          tailed_.erase(tailed_.begin() + static_cast<std::ptrdiff_t>(i));
          --i;
        }
        continue;
      }
      t.missing = false;
      if (now.st_dev != t.dev || now.st_ino != t.ino) {
        // Rename + create: the old file is complete; drained above (read again in case the
        // writer added to it between our read and the stat).
        readToEnd(t, t.fd);
        consume(t, true);
        ::close(t.fd);
        std::string path = t.path;
        tailed_.erase(tailed_.begin() + static_cast<std::ptrdiff_t>(i));
        follow(path, 0, "");
        --i;  // read the new file in this pass
        continue;
      }
      if (now.st_size < t.read_pos) {
        restartTruncated(t);
      }
    }
    if (discover) {
      for (const std::string& path : expand()) {
        if (!following(path)) {
          follow(path, 0, "");
          readToEnd(tailed_.back(), tailed_.back().fd);
        }
      }
      last_discovery_ = Clock::now();
    }
    // After every pass that moved a position: a crash (SIGKILL) then re-delivers at most the
    // lines of the pass in progress. Nothing is written while the positions stay the same.
    if (!opts_.state_dir.empty()) {
      savePositions();
    }
  }

  void runTail() {
    char events[16 * 1024];
    while (running_) {
      const bool use_inotify = inotify_fd_ >= 0;
      auto timeout = use_inotify ? std::chrono::milliseconds(1000) : opts_.poll_interval;
      pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
      int n = ::poll(fds, use_inotify ? 2 : 1, static_cast<int>(timeout.count()));
      if (!running_) {
        break;
      }
      bool discover = !use_inotify || (opts_.discovery &&
                                       Clock::now() - last_discovery_ > opts_.discovery_interval);
      if (n > 0 && use_inotify && (fds[1].revents & POLLIN) != 0) {
        ssize_t len = 0;
        while ((len = ::read(inotify_fd_, events, sizeof events)) > 0) {
          for (char* p = events; p < events + len;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            if ((ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) != 0) {
              discover = true;
            }
            p += sizeof(inotify_event) + ev->len;
          }
        }
      }
      pass(discover);
    }
    // Last pass so that what was written before stop() is delivered now.
    pass(false);
  }

  Options opts_;
  cw::sdk::LineSink sink_;
  std::vector<Tailed> tailed_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  int stop_pipe_[2] = {-1, -1};
  int inotify_fd_ = -1;
  Clock::time_point last_discovery_{};
  static constexpr std::size_t kInPlaceStateMax = 4096;  // one page
  int state_fd_ = -1;           // the positions file this run wrote, for in-place updates
  std::size_t state_size_ = 0;  // its size
  std::string pad_text_;        // positions padded to state_size_
  std::string save_text_;       // positions being written
  std::string saved_text_;      // positions in the state file
  bool saved_once_ = false;     // the state file was written by this run
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> split_{0};
};

}  // namespace
}  // namespace cw::plugins::acquisition::file

CW_ACQUISITION_PLUGIN(cw::plugins::acquisition::file::FileSource, "crowdwall/file", "0.1", "file",
                      "file")
