// SPDX-License-Identifier: Apache-2.0
// `cwcli machines add|list|validate|delete`: agents and cwcli identities, in the database
// directly (as cscli does).
#include <boost/program_options.hpp>
#include <iostream>

#include "admin_common.h"
#include "cw/core/store/passwords.h"

namespace po = boost::program_options;

namespace cw::cli {

namespace {

constexpr const char* kUsage =
    "usage: cwcli [-c CONFIG] machines <subcommand>\n"
    "  add NAME (--password P | --auto) [-f FILE|-] [--url URL] [--force]\n"
    "                                  create a validated machine and write its credentials\n"
    "  list [-o human|json|raw]        list machines\n"
    "  validate NAME                   allow a machine that registered itself to log in\n"
    "  delete NAME...                  delete machines\n";

std::string defaultUrl(const core::config::Config& cfg) {
  std::string listen = cfg.server.listen_uri.empty() ? "127.0.0.1:8080" : cfg.server.listen_uri;
  return std::string(cfg.server.tls.enabled() ? "https://" : "http://") + listen + "/";
}

int add(int argc, char** argv, const std::string& config_file) {
  std::string password;
  std::string file;
  std::string url;
  bool auto_password = false;
  bool force = false;
  std::vector<std::string> names;
  po::options_description desc("cwcli machines add NAME [options]");
  desc.add_options()("password,p", po::value(&password), "the machine's password")(
      "auto,a", po::bool_switch(&auto_password), "generate a random password")(
      "file,f", po::value(&file),
      "credentials file to write ('-' = stdout; default: api.client.credentials_path)")(
      "url,u", po::value(&url), "LAPI URL written in the credentials (default: from listen_uri)")(
      "force", po::bool_switch(&force), "replace the password of an existing machine");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, names, vm, "machines add"); rc >= 0) {
    return rc;
  }
  if (names.size() != 1) {
    std::cerr << "cwcli machines add: give exactly one machine name\n";
    return 2;
  }
  if (auto_password == !password.empty()) {
    std::cerr << "cwcli machines add: give either --password or --auto\n";
    return 2;
  }
  if (auto_password) {
    password = core::store::generateSecret(32);
  }
  auto hash = core::store::hashPassword(password);
  if (!hash) {
    std::cerr << "cwcli machines add: " << hash.error().message << "\n";
    return 1;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli machines add: " << ctx.error().message << "\n";
    return 1;
  }
  auto& store = *(*ctx)->store;
  core::store::Machine m;
  m.machine_id = names[0];
  m.password_hash = *hash;
  m.is_validated = true;
  bool replaced = false;
  auto created = store.createMachine(m);
  if (!created) {
    if (!force || created.error().code != core::ErrorCode::Invalid) {
      std::cerr << "cwcli machines add: " << created.error().message << "\n";
      return 1;
    }
    auto updated = store.updateMachinePassword(names[0], *hash);
    if (!updated || !*updated) {
      std::cerr << "cwcli machines add: "
                << (updated ? "machine vanished" : updated.error().message) << "\n";
      return 1;
    }
    replaced = true;
  }
  const char* done = replaced ? "' already existed: its password was replaced" : "' created";
  if (file.empty()) {
    file = (*ctx)->config.client.credentials_path;
  }
  core::config::Credentials c;
  c.url = url.empty() ? defaultUrl((*ctx)->config) : url;
  c.login = names[0];
  c.password = password;
  if (file == "-") {
    std::cout << "url: " << c.url << "\nlogin: " << c.login << "\npassword: " << c.password << "\n";
    return 0;
  }
  if (file.empty()) {
    std::cout << "Machine '" << names[0] << done << " (no credentials file configured).\n";
    return 0;
  }
  if (auto w = core::config::saveCredentials(file, c); !w) {
    std::cerr << "cwcli machines add: " << w.error().message << "\n";
    return 1;
  }
  std::cout << "Machine '" << names[0] << done << "; API credentials written to '" << file
            << "'.\n";
  return 0;
}

int list(int argc, char** argv, const std::string& config_file) {
  std::string output = "human";
  std::vector<std::string> names;
  po::options_description desc("cwcli machines list [options]");
  desc.add_options()("output,o", po::value(&output), "human, json or raw");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, names, vm, "machines list"); rc >= 0) {
    return rc;
  }
  auto fmt = parseOutput(output);
  if (!fmt || !names.empty()) {
    std::cerr << "cwcli machines list: " << (fmt ? "takes no machine name" : fmt.error().message)
              << "\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli machines list: " << ctx.error().message << "\n";
    return 1;
  }
  auto machines = (*ctx)->store->listMachines();
  if (!machines) {
    std::cerr << "cwcli machines list: " << machines.error().message << "\n";
    return 1;
  }
  if (*fmt == Output::Json) {
    std::string out = "[";
    for (const auto& m : *machines) {
      out += (out.size() > 1 ? "," : "");
      out += "{\"machineId\":" + jsonString(m.machine_id) +
             ",\"ipAddress\":" + jsonString(m.ip_address) +
             ",\"isValidated\":" + (m.is_validated ? "true" : "false") +
             ",\"version\":" + jsonString(m.version) + ",\"auth_type\":" + jsonString(m.auth_type) +
             ",\"scenarios\":" + jsonString(m.scenarios) +
             ",\"created_at\":" + jsonString(timeText(m.created_at)) +
             ",\"updated_at\":" + jsonString(timeText(m.updated_at)) +
             ",\"last_push\":" + jsonString(timeText(m.last_push)) +
             ",\"last_heartbeat\":" + jsonString(timeText(m.last_heartbeat)) + "}";
    }
    std::cout << out << "]\n";
    return 0;
  }
  const std::vector<std::string> header = {"NAME",    "IP ADDRESS", "LAST UPDATE",   "STATUS",
                                           "VERSION", "AUTH TYPE",  "LAST HEARTBEAT"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : *machines) {
    rows.push_back({m.machine_id, m.ip_address, timeText(m.updated_at),
                    m.is_validated ? "validated" : "pending", m.version, m.auth_type,
                    timeText(m.last_heartbeat)});
  }
  std::cout << (*fmt == Output::Raw ? renderCsv(header, rows) : renderTable(header, rows));
  return 0;
}

int validateOrDelete(int argc, char** argv, const std::string& config_file, bool validate) {
  const char* what = validate ? "machines validate" : "machines delete";
  std::vector<std::string> names;
  po::options_description desc(std::string("cwcli ") + what + " NAME");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, names, vm, what); rc >= 0) {
    return rc;
  }
  if (names.empty() || (validate && names.size() != 1)) {
    std::cerr << "cwcli " << what << ": give " << (validate ? "one machine name" : "machine names")
              << "\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli " << what << ": " << ctx.error().message << "\n";
    return 1;
  }
  int rc = 0;
  for (const auto& name : names) {
    auto r = validate ? (*ctx)->store->validateMachine(name) : (*ctx)->store->deleteMachine(name);
    if (!r) {
      std::cerr << "cwcli " << what << ": " << r.error().message << "\n";
      return 1;
    }
    if (!*r) {
      std::cerr << "cwcli " << what << ": machine '" << name << "' does not exist\n";
      rc = 1;
      continue;
    }
    std::cout << "Machine '" << name << "' " << (validate ? "validated" : "deleted") << ".\n";
  }
  return rc;
}

}  // namespace

int machinesCommand(int argc, char** argv, const std::string& config_file) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "add") {
    return add(argc - 1, argv + 1, config_file);
  }
  if (sub == "list") {
    return list(argc - 1, argv + 1, config_file);
  }
  if (sub == "validate" || sub == "delete") {
    return validateOrDelete(argc - 1, argv + 1, config_file, sub == "validate");
  }
  std::cerr << (sub.empty() || sub == "-h" || sub == "--help"
                    ? ""
                    : "cwcli machines: unknown subcommand '" + sub + "'\n")
            << kUsage;
  return sub == "-h" || sub == "--help" ? 0 : 2;
}

}  // namespace cw::cli
