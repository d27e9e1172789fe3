// SPDX-License-Identifier: Apache-2.0
// POST /v1/alerts runs the profiles on alerts without decisions (scenarios.md §12, lapi.md §5).
#include "cw/core/decisions/profiles.h"

#include "cw/core/expr/services.h"
#include "lapi_test_util.h"

using namespace cw::core;
using namespace cw::test;

namespace {

// CrowdSec's default profiles, plus a captcha for Country alerts with a duration_expr.
const char* kProfiles = R"(
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
---
name: default_range_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Range"
decisions:
 - type: ban
   duration: 4h
on_success: break
---
name: country
filters:
 - Alert.GetScope() == "Country"
decisions:
 - type: captcha
   duration: 1h
duration_expr: Sprintf('%dh', Alert.GetEventsCount())
)";

}  // namespace

TEST_CASE("lapi: profiles make the decisions of agent alerts; until = stop_at + duration",
          "[lapi]") {
  CW_STORE_BACKEND();
  expr::Services services;
  auto profiles = decisions::Profiles::parse(kProfiles, "profiles.yaml", services, store);
  REQUIRE(profiles.ok());
  addMachine(*store, "agent1", "pw");
  addBouncer(*store, "fw", "fw-key");
  Lapi l(*store, {}, &*profiles);
  const std::string token = l.login("agent1", "pw");

  const TimePoint stop = secondsFromNow(-20);
  std::string country = agentAlert("FR", "crowdsecurity/geo", rfc3339(stop));
  country.replace(country.find(R"("scope":"Ip","value":"FR")"), 25,
                  R"("scope":"country","value":"FR")");
  std::string no_remediation = agentAlert("192.0.2.9", "crowdsecurity/http-probing", rfc3339(stop));
  no_remediation.replace(no_remediation.find(R"("remediation":true)"), 18,
                         R"("remediation":false)");
  auto r = l.client().Post("/v1/alerts", l.agent(token),
                           "[" + agentAlert("203.0.113.77", "crowdsecurity/ssh-bf", rfc3339(stop)) +
                               "," + country + "," + no_remediation + "," +
                               cscliAlert("192.0.2.50", "Ip", "captcha", "15m") + "]",
                           "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->body == R"(["1","2","3","4"])");

  auto ssh = store->getAlert(1);
  REQUIRE((*ssh)->decisions.size() == 1);
  const store::Decision& d = (*ssh)->decisions[0];
  CHECK(d.type == "ban");
  CHECK(d.origin == "crowdsec");
  CHECK(d.scope == "Ip");
  CHECK(d.value == "203.0.113.77");
  CHECK(d.scenario == "crowdsecurity/ssh-bf");
  CHECK(d.until.unix_nanos == stop.unix_nanos + 4 * kHour);
  auto geo = store->getAlert(2);
  REQUIRE((*geo)->decisions.size() == 1);
  CHECK((*geo)->decisions[0].type == "captcha");
  CHECK((*geo)->decisions[0].scope == "Country");
  CHECK((*geo)->decisions[0].until.unix_nanos == stop.unix_nanos + 6 * kHour);  // events_count
  CHECK((*store->getAlert(3))->decisions.empty());
  // The cscli alert keeps its own decision; profiles do not add one.
  auto manual = store->getAlert(4);
  REQUIRE((*manual)->decisions.size() == 1);
  CHECK((*manual)->decisions[0].type == "captcha");
  CHECK((*manual)->decisions[0].origin == "cscli");
  CHECK(l.server().counters().decisions_created == 3);

  // The bouncer sees the profile's ban.
  auto stream = l.client().Get("/v1/decisions/stream?startup=true", l.bouncer("fw-key"));
  REQUIRE(stream);
  auto doc = parseJson(stream->body);
  REQUIRE(doc["new"].IsArray());
  CHECK(doc["new"].Size() == 2);
  CHECK(std::string(doc["new"][0]["value"].GetString()) == "203.0.113.77");
  CHECK(std::string(doc["new"][1]["value"].GetString()) == "192.0.2.50");
}

TEST_CASE("lapi: a failing profile without on_error fails the whole POST with 500", "[lapi]") {
  CW_STORE_BACKEND();
  expr::Services services;
  auto profiles = decisions::Profiles::parse(
      "name: failing\nfilters:\n - Alert.GetScenario()\ndecisions:\n - type: ban\n", "p.yaml",
      services, store);
  REQUIRE(profiles.ok());
  addMachine(*store, "agent1", "pw");
  Lapi l(*store, {}, &*profiles);
  const std::string token = l.login("agent1", "pw");
  auto r = l.client().Post(
      "/v1/alerts", l.agent(token),
      "[" + agentAlert("203.0.113.7", "crowdsecurity/ssh-bf", rfc3339(secondsFromNow(0))) + "]",
      "application/json");
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->body.rfind(R"({"message":"while running expression 'Alert.GetScenario()' of profile )"
                      R"(failing: )",
                      0) == 0);
  CHECK(store->listAlerts(*store::AlertFilter::fromQuery({{"limit", "0"}}), nowUtc())->empty());
}

TEST_CASE("lapi: simulated alerts get simulated decisions that bouncers do not see", "[lapi]") {
  CW_STORE_BACKEND();
  expr::Services services;
  auto profiles = decisions::Profiles::parse(kProfiles, "profiles.yaml", services, store);
  REQUIRE(profiles.ok());
  addMachine(*store, "agent1", "pw");
  addBouncer(*store, "fw", "fw-key");
  Lapi l(*store, {}, &*profiles);
  const std::string token = l.login("agent1", "pw");
  const std::string at = rfc3339(secondsFromNow(-1));
  std::string simulated = agentAlert("192.0.2.179", "crowdsecurity/ssh-bf", at);
  simulated.replace(simulated.find(R"("simulated":false)"), 17, R"("simulated":true)");
  // A decision on an Ip that is no address is dropped; its alert is kept.
  auto r = l.client().Post("/v1/alerts", l.agent(token),
                           "[" + agentAlert("192.0.2.178", "crowdsecurity/ssh-bf", at) + "," +
                               simulated + "," + cscliAlert("not-an-ip") + "]",
                           "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->body == R"(["1","2","3"])");
  REQUIRE((*store->getAlert(2))->decisions.size() == 1);
  CHECK((*store->getAlert(2))->decisions[0].simulated);
  CHECK((*store->getAlert(3))->decisions.empty());

  auto get = [&](const std::string& path, const httplib::Headers& h) {
    auto res = l.client().Get(path.c_str(), h);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return parseJson(res->body);
  };
  auto live = get("/v1/decisions", l.bouncer("fw-key"));
  REQUIRE(live.Size() == 1);
  CHECK(std::string(live[0]["value"].GetString()) == "192.0.2.178");
  auto with_sim = get("/v1/decisions?simulated=true", l.bouncer("fw-key"));
  REQUIRE(with_sim.Size() == 2);
  CHECK(with_sim[1]["simulated"].GetBool());
  auto stream = get("/v1/decisions/stream?startup=true", l.bouncer("fw-key"));
  REQUIRE(stream["new"].Size() == 1);
  CHECK(std::string(stream["new"][0]["value"].GetString()) == "192.0.2.178");
  // Alert listing: simulated=false hides the simulated alert.
  auto alerts = get("/v1/alerts?simulated=false&scenario=crowdsecurity/ssh-bf", l.agent(token));
  REQUIRE(alerts.Size() == 1);
  CHECK(std::string(alerts[0]["source"]["value"].GetString()) == "192.0.2.178");
  CHECK(get("/v1/alerts?scenario=crowdsecurity/ssh-bf", l.agent(token)).Size() == 2);
}
