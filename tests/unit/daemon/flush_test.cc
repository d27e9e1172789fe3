// SPDX-License-Identifier: Apache-2.0
// The LAPI side of the daemon runs db_config.flush at start and then periodically.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../apiclient/reference_lapi.h"
#include "cw/core/common/time.h"
#include "cw/core/config/config.h"
#include "cw/core/daemon/daemon.h"
#include "cw/core/store/store.h"

namespace fs = std::filesystem;
namespace cwd = cw::core::daemon;
namespace store = cw::core::store;
using cw::core::kHour;
using cw::core::TimePoint;

namespace {

TimePoint ago(cw::core::Duration d) {
  return TimePoint::fromUnixNanos(cw::core::nowUtc().unix_nanos - d);
}

// One alert created `age` ago, with an active ban (for an hour more) when `banned`.
std::int64_t insertAlert(store::Store& s, const std::string& ip, cw::core::Duration age,
                         bool banned) {
  store::Alert a;
  a.scenario = "crowdwall/ssh-bf";
  a.message = "flush test";
  a.source.scope = "Ip";
  a.source.value = ip;
  a.start_at = a.stop_at = a.created_at = ago(age);
  a.kind = "crowdsec";
  if (banned) {
    store::Decision d;
    d.scope = "Ip";
    d.value = ip;
    d.type = "ban";
    d.origin = "crowdsec";
    d.scenario = a.scenario;
    d.until = ago(-kHour);
    a.decisions.push_back(d);
  }
  std::vector<store::Alert> v{a};
  auto ids = s.insertAlerts(v, cw::core::nowUtc());
  REQUIRE(ids.ok());
  return ids->front();
}

std::vector<std::int64_t> alertIds(store::Store& s) {
  store::AlertFilter all;
  all.limit = 0;
  all.ascending = true;
  auto alerts = s.listAlerts(all, cw::core::nowUtc());
  REQUIRE(alerts.ok());
  std::vector<std::int64_t> ids;
  for (const auto& a : *alerts) {
    ids.push_back(a.id);
  }
  return ids;
}

}  // namespace

TEST_CASE("the LAPI side flushes the database at start and then periodically", "[daemon]") {
  const std::string dir =
      (fs::temp_directory_path() / ("cw-daemon-flush-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir + "/data");
  const std::string db = dir + "/data/crowdwall.db";

  std::vector<std::int64_t> ids;
  {
    auto s = store::Store::openSqlite(db);
    REQUIRE(s.ok());
    for (int i = 0; i < 3; ++i) {  // older than max_age: deleted
      ids.push_back(insertAlert(**s, "192.0.2." + std::to_string(i + 1), 10 * 24 * kHour, false));
    }
    ids.push_back(insertAlert(**s, "192.0.2.4", 10 * 24 * kHour, true));  // kept: active ban
    for (int i = 0; i < 4; ++i) {  // recent; only the 3 newest stay (max_items)
      ids.push_back(insertAlert(**s, "198.51.100." + std::to_string(i + 1), kHour, false));
    }
  }

  std::ofstream(dir + "/profiles.yaml") << "name: p\nfilters:\n - Alert.Remediation == true\n"
                                           "decisions:\n - type: ban\n   duration: 4h\n";
  std::ofstream(dir + "/config.yaml")
      << "common:\n  log_media: stdout\n  log_level: warning\n"
      << "config_paths:\n  config_dir: " << dir << "/\n  data_dir: " << dir << "/data/\n"
      << "crowdsec_service:\n  enable: false\n"
      << "api:\n  server:\n    enable: true\n    listen_uri: 127.0.0.1:" << cw::test::freePort()
      << "\n    profiles_path: " << dir << "/profiles.yaml\n"
      << "db_config:\n  type: sqlite\n  db_path: " << db
      << "\n  flush:\n    max_items: 3\n    max_age: 7d\n";
  auto cfg = cw::core::config::load(dir + "/config.yaml");
  if (!cfg.ok()) {
    FAIL(cfg.error().message);
  }
  cwd::DaemonOptions options;
  options.flush_interval = std::chrono::milliseconds(200);
  auto d = cwd::Daemon::create(*cfg, options);
  if (!d.ok()) {
    FAIL(d.error().message);
  }
  REQUIRE((*d)->start().ok());

  // At start: the three old alerts (max_age), then the oldest recent one (max_items 3);
  // the old alert with an active ban stays.
  CHECK((*d)->stats().db_flushed_alerts == 4);
  auto s = store::Store::openSqlite(db);
  REQUIRE(s.ok());
  CHECK(alertIds(**s) == std::vector<std::int64_t>{ids[3], ids[5], ids[6], ids[7]});

  // Two new alerts: the next periodic flush keeps the 3 newest (and the banned one).
  ids.push_back(insertAlert(**s, "203.0.113.1", 0, false));
  ids.push_back(insertAlert(**s, "203.0.113.2", 0, false));
  bool flushed = false;
  for (int i = 0; i < 200 && !flushed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    flushed = (*d)->stats().db_flushed_alerts == 6;
  }
  CHECK(flushed);
  CHECK(alertIds(**s) == std::vector<std::int64_t>{ids[3], ids[7], ids[8], ids[9]});
  CHECK((*d)->stats().db_flushes >= 2);
  (*d)->stop();
  const std::uint64_t after_stop = (*d)->stats().db_flushes;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK((*d)->stats().db_flushes == after_stop);  // the flush thread ended with the daemon
  CHECK((*d)->stats().db_flushed_alerts == 6);
  fs::remove_all(dir);
}
