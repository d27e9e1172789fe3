// SPDX-License-Identifier: Apache-2.0
// cw_plugin_host ACQUIS_YAML PLUGIN_DIR INDEX [STATE_DIR]: the daemon's acquisition side
// alone (plugin loader + Sources), for the out-of-tree plugin test. Runs the configured
// sources until every cat-mode source finished, prints "<module> <src> <type> <raw>" per line,
// then the per-source counters. Exit 1 with the error when loading fails.
#include <cstdio>
#include <mutex>
#include <string>

#include "cw/core/acquisition/sources.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: cw_plugin_host ACQUIS_YAML PLUGIN_DIR INDEX [STATE_DIR]\n");
    return 2;
  }
  cw::core::acquisition::LoadOptions o;
  o.acquis_path = argv[1];
  o.plugin_dir = argv[2];
  o.index_path = argv[3];
  o.state_dir = argc > 4 ? argv[4] : "";
  auto r = cw::core::acquisition::Sources::load(o);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return 1;
  }
  auto& sources = *r.value();
  std::mutex mu;
  auto started = sources.start([&](const cw::core::acquisition::SourceLine& l) {
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
  sources.waitFinished();
  sources.stop();
  for (const auto& s : sources.stats()) {
    std::printf("stats %s lines=%llu dropped=%llu errors=%llu\n", s.name.c_str(),
                static_cast<unsigned long long>(s.lines),
                static_cast<unsigned long long>(s.dropped),
                static_cast<unsigned long long>(s.errors));
  }
  return 0;
}
