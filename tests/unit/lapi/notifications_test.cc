// SPDX-License-Identifier: Apache-2.0
// POST /v1/alerts hands each stored alert to the notifications its matching profiles name, as
// the JSON an agent posts with the decisions the LAPI attached (each alert alone, in the default
// format: a JSON array holding it).
#include <mutex>
#include <string>
#include <vector>

#include "cw/core/decisions/profiles.h"
#include "cw/core/expr/services.h"
#include "cw/core/notifications/dispatcher.h"
#include "lapi_test_util.h"

using namespace cw::core;
using namespace cw::test;

namespace {

const char* kProfiles = R"(
name: ip_ban
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
notifications:
 - hook
---
name: audit_all
filters:
 - Alert.GetScope() != ""
notifications:
 - audit
 - hook
)";

struct Calls {
  std::mutex mu;
  std::vector<std::string> names;
  std::vector<std::string> bodies;
};

class Recorder : public notifications::Notifier {
 public:
  Recorder(std::string name, Calls& calls) : name_(std::move(name)), calls_(calls) {}
  Result<bool> notify(std::string_view json) override {
    std::lock_guard lock(calls_.mu);
    calls_.names.push_back(name_);
    calls_.bodies.emplace_back(json);
    return true;
  }

 private:
  std::string name_;
  Calls& calls_;
};

}  // namespace

TEST_CASE("lapi: accepted alerts go to the notifications their matching profiles name", "[lapi]") {
  CW_STORE_BACKEND();
  expr::Services services;
  auto profiles = decisions::Profiles::parse(kProfiles, "profiles.yaml", services, store);
  REQUIRE(profiles.ok());
  Calls calls;
  notifications::Dispatcher dispatcher(16);
  dispatcher.add("hook", std::make_unique<Recorder>("hook", calls));
  dispatcher.add("audit", std::make_unique<Recorder>("audit", calls));
  dispatcher.start();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store, {}, &*profiles, &dispatcher);
  const std::string token = l.login("agent1", "pw");

  const std::string at = "2026-01-02T03:04:05Z";
  std::string range = agentAlert("198.51.100.0/24", "crowdwall/range-scan", at);
  range.replace(range.find(R"("scope":"Ip")"), 12, R"("scope":"Range")");
  auto r =
      l.client().Post("/v1/alerts", l.agent(token),
                      "[" + agentAlert("203.0.113.77", "crowdsecurity/ssh-bf", at) + "," +
                          cscliAlert("192.0.2.50", "Ip", "captcha", "15m", at) + "," + range + "]",
                      "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->body == R"(["1","2","3"])");
  dispatcher.waitIdle();

  std::lock_guard lock(calls.mu);
  // ip_ban then audit_all match the Ip alerts (hook once, where ip_ban named it); only audit_all
  // the Range one (audit, then hook).
  CHECK(calls.names == std::vector<std::string>{"hook", "audit", "hook", "audit", "audit", "hook"});
  REQUIRE(calls.bodies.size() == 6);
  CHECK(calls.bodies[0] ==
        R"([{"scenario":"crowdsecurity/ssh-bf","scenario_hash":"abc","scenario_version":"0.1",)"
        R"x("message":"Ip 203.0.113.77 performed 'crowdsecurity/ssh-bf' (6 events over 5s)",)x"
        R"("events_count":6,"start_at":"2026-01-02T03:04:05Z","stop_at":"2026-01-02T03:04:05Z",)"
        R"("capacity":5,"leakspeed":"10s","simulated":false,"remediation":true,)"
        R"("source":{"scope":"Ip","value":"203.0.113.77","ip":"203.0.113.77"},)"
        R"("events":[{"timestamp":"2026-01-02T03:04:05Z","meta":[{"key":"source_ip",)"
        R"("value":"203.0.113.77"},{"key":"user","value":"root"}]}],)"
        R"("decisions":[{"origin":"crowdsec","type":"ban","scope":"Ip","value":"203.0.113.77",)"
        R"("duration":"4h0m0s","scenario":"crowdsecurity/ssh-bf","simulated":false,)"
        R"("until":"2026-01-02T07:04:05Z"}]}])");
  CHECK(calls.bodies[1] == calls.bodies[0]);
  // The cscli alert keeps its own decision.
  auto manual_list = parseJson(calls.bodies[2]);
  REQUIRE(manual_list.Size() == 1);
  const auto& manual = manual_list[0];
  CHECK(std::string(manual["source"]["value"].GetString()) == "192.0.2.50");
  REQUIRE(manual["decisions"].Size() == 1);
  CHECK(std::string(manual["decisions"][0]["type"].GetString()) == "captcha");
  CHECK(std::string(manual["decisions"][0]["origin"].GetString()) == "cscli");
  CHECK(std::string(manual["decisions"][0]["duration"].GetString()) == "15m0s");
  CHECK(calls.bodies[3] == calls.bodies[2]);
  auto ranged_list = parseJson(calls.bodies[4]);
  REQUIRE(ranged_list.Size() == 1);
  const auto& ranged = ranged_list[0];
  CHECK(std::string(ranged["source"]["scope"].GetString()) == "Range");
  CHECK_FALSE(ranged.HasMember("decisions"));
  CHECK(calls.bodies[5] == calls.bodies[4]);
  CHECK(l.server().counters().notified_alerts == 3);
  const notifications::DispatcherStats s = dispatcher.stats();
  CHECK(s.queued == 3);
  CHECK(s.sent == 6);
  CHECK(s.dropped == 0);
  CHECK(s.failed == 0);
}
