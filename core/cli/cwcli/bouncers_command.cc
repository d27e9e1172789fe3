// SPDX-License-Identifier: Apache-2.0
// `cwcli bouncers add|list|delete`: remediation components and their API keys, in the database
// directly. The key is shown once; only its SHA-512 is stored.
#include <iostream>

#include "admin_common.h"
#include "cw/core/common/time.h"
#include "cw/core/store/passwords.h"

namespace po = boost::program_options;

namespace cw::cli {

namespace {

constexpr const char* kUsage =
    "usage: cwcli [-c CONFIG] bouncers <subcommand>\n"
    "  add NAME [--key KEY] [-o human|json|raw]   create a bouncer, print its API key once\n"
    "  list [-o human|json|raw]                   list bouncers\n"
    "  delete NAME...                             delete bouncers\n";

int add(int argc, char** argv, const std::string& config_file) {
  std::string key;
  std::string output = "human";
  std::vector<std::string> names;
  po::options_description desc("cwcli bouncers add NAME [options]");
  desc.add_options()("key,k", po::value(&key), "API key to use (default: a random one)")(
      "output,o", po::value(&output), "human, json or raw");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, names, vm, "bouncers add"); rc >= 0) {
    return rc;
  }
  auto fmt = parseOutput(output);
  if (!fmt) {
    std::cerr << "cwcli bouncers add: " << fmt.error().message << "\n";
    return 2;
  }
  if (names.size() != 1) {
    std::cerr << "cwcli bouncers add: give exactly one bouncer name\n";
    return 2;
  }
  if (vm.count("key") != 0 && key.empty()) {
    std::cerr << "cwcli bouncers add: --key must not be empty\n";
    return 2;
  }
  if (key.empty()) {
    key = core::store::generateSecret(32);
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli bouncers add: " << ctx.error().message << "\n";
    return 1;
  }
  core::store::Bouncer b;
  b.name = names[0];
  b.api_key_hash = core::store::hashApiKey(key);
  // As cscli 1.4.6 does: last_pull starts at the creation time, so the bouncer's first poll
  // without startup=true gets what changed since it was added, not the whole list.
  b.created_at = core::nowUtc();
  b.last_pull = b.created_at;
  if (auto r = (*ctx)->store->createBouncer(b); !r) {
    std::cerr << "cwcli bouncers add: " << r.error().message << "\n";
    return 1;
  }
  switch (*fmt) {
    case Output::Raw:
      std::cout << key << "\n";
      break;
    case Output::Json:
      std::cout << jsonString(key) << "\n";
      break;
    case Output::Human:
      std::cout << "API key for '" << names[0] << "':\n\n   " << key
                << "\n\nKeep it: it cannot be shown again.\n";
      break;
  }
  return 0;
}

int list(int argc, char** argv, const std::string& config_file) {
  std::string output = "human";
  std::vector<std::string> names;
  po::options_description desc("cwcli bouncers list [options]");
  desc.add_options()("output,o", po::value(&output), "human, json or raw");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, names, vm, "bouncers list"); rc >= 0) {
    return rc;
  }
  auto fmt = parseOutput(output);
  if (!fmt || !names.empty()) {
    std::cerr << "cwcli bouncers list: " << (fmt ? "takes no bouncer name" : fmt.error().message)
              << "\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli bouncers list: " << ctx.error().message << "\n";
    return 1;
  }
  auto bouncers = (*ctx)->store->listBouncers();
  if (!bouncers) {
    std::cerr << "cwcli bouncers list: " << bouncers.error().message << "\n";
    return 1;
  }
  if (*fmt == Output::Json) {
    std::string out = "[";
    for (const auto& b : *bouncers) {
      out += (out.size() > 1 ? "," : "");
      out += "{\"name\":" + jsonString(b.name) + ",\"ip_address\":" + jsonString(b.ip_address) +
             ",\"type\":" + jsonString(b.type) + ",\"version\":" + jsonString(b.version) +
             ",\"revoked\":" + (b.revoked ? "true" : "false") +
             ",\"auth_type\":" + jsonString(b.auth_type) +
             ",\"last_pull\":" + jsonString(timeText(b.last_pull)) +
             ",\"created_at\":" + jsonString(timeText(b.created_at)) +
             ",\"updated_at\":" + jsonString(timeText(b.updated_at)) + "}";
    }
    std::cout << out << "]\n";
    return 0;
  }
  const std::vector<std::string> header = {"NAME", "IP ADDRESS", "VALID",    "LAST API PULL",
                                           "TYPE", "VERSION",    "AUTH TYPE"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : *bouncers) {
    rows.push_back({b.name, b.ip_address, b.revoked ? "revoked" : "valid", timeText(b.last_pull),
                    b.type, b.version, b.auth_type});
  }
  std::cout << (*fmt == Output::Raw ? renderCsv(header, rows) : renderTable(header, rows));
  return 0;
}

int remove(int argc, char** argv, const std::string& config_file) {
  std::vector<std::string> names;
  po::options_description desc("cwcli bouncers delete NAME...");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, names, vm, "bouncers delete"); rc >= 0) {
    return rc;
  }
  if (names.empty()) {
    std::cerr << "cwcli bouncers delete: give bouncer names\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli bouncers delete: " << ctx.error().message << "\n";
    return 1;
  }
  int rc = 0;
  for (const auto& name : names) {
    auto r = (*ctx)->store->deleteBouncer(name);
    if (!r) {
      std::cerr << "cwcli bouncers delete: " << r.error().message << "\n";
      return 1;
    }
    if (!*r) {
      std::cerr << "cwcli bouncers delete: bouncer '" << name << "' does not exist\n";
      rc = 1;
      continue;
    }
    std::cout << "Bouncer '" << name << "' deleted.\n";
  }
  return rc;
}

}  // namespace

int bouncersCommand(int argc, char** argv, const std::string& config_file) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "add") {
    return add(argc - 1, argv + 1, config_file);
  }
  if (sub == "list") {
    return list(argc - 1, argv + 1, config_file);
  }
  if (sub == "delete") {
    return remove(argc - 1, argv + 1, config_file);
  }
  const bool help = sub == "-h" || sub == "--help";
  std::cerr << (sub.empty() || help ? "" : "cwcli bouncers: unknown subcommand '" + sub + "'\n")
            << kUsage;
  return help ? 0 : 2;
}

}  // namespace cw::cli
