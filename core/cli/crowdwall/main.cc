// SPDX-License-Identifier: Apache-2.0
// crowdwall: command-line entry point. Subcommands live in their own files; this one only
// dispatches and prints the version and top-level help.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "replay_command.h"
#include "run_command.h"

namespace {

constexpr const char* kUsage =
    "Usage: crowdwall <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run       the service: the agent and/or the Local API, as config.yaml says\n"
    "            (crowdwall -c FILE does the same)\n"
    "  replay    read whole log files through the hub's parsers and scenarios and print the\n"
    "            alerts they raise (the log's own timestamps drive the buckets)\n"
    "\n"
    "Options:\n"
    "  -h, --help       show this help\n"
    "  -V, --version    print the version\n"
    "\n"
    "Run 'crowdwall <command> --help' for the options of a command.\n";

}  // namespace

int main(int argc, char** argv) {
  // stdout carries the results (a table or JSON for machines): logs go to stderr, and only
  // problems are shown unless CROWDWALL_LOG_LEVEL asks for more (debug, info, ...).
  auto logger = spdlog::stderr_logger_mt("crowdwall");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  if (const char* level = std::getenv("CROWDWALL_LOG_LEVEL"); level != nullptr) {
    spdlog::set_level(spdlog::level::from_str(level));
  }

  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "-V" || command == "--version" || command == "version") {
    std::printf("crowdwall %s\n", CW_VERSION);
    return 0;
  }
  if (command == "run") {
    return cw::cli::runRun(argc - 1, argv + 1);
  }
  if (command == "-c" || command == "--config" || command.rfind("--config=", 0) == 0) {
    return cw::cli::runRun(argc, argv);  // `crowdwall -c FILE`, as `crowdsec -c FILE`
  }
  if (command == "replay") {
    return cw::cli::runReplay(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "crowdwall: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}
