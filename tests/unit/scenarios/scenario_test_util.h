// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "cw/core/common/time.h"
#include "cw/core/event/event.h"
#include "cw/core/expr/services.h"
#include "cw/core/scenarios/buckets.h"

// Shared helpers of the scenario tests: scenario YAML written to a private temp dir, replayed
// (TimeMachine) events built directly with Meta and MarshaledTime.
namespace cw::core::scenarios::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("cw-scenarios-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Loads scenario YAML text (one file, possibly several documents).
struct Harness {
  expr::Services services;
  TempDir dir;
  Simulation simulation;

  Result<BucketManager> load(const std::string& yaml, const std::string& hash = "",
                             const std::string& version = "") {
    ScenarioFile f{dir.write("scenario.yaml", yaml), hash, version};
    LoadOptions opts;
    opts.services = &services;
    opts.data_dir = dir.path();
    opts.simulation = simulation;
    return BucketManager::load({f}, opts);
  }
};

inline TimePoint at(const std::string& rfc3339) {
  return *parseGoLayout("2006-01-02T15:04:05Z07:00", rfc3339);
}

/// A parsed log line in replay mode.
inline event::Event logEvent(const std::string& ip, const std::string& ts,
                             std::vector<std::pair<std::string, std::string>> meta = {}) {
  event::Event e;
  e.type = event::EventType::Log;
  e.expect_mode = event::ExpectMode::TimeMachine;
  e.meta.set("log_type", "test");
  if (!ip.empty()) {
    e.meta.set("source_ip", ip);
  }
  for (const auto& [k, v] : meta) {
    e.meta.set(k, v);
  }
  e.marshaled_time = ts;
  e.time = at(ts);
  e.process = true;
  return e;
}

inline std::vector<event::Event> pourAll(BucketManager& m, const std::vector<event::Event>& in) {
  std::vector<event::Event> out;
  for (const auto& e : in) {
    m.pour(e, out);
  }
  return out;
}

} // namespace cw::core::scenarios::testing
