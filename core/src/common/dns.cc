// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/dns.h"
#include "cw/core/common/ip.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace cw::core::dns {
namespace {

/// One answer: a list of names (reverse: at most one) or addresses.
struct Entry {
  std::vector<std::string> values;
  std::int64_t expires_ns = 0;
  bool done = false;
};

struct Cache {
  std::mutex mu;
  std::condition_variable cv;
  Limits limits;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries;
  std::size_t in_flight = 0;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: resolver threads may outlive main()
  return *c;
}

std::vector<std::string> resolveReverse(const std::string& ip) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inetPton(AF_INET, ip, &v4->sin_addr)) {
    v4->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
  } else if (inetPton(AF_INET6, ip, &v6->sin6_addr)) {
    v6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
  } else {
    return {};
  }
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0,
                  NI_NAMEREQD) != 0) {
    return {};
  }
  return {host};
}

std::vector<std::string> resolveForward(const std::string& name) {
  std::vector<std::string> out;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0) {
    return out;
  }
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (p->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, buf, sizeof buf);
    } else if (p->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, buf,
                sizeof buf);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), buf) == out.end()) {
      out.emplace_back(buf);
    }
  }
  freeaddrinfo(res);
  return out;
}

/// Cached lookup of `key`: waits at most the time limit for a lookup started here or by
/// another caller; the resolver runs on a detached thread so a late answer still fills the cache.
std::vector<std::string> lookup(const std::string& key,
                                std::vector<std::string> (*resolve)(const std::string&)) {
  Cache& c = cache();
  std::unique_lock<std::mutex> lock(c.mu);
  const std::int64_t now = nowUtc().unix_nanos;
  auto it = c.entries.find(key);
  if (it != c.entries.end() && it->second->done && it->second->expires_ns < now) {
    c.entries.erase(it);
    it = c.entries.end();
  }
  std::shared_ptr<Entry> entry;
  if (it != c.entries.end()) {
    entry = it->second;
  } else {
    if (c.in_flight >= c.limits.max_in_flight) {
      return {};  // the resolver is already swamped: give up on this one
    }
    if (c.entries.size() >= c.limits.max_entries) {
      c.entries.clear();
    }
    entry = std::make_shared<Entry>();
    c.entries.emplace(key, entry);
    ++c.in_flight;
    std::thread([key, entry, resolve]() {
      std::vector<std::string> values = resolve(key);
      Cache& cc = cache();
      std::lock_guard<std::mutex> guard(cc.mu);
      entry->values = std::move(values);
      entry->done = true;
      entry->expires_ns = nowUtc().unix_nanos +
                          (entry->values.empty() ? cc.limits.negative_ttl : cc.limits.positive_ttl);
      --cc.in_flight;
      cc.cv.notify_all();
    }).detach();
  }
  c.cv.wait_for(lock, std::chrono::nanoseconds(c.limits.timeout), [&] { return entry->done; });
  return entry->done ? entry->values : std::vector<std::string>{};
}

} // namespace

void configure(const Limits& limits) {
  std::lock_guard<std::mutex> lock(cache().mu);
  cache().limits = limits;
}

std::string reverse(std::string_view ip) {
  std::vector<std::string> names = lookup("r:" + std::string(ip), [](const std::string& key) {
    return resolveReverse(key.substr(2));
  });
  return names.empty() ? std::string() : names.front();
}

std::vector<std::string> forward(std::string_view host) {
  return lookup("f:" + std::string(host),
                [](const std::string& key) { return resolveForward(key.substr(2)); });
}

} // namespace cw::core::dns
