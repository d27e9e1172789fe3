// SPDX-License-Identifier: Apache-2.0
// The daemon end to end: a tailed log through our hub's items to alerts, shipped to our own
// LAPI in the same process, or to CrowdSec 1.4.6's LAPI (agent only), across a restart.
#include "cw/core/daemon/daemon.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "../apiclient/reference_lapi.h"
#include "cw/core/common/time.h"
#include "cw/core/config/config.h"
#include "cw/core/store/store.h"

namespace fs = std::filesystem;
namespace cwd = cw::core::daemon;
using cw::test::ReferenceLapi;

namespace {

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name) {
    static int n = 0;
    path = (fs::temp_directory_path() /
            ("cw-daemon-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++)))
               .string();
    fs::remove_all(path);
    fs::create_directories(path + "/data");
  }
  ~TempDir() { fs::remove_all(path); }
};

// config.yaml for a daemon reading `dir`/auth.log (type syslog) with our hub's items.
std::string writeConfig(const std::string& dir, bool agent, bool server, int port,
                        const std::string& credentials) {
  std::ofstream(dir + "/acquis.yaml")
      << "source: file\nfilenames:\n  - " << dir << "/auth.log\nlabels:\n  type: syslog\n";
  std::ofstream(dir + "/profiles.yaml") << "name: default_ip_remediation\nfilters:\n"
                                           " - Alert.Remediation == true && Alert.GetScope() "
                                           "== \"Ip\"\ndecisions:\n - type: ban\n   duration: "
                                           "4h\non_success: break\n";
  std::ofstream(dir + "/auth.log").flush();
  // data_dir holds the items' data files, as /var/lib/crowdsec/data does.
  fs::copy(std::string(CW_HUB_DIR) + "/data", dir + "/data",
           fs::copy_options::recursive | fs::copy_options::skip_existing);
  const std::string path = dir + "/config.yaml";
  std::ofstream out(path);
  out << "common:\n  log_media: stdout\n  log_level: warning\n"
      << "config_paths:\n  config_dir: " << CW_HUB_DIR << "/\n  data_dir: " << dir
      << "/data/\n  simulation_path: " << dir << "/simulation.yaml\n  plugin_dir: " << CW_PLUGIN_DIR
      << "/\n  index_path: " << CW_PLUGIN_DIR << "/index.json\n"
      << "crowdsec_service:\n  enable: " << (agent ? "true" : "false")
      << "\n  acquisition_path: " << dir << "/acquis.yaml\n"
      << "api:\n  client:\n    credentials_path: " << credentials << "\n"
      << "  server:\n    enable: " << (server ? "true" : "false")
      << "\n    listen_uri: 127.0.0.1:" << port << "\n    profiles_path: " << dir
      << "/profiles.yaml\n"
      << "db_config:\n  type: sqlite\n  db_path: " << dir << "/data/crowdwall.db\n";
  return path;
}

// `n` sshd failures from `ip`, stamped now (syslog format, local time).
void appendFailures(const std::string& log, const std::string& ip, int n) {
  std::ofstream out(log, std::ios::app);
  for (int i = 0; i < n; ++i) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    out << stamp << " testhost sshd[" << 2000 + i << "]: Failed password for root from " << ip
        << " port " << 50000 + i << " ssh2\n";
  }
}

template <typename F>
bool waitFor(F done, int seconds = 20) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

std::unique_ptr<cwd::Daemon> startDaemon(const std::string& config_path) {
  auto cfg = cw::core::config::load(config_path);
  REQUIRE(cfg.ok());
  auto d = cwd::Daemon::create(*cfg);
  if (!d.ok()) {
    FAIL(d.error().message);
  }
  auto started = (*d)->start();
  if (!started.ok()) {
    FAIL(started.error().message);
  }
  return std::move(*d);
}

}  // namespace

TEST_CASE("a daemon with nothing enabled refuses to start", "[daemon]") {
  TempDir dir("none");
  const std::string path = writeConfig(dir.path, false, false, 1, dir.path + "/creds.yaml");
  auto cfg = cw::core::config::load(path);
  REQUIRE(cfg.ok());
  auto d = cwd::Daemon::create(*cfg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message ==
        path + ": both crowdsec_service and api.server are disabled: nothing to run");
}

TEST_CASE("an agent without credentials for a remote LAPI names the file and the fix", "[daemon]") {
  TempDir dir("nocreds");
  const std::string creds = dir.path + "/missing-creds.yaml";
  auto cfg = cw::core::config::load(writeConfig(dir.path, true, false, 1, creds));
  REQUIRE(cfg.ok());
  auto d = cwd::Daemon::create(*cfg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message.find("(create it with: cwcli machines add NAME --auto -f " + creds +
                               ")") != std::string::npos);
}

TEST_CASE("agent and LAPI in one process: a tailed brute force becomes a stored alert",
          "[daemon]") {
  TempDir dir("both");
  const int port = cw::test::freePort();
  const std::string creds = dir.path + "/local_api_credentials.yaml";
  auto d = startDaemon(writeConfig(dir.path, true, true, port, creds));
  CHECK(d->lapiPort() == port);

  // No credentials file was there: the daemon registered its own agent.
  auto c = cw::core::config::loadCredentials(creds);
  REQUIRE(c.ok());
  CHECK(c->login == "localhost-crowdwall");
  CHECK(c->url == "http://127.0.0.1:" + std::to_string(port) + "/");

  appendFailures(dir.path + "/auth.log", "192.0.2.44", 8);
  REQUIRE(waitFor([&] { return d->stats().alerts_sent >= 1 && d->stats().lines == 8; }));
  d->stop();
  const cwd::DaemonStats s = d->stats();
  CHECK(s.lines == 8);
  CHECK(s.alerts == 1);
  CHECK(s.alerts_sent == 1);
  CHECK(s.alerts_pending == 0);

  auto store = cw::core::store::Store::openSqlite(dir.path + "/data/crowdwall.db");
  REQUIRE(store.ok());
  cw::core::store::AlertFilter all;
  all.limit = 0;
  auto alerts = (*store)->listAlerts(all, cw::core::nowUtc());
  REQUIRE(alerts.ok());
  REQUIRE(alerts->size() == 1);
  const auto& a = alerts->front();
  CHECK(a.scenario == "crowdwall/ssh-bf");
  CHECK(a.source.scope == "Ip");
  CHECK(a.source.value == "192.0.2.44");
  CHECK(a.machine_id == "localhost-crowdwall");
  CHECK(a.events_count == 6);
  CHECK(a.capacity == 5);
  CHECK(a.leakspeed == "10s");
  // profiles.yaml gave it a 4 h ban from its stop_at.
  REQUIRE(a.decisions.size() == 1);
  CHECK(a.decisions[0].type == "ban");
  CHECK(a.decisions[0].scope == "Ip");
  CHECK(a.decisions[0].value == "192.0.2.44");
  CHECK(a.decisions[0].origin == "crowdsec");
  CHECK(a.decisions[0].scenario == "crowdwall/ssh-bf");
  CHECK(a.decisions[0].until.unix_nanos - a.stop_at.unix_nanos == 4 * cw::core::kHour);
}

TEST_CASE("a lost credentials file does not reset the registered machine's password",
          "[daemon]") {
  TempDir dir("relost");
  const int port = cw::test::freePort();
  const std::string creds = dir.path + "/local_api_credentials.yaml";
  const std::string config = writeConfig(dir.path, true, true, port, creds);
  std::string hash;
  {
    auto d = startDaemon(config);
    d->stop();
    auto store = cw::core::store::Store::open(cw::core::config::load(config)->db);
    REQUIRE(store.ok());
    auto m = (*store)->getMachine("localhost-crowdwall");
    REQUIRE(m.ok());
    REQUIRE(m->has_value());
    hash = (*m)->password_hash;
  }
  fs::remove(creds);
  auto cfg = cw::core::config::load(config);
  REQUIRE(cfg.ok());
  auto again = cwd::Daemon::create(*cfg);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message ==
        creds +
            " is missing, and the machine localhost-crowdwall it would register already exists "
            "in the database; restore the file, or give the machine new credentials with "
            "`cwcli machines add localhost-crowdwall --auto --force -f " +
            creds + "` (an agent still using the old password is then refused)");
  CHECK_FALSE(fs::exists(creds));
  auto store = cw::core::store::Store::open(cfg->db);
  REQUIRE(store.ok());
  auto m = (*store)->getMachine("localhost-crowdwall");
  REQUIRE(m.ok());
  REQUIRE(m->has_value());
  CHECK((*m)->password_hash == hash);
}

TEST_CASE("SIGHUP's reload swaps the hub items; the agent keeps running", "[daemon]") {
  TempDir dir("reload");
  const int port = cw::test::freePort();
  auto d = startDaemon(
      writeConfig(dir.path, true, true, port, dir.path + "/local_api_credentials.yaml"));
  REQUIRE(d->reload().ok());
  REQUIRE(waitFor([&] { return d->stats().reloads == 1; }));
  appendFailures(dir.path + "/auth.log", "192.0.2.46", 6);
  REQUIRE(waitFor([&] { return d->stats().alerts_sent == 1 && d->stats().lines == 6; }));
  d->stop();
  CHECK(d->stats().lines == 6);
}

TEST_CASE(
    "our agent posts to CrowdSec 1.4.6's LAPI; alerts raised while it is down are sent "
    "after a restart",
    "[daemon][reference]") {
  if (auto why = ReferenceLapi::missing()) {
    WARN("skipped: " << *why);
    return;
  }
  TempDir dir("ref");
  ReferenceLapi lapi("cw-daemon-agent", "daemon-agent-password-0123456789");
  const std::string config =
      writeConfig(dir.path, true, false, 1, lapi.dir() + "/credentials.yaml");

  {
    // The LAPI is not running yet: the alert waits in the queue file.
    auto d = startDaemon(config);
    appendFailures(dir.path + "/auth.log", "192.0.2.45", 7);
    REQUIRE(waitFor([&] { return d->stats().alerts == 1; }));
    d->stop();
    CHECK(d->stats().alerts_sent == 0);
    CHECK(d->stats().alerts_pending == 1);
  }

  REQUIRE(lapi.start());
  auto d = startDaemon(config);
  REQUIRE(waitFor([&] { return d->stats().alerts_sent == 1; }));
  d->stop();
  CHECK(d->stats().alerts_pending == 0);
  CHECK(d->stats().lines == 0);  // the restart did not read the log again
  CHECK(cw::test::sqliteRows(lapi.db(),
                             "SELECT scenario, source_scope, source_value, events_count, "
                             "capacity, leak_speed FROM alerts") ==
        std::vector<std::string>{"crowdwall/ssh-bf|Ip|192.0.2.45|6|5|10s"});
  CHECK(cw::test::sqliteRows(lapi.db(), "SELECT type, scope, value, origin FROM decisions") ==
        std::vector<std::string>{"ban|Ip|192.0.2.45|crowdsec"});
  CHECK(cw::test::sqliteRows(lapi.db(), "SELECT version FROM machines") ==
        std::vector<std::string>{"v" CW_VERSION});
}

TEST_CASE("the example configuration in examples/config loads", "[daemon]") {
  auto cfg = cw::core::config::load(std::string(CW_SOURCE_DIR) + "/examples/config/config.yaml");
  if (!cfg.ok()) {
    FAIL(cfg.error().message);
  }
  CHECK(cfg->agent.enabled);
  CHECK(cfg->server.enabled);
  CHECK(cfg->server.listen_uri == "127.0.0.1:8080");
  CHECK(cfg->db.type == "sqlite");
  CHECK(cfg->db.db_path == "/var/lib/crowdwall/data/crowdwall.db");
  CHECK(cfg->client.credentials_path == "/etc/crowdwall/local_api_credentials.yaml");
  CHECK(cfg->server.profiles_path == "/etc/crowdwall/profiles.yaml");
}
