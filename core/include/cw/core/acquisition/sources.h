// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/event/event.h"

// Live acquisition: the data sources of acquis.yaml and acquis.d/*.yaml
// (shared/docs/contract/acquisition.md), each served by an acquisition plugin (file,
// journald, syslog, or a third party's) loaded through the plugin loader.
//
// Contract between this interface's implementation and the daemon:
// - start() runs each source on its own thread(s). The callback may be called from several
//   threads at once; the caller serializes (the daemon queues lines to the agent).
// - A line handed to the callback is accepted: stop() then start() again (a restart) does not
//   deliver it twice, and a line written before stop() that was not delivered is delivered
//   after the restart (positions and cursors are saved in the data directory).
// - Bad input (too-long lines, unreadable files, malformed syslog frames) is dropped and
//   counted in stats(); it never stops the other sources.
namespace cw::core::acquisition {

/// One acquired line. The views are valid only during the callback.
struct SourceLine {
  std::string_view raw;     ///< the log line, without its end-of-line
  std::string_view src;     ///< file path, journal name, or the syslog sender's address
  std::string_view module;  ///< datasource: "file", "journalctl", "syslog", ...
  const event::StrMap* labels = nullptr;  ///< the source's `labels:` (type selects parsers)
  TimePoint received;                     ///< acquisition time
  bool time_machine = false;              ///< `use_time_machine:` or a one-shot file:// source
};

using SourceCallback = std::function<void(const SourceLine&)>;

struct LoadOptions {
  std::string acquis_path;  ///< acquis.yaml; may be absent when acquis_dir has files
  std::string acquis_dir;   ///< acquis.d; *.yaml and *.yml, in name order
  std::string state_dir;    ///< where positions and cursors are kept across restarts
  std::string plugin_dir;   ///< our plugins and their index.json (abi, sha256)
  std::string index_path;   ///< another index, optional (the daemon passes
                            ///< <config_dir>/plugins/index.json, the plugins cwcli enabled):
                            ///< files relative to its folder, absent ones skipped; may be empty
  std::vector<std::string> enabled_plugins;   ///< empty = all declared
  std::vector<std::string> disabled_plugins;  ///< never loaded
};

/// One-shot reading of a DSN (`crowdwall replay --dsn`, acquisition.md section 6).
struct DsnOptions {
  std::string dsn;         ///< "file:///var/log/auth.log", "journalctl://filters=..."
  event::StrMap labels;    ///< {type: <--type>} + --label pairs
  std::string plugin_dir;  ///< as LoadOptions
  std::string index_path;
  std::vector<std::string> enabled_plugins;
  std::vector<std::string> disabled_plugins;
};

/// Counters of one configured source (`name` is its `name:` or "<module>:<first target>").
struct SourceStats {
  std::string name;
  std::uint64_t lines = 0;    ///< delivered to the callback
  std::uint64_t dropped = 0;  ///< too long, malformed, over a size limit
  std::uint64_t errors = 0;   ///< read or network errors (source kept running)
  std::uint64_t split = 0;    ///< lines over the size limit delivered in pieces
};

class Sources {
 public:
  virtual ~Sources() = default;

  /// Reads acquis.yaml and acquis.d, loads the plugins they need and checks every source's
  /// configuration. Every problem is listed in the error (file, document, what is wrong).
  static Result<std::unique_ptr<Sources>> load(const LoadOptions& options);
  /// One source in cat mode from a DSN; the plugin serving its scheme is loaded as for load().
  static Result<std::unique_ptr<Sources>> loadDsn(const DsnOptions& options);

  /// Starts every source; returns once they run.
  virtual Result<bool> start(SourceCallback on_line) = 0;
  /// Stops every source and saves positions; lines not yet delivered stay for next start.
  virtual void stop() = 0;
  virtual std::vector<SourceStats> stats() const = 0;
  /// True when the configuration has only cat-mode sources (the agent exits when they end).
  virtual bool oneShot() const = 0;
  /// Blocks until every cat-mode source has read all its data (returns at once if none).
  virtual void waitFinished() = 0;
};

}  // namespace cw::core::acquisition
