// SPDX-License-Identifier: Apache-2.0
#include "run_command.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "cw/core/config/config.h"
#include "cw/core/daemon/daemon.h"

namespace cw::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kRunUsage =
    "Usage: crowdwall run [-c CONFIG]\n"
    "       crowdwall -c CONFIG\n"
    "\n"
    "Runs the service config.yaml describes (CrowdSec's layout): the agent\n"
    "(crowdsec_service: acquis.yaml sources, the hub items installed in config_dir,\n"
    "alerts sent to the LAPI of api.client.credentials_path) and/or the Local API\n"
    "(api.server with db_config and profiles.yaml). Alerts wait in\n"
    "<data_dir>/crowdwall-alert-queue.db while the LAPI cannot be reached.\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop cleanly (positions saved, queued alerts kept);\n"
    "SIGHUP reloads the hub items.\n"
    "\n";

}  // namespace

int runRun(int argc, char** argv) {
  std::string config_path = core::config::defaultConfigPath();
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "config,c", po::value(&config_path)->value_name("FILE"),
      "configuration file (default $CROWDWALL_CONFIG, else /etc/crowdwall/config.yaml)");
  po::variables_map vm;
  try {
    const po::positional_options_description none;
    po::store(po::command_line_parser(argc, argv).options(options).positional(none).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "crowdwall run: %s\nRun 'crowdwall run --help' for usage.\n", e.what());
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << kRunUsage << options;
    return 0;
  }
  return core::daemon::runService(config_path);
}

}  // namespace cw::cli
