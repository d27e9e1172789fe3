// SPDX-License-Identifier: Apache-2.0
#include "cw/core/config/config.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace cfg = cw::core::config;
namespace fs = std::filesystem;

TEST_CASE("an empty configuration takes the documented defaults", "[config]") {
  auto c = cfg::parse("", "/etc/crowdwall/config.yaml");
  REQUIRE(c.ok());
  CHECK(c->config_paths.config_dir == "/etc/crowdwall/");
  CHECK(c->config_paths.index_path == "/etc/crowdwall/hub/.index.json");
  CHECK(c->config_paths.simulation_path == "/etc/crowdwall/simulation.yaml");
  CHECK(c->agent.acquisition_path == "/etc/crowdwall/acquis.yaml");
  CHECK(c->agent.acquisition_dir == "/etc/crowdwall/acquis.d");
  CHECK(c->db.type == "sqlite");
  CHECK(c->db.db_path == "/var/lib/crowdwall/data/crowdwall.db");
  CHECK(c->server.listen_uri == "127.0.0.1:8080");
  CHECK(c->server.profiles_path == "/etc/crowdwall/profiles.yaml");
  CHECK(c->server.trusted_ips == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(c->client.credentials_path == "/etc/crowdwall/local_api_credentials.yaml");
  CHECK_FALSE(c->db.flush_max_items.has_value());
}

TEST_CASE("a CrowdSec-shaped configuration is read, relative paths from its folder", "[config]") {
  const std::string yaml = R"(common:
  daemonize: false
  log_media: file
  log_level: debug
  log_dir: log/
config_paths:
  config_dir: etc
  data_dir: /var/lib/cw/
  hub_dir: hub/
crowdsec_service:
  acquisition_path: etc/acquis.yaml
  parser_routines: 2
cscli:
  output: human
db_config:
  type: postgresql
  host: 127.0.0.1
  port: 55432
  user: cw
  password: "it's \\ secret"
  db_name: crowdwall
  flush:
    max_items: 5000
    max_age: 7d
api:
  client:
    credentials_path: etc/creds.yaml
  server:
    listen_uri: 0.0.0.0:9090
    trusted_ips: [10.0.0.0/8]
    tls:
      cert_file: cert.pem
      key_file: key.pem
      client_verification: RequireAndVerifyClientCert
prometheus:
  enabled: true
plugins:
  disabled: [crowdwall/syslog]
)";
  auto c = cfg::parse(yaml, "/opt/cw/config.yaml");
  REQUIRE(c.ok());
  CHECK(c->common.log_level == "debug");
  CHECK(c->common.log_dir == "/opt/cw/log/");
  CHECK(c->config_paths.config_dir == "/opt/cw/etc");
  CHECK(c->config_paths.index_path == "/opt/cw/hub/.index.json");
  CHECK(c->agent.acquisition_path == "/opt/cw/etc/acquis.yaml");
  CHECK(c->agent.acquisition_dir == "/opt/cw/etc/acquis.d");
  CHECK(c->agent.parser_routines == 2);
  CHECK(c->db.isPostgres());
  CHECK(c->db.port == 55432);
  CHECK(*c->db.flush_max_items == 5000);
  CHECK(*c->db.flush_max_age == 7 * 24 * cw::core::kHour);
  CHECK(c->db.postgresConninfo() ==
        "host='127.0.0.1' port=55432 dbname='crowdwall' user='cw' password='it\\'s \\\\ secret'");
  CHECK(c->client.credentials_path == "/opt/cw/etc/creds.yaml");
  CHECK(c->server.listen_uri == "0.0.0.0:9090");
  CHECK(c->server.trusted_ips == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(c->server.tls.enabled());
  CHECK(c->server.tls.cert_file == "/opt/cw/cert.pem");
  CHECK(c->server.tls.client_verification == "RequireAndVerifyClientCert");
  CHECK(c->plugins.disabled == std::vector<std::string>{"crowdwall/syslog"});
}

TEST_CASE("every configuration problem is listed with its line", "[config]") {
  const std::string yaml = R"(common:
  log_level: loud
db_config:
  type: oracle
  port: many
  flush:
    max_age: forever
api:
  server:
    listen_uri: 127.0.0.1:8080
    trusted_ip: [127.0.0.1]
    tls:
      cert_file: a.pem
unknown_section: 1
)";
  auto c = cfg::parse(yaml, "/x/config.yaml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message ==
        "/x/config.yaml:14: unknown key 'unknown_section' in the configuration\n"
        "/x/config.yaml:2: log_level 'loud' is not one of trace, debug, info, warning, error, "
        "fatal\n"
        "/x/config.yaml:5: port must be an integer\n"
        "/x/config.yaml:7: max_age 'forever' is not a duration such as 7d or 12h\n"
        "/x/config.yaml:4: db_config.type 'oracle' is not sqlite or postgresql\n"
        "/x/config.yaml:11: unknown key 'trusted_ip' in api.server\n"
        "/x/config.yaml:13: tls needs both cert_file and key_file");
}

TEST_CASE("broken YAML and a missing environment variable are reported", "[config]") {
  auto broken = cfg::parse("common: [unclosed\n", "/x/c.yaml");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message.rfind("/x/c.yaml:2: ", 0) == 0);

  ::unsetenv("CW_TEST_UNSET_VAR");
  ::setenv("CW_TEST_DB_PASSWORD", "s3cret", 1);
  auto env =
      cfg::parse("db_config:\n  password: ${CW_TEST_DB_PASSWORD}\n  user: ${CW_TEST_UNSET_VAR}\n",
                 "/x/c.yaml");
  REQUIRE_FALSE(env.ok());
  CHECK(env.error().message == "/x/c.yaml:3: environment variable CW_TEST_UNSET_VAR is not set");
  auto ok = cfg::parse("db_config:\n  password: ${CW_TEST_DB_PASSWORD}\n", "/x/c.yaml");
  REQUIRE(ok.ok());
  CHECK(ok->db.password == "s3cret");

  auto list = cfg::parse("- a\n- b\n", "/x/c.yaml");
  REQUIRE_FALSE(list.ok());
  CHECK(list.error().message == "/x/c.yaml: the top level must be a map");
}

TEST_CASE("credentials are saved 0600 and read back", "[config]") {
  const fs::path dir = fs::temp_directory_path() / ("cw-config-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "creds.yaml").string();
  cfg::Credentials in{"http://127.0.0.1:8080/", "agent-1", "p@ss: 'word'", "", "", ""};
  REQUIRE(cfg::saveCredentials(path, in).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto out = cfg::loadCredentials(path);
  REQUIRE(out.ok());
  CHECK(out->url == "http://127.0.0.1:8080/");
  CHECK(out->login == "agent-1");
  CHECK(out->password == "p@ss: 'word'");

  std::ofstream(dir / "bad.yaml") << "url: http://x/\nlogn: a\n";
  auto bad = cfg::loadCredentials((dir / "bad.yaml").string());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == (dir / "bad.yaml").string() +
                                   ":2: unknown key 'logn' in credentials\n" +
                                   (dir / "bad.yaml").string() +
                                   ":1: login and password are missing (or cert_path and "
                                   "key_path for TLS auth)");
  fs::remove_all(dir);
}
