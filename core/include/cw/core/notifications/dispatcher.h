// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/config/config.h"
#include "cw/core/notifications/template.h"

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
// The LAPI's request threads only queue: one background thread groups the alerts of each
// notification into batches, renders a batch with the notification's `format` and hands the
// text to the plugin (retrying a failure `max_retry` times), so a slow or failing plugin never
// holds a request. The queue is bounded; a full queue drops the alert and counts it.
namespace cw::core::notifications {

/// Where one configured notification sends. Called from the dispatcher's thread only.
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// Sends one message (the notification's `format` applied to a batch of alerts; by default
  /// the JSON array of the alerts); an error says why it was not delivered.
  virtual Result<bool> notify(std::string_view message) = 0;
};

/// How the dispatcher treats one notification: the keys of its file that the host handles,
/// whatever the plugin (CrowdSec's names).
struct NotifierOptions {
  /// `format`: what the plugin is given for a batch.
  Template format = Template::defaultFormat();
  /// `group_wait`: a batch is sent this long after its first alert arrived (0: no waiting).
  std::chrono::milliseconds group_wait{0};
  /// `group_threshold`: a batch is sent once it holds this many alerts (0: no threshold).
  /// With neither, every alert is sent alone as soon as it is dequeued.
  std::size_t group_threshold = 0;
  /// `max_retry`: further attempts after a failed one, with a short backoff in between.
  unsigned max_retry = 0;
  /// `log_level`: the lowest level of the messages logged about this notification.
  spdlog::level::level_enum log_level = spdlog::level::trace;
};

/// What the dispatcher did since it was built.
struct DispatcherStats {
  std::uint64_t queued = 0;   ///< alerts accepted into the queue
  std::uint64_t dropped = 0;  ///< alerts refused because the queue was full
  std::uint64_t sent = 0;     ///< messages (batches) delivered, possibly after retries
  std::uint64_t failed = 0;   ///< messages still failing after their retries (logged)
  std::uint64_t retried = 0;  ///< attempts repeated after a failure
};

/// Default bound of the queue, in alerts.
inline constexpr std::size_t kDefaultQueueCapacity = 1024;
/// Longest `max_retry` accepted.
inline constexpr unsigned kMaxRetry = 10;

/// The steady clock the dispatcher reads to time `group_wait`; replaceable in tests.
using Clock = std::function<std::chrono::steady_clock::time_point()>;

/// A bounded FIFO queue of alerts and one thread calling the notifiers in order.
class Dispatcher {
 public:
  /// `retry_backoff`: the wait before the first retry, doubled for each further one (at most
  /// 5 s). `clock`: what time it is, for `group_wait` (tests pass their own and call wake()).
  explicit Dispatcher(std::size_t capacity = kDefaultQueueCapacity,
                      std::chrono::milliseconds retry_backoff = std::chrono::milliseconds(250),
                      Clock clock = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Adds notification `name` (before start()). A name added twice keeps the first.
  void add(std::string name, std::unique_ptr<Notifier> notifier, NotifierOptions options = {});
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
  /// Delivers what is queued and every batch still waiting, then stops the thread. Idempotent;
  /// done by the destructor.
  void stop();
  /// Blocks until the queue is empty, no call is in progress and the last wake() was handled
  /// (tests; needs start()). Batches waiting for `group_wait` or `group_threshold` stay.
  void waitIdle();
  /// Makes the thread read the clock again and send the batches whose `group_wait` is over.
  void wake();

  DispatcherStats stats() const;

 private:
  struct Item {
    std::vector<std::size_t> targets;  // indexes into notifiers_
    std::string json;
  };
  /// One notification's state, touched by the dispatcher's thread only (after add()).
  struct Target {
    std::unique_ptr<Notifier> notifier;
    NotifierOptions options;
    std::vector<std::string> batch;  // alerts waiting; cleared (capacity kept) once sent
    std::chrono::steady_clock::time_point first;  // when batch[0] arrived
    std::string message;                          // the rendered batch; capacity reused
  };
  void run();
  bool due(const Target& t, std::chrono::steady_clock::time_point now, bool stopping) const;
  void send(std::size_t index);  // called without the lock

  std::size_t capacity_;
  std::chrono::milliseconds retry_backoff_;
  Clock clock_;
  std::vector<std::string> names_;
  std::vector<Target> targets_;
  mutable std::mutex mu_;
  std::condition_variable cv_work_;
  std::condition_variable cv_idle_;
  std::deque<Item> queue_;
  bool busy_ = false;
  bool woken_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  DispatcherStats stats_;
};

/// One notification file's document.
struct NotificationConfig {
  std::string file;  ///< where it was read
  int line = 0;      ///< its first line (1-based)
  std::string type;  ///< the plugin id, or its last part (`http` for `crowdwall/http`)
  std::string name;  ///< what profiles call it
  std::string yaml;  ///< the plugin's keys as a YAML mapping
  /// The host's keys: format, group_wait, group_threshold, max_retry, log_level.
  std::shared_ptr<NotifierOptions> options = std::make_shared<NotifierOptions>();
};

/// Reads every `*.yaml` and `*.yml` of `dir` (name order; several documents per file allowed).
/// A missing folder is no notification. Every problem is listed: unreadable file, broken YAML,
/// a document that is not a mapping, without `type` or `name`, a name defined twice, a host
/// key with a wrong value (a `format` outside the supported subset).
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
