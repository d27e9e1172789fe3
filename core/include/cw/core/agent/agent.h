// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cw/core/acquisition/file_reader.h"
#include "cw/core/alerts/render.h"
#include "cw/core/common/result.h"
#include "cw/core/event/event.h"
#include "cw/core/parsers/pipeline.h"
#include "cw/core/scenarios/buckets.h"

// The agent wires the stages together: hub items -> parser pipeline -> buckets -> post-overflow
// pipeline -> alerts. `crowdwall replay` uses replay(); a daemon feeds processEvent() from live
// datasources and ships the alerts to the Local API instead of printing them.
namespace cw::core::agent {

struct AgentConfig {
  std::string hub_dir;                   ///< hub or installed-config directory
  std::vector<std::string> collections;  ///< empty = every item of hub_dir
  std::string data_dir;                  ///< "" = <hub_dir>/data
  std::string patterns_dir;              ///< "" = <hub_dir>/patterns
  int year = 0;                          ///< year for year-less timestamps, 0 = current
  scenarios::Simulation simulation;
  /// Parser plugins (nodes with `plugin:`) and scenario plugins (`type: plugin` scenarios),
  /// each kind loaded only when an item names one: our built plugins (<plugin_dir>/index.json)
  /// plus `plugin_index` (those `cwcli plugins install` enabled; absent file skipped), with the
  /// configuration's enabled and disabled lists, as for acquisition. Both empty: an item naming
  /// a plugin is a load error.
  std::string plugin_dir;
  std::string plugin_index;
  std::vector<std::string> enabled_plugins;   ///< config `plugins.enabled` (empty = all)
  std::vector<std::string> disabled_plugins;  ///< config `plugins.disabled`
};

/// Item files to load, when the caller chose them itself (hub tests list items by name or path)
/// instead of taking a hub selection.
struct ItemFiles {
  std::vector<parsers::ParserFile> parsers;
  std::vector<parsers::ParserFile> postoverflows;
  std::vector<scenarios::ScenarioFile> scenarios;
};

/// Hooks into the pipeline for tools that show or check what happened (hub tests, explain).
/// Each may be empty. They cost nothing when unset.
struct Observer {
  parsers::Recorder parser_node;  ///< every top-level parser and post-overflow node evaluated
  std::function<void(const std::string& scenario, const event::Event&)> pour;
  /// every overflow after the post-overflow parsers, whitelisted ones included
  std::function<void(const event::Event& overflow)> overflow;
};

/// What was enabled, for logs and `--verbose` style reports.
struct LoadedItems {
  std::size_t parsers = 0;
  std::size_t postoverflows = 0;
  std::size_t scenarios = 0;
  std::size_t collections = 0;
};

struct ReplayInput {
  std::vector<std::string> files;
  std::string type;                                         ///< Line.Labels["type"]
  std::vector<std::pair<std::string, std::string>> labels;  ///< extra Line.Labels
  acquisition::ReadOptions read;
  /// When set, each alert is handed over as soon as it is raised, in the order raised, and
  /// ReplayResult::alerts stays empty: a long replay then holds no alert in memory.
  std::function<void(event::Alert&&)> on_alert;
};

struct ReplayResult {
  std::vector<event::Alert> alerts;  ///< sorted with alerts::sortAlerts (empty with on_alert)
  alerts::ReplayCounters counters;
};

class Agent {
 public:
  /// Loads the hub selection and every stage. On failure the error lists every problem found
  /// (hub resolution, then parsers, post-overflows, scenarios), one per line.
  static Result<std::unique_ptr<Agent>> create(const AgentConfig& config);

  /// Loads the given item files; `config` gives the data and pattern folders (relative to
  /// config.hub_dir when unset), the year and the simulation settings.
  static Result<std::unique_ptr<Agent>> create(const AgentConfig& config, const ItemFiles& files);

  /// Installs hooks (hub tests, explain); replaces earlier ones.
  void setObserver(Observer observer);

  /// One acquired LOG event through parsers, buckets and post-overflows. `evt` is used as
  /// scratch (it is left parsed). Kept alerts (one per source) are appended to `out`.
  /// Never throws; counters are updated.
  void processEvent(event::Event& evt, std::vector<event::Alert>& out);

  /// Live mode: removes buckets whose lifetime ended at `now` (counter buckets overflow then)
  /// and hands over the resulting alerts like processEvent(). The daemon calls it each second.
  void tick(TimePoint now, std::vector<event::Alert>& out);

  /// One line read from `src` as a time-machine LOG event (labels {type, labels...}, module
  /// "file") through processEvent(). `evt` is reset and reused; it is left parsed.
  void processLine(event::Event& evt, std::string_view line, const std::string& src,
                   const ReplayInput& input, std::vector<event::Alert>& out);

  /// Time-machine replay of whole files: one reused Event per line, TimeMachine mode, labels
  /// {type, labels...}, Line.Module "file", Line.Src the path. Pending buckets are discarded at
  /// the end. Fails on the first file that cannot be opened or read.
  Result<ReplayResult> replay(const ReplayInput& input);

  const LoadedItems& loaded() const;
  const alerts::ReplayCounters& counters() const;

  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  struct Impl;

 private:
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace cw::core::agent
