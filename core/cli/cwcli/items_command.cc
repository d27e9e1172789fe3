// SPDX-License-Identifier: Apache-2.0
// cwcli collections|parsers|scenarios|postoverflows|contexts|plugins
//   install|remove|upgrade|inspect NAME... | list [-a] [-o FMT]
#include <iostream>

#include "admin_common.h"
#include "hub_command.h"

namespace po = boost::program_options;

namespace cw::cli {

int itemsCommand(const std::string& type, int argc, char** argv, const std::string& config_file) {
  // argv[0] = type, argv[1] = verb
  const std::string verb = argc >= 2 ? argv[1] : "";
  if (verb != "install" && verb != "remove" && verb != "upgrade" && verb != "inspect" &&
      verb != "list") {
    std::cerr << "usage: cwcli " << type
              << " install|remove|upgrade|inspect NAME... | list [-a] [-o human|json|raw]\n";
    return 2;
  }
  CommonOptions common;
  common.config_file = config_file;
  std::vector<std::string> names;
  bool force = false;
  bool purge = false;
  bool all = false;
  std::string format = "human";
  po::options_description desc("cwcli " + type + " " + verb + " [options]" +
                               (verb == "list" ? "" : " NAME..."));
  if (verb == "install" || verb == "remove" || verb == "upgrade") {
    desc.add_options()("force", po::bool_switch(&force),
                       "overwrite tainted or local items (remove: also tainted ones and items "
                       "a collection needs)");
  }
  if (verb == "remove") {
    desc.add_options()("purge", po::bool_switch(&purge), "also delete the downloaded files");
  }
  if (verb == "list" || verb == "inspect") {
    desc.add_options()("output,o", po::value(&format)->value_name("FMT"), "human, json or raw");
  }
  if (verb == "list") {
    desc.add_options()("all,a", po::bool_switch(&all), "also items that are not installed");
  }
  common.add(desc);
  po::variables_map vm;
  const std::string what = type + " " + verb;
  const int parsed = verb == "list" ? parseArgs(argc - 1, argv + 1, desc, vm, what.c_str())
                                : parseArgs(argc - 1, argv + 1, desc, names, vm, what.c_str());
  if (parsed >= 0) {
    return parsed;
  }
  if (format != "human" && format != "json" && format != "raw") {
    std::cerr << "cwcli " << type << " " << verb << ": --output must be human, json or raw\n";
    return 2;
  }
  if (verb != "list" && names.empty()) {
    std::cerr << "cwcli " << type << " " << verb << ": name at least one item\n";
    return 2;
  }
  auto mgr = common.manager();
  if (!mgr) {
    std::cerr << "cwcli " << type << " " << verb << ": " << mgr.error().message << "\n";
    return 1;
  }
  if (!mgr->hasIndex() && verb != "list") {
    std::cerr << "cwcli " << type << " " << verb << ": no hub index in " << mgr->options().hub_dir
              << ": run 'cwcli hub update' first\n";
    if (verb != "inspect" && verb != "remove") {
      return 1;
    }
  }
  if (verb == "list") {
    printStates({{type, mgr->list(type, all)}}, format);
    return 0;
  }
  if (verb == "inspect") {
    int rc = 0;
    std::vector<core::hub::ItemState> found;
    for (const std::string& n : names) {
      auto s = mgr->inspect(type, n);
      if (!s) {
        std::cerr << "cwcli " << type << " inspect: " << s.error().message << "\n";
        rc = 1;
        continue;
      }
      found.push_back(*s);
    }
    if (format != "human") {
      printStates({{type, found}}, format);
      return rc;
    }
    for (const auto& s : found) {
      std::cout << "type: " << s.type << "\nname: " << s.name << "\n";
      if (!s.stage.empty()) {
        std::cout << (s.type == "plugins" ? "kind: " : "stage: ") << s.stage << "\n";
      }
      std::cout << "status: " << s.status() << "\npath: " << s.path << "\nversion: " << s.version
                << "\nlocal_version: " << s.local_version << "\nlocal_hash: " << s.local_hash
                << "\nlocal_path: " << s.local_path
                << "\ninstalled: " << (s.installed ? "true" : "false")
                << "\ndownloaded: " << (s.downloaded ? "true" : "false")
                << "\nup_to_date: " << (s.up_to_date ? "true" : "false")
                << "\ntainted: " << (s.tainted ? "true" : "false")
                << "\nlocal: " << (s.local ? "true" : "false") << "\nbelongs_to_collections: [";
      for (std::size_t i = 0; i < s.belongs_to_collections.size(); ++i) {
        std::cout << (i ? ", " : "") << s.belongs_to_collections[i];
      }
      std::cout << "]\n";
      if (s.type == "plugins") {
        std::cout << "abi: " << s.abi << "\nplatform: " << s.platform << "\n";
      }
      std::cout << "description: " << s.description << "\n";
      if (found.size() > 1) {
        std::cout << "---\n";
      }
    }
    return rc;
  }
  int rc = 0;
  bool changed = false;
  for (const std::string& n : names) {
    core::Result<core::hub::Outcome> r = verb == "install"  ? mgr->install(type, n, force)
                                         : verb == "remove" ? mgr->remove(type, n, force, purge)
                                                            : mgr->upgrade(type, n, force);
    if (!r) {
      std::cerr << "cwcli " << type << " " << verb << ": " << r.error().message << "\n";
      rc = 1;
      continue;
    }
    printOutcome(*r);
    for (const std::string& line : r->done) {
      changed = changed || line.rfind("enabled", 0) == 0 || line.rfind("disabled", 0) == 0 ||
                line.rfind("downloaded", 0) == 0;
    }
  }
  if (changed) {
    std::cout << "reload the daemon (systemctl reload crowdwall, or SIGHUP) to apply\n";
  }
  return rc;
}

}  // namespace cw::cli
