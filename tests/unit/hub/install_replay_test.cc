// SPDX-License-Identifier: Apache-2.0
// Acceptance: collections of the CrowdSec hub corpus installed by the hub manager into the
// installed layout, then loaded by the Agent from that layout and replayed on the corpus logs.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cw/core/agent/agent.h"
#include "cw/core/hub/manager.h"
#include "cw/core/hub/simulation.h"

namespace fs = std::filesystem;
using cw::core::agent::Agent;
using cw::core::agent::AgentConfig;
using cw::core::agent::ReplayInput;
using cw::core::hub::Manager;

namespace {

const fs::path kCorpus = fs::path(CW_SHARED_DIR) / "corpus" / "crowdsec-hub";

bool haveCorpus() {
  if (fs::exists(kCorpus / ".index.json")) {
    return true;
  }
  WARN("skipped: the CrowdSec hub corpus is not in " << kCorpus << " (/work/shared not mounted)");
  return false;
}

struct Installed {
  fs::path root;
  fs::path etc;

  Installed() {
    root = fs::temp_directory_path() / ("cw_hubmgr_accept_" + std::to_string(::getpid()));
    fs::remove_all(root);
    etc = root / "etc";
    fs::create_directories(etc);
  }
  ~Installed() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  Manager manager() const {
    cw::core::hub::ManagerOptions o;
    o.config_dir = etc.string();
    o.hub_dir = (etc / "hub").string();
    o.data_dir = (root / "data").string();
    o.source = kCorpus.string();
    auto m = Manager::open(o);
    REQUIRE(m.ok());
    return std::move(*m);
  }

  // "<scenario> <source> <events> <simulated>" per alert, sorted.
  std::vector<std::string> replay(const std::string& log, const std::string& type,
                                  const cw::core::scenarios::Simulation& sim = {}) const {
    AgentConfig config;
    config.hub_dir = etc.string();  // the installed layout, as the daemon reads it
    config.data_dir = (root / "data").string();
    config.patterns_dir = (kCorpus / "patterns").string();
    config.year = 2026;
    config.simulation = sim;
    auto agent = Agent::create(config);
    REQUIRE(agent.ok());
    ReplayInput input;
    input.files = {log};
    input.type = type;
    auto result = (*agent)->replay(input);
    REQUIRE(result.ok());
    std::vector<std::string> out;
    for (const auto& a : result->alerts) {
      out.push_back(a.scenario + " " + a.source.value + " " + std::to_string(a.events_count) +
                    (a.simulated ? " simulated" : "") + " " + a.scenario_version);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

TEST_CASE("collections installed from the CrowdSec hub corpus replay with exact alerts",
          "[hub][manager][corpus]") {
  if (!haveCorpus()) {
    return;
  }
  Installed h;
  Manager m = h.manager();
  REQUIRE(m.updateIndex().ok());
  m = h.manager();
  for (const char* c : {"crowdsecurity/linux", "crowdsecurity/nginx", "crowdsecurity/apache2"}) {
    auto r = m.install("collections", c, false);
    REQUIRE(r.ok());
    CHECK(r->warnings.empty());
  }
  CHECK(fs::read_symlink(h.etc / "parsers/s01-parse/sshd-logs.yaml") ==
        h.etc / "hub/parsers/s01-parse/crowdsecurity/sshd-logs.yaml");
  CHECK(fs::is_regular_file(h.root / "data/http_path_traversal.txt"));
  CHECK(m.inspect("parsers", "crowdsecurity/sshd-logs")->local_version == "3.1");

  const std::string ssh_log = (kCorpus / "tests/ssh-bf/ssh-bf.log").string();
  const std::string nginx_log =
      (kCorpus / "tests/nginx-http-sensitive-files/nginx-http-sensitive-files.log").string();
  const std::vector<std::string> ssh_alerts{"crowdsecurity/ssh-bf 35.188.49.176 6 0.3",
                                            "crowdsecurity/ssh-bf_user-enum 35.188.49.176 6 0.3"};
  // Alerts carry the installed version of their scenario (scenario_version, hub.md §4).
  auto ssh = h.replay(ssh_log, "syslog");
  CHECK(ssh == ssh_alerts);
  auto web = h.replay(nginx_log, "nginx");
  REQUIRE(web.size() == 1);
  CHECK(web[0] == "crowdsecurity/http-sensitive-files 127.0.0.1 5 " +
                      m.inspect("scenarios", "crowdsecurity/http-sensitive-files")->version);

  // Remove nginx: its own parser and scenario go, the HTTP members apache2 shares stay, and
  // every linux/sshd item stays.
  auto removed = m.remove("collections", "crowdsecurity/nginx", false, false);
  REQUIRE(removed.ok());
  CHECK_FALSE(fs::exists(h.etc / "parsers/s01-parse/nginx-logs.yaml"));
  CHECK_FALSE(fs::exists(h.etc / "scenarios/nginx-req-limit-exceeded.yaml"));
  CHECK_FALSE(fs::exists(h.etc / "collections/nginx.yaml"));
  CHECK(fs::is_symlink(h.etc / "collections/base-http-scenarios.yaml"));
  CHECK(fs::is_symlink(h.etc / "parsers/s02-enrich/http-logs.yaml"));
  CHECK(fs::is_symlink(h.etc / "scenarios/http-sensitive-files.yaml"));
  for (const char* f : {"parsers/s00-raw/syslog-logs.yaml", "parsers/s01-parse/sshd-logs.yaml",
                        "parsers/s02-enrich/dateparse-enrich.yaml", "scenarios/ssh-bf.yaml",
                        "collections/sshd.yaml", "collections/linux.yaml"}) {
    CHECK(fs::is_symlink(h.etc / f));
  }
  CHECK(std::count(removed->done.begin(), removed->done.end(),
                   "disabled parsers crowdsecurity/nginx-logs") == 1);
  CHECK(std::count(removed->done.begin(), removed->done.end(),
                   "kept collections crowdsecurity/base-http-scenarios (needed by another "
                   "installed collection)") == 1);
  CHECK(h.replay(ssh_log, "syslog") == ssh_alerts);
  CHECK(h.replay(nginx_log, "nginx").empty());  // no nginx parser any more

  // Simulation: ssh-bf excluded from a global "off" => only its alert is simulated.
  const std::string sim_path = (h.etc / "simulation.yaml").string();
  cw::core::scenarios::Simulation sim;
  sim.exclusions = {"crowdsecurity/ssh-bf"};
  REQUIRE(cw::core::hub::saveSimulation(sim_path, sim).ok());
  auto loaded = cw::core::hub::loadSimulation(sim_path);
  REQUIRE(loaded.ok());
  auto simulated = h.replay(ssh_log, "syslog", *loaded);
  CHECK(simulated ==
        std::vector<std::string>{"crowdsecurity/ssh-bf 35.188.49.176 6 simulated 0.3",
                                 "crowdsecurity/ssh-bf_user-enum 35.188.49.176 6 0.3"});

  // A tampered scenario file: its alerts say "?" (tainted), and upgrade leaves it alone.
  const fs::path bf = h.etc / "hub/scenarios/crowdsecurity/ssh-bf.yaml";
  { std::ofstream(bf, std::ios::app) << "\n# tampered\n"; }
  m = h.manager();
  CHECK(m.inspect("scenarios", "crowdsecurity/ssh-bf")->tainted);
  auto up = m.upgrade("collections", "crowdsecurity/linux", false);
  REQUIRE(up.ok());
  CHECK(up->warnings ==
        std::vector<std::string>{"scenarios crowdsecurity/ssh-bf is tainted (its file differs from "
                                 "every published version): not overwritten, use --force"});
  CHECK(h.replay(ssh_log, "syslog") ==
        std::vector<std::string>{"crowdsecurity/ssh-bf 35.188.49.176 6 ?",
                                 "crowdsecurity/ssh-bf_user-enum 35.188.49.176 6 ?"});
}
