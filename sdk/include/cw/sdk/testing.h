// SPDX-License-Identifier: Apache-2.0
/// @file testing.h
/// @brief Fakes to unit-test a plugin without Crowdwall: a host that records logs and
/// reports, a line sink that stores lines, drivers for an acquisition source, a notification, a
/// scenario and a parser, and TestEvent to build the events scenarios and parsers are given.
///
/// Link the plugin's sources into the test executable and call its `cw_plugin_entry` with
/// FakeHost::api(), or load the built shared object yourself. Thread-safe where the ABI
/// requires (emit, log, report).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cw/sdk/abi.h"

namespace cw::sdk::testing {

/// A host table whose log and report calls are recorded.
class FakeHost {
 public:
  /// Builds the table; `this` must outlive the plugin's use of it.
  FakeHost() {
    api_.struct_size = sizeof(cw_host_api);
    api_.abi_major = CW_ABI_MAJOR;
    api_.abi_minor = CW_ABI_MINOR;
    api_.host_ctx = this;
    api_.log = [](void* ctx, cw_log_level level, cw_str message) {
      auto* self = static_cast<FakeHost*>(ctx);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->logs_.emplace_back(level, std::string(message.data, message.size));
    };
    api_.report = [](void* ctx, cw_str message) {
      auto* self = static_cast<FakeHost*>(ctx);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->reports_.emplace_back(message.data, message.size);
    };
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  /// The table to pass to cw_plugin_entry (owned by this object).
  const cw_host_api* api() const { return &api_; }
  /// Errors reported so far (copy).
  std::vector<std::string> reports() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reports_;
  }
  /// Log records so far (copy).
  std::vector<std::pair<cw_log_level, std::string>> logs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }
  /// Forgets the recorded reports.
  void clearReports() {
    std::lock_guard<std::mutex> lock(mu_);
    reports_.clear();
  }

 private:
  cw_host_api api_{};
  mutable std::mutex mu_;
  std::vector<std::string> reports_;
  std::vector<std::pair<cw_log_level, std::string>> logs_;
};

/// One line as a FakeSink stored it.
struct StoredLine {
  std::string raw;       ///< Line.Raw
  std::string src;       ///< Line.Src
  std::int64_t time_ns;  ///< as given by the plugin
};

/// A line sink that stores every line (and can refuse after a number of lines).
class FakeSink {
 public:
  /// Builds the table; `this` must outlive the source's start()..stop().
  FakeSink() {
    sink_.struct_size = sizeof(cw_line_sink);
    sink_.sink_ctx = this;
    sink_.emit = [](void* ctx, const cw_line* line) -> cw_status {
      auto* self = static_cast<FakeSink*>(ctx);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->lines_.push_back(StoredLine{std::string(line->raw.data, line->raw.size),
                                        std::string(line->src.data, line->src.size),
                                        line->time_ns});
      self->cv_.notify_all();
      return CW_OK;
    };
    sink_.finished = [](void* ctx) {
      auto* self = static_cast<FakeSink*>(ctx);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->finished_ = true;
      self->cv_.notify_all();
    };
  }
  FakeSink(const FakeSink&) = delete;
  FakeSink& operator=(const FakeSink&) = delete;

  /// The table to pass to start() (owned by this object).
  const cw_line_sink* sink() const { return &sink_; }
  /// Waits until `count` lines arrived or `timeout` passed; returns the lines stored.
  std::vector<StoredLine> waitFor(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return lines_.size() >= count; });
    return lines_;
  }
  /// Waits until the source said it finished (cat mode) or `timeout` passed.
  bool waitFinished(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return finished_; });
  }
  /// Lines stored so far (copy).
  std::vector<StoredLine> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  cw_line_sink sink_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StoredLine> lines_;
  bool finished_ = false;
};

/// Drives one source of an acquisition descriptor: create, start, stop, destroy.
class SourceDriver {
 public:
  /// `descriptor` is what the plugin's entry returned (must be an acquisition plugin).
  explicit SourceDriver(const cw_plugin_descriptor* descriptor)
      : vtable_(static_cast<const cw_acquisition_vtable*>(descriptor->vtable)) {}
  SourceDriver(const SourceDriver&) = delete;
  SourceDriver& operator=(const SourceDriver&) = delete;
  ~SourceDriver() { destroy(); }

  /// Creates the source from module YAML (or a DSN); the status of the plugin's create.
  cw_status create(std::string_view yaml, cw_acquisition_mode mode = CW_MODE_TAIL,
                   std::string_view state_dir = {}, std::string_view dsn = {}) {
    cw_source_config config{};
    config.struct_size = sizeof(cw_source_config);
    config.name = cw_str{"test", 4};
    config.yaml = cw_str{yaml.data(), yaml.size()};
    config.dsn = cw_str{dsn.data(), dsn.size()};
    config.mode = mode;
    config.state_dir = cw_str{state_dir.data(), state_dir.size()};
    return vtable_->create(&config, &source_);
  }
  /// Starts the created source towards `sink`.
  cw_status start(FakeSink& sink) {
    started_ = vtable_->start(source_, sink.sink()) == CW_OK;
    return started_ ? CW_OK : CW_ERROR;
  }
  /// Stops it (no-op when not running).
  void stop() {
    if (started_) {
      vtable_->stop(source_);
      started_ = false;
    }
  }
  /// Its counters.
  cw_source_stats stats() const {
    cw_source_stats s{};
    s.struct_size = sizeof(cw_source_stats);
    vtable_->stats(source_, &s);
    return s;
  }
  /// Stops and frees the source.
  void destroy() {
    stop();
    if (source_ != nullptr) {
      vtable_->destroy(source_);
      source_ = nullptr;
    }
  }

 private:
  const cw_acquisition_vtable* vtable_;
  cw_source* source_ = nullptr;
  bool started_ = false;
};

/// Drives one instance of a notification descriptor: create, notify, destroy.
class NotifierDriver {
 public:
  /// `descriptor` is what the plugin's entry returned (must be a notification plugin).
  explicit NotifierDriver(const cw_plugin_descriptor* descriptor)
      : vtable_(static_cast<const cw_notification_vtable*>(descriptor->vtable)) {}
  NotifierDriver(const NotifierDriver&) = delete;
  NotifierDriver& operator=(const NotifierDriver&) = delete;
  ~NotifierDriver() { destroy(); }

  /// Creates the instance from its YAML keys; the status of the plugin's create.
  cw_status create(std::string_view yaml) {
    destroy();
    return vtable_->create(cw_str{yaml.data(), yaml.size()}, &instance_);
  }
  /// Hands one message to the created instance; the status of the plugin's notify.
  cw_status notify(std::string_view message) {
    return vtable_->notify(instance_, cw_str{message.data(), message.size()});
  }
  /// Frees the instance.
  void destroy() {
    if (instance_ != nullptr) {
      vtable_->destroy(instance_);
      instance_ = nullptr;
    }
  }

 private:
  const cw_notification_vtable* vtable_;
  cw_instance* instance_ = nullptr;
};

/// An event for a scenario plugin, built by a test: owns its strings and gives the
/// cw_event_view the host would pass (Line.Raw, Parsed, Meta, time, group).
class TestEvent {
 public:
  /// An event at `time_ns` (ns since the epoch) of group `group` with line `raw`.
  explicit TestEvent(std::int64_t time_ns = 0, std::string group = "", std::string raw = "")
      : raw_(std::move(raw)), group_(std::move(group)), time_ns_(time_ns) {}
  /// Adds evt.Meta[key] = value; returns *this to chain.
  TestEvent& meta(std::string key, std::string value) {
    add(meta_, std::move(key), std::move(value));
    return *this;
  }
  /// Adds evt.Parsed[key] = value; returns *this to chain.
  TestEvent& parsed(std::string key, std::string value) {
    add(parsed_, std::move(key), std::move(value));
    return *this;
  }
  /// The view of this event, valid while this object lives and is not changed.
  const cw_event_view* view() {
    view_.struct_size = sizeof(cw_event_view);
    view_.raw = cw_str{raw_.data(), raw_.size()};
    view_.parsed = parsed_.kv.data();
    view_.parsed_count = parsed_.kv.size();
    view_.meta = meta_.kv.data();
    view_.meta_count = meta_.kv.size();
    view_.time_ns = time_ns_;
    view_.group = cw_str{group_.data(), group_.size()};
    return &view_;
  }

 private:
  struct Pairs {
    std::deque<std::string> text;  // stable addresses
    std::vector<cw_kv> kv;
  };
  static void add(Pairs& p, std::string key, std::string value) {
    const std::string& k = p.text.emplace_back(std::move(key));
    const std::string& v = p.text.emplace_back(std::move(value));
    p.kv.push_back(cw_kv{cw_str{k.data(), k.size()}, cw_str{v.data(), v.size()}});
  }
  std::string raw_;
  std::string group_;
  std::int64_t time_ns_;
  Pairs parsed_;
  Pairs meta_;
  cw_event_view view_{};
};

/// Drives one instance of a scenario descriptor (one group of a scenario, as the host would):
/// create, pour, destroy.
class ScenarioDriver {
 public:
  /// `descriptor` is what the plugin's entry returned (must be a scenario plugin).
  explicit ScenarioDriver(const cw_plugin_descriptor* descriptor)
      : vtable_(static_cast<const cw_scenario_vtable*>(descriptor->vtable)) {}
  ScenarioDriver(const ScenarioDriver&) = delete;
  ScenarioDriver& operator=(const ScenarioDriver&) = delete;
  ~ScenarioDriver() { destroy(); }

  /// Creates the instance from its `config:` YAML; the status of the plugin's create.
  cw_status create(std::string_view yaml) {
    destroy();
    return vtable_->create(cw_str{yaml.data(), yaml.size()}, &instance_);
  }
  /// Pours one event into the created instance; the status of the plugin's pour, and in
  /// `overflow` whether the event made it overflow.
  cw_status pour(TestEvent& event, bool& overflow) {
    int flag = 0;
    const cw_status status = vtable_->pour(instance_, event.view(), &flag);
    overflow = flag != 0;
    return status;
  }
  /// Frees the instance.
  void destroy() {
    if (instance_ != nullptr) {
      vtable_->destroy(instance_);
      instance_ = nullptr;
    }
  }

 private:
  const cw_scenario_vtable* vtable_;
  cw_instance* instance_ = nullptr;
};

/// Drives one instance of a parser descriptor: create, process, destroy. Records what each
/// process call wrote (through the writer) and its status, as the host would see it.
class ParserDriver {
 public:
  /// `descriptor` is what the plugin's entry returned (must be a parser plugin).
  explicit ParserDriver(const cw_plugin_descriptor* descriptor)
      : vtable_(static_cast<const cw_parser_vtable*>(descriptor->vtable)) {}
  ParserDriver(const ParserDriver&) = delete;
  ParserDriver& operator=(const ParserDriver&) = delete;
  ~ParserDriver() { destroy(); }

  /// Creates the instance from the node's `config:` as YAML text; the status of the plugin's
  /// create (its reports go to the FakeHost given to the entry point).
  cw_status create(std::string_view yaml) {
    destroy();
    return vtable_->create(cw_str{yaml.data(), yaml.size()}, &instance_);
  }
  /// Processes `event` with the created instance; the status of the plugin's process.
  /// written() then holds the writes of this call, in order (whatever the status).
  cw_status process(TestEvent& event) {
    written_.clear();
    cw_event_writer writer{};
    writer.struct_size = sizeof(cw_event_writer);
    writer.writer_ctx = &written_;
    writer.set = [](void* ctx, cw_str key, cw_str value) {
      static_cast<std::vector<std::pair<std::string, std::string>>*>(ctx)->emplace_back(
          std::string(key.data, key.size), std::string(value.data, value.size));
    };
    return vtable_->process(instance_, event.view(), &writer);
  }
  /// Processes an event holding only Line.Raw.
  cw_status process(std::string_view raw) {
    TestEvent e(0, "", std::string(raw));
    return process(e);
  }
  /// What the last process call wrote, in order: (key, value) as given to the writer.
  const std::vector<std::pair<std::string, std::string>>& written() const { return written_; }
  /// Frees the instance.
  void destroy() {
    if (instance_ != nullptr) {
      vtable_->destroy(instance_);
      instance_ = nullptr;
    }
  }

 private:
  const cw_parser_vtable* vtable_;
  cw_instance* instance_ = nullptr;
  std::vector<std::pair<std::string, std::string>> written_;
};

}  // namespace cw::sdk::testing
