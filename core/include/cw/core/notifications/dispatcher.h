// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/config/config.h"

namespace cw::core::decisions {
class Profiles;
}

namespace cw::core::plugins {
class PluginSet;
}

// Notifications: alerts the Local API accepted, handed to the notifications their matching
// profiles name (profiles.yaml `notifications:`). Each notification is configured by a file of
// <config_dir>/notifications/ (`type:` the notification plugin's id, `name:` what profiles
// call it, the rest the plugin's own keys) and sends through a notification plugin.
// The LAPI's request threads only queue: one background thread calls the plugins, so a slow
// or failing plugin never holds a request. The queue is bounded; a full queue drops the alert
// and counts it.
namespace cw::core::notifications {

/// Where one configured notification sends. Called from the dispatcher's thread only.
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// Sends one alert (a JSON object); an error says why it was not delivered.
  virtual Result<bool> notify(std::string_view alert_json) = 0;
};

/// What the dispatcher did since it was built.
struct DispatcherStats {
  std::uint64_t queued = 0;   ///< alerts accepted into the queue
  std::uint64_t dropped = 0;  ///< alerts refused because the queue was full
  std::uint64_t sent = 0;     ///< notify calls that succeeded
  std::uint64_t failed = 0;   ///< notify calls that failed (logged)
};

/// Default bound of the queue, in alerts.
inline constexpr std::size_t kDefaultQueueCapacity = 1024;

/// A bounded FIFO queue of alerts and one thread calling the notifiers in order.
class Dispatcher {
 public:
  explicit Dispatcher(std::size_t capacity = kDefaultQueueCapacity);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Adds notification `name` (before start()). A name added twice keeps the first.
  void add(std::string name, std::unique_ptr<Notifier> notifier);
  /// True when a notification of that name was added.
  bool has(std::string_view name) const;
  /// Names added, in order.
  std::vector<std::string> names() const;

  /// Queues `alert_json` for the notifications `names` (unknown names are ignored, repeated
  /// ones notified once, in the order of their first mention). Never blocks on a plugin:
  /// returns false and counts the alert as dropped when the queue holds `capacity` alerts.
  /// Thread-safe; may be called before start() (the alerts then wait).
  bool submit(const std::vector<std::string>& names, std::string alert_json);

  /// Starts the thread. Idempotent.
  void start();
  /// Delivers what is queued, then stops the thread. Idempotent; done by the destructor.
  void stop();
  /// Blocks until the queue is empty and no call is in progress (tests; needs start()).
  void waitIdle();

  DispatcherStats stats() const;

 private:
  struct Item {
    std::vector<std::size_t> targets;  // indexes into notifiers_
    std::string json;
  };
  void run();

  std::size_t capacity_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Notifier>> notifiers_;
  mutable std::mutex mu_;
  std::condition_variable cv_work_;
  std::condition_variable cv_idle_;
  std::deque<Item> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  DispatcherStats stats_;
};

/// One notification file's document.
struct NotificationConfig {
  std::string file;  ///< where it was read
  int line = 0;      ///< its first line (1-based)
  std::string type;  ///< the plugin id
  std::string name;  ///< what profiles call it
  std::string yaml;  ///< the other keys as a YAML mapping
};

/// Reads every `*.yaml` and `*.yml` of `dir` (name order; several documents per file allowed).
/// A missing folder is no notification. Every problem is listed: unreadable file, broken YAML,
/// a document that is not a mapping, without `type` or `name`, a name defined twice.
Result<std::vector<NotificationConfig>> readConfigs(const std::string& dir);

/// The notifications of a running LAPI: the plugins, their instances, the dispatcher.
class Notifications {
 public:
  ~Notifications();
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;

  /// Reads `config_paths.notification_dir` and creates the notifications `profiles` name, through
  /// the notification plugins of the plugin index (config_paths.plugin_dir and
  /// <config_dir>/plugins/index.json, as acquisition plugins). Nothing is loaded when no profile
  /// names a notification. Every problem is listed: a profile naming a notification no file
  /// defines, a notification whose type no notification plugin has, a plugin refusing its
  /// configuration, a broken file or plugin.
  static Result<std::unique_ptr<Notifications>> load(const config::Config& config,
                                                     const decisions::Profiles& profiles);

  Dispatcher& dispatcher() { return *dispatcher_; }

 private:
  Notifications() = default;
  std::unique_ptr<plugins::PluginSet> plugins_;  // outlives the instances in dispatcher_
  std::unique_ptr<Dispatcher> dispatcher_;
};

}  // namespace cw::core::notifications
