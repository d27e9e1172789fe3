// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/config/config.h"
#include "cw/core/store/store.h"

// Shared by the commands that work on the Local API database directly (like cscli for machines
// and bouncers): `cwcli [-c CONFIG] machines|bouncers|decisions|alerts ...`.
namespace cw::cli {

/// Reads the leading `-c FILE` / `--config FILE` / `--config=FILE` options every cwcli command
/// takes before its word (the last one wins into `config_file`); returns the command word's index.
int leadingConfigOptions(int argc, char** argv, std::string& config_file);

/// True when argv (after optional leading `-c FILE` / `--config FILE` / `--config=FILE`) names
/// machines, bouncers, decisions or alerts.
bool isAdminCommand(int argc, char** argv);

/// Runs such a command; argv[0] is the program.
int runAdminCommand(int argc, char** argv);

/// The configuration (-c, else config::defaultConfigPath()) and the store it names.
struct AdminContext {
  core::config::Config config;
  std::unique_ptr<core::store::Store> store;
};

/// Loads the configuration and opens its database; the error is ready to print.
core::Result<std::shared_ptr<AdminContext>> openAdmin(const std::string& config_file);

/// Parses a subcommand's argv (argv[0] = the subcommand word) with `desc` (plus --help) and
/// positional words into `words`. Returns -1 to go on, else the exit code (help printed: 0,
/// error printed: 2). `what` prefixes messages ("machines add").
int parseArgs(int argc, char** argv, boost::program_options::options_description& desc,
              std::vector<std::string>& words, boost::program_options::variables_map& vm,
              const char* what);

/// The same for a subcommand that takes no positional words.
int parseArgs(int argc, char** argv, boost::program_options::options_description& desc,
              boost::program_options::variables_map& vm, const char* what);

/// The filter flags `decisions list|delete` and `alerts list|delete` share (cscli's names).
struct FilterFlags {
  std::string ip, range, scope, value, scenario, type, origin, since, until;
  bool all = false;        ///< --all: include CAPI/lists alerts (list) or match everything (delete)
  bool contained = false;  ///< --contained: decisions inside --ip/--range instead of containing it
  std::string limit;

  /// Adds --ip -i, --range -r, --scope, --value -v, --scenario -s, --type -t, --origin,
  /// --since, --until, --all -a, --contained, --limit -l (when with_limit).
  void add(boost::program_options::options_description& desc, bool with_limit);
  /// True when no criterion (other than --all/--limit) is given.
  bool empty() const;
  /// Query of GET /v1/alerts for these flags (cscli's translation).
  core::store::QueryParams alertQuery() const;
};

/// Output formats of `-o`.
enum class Output { Human, Json, Raw };

/// Parses human|json|raw.
core::Result<Output> parseOutput(const std::string& text);

/// A plain text table: columns padded to their widest cell, two spaces apart.
std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

/// CSV with RFC 4180 quoting (fields with , " or newlines quoted, " doubled).
std::string renderCsv(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows);

/// JSON string literal of `s` (quotes included).
std::string jsonString(std::string_view s);

/// RFC3339 text of a time, "" when never.
std::string timeText(const core::TimePoint& t);

int machinesCommand(int argc, char** argv, const std::string& config_file);
int bouncersCommand(int argc, char** argv, const std::string& config_file);
int decisionsCommand(int argc, char** argv, const std::string& config_file);
int alertsCommand(int argc, char** argv, const std::string& config_file);

}  // namespace cw::cli
