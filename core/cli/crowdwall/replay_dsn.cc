// SPDX-License-Identifier: Apache-2.0
#include "replay_dsn.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include "cw/core/acquisition/sources.h"
#include "cw/core/plugins/loader.h"

namespace cw::cli {

namespace fs = std::filesystem;

std::string defaultPluginDir() {
  return core::plugins::defaultPluginDir();  // shared with cwcli explain
}

core::Result<core::agent::ReplayResult> replayDsn(core::agent::Agent& agent, const std::string& dsn,
                                                  const std::string& plugin_dir,
                                                  const std::string& hub_dir,
                                                  const core::agent::ReplayInput& input) {
  core::acquisition::DsnOptions options;
  options.dsn = dsn;
  options.plugin_dir = plugin_dir.empty() ? defaultPluginDir() : plugin_dir;
  options.index_path = hub_dir.empty() ? options.plugin_dir + "/index.json"
                                       : (fs::path(hub_dir) / "plugins/index.json").string();
  options.labels.set("type", input.type);
  for (const auto& [k, v] : input.labels) {
    options.labels.set(k, v);
  }
  auto sources = core::acquisition::Sources::loadDsn(options);
  if (!sources) {
    return sources.error();
  }
  const core::alerts::ReplayCounters before = agent.counters();
  core::agent::ReplayResult result;
  core::event::Event evt;
  std::mutex mu;  // one DSN source, but the callback contract allows several threads
  std::uint64_t lines = 0;
  auto started = (*sources)->start([&](const core::acquisition::SourceLine& line) {
    std::lock_guard<std::mutex> lock(mu);
    evt.reset();
    evt.type = core::event::EventType::Log;
    evt.expect_mode =
        line.time_machine ? core::event::ExpectMode::TimeMachine : core::event::ExpectMode::Live;
    evt.process = true;
    evt.line.raw.assign(line.raw);
    evt.line.src.assign(line.src);
    evt.line.module.assign(line.module);
    evt.line.time = line.received;
    evt.line.process = true;
    evt.line.labels = *line.labels;
    ++lines;
    agent.processEvent(evt, result.alerts);
    if (input.on_alert) {
      for (core::event::Alert& alert : result.alerts) {
        input.on_alert(std::move(alert));
      }
      result.alerts.clear();
    }
  });
  if (!started) {
    return started.error();
  }
  (*sources)->waitFinished();
  (*sources)->stop();
  std::uint64_t dropped = 0;
  for (const auto& s : (*sources)->stats()) {
    dropped += s.dropped;
  }
  const core::alerts::ReplayCounters& now = agent.counters();
  core::alerts::ReplayCounters& c = result.counters;
  c.lines_read = lines + dropped;
  c.too_long = dropped;
  c.parsed = now.parsed - before.parsed;
  c.whitelisted = now.whitelisted - before.whitelisted;
  c.unparsed = now.unparsed - before.unparsed;
  c.overflows = now.overflows - before.overflows;
  c.overflows_whitelisted = now.overflows_whitelisted - before.overflows_whitelisted;
  c.alerts = now.alerts - before.alerts;
  core::alerts::sortAlerts(result.alerts);
  return result;
}

}  // namespace cw::cli
