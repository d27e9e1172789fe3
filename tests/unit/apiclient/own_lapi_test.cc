// SPDX-License-Identifier: Apache-2.0
// Our client against our own Local API server, in process (lapi::Server on a temporary SQLite
// store): the alert JSON we send is the one the server parses back.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "cw/core/alerts/json.h"
#include "cw/core/apiclient/alert_json.h"
#include "cw/core/apiclient/client.h"
#include "cw/core/apiclient/queue.h"
#include "cw/core/apiclient/sender.h"
#include "cw/core/lapi/json_models.h"
#include "cw/core/lapi/server.h"
#include "cw/core/store/passwords.h"
#include "cw/core/store/store.h"
#include "reference_lapi.h"

namespace api = cw::core::apiclient;
namespace event = cw::core::event;
namespace lapi = cw::core::lapi;
namespace store = cw::core::store;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPassword = "own-lapi-password-0123456789abcd";

event::Alert alertFor(const std::string& ip) {
  event::Alert a;
  a.scenario = "crowdwall/ssh-bf";
  a.scenario_hash = "abc123";
  a.scenario_version = "0.1";
  a.message = "Ip " + ip + " performed 'crowdwall/ssh-bf' (6 events over 5s)";
  a.events_count = 6;
  a.start_at = "2026-12-03T10:00:00Z";
  a.stop_at = "2026-12-03T10:00:05Z";
  a.capacity = 5;
  a.leakspeed = "10s";
  a.remediation = true;
  a.source = {"Ip", ip, ip, "", "EXAMPLE", "64496", "FR", 48.5f, 2.25f};
  a.events.push_back({"2026-12-03T10:00:05Z", {{"source_ip", ip}, {"user", "root"}}});
  a.meta = {{"target_user", "root"}};
  return a;
}

struct OwnLapi {
  std::string dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<lapi::Server> server;
  cw::core::config::Config cfg;
  int port = 0;

  OwnLapi() {
    dir = (fs::temp_directory_path() / ("cw-ownlapi-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto s = store::Store::openSqlite(dir + "/lapi.db");
    REQUIRE(s.ok());
    db = std::move(*s);
    store::Machine m;
    m.machine_id = "cw-agent";
    m.password_hash = *store::hashPassword(kPassword);
    m.is_validated = true;
    REQUIRE(db->createMachine(m).ok());
    port = cw::test::freePort();
    cfg.server.listen_uri = "127.0.0.1:" + std::to_string(port);
  }
  ~OwnLapi() {
    stop();
    db.reset();
    fs::remove_all(dir);
  }
  void start(const std::string& secret) {
    lapi::ServerOptions o;
    o.threads = 4;
    o.jwt_secret = secret;
    auto srv = lapi::Server::create(cfg, *db, nullptr, o);
    REQUIRE(srv.ok());
    server = std::move(*srv);
    REQUIRE(server->start().ok());
  }
  void stop() {
    if (server) {
      server->stop();
      server.reset();
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
};

std::unique_ptr<api::Client> clientFor(const std::string& url) {
  api::ClientOptions o;
  o.url = url;
  o.login = "cw-agent";
  o.password = kPassword;
  o.scenarios = {"crowdwall/ssh-bf"};
  auto c = api::Client::create(o);
  REQUIRE(c.ok());
  return std::move(*c);
}

std::vector<store::Alert> storedAlerts(store::Store& db) {
  store::AlertFilter all;
  all.limit = 0;
  all.ascending = true;
  auto alerts = db.listAlerts(all, cw::core::nowUtc());
  REQUIRE(alerts.ok());
  return *alerts;
}

}  // namespace

TEST_CASE("our alert JSON is what our LAPI's parser reads back", "[apiclient][lapi]") {
  const auto parsed = lapi::parseAlerts(api::jsonArray({cw::core::alerts::alertToJson(alertFor("192.0.2.7"))}),
                                        cw::core::nowUtc());
  REQUIRE(parsed.ok);
  REQUIRE(parsed.alerts.size() == 1);
  const store::Alert& a = parsed.alerts[0];
  CHECK(a.scenario == "crowdwall/ssh-bf");
  CHECK(a.scenario_hash == "abc123");
  CHECK(a.scenario_version == "0.1");
  CHECK(a.events_count == 6);
  CHECK(a.capacity == 5);
  CHECK(a.leakspeed == "10s");
  CHECK(a.remediation);
  CHECK(a.source.value == "192.0.2.7");
  CHECK(a.source.as_number == "64496");
  CHECK(a.source.cn == "FR");
  CHECK(a.source.latitude == Approx(48.5));
  REQUIRE(a.events.size() == 1);
  REQUIRE(a.meta.size() == 1);
  CHECK(a.meta[0].key == "target_user");
  CHECK(a.meta[0].value == "root");
}

TEST_CASE(
    "login, heartbeat and alerts against our in-process LAPI; a new server secret "
    "makes the client log in again",
    "[apiclient][lapi]") {
  OwnLapi own;
  own.start(std::string(64, 'a'));
  auto client = clientFor(own.url());
  REQUIRE(client->heartbeat().ok());
  auto posted = client->postAlerts(api::jsonArray(
      {cw::core::alerts::alertToJson(alertFor("192.0.2.7")), cw::core::alerts::alertToJson(alertFor("198.51.100.8"))}));
  REQUIRE(posted.ok());
  CHECK(posted->status == 201);
  CHECK(api::parseIds(posted->body).size() == 2);
  CHECK(client->logins() == 1);

  auto m = own.db->getMachine("cw-agent");
  REQUIRE(m.ok());
  REQUIRE(m->has_value());
  CHECK((*m)->version == "v" CW_VERSION);
  CHECK((*m)->scenarios == "crowdwall/ssh-bf");

  // Restart with another secret: the kept token is refused, the client logs in once more.
  own.stop();
  own.start(std::string(64, 'b'));
  REQUIRE(client->heartbeat().ok());
  CHECK(client->logins() == 2);

  const auto alerts = storedAlerts(*own.db);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].source.value == "192.0.2.7");
  CHECK(alerts[1].source.value == "198.51.100.8");
  CHECK(alerts[0].machine_id == "cw-agent");
  CHECK(alerts[0].events.size() == 1);
}

TEST_CASE("the sender keeps alerts on disk while our LAPI is down and delivers them once up",
          "[apiclient][lapi][queue]") {
  OwnLapi own;
  api::SenderOptions options;
  options.min_backoff = std::chrono::milliseconds(100);
  options.max_backoff = std::chrono::milliseconds(200);
  auto queue = api::AlertQueue::open(own.dir + "/queue.db");
  REQUIRE(queue.ok());
  api::AlertSender sender(clientFor(own.url()), std::move(*queue), options);
  sender.start();
  REQUIRE(sender.enqueue({alertFor("192.0.2.1"), alertFor("192.0.2.2")}).ok());
  for (int i = 0; i < 200 && sender.stats().failures == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(sender.stats().pending == 2);
  own.start(std::string(64, 'c'));
  for (int i = 0; i < 300 && sender.stats().pending != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sender.stop();
  CHECK(sender.stats().sent == 2);
  CHECK(sender.stats().pending == 0);
  const auto alerts = storedAlerts(*own.db);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].source.value == "192.0.2.1");
  CHECK(alerts[1].source.value == "192.0.2.2");
}

TEST_CASE("queued alerts go out in batches of batch_size", "[apiclient][lapi][queue]") {
  OwnLapi own;
  own.start(std::string(64, 'd'));
  auto queue = api::AlertQueue::open(own.dir + "/queue.db");
  REQUIRE(queue.ok());
  api::SenderOptions options;
  options.batch_size = 50;
  api::AlertSender sender(clientFor(own.url()), std::move(*queue), options);
  std::vector<event::Alert> alerts;
  for (int i = 0; i < 120; ++i) {
    alerts.push_back(alertFor("10.0.0." + std::to_string(i + 1)));
  }
  REQUIRE(sender.enqueue(alerts).ok());  // queued before the thread runs: one drain
  sender.start();
  for (int i = 0; i < 300 && sender.stats().pending != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sender.stop();
  CHECK(sender.stats().sent == 120);
  const lapi::ServerCounters c = own.server->counters();
  CHECK(c.alerts_received == 120);
  CHECK(c.requests == 4);  // one login, then POST /v1/alerts with 50, 50 and 20 alerts
  const auto stored = storedAlerts(*own.db);
  REQUIRE(stored.size() == 120);
  CHECK(stored.front().source.value == "10.0.0.1");
  CHECK(stored.back().source.value == "10.0.0.120");
}
