// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cw/core/common/result.h"
#include "cw/core/config/config.h"

// `crowdwall run`: the long-running service. Depending on config.yaml it runs
// - the agent (crowdsec_service): acquisition Sources -> a bounded line queue -> one Agent thread
//   (parsers, live buckets ticked each second, post-overflows) -> alerts -> the on-disk alert
//   queue -> the LAPI named by api.client.credentials_path, like CrowdSec's agent;
// - the Local API (api.server): the store (db_config) and profiles behind lapi::Server, and the
//   notifications the profiles name (notification plugins called on a thread of their own);
// or both in one process (the agent then posts to this process's own LAPI over HTTP).
namespace cw::core::daemon {

/// Counters for logs and tests.
struct DaemonStats {
  std::uint64_t lines = 0;             ///< lines the agent processed
  std::uint64_t lines_dropped = 0;     ///< lines lost because the agent's queue stayed full
  std::uint64_t alerts = 0;            ///< alerts the agent raised and queued
  std::uint64_t reloads = 0;           ///< successful hub reloads
  std::uint64_t alerts_sent = 0;       ///< alerts the LAPI acknowledged
  std::size_t alerts_pending = 0;      ///< alerts waiting in the on-disk queue
  std::uint64_t db_flushes = 0;        ///< db_config.flush runs done by the LAPI side
  std::int64_t db_flushed_alerts = 0;  ///< alerts they deleted
  std::uint64_t notifications_sent = 0;     ///< notification plugin calls that succeeded
  std::uint64_t notifications_failed = 0;   ///< notification plugin calls that failed
  std::uint64_t notifications_dropped = 0;  ///< alerts dropped on a full notification queue
};

/// Internal knobs, for tests.
struct DaemonOptions {
  /// Period of the LAPI's database flush (db_config.flush), which also runs once at start.
  std::chrono::milliseconds flush_interval{std::chrono::minutes(10)};
};

class Daemon {
 public:
  /// Loads every part the configuration enables (hub items, acquisition, credentials, store,
  /// profiles). Every problem found is listed in the error.
  static Result<std::unique_ptr<Daemon>> create(const config::Config& config,
                                                const DaemonOptions& options = {});

  /// Starts the LAPI server first, then the alert sender, the agent thread and the sources.
  Result<bool> start();

  /// Stops the sources (positions saved), lets the agent finish the queued lines, sends what
  /// it can of the alert queue (the rest stays on disk), then stops the LAPI. Idempotent.
  void stop();

  /// Reloads the hub items (parsers, scenarios, post-overflows) from config_dir; on failure the
  /// running items are kept and the error returned. Live buckets start empty again.
  Result<bool> reload();

  /// True when the agent runs alone and acquis.yaml has only cat-mode sources: the service
  /// stops once they are read, as CrowdSec's agent does.
  bool oneShot() const;
  /// With oneShot(): blocks until every source has read all its data. Else returns at once.
  void waitSourcesFinished();

  /// The port the LAPI listens on (0 when the server is disabled or not on TCP).
  int lapiPort() const;

  DaemonStats stats() const;

  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  struct Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Prints a (possibly multi-line) error to stderr, each line as "crowdwall: <line>", so every
/// problem a loader lists stands on its own line.
void printErrors(const std::string& message);

/// Sets up logging from `common:` (stderr, or <log_dir>/crowdwall.log with log_media: file).
Result<bool> setupLogging(const config::Common& common);

/// The whole service for `crowdwall run`: loads the configuration, logs, creates and starts
/// the daemon, then waits for signals: SIGTERM/SIGINT stop it cleanly, SIGHUP reloads the hub
/// items. Returns the process exit status (0 after a clean stop, 1 when it could not start).
int runService(const std::string& config_path);

}  // namespace cw::core::daemon
