// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/event/event.h"

namespace cw::core::expr {
class Services;
}
namespace cw::core::plugins {
class Plugin;
class PluginSet;
}  // namespace cw::core::plugins

// Leaky-bucket scenarios (shared/docs/contract/scenarios.md): parsed events are poured into
// buckets partitioned by groupby; a bucket that overflows becomes an OVFLW Event carrying the
// alert (section 11).
namespace cw::core::scenarios {

struct ScenarioFile {
  std::string path;
  std::string hash;     ///< sha256 of the file (alert scenario_hash); "" for local items
  std::string version;  ///< hub version (alert scenario_version); "" for local items
};

/// simulation.yaml: a scenario is simulated iff (enabled and not excluded) or
/// (disabled and excluded).
struct Simulation {
  bool enabled = false;
  std::vector<std::string> exclusions;
};

struct LoadOptions {
  std::string data_dir;
  expr::Services* services = nullptr;  ///< required
  Simulation simulation;
  /// Loads the scenario plugins; called once, only when a document is of `type: plugin`
  /// (unset: such a document is an error). The manager keeps the set alive as long as any
  /// instance of its plugins.
  std::function<Result<std::shared_ptr<const plugins::PluginSet>>()> load_plugins;
};

struct Stats {
  std::uint64_t poured = 0;       ///< (event, scenario) pours accepted by a filter
  std::uint64_t overflows = 0;    ///< alerts emitted
  std::uint64_t underflows = 0;   ///< buckets that expired without alert
  std::uint64_t blackholed = 0;   ///< overflows suppressed by blackhole
  std::uint64_t errors = 0;       ///< runtime expression errors while pouring
  /// `type: plugin` scenarios: pours (or instance creations) that failed, the plugin threw or
  /// returned an error; the event was dropped for that group
  std::uint64_t plugin_errors = 0;
};

/// All loaded scenarios and their live buckets.
class BucketManager {
 public:
  static Result<BucketManager> load(const std::vector<ScenarioFile>& files,
                                    const LoadOptions& options);

  /// Pours one parsed event (LOG, or a reprocessed OVFLW) into every scenario in load order.
  /// Overflow events (Type Overflow, Overflow filled as in section 11) are appended to `out`.
  /// Reprocess: the manager never re-injects by itself. An emitted event whose
  /// `overflow.reprocess` is true must be poured back by the caller (after post-overflow
  /// parsers); OVFLW events reuse their `overflow.sources` (section 6). Buckets created by an
  /// event take its expect_mode: TimeMachine uses event time (MarshaledTime only) and
  /// expires idle buckets lazily; Live uses the clock and relies on tick().
  /// A filter or groupby runtime error stops this event for the remaining scenarios.
  void pour(const event::Event& evt, std::vector<event::Event>& out);

  /// Wall-clock timers (section 7), driven by the caller: every bucket whose lifetime ended at
  /// `now` is removed; counters overflow (appended to `out`), others underflow silently.
  void tick(TimePoint now, std::vector<event::Event>& out);

  /// Shutdown: discards every live bucket without alert (section 7). Blackholes are kept.
  void shutdown();

  /// The clock used for Live-mode event times and timer deadlines (default nowUtc()).
  void setClock(std::function<TimePoint()> clock);

  /// Called for each (scenario name, event) accepted by a filter (hub-test bucket-pour dumps).
  void setPourRecorder(std::function<void(const std::string&, const event::Event&)> recorder);

  std::size_t scenarioCount() const;
  /// Scenario names in evaluation order.
  std::vector<std::string> scenarioNames() const;
  std::size_t liveBuckets() const;
  const Stats& stats() const;

  BucketManager();
  ~BucketManager();
  BucketManager(BucketManager&&) noexcept;
  BucketManager& operator=(BucketManager&&) noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

} // namespace cw::core::scenarios
