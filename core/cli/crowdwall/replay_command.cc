// SPDX-License-Identifier: Apache-2.0
#include "replay_command.h"
#include "replay_dsn.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

#include "cw/core/agent/agent.h"
#include "cw/core/daemon/daemon.h"
#include "cw/core/alerts/render.h"
#include "cw/core/hub/hub.h"

namespace cw::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr const char* kReplayUsage =
    "Usage: crowdwall replay --file FILE --type TYPE [options]\n"
    "\n"
    "Reads whole log files in time-machine mode (the log's own timestamps drive the\n"
    "buckets), runs every line through the parsers and scenarios of a hub and prints\n"
    "the alerts raised: scenario, source, event count, first and last event time.\n"
    "Buckets still filling at the end of the input are discarded.\n"
    "\n";

constexpr const char* kReplayFooter =
    "\n"
    "Hub directories use CrowdSec's layout (parsers/<stage>/<author>/<name>.yaml,\n"
    "postoverflows/..., scenarios/<author>/<name>.yaml, collections/<author>/<name>.yaml)\n"
    "or the installed-config layout (parsers/<stage>/<file>.yaml, scenarios/<file>.yaml).\n"
    "Without --hub: $CROWDWALL_HUB, else <exe dir>/../share/crowdwall/hub, else the\n"
    "hub/ directory of the source tree crowdwall was built from.\n"
    "\n"
    "Exit status: 0 done (with or without alerts), 1 the hub or a file could not be\n"
    "loaded or read, 2 invalid command line.\n"
    "\n"
    "Examples:\n"
    "  crowdwall replay --file /var/log/auth.log --type syslog\n"
    "  crowdwall replay --file access.log --type nginx -o json\n"
    "  crowdwall replay -f auth.log -t syslog --hub DIR --collections crowdsecurity/linux\n";

int usageError(const std::string& message) {
  std::fprintf(stderr, "crowdwall replay: %s\nRun 'crowdwall replay --help' for usage.\n",
               message.c_str());
  return 2;
}

}  // namespace

int runReplay(int argc, char** argv) {
  std::vector<std::string> files;
  std::string dsn;         // --dsn: read through an acquisition plugin instead of --file
  std::string plugin_dir;
  std::vector<std::string> collections;
  std::vector<std::string> labels;
  std::string type;
  std::string hub_dir;
  std::string data_dir;
  std::string patterns_dir;
  std::string output = "human";
  int year = 0;
  std::size_t max_line = core::acquisition::kDefaultMaxLineBytes;

  po::options_description options("Options");
  options.add_options()
      ("help,h", "show this help")
      ("file,f", po::value(&files)->value_name("FILE"),
       "log file to read (repeatable; files are read in order)")
      ("dsn", po::value(&dsn)->value_name("DSN"),
       "read through an acquisition plugin instead: file://GLOB[?max_buffer_size=N] or "
       "journalctl://filters=MATCH[&filters=...][&since=TIME]")
      ("plugin-dir", po::value(&plugin_dir)->value_name("DIR"),
       "plugins and their index.json: acquisition plugins for --dsn, parser plugins named by "
       "parser nodes, scenario plugins of scenarios of type plugin (default: installed plugins)")
      ("type,t", po::value(&type)->value_name("TYPE"),
       "log type given to the parsers as Line.Labels.type (syslog, nginx, apache2...)")
      ("hub", po::value(&hub_dir)->value_name("DIR"), "hub directory to take items from")
      ("collections,c", po::value(&collections)->value_name("LIST"),
       "collections to enable, comma separated and/or repeated, resolved with their "
       "parsers, scenarios, post-overflows and sub-collections (default: every item of "
       "the hub)")
      ("data", po::value(&data_dir)->value_name("DIR"),
       "data files (dest_file of items' data:, GeoLite2 databases); default <hub>/data")
      ("patterns", po::value(&patterns_dir)->value_name("DIR"),
       "grok pattern files; default <hub>/patterns")
      ("label,l", po::value(&labels)->value_name("KEY:VALUE"),
       "extra Line.Labels entry (repeatable)")
      ("year", po::value(&year)->value_name("N"),
       "year given to timestamps without one (default: the current year)")
      ("output,o", po::value(&output)->value_name("FORMAT"),
       "human (table, default) or json")
      ("max-line-bytes", po::value(&max_line)->value_name("N"),
       "longer lines are dropped and counted as too long (default 1048576)");

  po::variables_map vm;
  try {
    // No positional arguments: a stray word is a mistake, not something to ignore.
    const po::positional_options_description none;
    po::store(po::command_line_parser(argc, argv).options(options).positional(none).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usageError(e.what());
  }

  if (vm.count("help") != 0) {
    std::cout << kReplayUsage << options << kReplayFooter;
    return 0;
  }
  if (files.empty() && dsn.empty()) {
    return usageError("--file is required");
  }
  if (!files.empty() && !dsn.empty()) {
    return usageError("--file and --dsn exclude each other");
  }
  if (type.empty()) {
    return usageError("--type is required");
  }
  if (output != "human" && output != "json") {
    return usageError("--output must be human or json, not '" + output + "'");
  }
  if (vm.count("year") != 0 && (year < 1678 || year > 2261)) {
    // Outside this range a timestamp no longer fits int64 nanoseconds.
    return usageError("--year must be between 1678 and 2261");
  }
  // A negative number wraps around in an unsigned option: bound it to something sane.
  constexpr std::size_t kMaxLineLimit = std::size_t{1} << 30;
  if (max_line == 0 || max_line > kMaxLineLimit) {
    return usageError("--max-line-bytes must be between 1 and 1073741824");
  }

  core::agent::ReplayInput input;
  input.files = files;
  input.type = type;
  input.read.max_line_bytes = max_line;
  for (const std::string& label : labels) {
    const auto colon = label.find(':');
    if (colon == std::string::npos || colon == 0) {
      return usageError("invalid --label '" + label + "': expected KEY:VALUE");
    }
    input.labels.emplace_back(label.substr(0, colon), label.substr(colon + 1));
  }

  // Missing inputs are reported before the (slower) hub load.
  for (const std::string& file : files) {
    if (::access(file.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "crowdwall: cannot open %s: %s\n", file.c_str(), std::strerror(errno));
      return 1;
    }
  }

  core::agent::AgentConfig config;
  config.hub_dir = hub_dir.empty() ? core::hub::defaultHubDir() : hub_dir;
  config.collections = core::hub::splitNameList(collections);
  config.data_dir = data_dir;
  config.patterns_dir = patterns_dir;
  config.year = year;
  // Parser nodes and scenarios may name plugins: ours, plus those cwcli enabled in --hub.
  config.plugin_dir = plugin_dir.empty() ? defaultPluginDir() : plugin_dir;
  if (!hub_dir.empty()) {
    config.plugin_index = (fs::path(hub_dir) / "plugins/index.json").string();
  }

  auto agent = core::agent::Agent::create(config);
  if (!agent) {
    cw::core::daemon::printErrors(agent.error().message);
    return 1;
  }
  // Alerts are handed over as they are raised: JSON is written straight away (in the order
  // raised), the table keeps only what it shows, so a long replay holds little in memory.
  const bool json = output == "json";
  std::optional<core::alerts::JsonStream> stream;
  if (json) {
    stream.emplace(stdout);
  }
  bool written = true;
  std::vector<core::event::Alert> rows;
  input.on_alert = [&](core::event::Alert&& alert) {
    if (json) {
      written = stream->add(alert) && written;
      return;
    }
    alert.events.clear();
    alert.events.shrink_to_fit();
    alert.meta.clear();
    rows.push_back(std::move(alert));
  };
  auto result = dsn.empty() ? (*agent)->replay(input) : replayDsn(**agent, dsn, plugin_dir, hub_dir, input);
  if (!result) {
    cw::core::daemon::printErrors(result.error().message);
    return 1;
  }
  if (result->counters.parsed == 0 && result->counters.unparsed > 0) {
    std::fprintf(stderr,
                 "crowdwall: no line was parsed: check --type (%s) and that the enabled items "
                 "include a first-stage parser for it (CrowdSec's come with "
                 "crowdsecurity/linux)\n",
                 input.type.c_str());
  }
  if (json) {
    written = stream->finish(result->counters) && written;
    return std::fflush(stdout) == 0 && written ? 0 : 1;
  }
  core::alerts::sortAlerts(rows);
  const std::string text = core::alerts::renderTable(rows, result->counters);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace cw::cli
