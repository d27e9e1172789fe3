// SPDX-License-Identifier: Apache-2.0
// cw_plugin_host [--count] [--until N] [--idle S] ACQUIS_YAML PLUGIN_DIR INDEX [STATE_DIR]
// The daemon's acquisition side alone (plugin loader + Sources): for the out-of-tree plugin
// test and bench/acquisition. Runs the configured sources until every cat-mode source
// finished (or, with --until, N lines arrived; with --idle, no line came for S seconds after
// the first), prints "<module> <src> <type> <raw>" per line (--count: nothing per line), then
// the per-source counters. Exit 1 with the error when loading fails.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cw/core/acquisition/sources.h"

int main(int argc, char** argv) {
  bool count_only = false;
  unsigned long long until = 0;
  double idle = 0;
  std::vector<const char*> args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--count") == 0) {
      count_only = true;
    } else if (std::strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
      until = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--idle") == 0 && i + 1 < argc) {
      idle = std::strtod(argv[++i], nullptr);
    } else {
      args.push_back(argv[i]);
    }
  }
  if (args.size() < 3) {
    std::fprintf(stderr,
                 "usage: cw_plugin_host [--count] [--until N] [--idle S] ACQUIS_YAML "
                 "PLUGIN_DIR INDEX [STATE_DIR]\n");
    return 2;
  }
  cw::core::acquisition::LoadOptions o;
  o.acquis_path = args[0];
  o.plugin_dir = args[1];
  o.index_path = args[2];
  o.state_dir = args.size() > 3 ? args[3] : "";
  auto r = cw::core::acquisition::Sources::load(o);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return 1;
  }
  auto& sources = *r.value();
  std::mutex mu;
  std::atomic<unsigned long long> lines{0};
  using Clock = std::chrono::steady_clock;
  std::atomic<long long> first_ns{0};
  std::atomic<long long> last_ns{0};
  auto started = sources.start([&](const cw::core::acquisition::SourceLine& l) {
    const long long now = Clock::now().time_since_epoch().count();
    long long zero = 0;
    first_ns.compare_exchange_strong(zero, now);
    last_ns = now;
    lines.fetch_add(1, std::memory_order_relaxed);
    if (count_only) {
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    std::printf("%.*s %.*s %.*s %.*s\n", static_cast<int>(l.module.size()), l.module.data(),
                static_cast<int>(l.src.size()), l.src.data(),
                static_cast<int>(l.labels->get("type").size()), l.labels->get("type").data(),
                static_cast<int>(l.raw.size()), l.raw.data());
  });
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "ready\n");
  if (until > 0 || idle > 0) {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (until > 0 && lines.load() >= until) {
        break;
      }
      const long long last = last_ns.load();
      if (idle > 0 && last != 0 &&
          std::chrono::duration<double>(Clock::now().time_since_epoch() - Clock::duration(last))
                  .count() > idle) {
        break;
      }
    }
  } else {
    sources.waitFinished();
  }
  sources.stop();
  if (count_only) {
    std::printf("lines=%llu first_to_last=%.6f\n", lines.load(),
                static_cast<double>(last_ns.load() - first_ns.load()) / 1e9);
  }
  for (const auto& s : sources.stats()) {
    std::printf("stats %s lines=%llu dropped=%llu errors=%llu\n", s.name.c_str(),
                static_cast<unsigned long long>(s.lines),
                static_cast<unsigned long long>(s.dropped),
                static_cast<unsigned long long>(s.errors));
  }
  return 0;
}
