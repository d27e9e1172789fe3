// SPDX-License-Identifier: Apache-2.0
// The `syslog` plugin through Sources: a real UDP and TCP server fed by a local sender.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>

#include "acq_helpers.h"

using namespace cwtest;

namespace {

/// A port free for both UDP and TCP on 127.0.0.1.
int freePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int t = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(t, reinterpret_cast<sockaddr*>(&a), &len);
    int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    bool ok = ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(t);
    ::close(u);
    if (ok) {
      return ntohs(a.sin_port);
    }
  }
  FAIL("no free port");
  return 0;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string msg(int i) { return "<13>Jan 02 15:04:05 host app[7]: message " + std::to_string(i); }
std::string line(int i) { return "Jan 2 15:04:05 host app[7]: message " + std::to_string(i); }

void sendAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, 0);
    REQUIRE(n > 0);
    off += static_cast<std::size_t>(n);
  }
}

std::unique_ptr<acq::Sources> start(TempDir& d, const std::string& extra, Collector& c) {
  d.write("acquis.yaml",
          "source: syslog\nlisten_addr: 127.0.0.1\n" + extra + "labels: {type: syslog}\n");
  auto r = acq::Sources::load(options(d));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  REQUIRE(r.value()->start(c.callback()).ok());
  return std::move(r.value());
}

}  // namespace

TEST_CASE("syslog over TCP receives 100,000 messages, none lost", "[acquisition][syslog]") {
  TempDir d;
  Collector c;
  const int port = freePort();
  auto sources = start(d, "listen_port: " + std::to_string(port) + "\nprotocol: tcp\n", c);
  constexpr int kOctet = 60000;
  constexpr int kNewline = 40000;
  // One sender with octet counting, one with newline framing, at the same time.
  std::thread octet([&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    std::string batch;
    for (int i = 0; i < kOctet; ++i) {
      std::string m = msg(i);
      batch += std::to_string(m.size()) + " " + m;
      if (batch.size() > 60000) {
        sendAll(fd, batch);
        batch.clear();
      }
    }
    sendAll(fd, batch);
    ::close(fd);
  });
  std::thread newline([&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    std::string batch;
    for (int i = kOctet; i < kOctet + kNewline; ++i) {
      batch += msg(i) + "\n";
      if (batch.size() > 60000) {
        sendAll(fd, batch);
        batch.clear();
      }
    }
    sendAll(fd, batch);
    ::close(fd);
  });
  octet.join();
  newline.join();
  auto got = c.waitFor(kOctet + kNewline);
  sources->stop();
  REQUIRE(got.size() == kOctet + kNewline);
  std::set<std::string> seen;
  for (const auto& g : got) {
    seen.insert(g.raw);
  }
  CHECK(seen.size() == kOctet + kNewline);
  CHECK(seen.count(line(0)) == 1);
  CHECK(seen.count(line(kOctet + kNewline - 1)) == 1);
  std::set<std::string> expected;
  for (int i = 0; i < kOctet + kNewline; ++i) {
    expected.insert(line(i));
  }
  CHECK(seen == expected);
  CHECK(got[0].src == "127.0.0.1");
  CHECK(got[0].module == "syslog");
  auto stats = sources->stats();
  CHECK(stats[0].lines == kOctet + kNewline);
  CHECK(stats[0].dropped == 0);
}

TEST_CASE("syslog over UDP receives 100,000 messages and counts what the kernel dropped",
          "[acquisition][syslog]") {
  TempDir d;
  Collector c;
  const int port = freePort();
  // A small receive buffer, so that a burst overflows it and the loss path is exercised.
  auto sources = start(
      d, "listen_port: " + std::to_string(port) + "\nprotocol: udp\nread_buffer_size: 65536\n", c);
  constexpr int kSent = 100000;
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(port);
  for (int i = 0; i < kSent; ++i) {
    std::string m = msg(i);
    REQUIRE(::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
            static_cast<ssize_t>(m.size()));
  }
  // The kernel reports its drop count with the next datagram received: send a last one
  // once the queue had time to drain, and wait for it.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string end = "<13>Jan 02 15:04:05 host app[7]: end";
  REQUIRE(::sendto(fd, end.data(), end.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
          static_cast<ssize_t>(end.size()));
  ::close(fd);
  std::vector<Got> got;
  for (int i = 0; i < 100; ++i) {
    got = c.waitFor(0, 0);
    if (!got.empty() && got.back().raw == "Jan 2 15:04:05 host app[7]: end") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sources->stop();
  REQUIRE(!got.empty());
  REQUIRE(got.back().raw == "Jan 2 15:04:05 host app[7]: end");
  std::set<std::string> seen;
  for (const auto& g : got) {
    seen.insert(g.raw);
  }
  CHECK(seen.size() == got.size());  // nothing delivered twice
  auto stats = sources->stats();
  CHECK(stats[0].lines == got.size());
  // Every datagram is either delivered or counted as dropped.
  CHECK(stats[0].lines + stats[0].dropped == kSent + 1);
  WARN("UDP: delivered " << stats[0].lines << ", dropped and counted " << stats[0].dropped);
}

TEST_CASE("syslog drops and counts messages over max_message_len and unparsable ones",
          "[acquisition][syslog]") {
  TempDir d;
  Collector c;
  const int port = freePort();
  auto sources = start(
      d, "listen_port: " + std::to_string(port) + "\nprotocol: both\nmax_message_len: 60\n", c);
  int u = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(port);
  const std::string big = msg(1) + std::string(40, 'x');
  for (const std::string& m : {msg(1), big, std::string("garbage"), msg(2)}) {
    ::sendto(u, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ::close(u);
  int t = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(::connect(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  sendAll(t, std::to_string(big.size()) + " " + big + std::to_string(msg(3).size()) + " " + msg(3) +
                 big + "\n" + msg(4) + "\nnot syslog\n" + msg(5));
  ::close(t);
  auto got = c.waitFor(5, 10);
  sources->stop();
  std::set<std::string> seen;
  for (const auto& g : got) {
    seen.insert(g.raw);
  }
  CHECK(seen == std::set<std::string>{line(1), line(2), line(3), line(4), line(5)});
  CHECK(got.size() == 5);
  CHECK(sources->stats()[0].dropped == 5);  // 3 too long, 2 unparsable
}

TEST_CASE("syslog configuration errors are all listed", "[acquisition][syslog]") {
  TempDir d;
  d.write("acquis.yaml",
          "source: syslog\nlisten_addr: localhost\nlisten_port: 70000\n"
          "protocol: sctp\ncolour: red\nmode: cat\nlabels: {type: syslog}\n");
  auto r = acq::Sources::load(options(d));
  REQUIRE_FALSE(r.ok());
  const std::string f = d.path("acquis.yaml") + ":1: syslog: ";
  CHECK(r.error().message == f + "listen_addr 'localhost' is not an IP address\n" + f +
                                 "listen_port 70000 is not in 1-65535\n" + f +
                                 "protocol 'sctp' is not udp, tcp or both\n" + f +
                                 "unknown key 'colour'\n" + f +
                                 "syslog is a server: it has no cat or one-shot mode");
}
