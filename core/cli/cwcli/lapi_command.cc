// SPDX-License-Identifier: Apache-2.0
#include "lapi_command.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cw/core/apiclient/client.h"
#include "cw/core/config/config.h"
#include "cw/core/store/passwords.h"
#include "admin_common.h"

namespace cw::cli {
namespace {

namespace po = boost::program_options;
namespace api = core::apiclient;

constexpr const char* kLapiUsage =
    "usage: cwcli [-c CONFIG] lapi <subcommand>\n"
    "\n"
    "  status                         log in to the LAPI of api.client.credentials_path\n"
    "  register [--url URL] [--machine NAME] [-f FILE] [--token TOKEN]\n"
    "                                 register this machine with a LAPI (POST /v1/watchers)\n"
    "                                 and write its credentials (default: credentials_path)\n";

core::Result<core::config::Config> loadConfig(const std::string& config_file) {
  return core::config::load(config_file.empty() ? core::config::defaultConfigPath() : config_file);
}

int status(int argc, char** argv, const std::string& config_file) {
  po::options_description desc("cwcli lapi status");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, vm, "lapi status"); rc >= 0) {
    return rc;
  }
  auto cfg = loadConfig(config_file);
  if (!cfg) {
    std::cerr << "cwcli lapi status: " << cfg.error().message << "\n";
    return 1;
  }
  auto creds = core::config::loadCredentials(cfg->client.credentials_path);
  if (!creds) {
    std::cerr << "cwcli lapi status: " << creds.error().message << "\n";
    return 1;
  }
  api::ClientOptions o;
  o.url = creds->url;
  o.login = creds->login;
  o.password = creds->password;
  o.ca_cert_path = creds->ca_cert_path;
  o.cert_path = creds->cert_path;
  o.key_path = creds->key_path;
  o.insecure_skip_verify = cfg->client.insecure_skip_verify;
  auto client = api::Client::create(o);
  if (!client) {
    std::cerr << "cwcli lapi status: " << client.error().message << "\n";
    return 1;
  }
  std::cout << "Loaded credentials from " << cfg->client.credentials_path << "\n"
            << "Trying to authenticate with username " << creds->login << " on " << creds->url
            << "\n";
  auto ok = (*client)->login();
  if (!ok) {
    std::cerr << "cwcli lapi status: " << ok.error().message << "\n";
    return 1;
  }
  std::cout << "You can successfully interact with Local API (LAPI)\n";
  return 0;
}

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
    return "crowdwall";
  }
  return buf;
}

int registerMachine(int argc, char** argv, const std::string& config_file) {
  std::string url;
  std::string machine;
  std::string file;
  std::string token;
  po::options_description desc("cwcli lapi register [options]");
  desc.add_options()("url,u", po::value(&url), "LAPI URL (default: from api.server.listen_uri)")(
      "machine", po::value(&machine), "machine name (default: the host name)")(
      "file,f", po::value(&file), "credentials file to write (default: credentials_path)")(
      "token", po::value(&token), "auto-registration token");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, vm, "lapi register"); rc >= 0) {
    return rc;
  }
  auto cfg = loadConfig(config_file);
  if (!cfg) {
    std::cerr << "cwcli lapi register: " << cfg.error().message << "\n";
    return 1;
  }
  if (url.empty()) {
    if (cfg->server.listen_uri.empty()) {
      std::cerr << "cwcli lapi register: give --url (no api.server.listen_uri to take it from)\n";
      return 2;
    }
    url = "http://" + cfg->server.listen_uri + "/";
  }
  if (machine.empty()) {
    machine = hostName();
  }
  if (file.empty()) {
    file = cfg->client.credentials_path;
  }
  api::ClientOptions o;
  o.url = url;
  o.login = machine;
  o.password = core::store::generateSecret(48);
  auto client = api::Client::create(o);
  if (!client) {
    std::cerr << "cwcli lapi register: " << client.error().message << "\n";
    return 1;
  }
  auto ok = (*client)->registerMachine(token);
  if (!ok) {
    std::cerr << "cwcli lapi register: " << ok.error().message << "\n";
    return 1;
  }
  core::config::Credentials creds;
  creds.url = url;
  creds.login = machine;
  creds.password = o.password;
  auto saved = core::config::saveCredentials(file, creds);
  if (!saved) {
    std::cerr << "cwcli lapi register: " << saved.error().message << "\n";
    return 1;
  }
  std::cout << "Successfully registered to Local API (LAPI) as " << machine << "\n"
            << "Local API credentials written to " << file << "\n"
            << "The machine must be validated on the LAPI side (cwcli machines validate " << machine
            << ") unless it was auto-registered\n";
  return 0;
}

}  // namespace

bool isLapiCommand(int argc, char** argv) {
  std::string ignored;
  const int i = leadingConfigOptions(argc, argv, ignored);
  return i < argc && std::string(argv[i]) == "lapi";
}

int runLapiCommand(int argc, char** argv) {
  std::string config_file;
  const int i = leadingConfigOptions(argc, argv, config_file);
  if (i + 1 >= argc) {
    std::cerr << kLapiUsage;
    return 2;
  }
  const std::string sub = argv[i + 1];
  // The subcommand word becomes argv[0] of its parser.
  if (sub == "status") {
    return status(argc - i - 1, argv + i + 1, config_file);
  }
  if (sub == "register") {
    return registerMachine(argc - i - 1, argv + i + 1, config_file);
  }
  if (sub == "-h" || sub == "--help" || sub == "help") {
    std::cout << kLapiUsage;
    return 0;
  }
  std::cerr << "cwcli lapi: unknown subcommand '" << sub << "'\n" << kLapiUsage;
  return 2;
}

}  // namespace cw::cli
