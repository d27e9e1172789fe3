// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/hub/manager.h"

// The hub manager's commands: `cwcli [-c CONFIG] hub|collections|parsers|scenarios|
// postoverflows|contexts|plugins|simulation ...`.
namespace cw::cli {

/// True for the command words this file handles (and for a leading -c/--config).
bool isHubCommand(std::string_view word);

/// Runs `cwcli [-c CONFIG] <hub command> ...`; argv[0] is the program.
int runHubCommand(int argc, char** argv);

/// Paths the commands work on: from the configuration file, overridden by flags.
struct HubPaths {
  std::string config_dir;
  std::string hub_dir;
  std::string data_dir;
  std::string simulation_path;
};

/// Options every hub command takes (-c, --config-dir, --hub-dir, --data-dir, --source,
/// --data-source, --timeout, --connect-timeout, --ca-cert).
struct CommonOptions {
  std::string config_file;
  std::string config_dir;
  std::string hub_dir;
  std::string data_dir;
  std::string source;
  std::string data_source;
  long timeout_s = 300;
  long connect_timeout_s = 10;
  std::string ca_cert;

  void add(boost::program_options::options_description& desc);
  /// The paths, from the configuration file (-c, else the default one when it exists) and the
  /// overrides. Fails when neither names a config dir.
  core::Result<HubPaths> paths() const;
  /// A manager on those paths.
  core::Result<core::hub::Manager> manager() const;
};

/// Prints an operation's lines (stdout) and warnings (stderr, "warning: ").
void printOutcome(const core::hub::Outcome& out);

int hubCommand(int argc, char** argv, const std::string& config_file);
int itemsCommand(const std::string& type, int argc, char** argv, const std::string& config_file);
int simulationCommand(int argc, char** argv, const std::string& config_file);

/// Lists states as a table, JSON ({type: [...]}) or CSV; `format` is human|json|raw.
void printStates(
    const std::vector<std::pair<std::string, std::vector<core::hub::ItemState>>>& lists,
    const std::string& format);

}  // namespace cw::cli
