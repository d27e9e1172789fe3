// SPDX-License-Identifier: Apache-2.0
// Starter acquisition plugin: copy this folder, rename, and replace the body of start().
//
// Source `starter` emits `count` lines "<message> <n>", one every `interval_ms`, then (in cat
// mode) says it has finished. Configuration, in acquis.yaml:
//   source: starter
//   message: hello
//   count: 3
//   interval_ms: 10
//   labels: {type: starter}
// The plugin gets its module keys as YAML text; this example reads the flat "key: value" lines
// itself so that it needs nothing but the SDK (a real plugin would use a YAML library).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "cw/sdk/plugin.h"

namespace starter {

class StarterSource : public cw::sdk::Source {
 public:
  /// Checks the configuration; every problem goes into `errors` (the host lists them all).
  static std::unique_ptr<StarterSource> create(const cw::sdk::SourceConfig& config,
                                               cw::sdk::Errors& errors) {
    auto s = std::make_unique<StarterSource>();
    s->cat_ = config.mode == CW_MODE_CAT;
    std::istringstream in{std::string(config.yaml)};
    std::string line;
    while (std::getline(in, line)) {
      const std::size_t colon = line.find(':');
      if (line.empty() || line == "{}" || colon == std::string::npos) {
        continue;
      }
      const std::string key = line.substr(0, colon);
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (key == "message") {
        s->message_ = value;
      } else if (key == "count") {
        s->count_ = std::atoi(value.c_str());
      } else if (key == "interval_ms") {
        s->interval_ = std::chrono::milliseconds(std::atoi(value.c_str()));
      } else {
        errors.push_back("unknown key '" + key + "'");
      }
    }
    if (s->count_ <= 0) {
      errors.push_back("count must be a positive number");
    }
    return errors.empty() ? std::move(s) : nullptr;
  }

  /// Starts the worker thread; the SDK turns an exception here into a reported error.
  void start(cw::sdk::LineSink sink) override {
    running_ = true;
    worker_ = std::thread([this, sink] {
      for (int i = 1; i <= count_ && running_; ++i) {
        if (sink.emit(message_ + " " + std::to_string(i), "starter")) {
          ++lines_;
        }
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, interval_, [&] { return !running_; });
      }
      if (cat_) {
        sink.finished();
      }
    });
  }

  /// Stops the thread; after this the host no longer accepts lines from us.
  void stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
    }
    cv_.notify_all();
    if (worker_.joinable()) {
      worker_.join();
    }
  }

  cw::sdk::SourceCounters counters() const override {
    cw::sdk::SourceCounters c;
    c.lines = lines_;
    return c;
  }

 private:
  std::string message_ = "hello";
  int count_ = 3;
  std::chrono::milliseconds interval_{10};
  bool cat_ = false;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> lines_{0};
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace starter

// The one exported symbol: id as declared in the index, version, `source:` name, DSN scheme.
CW_ACQUISITION_PLUGIN(starter::StarterSource, "example/starter", "1.0", "starter", nullptr)
