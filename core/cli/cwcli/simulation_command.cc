// SPDX-License-Identifier: Apache-2.0
// cwcli simulation enable|disable [SCENARIO...] [--global] | status
#include <algorithm>
#include <iostream>

#include "cw/core/hub/simulation.h"
#include "admin_common.h"
#include "hub_command.h"

namespace po = boost::program_options;

namespace cw::cli {

int simulationCommand(int argc, char** argv, const std::string& config_file) {
  const std::string verb = argc >= 2 ? argv[1] : "";
  if (verb != "enable" && verb != "disable" && verb != "status") {
    std::cerr << "usage: cwcli simulation enable|disable [SCENARIO...] [--global] | status\n";
    return 2;
  }
  CommonOptions common;
  common.config_file = config_file;
  std::vector<std::string> names;
  bool global = false;
  po::options_description desc("cwcli simulation " + verb + " [options]" +
                               (verb == "status" ? "" : " [SCENARIO...]"));
  if (verb != "status") {
    desc.add_options()("global,g", po::bool_switch(&global), "every scenario (the global switch)");
  }
  common.add(desc);
  po::variables_map vm;
  const std::string what = "simulation " + verb;
  const int parsed = verb == "status" ? parseArgs(argc - 1, argv + 1, desc, vm, what.c_str())
                                  : parseArgs(argc - 1, argv + 1, desc, names, vm, what.c_str());
  if (parsed >= 0) {
    return parsed;
  }
  if (verb != "status" && global == !names.empty()) {
    std::cerr << "cwcli simulation " << verb << ": name scenarios or give --global\n";
    return 2;
  }
  auto paths = common.paths();
  if (!paths) {
    std::cerr << "cwcli simulation " << verb << ": " << paths.error().message << "\n";
    return 1;
  }
  auto sim = core::hub::loadSimulation(paths->simulation_path);
  if (!sim) {
    std::cerr << "cwcli simulation " << verb << ": " << sim.error().message << "\n";
    return 1;
  }
  if (verb == "status") {
    std::cout << "global simulation: " << (sim->enabled ? "enabled" : "disabled") << "\n";
    if (!sim->exclusions.empty()) {
      std::cout << (sim->enabled ? "scenarios not in simulation:" : "scenarios in simulation:")
                << "\n";
      for (const std::string& e : sim->exclusions) {
        std::cout << "  - " << e << "\n";
      }
    }
    return 0;
  }
  const bool on = verb == "enable";
  if (global) {
    sim->enabled = on;
    sim->exclusions.clear();
    std::cout << "global simulation " << (on ? "enabled" : "disabled") << "\n";
  } else {
    // A scenario is simulated iff (global on) != (excluded): flip its exclusion as needed.
    auto installed = common.manager();
    for (const std::string& n : names) {
      if (installed && !installed->inspect("scenarios", n)) {
        std::cerr << "warning: scenario " << n << " is not installed\n";
      }
      auto& ex = sim->exclusions;
      const bool want_excluded = on != sim->enabled;
      const auto it = std::find(ex.begin(), ex.end(), n);
      if (want_excluded && it == ex.end()) {
        ex.push_back(n);
      } else if (!want_excluded && it != ex.end()) {
        ex.erase(it);
      }
      std::cout << "simulation " << (on ? "enabled" : "disabled") << " for " << n << "\n";
    }
  }
  auto saved = core::hub::saveSimulation(paths->simulation_path, *sim);
  if (!saved) {
    std::cerr << "cwcli simulation " << verb << ": " << saved.error().message << "\n";
    return 1;
  }
  std::cout << "reload the daemon (systemctl reload crowdwall, or SIGHUP) to apply\n";
  return 0;
}

}  // namespace cw::cli
