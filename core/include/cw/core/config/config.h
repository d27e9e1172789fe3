// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/common/time.h"

// The daemon's configuration: one YAML file in the shape of CrowdSec's config.yaml, so a
// CrowdSec user finds the same sections and keys. Unknown keys are errors (a typo must not
// silently change behaviour); sections Crowdwall does not use yet are accepted and ignored
// when CrowdSec defines them (prometheus, cscli, plugin_config). `${VAR}` in values is
// replaced by the environment variable VAR (an unset variable is an error).
namespace cw::core::config {

/// `common:`
struct Common {
  std::string log_level = "info";  ///< trace|debug|info|warning|error|fatal
  std::string log_media = "stdout";  ///< stdout|file
  std::string log_dir = "/var/log/";
  std::string working_dir = ".";
};

/// `config_paths:`. Relative paths are relative to the configuration file's folder.
struct ConfigPaths {
  std::string config_dir = "/etc/crowdwall/";  ///< parsers/, scenarios/... enabled items (hub.md §3)
  std::string data_dir = "/var/lib/crowdwall/data/";
  std::string hub_dir = "/etc/crowdwall/hub/";  ///< downloaded hub items
  std::string index_path;       ///< default <hub_dir>/.index.json
  std::string simulation_path;  ///< default <config_dir>/simulation.yaml
  std::string notification_dir;  ///< default <config_dir>/notifications/
  std::string plugin_dir = "/usr/lib/crowdwall/plugins/";
  std::string patterns_dir;  ///< default <config_dir>/patterns/
};

/// `crowdsec_service:` (the agent). The key keeps CrowdSec's name; `crowdwall_service` is an alias.
struct AgentService {
  bool enabled = true;  ///< `enable:`
  std::string acquisition_path;  ///< default <config_dir>/acquis.yaml
  std::string acquisition_dir;   ///< default <config_dir>/acquis.d
  int parser_routines = 1;
  int buckets_routines = 1;
  int output_routines = 1;
};

/// `db_config:`
struct DbConfig {
  std::string type = "sqlite";  ///< sqlite|postgres|postgresql|pgx
  std::string db_path;          ///< sqlite file, default <data_dir>/crowdwall.db
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string user;
  std::string password;
  std::string db_name = "crowdwall";
  std::string sslmode;  ///< libpq sslmode, empty = libpq default
  bool use_wal = true;
  int max_open_conns = 0;  ///< 0 = implementation default
  std::optional<std::int64_t> flush_max_items;  ///< `flush: max_items:`
  std::optional<Duration> flush_max_age;        ///< `flush: max_age:` (Go duration, `d` allowed)

  bool isPostgres() const;
  /// libpq connection string built from the fields (values quoted for libpq).
  std::string postgresConninfo() const;
};

/// `api: server: tls:` (lapi.md §12)
struct ServerTls {
  std::string cert_file;
  std::string key_file;
  std::string ca_cert_path;
  std::string client_verification = "VerifyClientCertIfGiven";
  std::vector<std::string> agents_allowed_ou = {"agent-ou"};
  std::vector<std::string> bouncers_allowed_ou = {"bouncer-ou"};
  std::string crl_path;

  bool enabled() const { return !cert_file.empty() && !key_file.empty(); }
};

/// `api: server:`
struct ApiServer {
  bool enabled = true;  ///< `enable:`
  std::string listen_uri = "127.0.0.1:8080";  ///< host:port, empty = not on TCP
  std::string listen_socket;                  ///< unix socket path, empty = none
  std::string profiles_path;                  ///< default <config_dir>/profiles.yaml
  std::string console_path;
  std::vector<std::string> trusted_ips = {"127.0.0.1", "::1"};
  bool use_forwarded_for_headers = false;
  std::vector<std::string> trusted_proxies;
  bool disable_remote_lapi_registration = false;
  ServerTls tls;
  bool auto_registration_enabled = false;
  std::string auto_registration_token;
  std::vector<std::string> auto_registration_allowed_ranges;
};

/// `api: client:`
struct ApiClient {
  std::string credentials_path;  ///< default <config_dir>/local_api_credentials.yaml
  bool insecure_skip_verify = false;
};

/// `plugins:` (Crowdwall's own section): which shared-object plugins may load.
struct Plugins {
  std::vector<std::string> enabled;   ///< plugin ids; empty = every plugin the index declares
  std::vector<std::string> disabled;  ///< plugin ids never loaded (wins over enabled)
};

struct Config {
  std::string path;  ///< the file this was read from ("" when built in code)
  Common common;
  ConfigPaths config_paths;
  AgentService agent;
  DbConfig db;
  ApiServer server;
  ApiClient client;
  Plugins plugins;
};

/// Reads and validates `path`; fills defaults derived from other keys. Every problem found
/// is listed in the error, one per line, as "<path>:<line>: <what>".
Result<Config> load(const std::string& path);

/// Parses YAML text (for tests); `origin` names it in messages and anchors relative paths.
Result<Config> parse(const std::string& yaml_text, const std::string& origin);

/// `local_api_credentials.yaml`: where the agent and cwcli reach a LAPI.
struct Credentials {
  std::string url;  ///< e.g. http://127.0.0.1:8080/
  std::string login;
  std::string password;
  std::string ca_cert_path;  ///< optional TLS material
  std::string cert_path;
  std::string key_path;
};

Result<Credentials> loadCredentials(const std::string& path);
/// Writes `c` as YAML with mode 0600 (the file holds a password).
Result<bool> saveCredentials(const std::string& path, const Credentials& c);

/// Default path of the configuration file: $CROWDWALL_CONFIG, else /etc/crowdwall/config.yaml.
std::string defaultConfigPath();

}  // namespace cw::core::config
