// SPDX-License-Identifier: Apache-2.0
// Helpers of the acquisition tests: a temporary folder, a line collector, Sources loading
// through the real plugin loader and the plugins built in <build>/plugins.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "cw/core/acquisition/sources.h"

namespace cwtest {

namespace fs = std::filesystem;
namespace acq = cw::core::acquisition;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cw-acq-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path(const std::string& rel = "") const {
    return rel.empty() ? path_ : path_ + "/" + rel;
  }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(path(rel)).parent_path());
    std::ofstream(path(rel), std::ios::binary) << text;
  }
  void append(const std::string& rel, const std::string& text) const {
    std::ofstream(path(rel), std::ios::binary | std::ios::app) << text;
  }

 private:
  std::string path_;
};

struct Got {
  std::string raw;
  std::string src;
  std::string module;
  std::string type;
};

/// Collects lines from Sources::start().
class Collector {
 public:
  acq::SourceCallback callback() {
    return [this](const acq::SourceLine& l) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(Got{std::string(l.raw), std::string(l.src), std::string(l.module),
                         l.labels ? std::string(l.labels->get("type")) : ""});
      cv_.notify_all();
    };
  }
  /// Waits until `n` lines arrived (or `seconds` passed), then a little more so that an
  /// extra (duplicated) line would show up too; returns what arrived.
  std::vector<Got> waitFor(std::size_t n, int seconds = 30) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return got_.size() >= n; });
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    lock.lock();
    return got_;
  }
  std::vector<std::string> raws() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& g : got_) {
      out.push_back(g.raw);
    }
    return out;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    got_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Got> got_;
};

inline acq::LoadOptions options(const TempDir& dir) {
  acq::LoadOptions o;
  o.acquis_path = dir.path("acquis.yaml");
  o.acquis_dir = dir.path("acquis.d");
  o.state_dir = dir.path("state");
  o.plugin_dir = CW_PLUGIN_BUILD_DIR;
  o.index_path = std::string(CW_PLUGIN_BUILD_DIR) + "/index.json";
  return o;
}

inline std::vector<std::string> raws(const std::vector<Got>& got) {
  std::vector<std::string> out;
  for (const auto& g : got) {
    out.push_back(g.raw);
  }
  return out;
}

inline std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) {
    out.push_back(prefix + std::to_string(i));
  }
  return out;
}

}  // namespace cwtest
