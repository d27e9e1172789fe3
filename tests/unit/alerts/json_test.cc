// SPDX-License-Identifier: Apache-2.0
#include "cw/core/alerts/json.h"

#include <catch2/catch.hpp>
#include <string>

namespace alerts = cw::core::alerts;
namespace event = cw::core::event;

namespace {

event::Alert sshAlert() {
  event::Alert a;
  a.scenario = "crowdsecurity/ssh-bf";
  a.scenario_hash = "4441dcff07020f6690d998b7101e642359ba405c2abb83565bbbdcee36de280f";
  a.scenario_version = "0.1";
  a.message =
      "Ip 192.0.2.7 performed 'crowdsecurity/ssh-bf' (2 events over 1s) at "
      "2026-03-07 09:14:09 +0000 UTC";
  a.events_count = 2;
  a.start_at = "2026-03-07T09:14:08Z";
  a.stop_at = "2026-03-07T09:14:09Z";
  a.capacity = 5;
  a.leakspeed = "10s";
  a.remediation = true;
  a.source.scope = "Ip";
  a.source.value = "192.0.2.7";
  a.source.ip = "192.0.2.7";
  a.events.push_back(
      {"2026-03-07T09:14:08Z", {{"log_type", "ssh_failed-auth"}, {"source_ip", "192.0.2.7"}}});
  a.events.push_back(
      {"2026-03-07T09:14:09Z", {{"log_type", "ssh_failed-auth"}, {"source_ip", "192.0.2.7"}}});
  return a;
}

}  // namespace

TEST_CASE("an agent alert becomes the LAPI alert model", "[alerts]") {
  const std::string json = alerts::alertToJson(sshAlert());
  CHECK(json ==
        R"({"scenario":"crowdsecurity/ssh-bf",)"
        R"("scenario_hash":"4441dcff07020f6690d998b7101e642359ba405c2abb83565bbbdcee36de280f",)"
        R"("scenario_version":"0.1","message":"Ip 192.0.2.7 performed 'crowdsecurity/ssh-bf' )"
        R"((2 events over 1s) at 2026-03-07 09:14:09 +0000 UTC","events_count":2,)"
        R"("start_at":"2026-03-07T09:14:08Z","stop_at":"2026-03-07T09:14:09Z","capacity":5,)"
        R"("leakspeed":"10s","simulated":false,"remediation":true,)"
        R"("source":{"scope":"Ip","value":"192.0.2.7","ip":"192.0.2.7"},)"
        R"("events":[{"timestamp":"2026-03-07T09:14:08Z","meta":[{"key":"log_type",)"
        R"("value":"ssh_failed-auth"},{"key":"source_ip","value":"192.0.2.7"}]},)"
        R"({"timestamp":"2026-03-07T09:14:09Z","meta":[{"key":"log_type",)"
        R"("value":"ssh_failed-auth"},{"key":"source_ip","value":"192.0.2.7"}]}]})");
}

TEST_CASE("alert JSON carries geo fields, meta, labels, decisions and a non-default kind",
          "[alerts]") {
  event::Alert a = sshAlert();
  a.events.clear();
  a.source.as_number = "64496";
  a.source.as_name = "EXAMPLE-AS";
  a.source.cn = "FR";
  a.source.latitude = 48.5f;
  a.source.longitude = 2.25f;
  a.meta = {{"target_user", "root"}};
  a.labels = {{"service", "ssh"}};
  a.decisions.push_back({0, "cscli", "ban", "Ip", "192.0.2.7", "1h", "manual", false, ""});
  a.kind = "cscli";
  const std::string json = alerts::alertToJson(a);
  CHECK(json.find(R"("source":{"scope":"Ip","value":"192.0.2.7","ip":"192.0.2.7",)"
                  R"("as_number":"64496","as_name":"EXAMPLE-AS","cn":"FR","latitude":48.5,)"
                  R"("longitude":2.25})") != std::string::npos);
  CHECK(json.find(R"("events":[],"meta":[{"key":"target_user","value":"root"}],)"
                  R"("labels":["service:ssh"],"decisions":[{"origin":"cscli","type":"ban",)"
                  R"("scope":"Ip","value":"192.0.2.7","duration":"1h","scenario":"manual",)"
                  R"("simulated":false}],"kind":"cscli"})") != std::string::npos);
}

TEST_CASE("invalid UTF-8 from a log is replaced so the JSON stays valid", "[alerts]") {
  event::Alert a = sshAlert();
  a.events.resize(1);
  a.events[0].meta = {{"user", std::string("ro\xff"
                                           "ot\xc3")}};
  const std::string json = alerts::alertToJson(a);
  CHECK(json.find("{\"key\":\"user\",\"value\":\"ro\xEF\xBF\xBDot\xEF\xBF\xBD\"}") !=
        std::string::npos);
}
