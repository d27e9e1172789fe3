// SPDX-License-Identifier: Apache-2.0
#include "hub_command.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "admin_common.h"
#include "cw/core/config/config.h"

namespace po = boost::program_options;

namespace cw::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTypeWords[] = {"collections",   "parsers",  "scenarios",
                                      "postoverflows", "contexts", "plugins"};

void writeState(rapidjson::PrettyWriter<rapidjson::OStreamWrapper>& w,
                const core::hub::ItemState& s) {
  auto str = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  str("name", s.name);
  str("type", s.type);
  if (!s.stage.empty()) {
    str(s.type == "plugins" ? "kind" : "stage", s.stage);
  }
  str("path", s.path);
  str("file_name", s.file_name);
  str("version", s.version);
  str("description", s.description);
  str("author", s.author);
  str("local_path", s.local_path);
  str("local_version", s.local_version);
  str("local_hash", s.local_hash);
  str("status", s.status());
  w.Key("installed");
  w.Bool(s.installed);
  w.Key("downloaded");
  w.Bool(s.downloaded);
  w.Key("up_to_date");
  w.Bool(s.up_to_date);
  w.Key("tainted");
  w.Bool(s.tainted);
  w.Key("local");
  w.Bool(s.local);
  w.Key("belongs_to_collections");
  w.StartArray();
  for (const std::string& c : s.belongs_to_collections) {
    w.String(c.c_str());
  }
  w.EndArray();
  if (s.type == "plugins") {
    str("abi", s.abi);
    str("platform", s.platform);
  }
  w.EndObject();
}

std::string csv(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) {
    return v;
  }
  std::string out = "\"";
  for (char c : v) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

}  // namespace

bool isHubCommand(std::string_view word) {
  if (word == "hub" || word == "simulation" || word == "-c" || word == "--config" ||
      word.rfind("--config=", 0) == 0) {
    return true;
  }
  for (const char* t : kTypeWords) {
    if (word == t) {
      return true;
    }
  }
  return false;
}

void CommonOptions::add(po::options_description& desc) {
  desc.add_options()("config,c", po::value(&config_file)->value_name("FILE"),
                     "configuration file (default: $CROWDWALL_CONFIG or "
                     "/etc/crowdwall/config.yaml)")(
      "config-dir", po::value(&config_dir)->value_name("DIR"),
      "where enabled items are linked (overrides config_paths.config_dir)")(
      "hub-dir", po::value(&hub_dir)->value_name("DIR"),
      "downloaded items and the index (default: config_paths.hub_dir, else CONFIG_DIR/hub)")(
      "data-dir", po::value(&data_dir)->value_name("DIR"),
      "data files (default: config_paths.data_dir, else CONFIG_DIR/data)")(
      "source", po::value(&source)->value_name("DIR|URL"),
      "hub to fetch from (default: the last 'hub update' source, else our own hub)")(
      "data-source", po::value(&data_source)->value_name("DIR|URL"),
      "where data files are looked up by name before their source_url")(
      "timeout", po::value(&timeout_s)->value_name("S"), "seconds per download (default 300)")(
      "connect-timeout", po::value(&connect_timeout_s)->value_name("S"),
      "seconds to connect (default 10)")(
      "ca-cert", po::value(&ca_cert)->value_name("FILE"),
      "PEM certificates trusted for an https source (default: the system's)");
}

core::Result<HubPaths> CommonOptions::paths() const {
  HubPaths p;
  std::string file = config_file;
  std::error_code ec;
  if (file.empty() && config_dir.empty()) {
    file = core::config::defaultConfigPath();
  }
  if (!file.empty()) {
    auto cfg = core::config::load(file);
    if (!cfg) {
      return core::makeError(
          cfg.error().code,
          cfg.error().message +
              (config_file.empty() ? "\n(give -c CONFIG, or --config-dir and --hub-dir)" : ""));
    }
    p.config_dir = cfg->config_paths.config_dir;
    p.hub_dir = cfg->config_paths.hub_dir;
    p.data_dir = cfg->config_paths.data_dir;
    p.simulation_path = cfg->config_paths.simulation_path;
  }
  if (!config_dir.empty()) {
    p.config_dir = config_dir;
    if (file.empty()) {
      p.hub_dir = (fs::path(config_dir) / "hub").string();
      p.data_dir = (fs::path(config_dir) / "data").string();
      p.simulation_path = (fs::path(config_dir) / "simulation.yaml").string();
    }
  }
  if (!hub_dir.empty()) {
    p.hub_dir = hub_dir;
  }
  if (!data_dir.empty()) {
    p.data_dir = data_dir;
  }
  if (p.simulation_path.empty()) {
    p.simulation_path = (fs::path(p.config_dir) / "simulation.yaml").string();
  }
  return p;
}

core::Result<core::hub::Manager> CommonOptions::manager() const {
  auto p = paths();
  if (!p) {
    return p.error();
  }
  if (timeout_s < 1 || connect_timeout_s < 1) {
    return core::makeError(core::ErrorCode::Invalid,
                           "--timeout and --connect-timeout must be at least 1");
  }
  core::hub::ManagerOptions o;
  o.config_dir = p->config_dir;
  o.hub_dir = p->hub_dir;
  o.data_dir = p->data_dir;
  o.source = source;
  o.data_source = data_source;
  o.fetch.timeout_s = timeout_s;
  o.fetch.connect_timeout_s = connect_timeout_s;
  o.fetch.ca_file = ca_cert;
  o.fetch.progress = ::isatty(STDERR_FILENO) == 1;
  auto m = core::hub::Manager::open(std::move(o));
  if (m) {
    for (const std::string& w : m->scanWarnings()) {
      std::cerr << "warning: " << w << "\n";
    }
  }
  return m;
}

void printOutcome(const core::hub::Outcome& out) {
  for (const std::string& l : out.done) {
    std::cout << l << "\n";
  }
  for (const std::string& w : out.warnings) {
    std::cerr << "warning: " << w << "\n";
  }
  std::cout.flush();
}

void printStates(
    const std::vector<std::pair<std::string, std::vector<core::hub::ItemState>>>& lists,
    const std::string& format) {
  if (format == "json") {
    rapidjson::OStreamWrapper os(std::cout);
    rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(os);
    w.SetIndent(' ', 2);
    w.StartObject();
    for (const auto& [type, states] : lists) {
      w.Key(type.c_str());
      w.StartArray();
      for (const auto& s : states) {
        writeState(w, s);
      }
      w.EndArray();
    }
    w.EndObject();
    std::cout << "\n";
    return;
  }
  if (format == "raw") {
    std::cout << "name,status,version,description,type\n";
    for (const auto& [type, states] : lists) {
      for (const auto& s : states) {
        std::cout << csv(s.name) << "," << s.status() << ","
                  << (s.local                   ? ""
                      : s.local_version.empty() ? s.version
                                                : s.local_version)
                  << "," << csv(s.description) << "," << type << "\n";
      }
    }
    return;
  }
  for (const auto& [type, states] : lists) {
    std::cout << type << " (" << states.size() << ")\n";
    if (states.empty()) {
      continue;
    }
    std::size_t width = 4;
    for (const auto& s : states) {
      width = std::max(width, s.name.size());
    }
    std::printf("  %-*s  %-26s  %-8s  %-8s  %s\n", static_cast<int>(width), "NAME", "STATUS",
                "VERSION", "LATEST", "LOCAL PATH");
    for (const auto& s : states) {
      std::printf("  %-*s  %-26s  %-8s  %-8s  %s\n", static_cast<int>(width), s.name.c_str(),
                  s.status().c_str(), s.local_version.empty() ? "-" : s.local_version.c_str(),
                  s.version.empty() ? "-" : s.version.c_str(),
                  s.local_path.empty() ? "-" : s.local_path.c_str());
    }
  }
  std::fflush(stdout);
}

int hubCommand(int argc, char** argv, const std::string& config_file) {
  // argv[0] = "hub", argv[1] = verb
  const std::string verb = argc >= 2 ? argv[1] : "";
  if (verb != "update" && verb != "list" && verb != "upgrade") {
    std::cerr << "usage: cwcli hub update|list|upgrade [options] (cwcli hub VERB --help)\n";
    return 2;
  }
  CommonOptions common;
  common.config_file = config_file;
  bool all = false;
  bool force = false;
  std::string format = "human";
  po::options_description desc("cwcli hub " + verb + " [options]");
  desc.add_options()("help,h", "show this help");
  if (verb == "list") {
    desc.add_options()("all,a", po::bool_switch(&all), "also items that are not installed")(
        "output,o", po::value(&format)->value_name("FMT"), "human, json or raw");
  }
  if (verb == "upgrade") {
    desc.add_options()("force", po::bool_switch(&force), "overwrite tainted items");
  }
  common.add(desc);
  po::variables_map vm;
  try {
    const po::positional_options_description none;
    po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).positional(none).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "cwcli hub " << verb << ": " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (format != "human" && format != "json" && format != "raw") {
    std::cerr << "cwcli hub list: --output must be human, json or raw\n";
    return 2;
  }
  auto mgr = common.manager();
  if (!mgr) {
    std::cerr << "cwcli hub " << verb << ": " << mgr.error().message << "\n";
    return 1;
  }
  if (verb == "update") {
    auto r = mgr->updateIndex();
    if (!r) {
      std::cerr << "cwcli hub update: " << r.error().message << "\n";
      return 1;
    }
    printOutcome(*r);
    return 0;
  }
  if (!mgr->hasIndex()) {
    std::cerr << "warning: no hub index in " << common.paths()->hub_dir
              << ": run 'cwcli hub update' first\n";
  }
  if (verb == "list") {
    std::vector<std::pair<std::string, std::vector<core::hub::ItemState>>> lists;
    for (const char* t : kTypeWords) {
      lists.emplace_back(t, mgr->list(t, all));
    }
    printStates(lists, format);
    return 0;
  }
  auto r = mgr->upgradeAll(force);
  if (!r) {
    std::cerr << "cwcli hub upgrade: " << r.error().message << "\n";
    return 1;
  }
  printOutcome(*r);
  return 0;
}

int runHubCommand(int argc, char** argv) {
  std::string config_file;
  const int i = leadingConfigOptions(argc, argv, config_file);
  if (i >= argc) {
    std::cerr << "cwcli: a command must follow -c CONFIG\n";
    return 2;
  }
  const std::string command = argv[i];
  if (command == "-c" || command == "--config") {
    std::cerr << "cwcli: " << command << " needs a configuration file, then a command\n";
    return 2;
  }
  if (command == "hub") {
    return hubCommand(argc - i, argv + i, config_file);
  }
  if (command == "simulation") {
    return simulationCommand(argc - i, argv + i, config_file);
  }
  for (const char* t : kTypeWords) {
    if (command == t) {
      return itemsCommand(t, argc - i, argv + i, config_file);
    }
  }
  std::cerr << "cwcli: unknown command '" << command << "'\n";
  return 2;
}

}  // namespace cw::cli
