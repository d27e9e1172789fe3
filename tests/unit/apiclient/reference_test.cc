// SPDX-License-Identifier: Apache-2.0
// Our client against CrowdSec 1.4.6's own Local API: "our agent can post to CrowdSec's LAPI".
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
#include "reference_lapi.h"

namespace api = cw::core::apiclient;
namespace event = cw::core::event;
using cw::test::ReferenceLapi;
using cw::test::sqliteRows;

namespace {

constexpr const char* kPassword = "0123456789abcdef0123456789abcdef";

event::Alert alertFor(const std::string& scenario, const std::string& ip, int events) {
  event::Alert a;
  a.scenario = scenario;
  a.scenario_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  a.scenario_version = "0.1";
  a.message = "Ip " + ip + " performed '" + scenario + "'";
  a.events_count = events;
  a.start_at = "2026-12-03T10:00:00Z";
  a.stop_at = "2026-12-03T10:00:05Z";
  a.capacity = 5;
  a.leakspeed = "10s";
  a.remediation = true;
  a.source = {"Ip", ip, ip, "", "", "", "", 0, 0};
  for (int i = 0; i < events; ++i) {
    a.events.push_back({"2026-12-03T10:00:0" + std::to_string(i) + "Z",
                        {{"log_type", "ssh_failed-auth"}, {"source_ip", ip}}});
  }
  return a;
}

std::unique_ptr<api::Client> clientFor(const ReferenceLapi& lapi, const std::string& password) {
  api::ClientOptions o;
  o.url = lapi.url();
  o.login = "cw-agent";
  o.password = password;
  o.scenarios = {"crowdsecurity/ssh-bf", "crowdsecurity/ssh-slow-bf"};
  o.timeout = std::chrono::milliseconds(5000);
  auto c = api::Client::create(o);
  REQUIRE(c.ok());
  return std::move(*c);
}

template <typename F>
bool waitFor(F done) {
  for (int i = 0; i < 300; ++i) {  // 15 s at most: a wait, not a speed check
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace

TEST_CASE("login to CrowdSec 1.4.6's LAPI, heartbeat and alerts with profile decisions",
          "[apiclient][reference]") {
  if (auto why = ReferenceLapi::missing()) {
    WARN("skipped: " << *why);
    return;
  }
  ReferenceLapi lapi("cw-agent", kPassword);
  REQUIRE(lapi.start());

  auto bad = clientFor(lapi, "wrong-password");
  auto refused = bad->login();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message ==
        "login of 'cw-agent' refused (401): incorrect Username or Password");

  auto client = clientFor(lapi, kPassword);
  REQUIRE(client->login().ok());
  CHECK(client->logins() == 1);
  CHECK(client->token().size() > 20);
  // The LAPI took the version from our User-Agent and the scenarios from the login body.
  CHECK(
      sqliteRows(lapi.db(), "SELECT version, scenarios, is_validated FROM machines") ==
      std::vector<std::string>{"v" CW_VERSION "|crowdsecurity/ssh-bf,crowdsecurity/ssh-slow-bf|1"});

  auto hb = client->heartbeat();
  REQUIRE(hb.ok());

  const std::string body =
      api::jsonArray({cw::core::alerts::alertToJson(alertFor("crowdsecurity/ssh-bf", "192.0.2.7", 3)),
                      cw::core::alerts::alertToJson(alertFor("crowdsecurity/ssh-slow-bf", "198.51.100.9", 2))});
  auto posted = client->postAlerts(body);
  REQUIRE(posted.ok());
  CHECK(posted->status == 201);
  CHECK(api::parseIds(posted->body) == std::vector<std::string>{"1", "2"});
  CHECK(client->logins() == 1);  // the token was reused

  CHECK(sqliteRows(lapi.db(),
                   "SELECT scenario, source_scope, source_value, events_count, capacity, "
                   "leak_speed, scenario_version, simulated FROM alerts ORDER BY id") ==
        std::vector<std::string>{"crowdsecurity/ssh-bf|Ip|192.0.2.7|3|5|10s|0.1|0",
                                 "crowdsecurity/ssh-slow-bf|Ip|198.51.100.9|2|5|10s|0.1|0"});
  CHECK(sqliteRows(lapi.db(), "SELECT count(*) FROM events") == std::vector<std::string>{"5"});
  // The LAPI ran its profile (ban 4h) on our alerts: decisions end at stop_at + 4h.
  CHECK(sqliteRows(lapi.db(),
                   "SELECT type, scope, value, origin, scenario, strftime('%Y-%m-%dT%H:%M:%S', "
                   "until) FROM decisions ORDER BY id") ==
        std::vector<std::string>{
            "ban|Ip|192.0.2.7|crowdsec|crowdsecurity/ssh-bf|2026-12-03T14:00:05",
            "ban|Ip|198.51.100.9|crowdsec|crowdsecurity/ssh-slow-bf|2026-12-03T14:00:05"});
}

TEST_CASE("a token refused after a LAPI restart is renewed by a new login",
          "[apiclient][reference]") {
  if (auto why = ReferenceLapi::missing()) {
    WARN("skipped: " << *why);
    return;
  }
  ReferenceLapi lapi("cw-agent", kPassword);
  REQUIRE(lapi.start());
  auto client = clientFor(lapi, kPassword);
  REQUIRE(client->heartbeat().ok());
  CHECK(client->logins() == 1);
  const std::string first = client->token();

  // A restarted CrowdSec LAPI signs with a new random secret: the old token gets 401.
  lapi.stop();
  REQUIRE(lapi.start());
  auto hb = client->heartbeat();
  REQUIRE(hb.ok());
  CHECK(client->logins() == 2);
  CHECK(client->token() != first);
}

TEST_CASE("alerts wait on disk while the LAPI is down and are sent after a restart",
          "[apiclient][reference][queue]") {
  if (auto why = ReferenceLapi::missing()) {
    WARN("skipped: " << *why);
    return;
  }
  ReferenceLapi lapi("cw-agent", kPassword);
  const std::string queue_path = lapi.dir() + "/alert-queue.db";
  api::SenderOptions options;
  options.min_backoff = std::chrono::milliseconds(100);
  options.max_backoff = std::chrono::milliseconds(200);

  {
    // LAPI not started yet: nothing listens on its port.
    auto queue = api::AlertQueue::open(queue_path);
    REQUIRE(queue.ok());
    api::AlertSender sender(clientFor(lapi, kPassword), std::move(*queue), options);
    sender.start();
    REQUIRE(sender
                .enqueue({alertFor("crowdsecurity/ssh-bf", "192.0.2.1", 1),
                          alertFor("crowdsecurity/ssh-bf", "192.0.2.2", 1)})
                .ok());
    REQUIRE(sender.enqueue({alertFor("crowdsecurity/ssh-bf", "192.0.2.3", 1)}).ok());
    sender.flushNow();
    REQUIRE(waitFor([&] { return sender.stats().failures >= 1; }));
    sender.stop();
    const api::SenderStats s = sender.stats();
    CHECK(s.queued == 3);
    CHECK(s.sent == 0);
    CHECK(s.pending == 3);
  }

  // The process "restarts": a new sender on the same file, and the LAPI is up now.
  REQUIRE(lapi.start());
  auto queue = api::AlertQueue::open(queue_path);
  REQUIRE(queue.ok());
  CHECK(*(*queue)->size() == 3);
  api::AlertSender sender(clientFor(lapi, kPassword), std::move(*queue), options);
  sender.start();
  REQUIRE(waitFor([&] { return sender.stats().pending == 0; }));
  sender.stop();
  CHECK(sender.stats().sent == 3);
  CHECK(sqliteRows(lapi.db(), "SELECT source_value FROM alerts ORDER BY id") ==
        std::vector<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
}

TEST_CASE("an alert the LAPI refuses as invalid is dropped and counted, the others are sent",
          "[apiclient][reference][queue]") {
  if (auto why = ReferenceLapi::missing()) {
    WARN("skipped: " << *why);
    return;
  }
  ReferenceLapi lapi("cw-agent", kPassword);
  REQUIRE(lapi.start());
  auto queue = api::AlertQueue::open(lapi.dir() + "/alert-queue.db");
  REQUIRE(queue.ok());
  api::AlertSender sender(clientFor(lapi, kPassword), std::move(*queue));
  // The middle alert lacks every required field but the scenario.
  REQUIRE(sender
              .enqueueJson({cw::core::alerts::alertToJson(alertFor("crowdsecurity/ssh-bf", "192.0.2.10", 1)),
                            R"({"scenario":"broken"})",
                            cw::core::alerts::alertToJson(alertFor("crowdsecurity/ssh-bf", "192.0.2.11", 1))})
              .ok());
  sender.start();
  sender.flushNow();
  REQUIRE(waitFor([&] { return sender.stats().pending == 0; }));
  sender.stop();
  const api::SenderStats s = sender.stats();
  CHECK(s.sent == 2);
  CHECK(s.rejected == 1);
  CHECK(sqliteRows(lapi.db(), "SELECT source_value FROM alerts ORDER BY id") ==
        std::vector<std::string>{"192.0.2.10", "192.0.2.11"});
}
