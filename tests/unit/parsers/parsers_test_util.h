// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cw/core/event/event.h"
#include "cw/core/expr/services.h"
#include "cw/core/parsers/pipeline.h"

// Shared helpers of the parser tests: YAML fixtures written to a private temp directory,
// a Services with a fixed clock, and a recorder that keeps (stage, node, success) triples.
namespace cw::core::parsers::testing {

namespace fs = std::filesystem;

/// 2024-03-10T08:00:00Z: the fixed "now" of the tests.
inline constexpr std::int64_t kFixedNowNanos = 1710057600LL * 1000000000LL;

class Fixture {
 public:
  Fixture() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("cw-parsers-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    services_ = std::make_unique<expr::Services>();
    services_->setFixedNow(TimePoint::fromUnixNanos(kFixedNowNanos));
    services_->setCurrentYear(2024);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  /// Writes `content` to <dir>/<stage>/<name> and returns the file to load.
  ParserFile write(const std::string& stage, const std::string& name, const std::string& content) {
    fs::create_directories(dir_ / stage);
    const fs::path p = dir_ / stage / name;
    std::ofstream(p, std::ios::binary) << content;
    return ParserFile{p.string(), stage};
  }

  Result<Pipeline> load(const std::vector<ParserFile>& files, const std::string& patterns = "",
                        const std::string& data = "") {
    LoadOptions o;
    o.patterns_dir = patterns;
    o.data_dir = data.empty() ? dir_.string() : data;
    o.services = services_.get();
    return Pipeline::load(files, o);
  }

  /// Loads one file in one stage and requires success.
  Pipeline loadOne(const std::string& stage, const std::string& yaml,
                   const std::string& patterns = "") {
    auto r = load({write(stage, "p.yaml", yaml)}, patterns);
    if (!r.ok()) {
      throw std::runtime_error("load failed: " + r.error().message);
    }
    return std::move(r.value());
  }

  expr::Services& services() { return *services_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::unique_ptr<expr::Services> services_;
};

inline event::Event logEvent(const std::string& raw, const std::string& type = "syslog") {
  event::Event e;
  e.type = event::EventType::Log;
  e.line.raw = raw;
  e.line.src = "/var/log/test.log";
  e.line.module = "file";
  e.line.labels.set("type", type);
  return e;
}

struct Record {
  std::string stage;
  std::string node;
  bool success;
  friend bool operator==(const Record&, const Record&) = default;
};

/// A Recorder that appends to `out`.
inline Recorder recordInto(std::vector<Record>& out) {
  return [&out](std::string_view stage, std::string_view node, const event::Event&,
                bool success) {
    out.push_back(Record{std::string(stage), std::string(node), success});
  };
}

inline std::string sharedDir() {
  return CW_SHARED_DIR;
}

} // namespace cw::core::parsers::testing
