// SPDX-License-Identifier: Apache-2.0
// Acquisition plugin `syslog` (acquisition.md section 4): a UDP and/or TCP syslog server.
// UDP: one datagram per message; datagrams the kernel dropped because our queue was full
// are counted from SO_RXQ_OVFL, so loss is reported, not guessed. TCP: octet-counted frames
// ("LEN SP MSG", RFC 6587) or newline-terminated messages, many connections on one thread.
// A message over max_message_len is dropped and counted; so is one neither RFC 3164 nor
// RFC 5424 parses. Line.Src is the sender's IP address.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cw/sdk/plugin.h"
#include "syslog_parse.h"

namespace cw::plugins::acquisition::syslog {
namespace {

std::string errnoText() { return std::strerror(errno); }

struct Options {
  std::string addr = "127.0.0.1";
  int port = 514;
  bool udp = true;
  bool tcp = false;
  std::size_t max_len = 2048;
  bool raw = false;  // disable_rfc_parser
  int rcvbuf = 4 * 1024 * 1024;
};

/// The address text of a sockaddr (IP only, as Line.Src).
std::string ipOf(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  }
  return buf;
}

class SyslogSource : public cw::sdk::Source {
 public:
  static std::unique_ptr<SyslogSource> create(const cw::sdk::SourceConfig& config,
                                              cw::sdk::Errors& errors) {
    auto s = std::make_unique<SyslogSource>();
    Options& o = s->opts_;
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
      try {
        if (key == "listen_addr") {
          o.addr = v.as<std::string>();
          in6_addr a6{};
          in_addr a4{};
          if (::inet_pton(AF_INET, o.addr.c_str(), &a4) != 1 &&
              ::inet_pton(AF_INET6, o.addr.c_str(), &a6) != 1) {
            errors.push_back("listen_addr '" + o.addr + "' is not an IP address");
          }
        } else if (key == "listen_port") {
          o.port = v.as<int>();
          if (o.port < 1 || o.port > 65535) {
            errors.push_back("listen_port " + std::to_string(o.port) + " is not in 1-65535");
          }
        } else if (key == "protocol") {
          const std::string p = v.as<std::string>();
          o.udp = p == "udp" || p == "both" || p == "udp,tcp" || p == "tcp,udp";
          o.tcp = p == "tcp" || p == "both" || p == "udp,tcp" || p == "tcp,udp";
          if (!o.udp && !o.tcp) {
            errors.push_back("protocol '" + p + "' is not udp, tcp or both");
          }
        } else if (key == "max_message_len") {
          long long n = v.as<long long>();
          if (n <= 0 || n > 1024 * 1024) {
            errors.push_back("max_message_len must be in 1-1048576");
          } else {
            o.max_len = static_cast<std::size_t>(n);
          }
        } else if (key == "disable_rfc_parser") {
          o.raw = v.as<bool>();
        } else if (key == "read_buffer_size") {
          o.rcvbuf = v.as<int>();
        } else {
          errors.push_back("unknown key '" + key + "'");
        }
      } catch (const YAML::Exception&) {
        errors.push_back(key + ": wrong type");
      }
    }
    if (!config.dsn.empty() || config.mode == CW_MODE_CAT) {
      errors.push_back("syslog is a server: it has no cat or one-shot mode");
    }
    return errors.empty() ? std::move(s) : nullptr;
  }

  ~SyslogSource() override { stop(); }

  void start(cw::sdk::LineSink sink) override {
    sink_ = sink;
    sockaddr_storage ss{};
    socklen_t len = 0;
    in_addr a4{};
    if (::inet_pton(AF_INET, opts_.addr.c_str(), &a4) == 1) {
      auto& sin = reinterpret_cast<sockaddr_in&>(ss);
      sin.sin_family = AF_INET;
      sin.sin_port = htons(static_cast<uint16_t>(opts_.port));
      sin.sin_addr = a4;
      len = sizeof(sockaddr_in);
    } else {
      auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
      sin6.sin6_family = AF_INET6;
      sin6.sin6_port = htons(static_cast<uint16_t>(opts_.port));
      ::inet_pton(AF_INET6, opts_.addr.c_str(), &sin6.sin6_addr);
      len = sizeof(sockaddr_in6);
    }
    if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error("pipe: " + errnoText());
    }
    const std::string where = opts_.addr + ":" + std::to_string(opts_.port);
    if (opts_.udp) {
      udp_ = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      int on = 1;
      ::setsockopt(udp_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      ::setsockopt(udp_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
      // Root may exceed net.core.rmem_max; others get what the limit allows.
      if (::setsockopt(udp_, SOL_SOCKET, SO_RCVBUFFORCE, &opts_.rcvbuf, sizeof opts_.rcvbuf) != 0) {
        ::setsockopt(udp_, SOL_SOCKET, SO_RCVBUF, &opts_.rcvbuf, sizeof opts_.rcvbuf);
      }
      if (::bind(udp_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        std::string e = errnoText();
        closeAll();
        throw std::runtime_error("cannot listen on udp " + where + ": " + e);
      }
    }
    if (opts_.tcp) {
      tcp_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      int on = 1;
      ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      if (::bind(tcp_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(tcp_, 128) != 0) {
        std::string e = errnoText();
        closeAll();
        throw std::runtime_error("cannot listen on tcp " + where + ": " + e);
      }
    }
    running_ = true;
    if (udp_ >= 0) {
      udp_thread_ = std::thread([this] { runUdp(); });
    }
    if (tcp_ >= 0) {
      tcp_thread_ = std::thread([this] { runTcp(); });
    }
  }

  void stop() override {
    if (!running_) {
      return;
    }
    running_ = false;
    char c = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_pipe_[1], &c, 1);
    if (udp_thread_.joinable()) {
      udp_thread_.join();
    }
    if (tcp_thread_.joinable()) {
      tcp_thread_.join();
    }
    closeAll();
  }

  cw::sdk::SourceCounters counters() const override {
    cw::sdk::SourceCounters c;
    c.lines = lines_.load();
    c.dropped = too_long_.load() + malformed_.load() + kernel_drops_.load();
    c.errors = errors_.load();
    return c;
  }

 private:
  void closeAll() {
    for (int* fd : {&udp_, &tcp_, &stop_pipe_[0], &stop_pipe_[1]}) {
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
    }
  }

  /// Parses and emits one message.
  void message(std::string_view msg, const std::string& src) {
    std::string_view line;
    if (opts_.raw) {
      line = stripPri(msg);
    } else if (rebuild(msg, rebuilt_)) {
      line = rebuilt_;
    } else {
      if (malformed_.fetch_add(1, std::memory_order_relaxed) < 10) {
        cw::sdk::Host::log(CW_LOG_WARN, "Unparsable syslog message dropped src=" + src);
      }
      return;
    }
    if (sink_.emit(line, src)) {
      lines_.fetch_add(1, std::memory_order_relaxed);
    } else {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void runUdp() {
    constexpr unsigned kBatch = 64;
    const std::size_t cap = opts_.max_len + 1;  // one more byte reveals a too-long datagram
    std::vector<char> bufs(kBatch * cap);
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iovs(kBatch);
    std::vector<sockaddr_storage> addrs(kBatch);
    std::vector<char> ctrl(kBatch * CMSG_SPACE(sizeof(uint32_t)));
    std::string src;
    uint32_t last_drops = 0;
    pollfd fds[2] = {{udp_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    while (running_) {
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
        errors_.fetch_add(1);
        break;
      }
      if ((fds[1].revents & POLLIN) != 0) {
        break;
      }
      for (;;) {
        for (unsigned i = 0; i < kBatch; ++i) {
          iovs[i] = iovec{bufs.data() + i * cap, cap};
          msgs[i].msg_hdr = msghdr{};
          msgs[i].msg_hdr.msg_name = &addrs[i];
          msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
          msgs[i].msg_hdr.msg_iov = &iovs[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
          msgs[i].msg_hdr.msg_control = ctrl.data() + i * CMSG_SPACE(sizeof(uint32_t));
          msgs[i].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint32_t));
        }
        int n = ::recvmmsg(udp_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) {
          break;
        }
        for (int i = 0; i < n; ++i) {
          msghdr& h = msgs[i].msg_hdr;
          for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
              uint32_t drops = 0;
              std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
              if (drops != last_drops) {
                kernel_drops_.fetch_add(drops - last_drops, std::memory_order_relaxed);
                last_drops = drops;
              }
            }
          }
          const std::size_t len = msgs[i].msg_len;
          if (len > opts_.max_len || (h.msg_flags & MSG_TRUNC) != 0) {
            too_long_.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
          src = ipOf(addrs[i]);
          message(std::string_view(bufs.data() + i * cap, len), src);
        }
        if (static_cast<unsigned>(n) < kBatch) {
          break;
        }
      }
    }
  }

  struct Conn {
    int fd;
    std::string src;
    std::string buf;
    bool skipping = false;      // inside a too-long newline-terminated message
    std::size_t skip_left = 0;  // bytes left of a too-long octet-counted frame
  };

  /// Consumes the complete frames of c.buf.
  void frames(Conn& c) {
    std::string& b = c.buf;
    std::size_t pos = 0;
    while (pos < b.size()) {
      if (c.skip_left > 0) {
        std::size_t n = std::min(c.skip_left, b.size() - pos);
        c.skip_left -= n;
        pos += n;
        continue;
      }
      if (!c.skipping && b[pos] >= '1' && b[pos] <= '9') {
        // Octet counting: "LEN SP MSG".
        std::size_t sp = pos;
        std::size_t len = 0;
        while (sp < b.size() && sp - pos < 8 && b[sp] >= '0' && b[sp] <= '9') {
          len = len * 10 + static_cast<std::size_t>(b[sp] - '0');
          ++sp;
        }
        if (sp >= b.size()) {
          break;  // length not complete yet
        }
        if (b[sp] != ' ') {
          malformed_.fetch_add(1);
          c.skipping = true;  // resynchronise at the next newline
          continue;
        }
        if (len > opts_.max_len) {
          too_long_.fetch_add(1);
          c.skip_left = len;
          pos = sp + 1;
          continue;
        }
        if (b.size() - (sp + 1) < len) {
          break;  // frame not complete yet
        }
        message(std::string_view(b.data() + sp + 1, len), c.src);
        pos = sp + 1 + len;
        continue;
      }
      // Non-transparent framing: one message per line.
      const char* nl = static_cast<const char*>(std::memchr(b.data() + pos, '\n', b.size() - pos));
      if (nl == nullptr) {
        if (b.size() - pos > opts_.max_len && !c.skipping) {
          too_long_.fetch_add(1);
          c.skipping = true;
        }
        if (c.skipping) {
          pos = b.size();
        }
        break;
      }
      std::size_t len = static_cast<std::size_t>(nl - (b.data() + pos));
      if (c.skipping) {
        c.skipping = false;
      } else if (len > opts_.max_len) {
        too_long_.fetch_add(1);
      } else if (len > 0) {
        message(std::string_view(b.data() + pos, len), c.src);
      }
      pos += len + 1;
    }
    b.erase(0, pos);
  }

  void runTcp() {
    std::vector<Conn> conns;
    std::vector<pollfd> fds;
    char chunk[65536];
    while (running_) {
      fds.clear();
      fds.push_back({stop_pipe_[0], POLLIN, 0});
      fds.push_back({tcp_, POLLIN, 0});
      for (const Conn& c : conns) {
        fds.push_back({c.fd, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
        errors_.fetch_add(1);
        break;
      }
      if ((fds[0].revents & POLLIN) != 0) {
        break;
      }
      for (std::size_t i = conns.size(); i-- > 0;) {
        if (fds[i + 2].revents == 0) {
          continue;
        }
        Conn& c = conns[i];
        ssize_t n = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0) {
          c.buf.append(chunk, static_cast<std::size_t>(n));
          frames(c);
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          continue;
        }
        if (n < 0) {
          errors_.fetch_add(1);
        }
        if (!c.buf.empty() && !c.skipping && c.skip_left == 0) {
          c.buf.push_back('\n');  // a last message without newline
          frames(c);
        }
        ::close(c.fd);
        conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
      }
      if ((fds[1].revents & POLLIN) != 0) {
        for (;;) {
          sockaddr_storage ss{};
          socklen_t len = sizeof ss;
          int fd = ::accept4(tcp_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
          if (fd < 0) {
            break;
          }
          conns.push_back(Conn{fd, ipOf(ss), {}, false, 0});
        }
      }
    }
    // Stopping: read what the connections still hold, then close them.
    for (Conn& c : conns) {
      ssize_t n = 0;
      while ((n = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT)) > 0) {
        c.buf.append(chunk, static_cast<std::size_t>(n));
        frames(c);
      }
      ::close(c.fd);
    }
  }

  Options opts_;
  cw::sdk::LineSink sink_;
  int udp_ = -1;
  int tcp_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread udp_thread_;
  std::thread tcp_thread_;
  std::atomic<bool> running_{false};
  thread_local static std::string rebuilt_;
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> too_long_{0};
  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> kernel_drops_{0};
  std::atomic<std::uint64_t> errors_{0};
};

thread_local std::string SyslogSource::rebuilt_;

}  // namespace
}  // namespace cw::plugins::acquisition::syslog

CW_ACQUISITION_PLUGIN(cw::plugins::acquisition::syslog::SyslogSource, "crowdwall/syslog", "0.1",
                      "syslog", nullptr)
