// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cw/core/alerts/render.h"

using cw::core::alerts::ReplayCounters;
using cw::core::event::Alert;

namespace {

Alert makeAlert(std::string scenario, std::string ip, int count, std::string start,
                std::string stop) {
  Alert a;
  a.scenario = std::move(scenario);
  a.source.scope = "Ip";
  a.source.value = ip;
  a.source.ip = ip;
  a.events_count = count;
  a.start_at = std::move(start);
  a.stop_at = std::move(stop);
  return a;
}

ReplayCounters counters() {
  ReplayCounters c;
  c.lines_read = 10;
  c.parsed = 6;
  c.whitelisted = 1;
  c.unparsed = 2;
  c.too_long = 1;
  c.empty = 1;
  c.overflows = 4;
  c.overflows_whitelisted = 1;
  c.alerts = 3;
  return c;
}

}  // namespace

TEST_CASE("alerts sort by first event instant, then scenario, then source", "[alerts]") {
  std::vector<Alert> alerts = {
      makeAlert("b/ssh-bf", "10.0.0.2", 5, "2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"),
      makeAlert("a/ssh-bf", "10.0.0.9", 5, "2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"),
      // 11:30+02:00 is 09:30Z: earlier than the others despite its text.
      makeAlert("z/late", "10.0.0.1", 5, "2024-01-01T11:30:00+02:00", "2024-01-01T11:31:00+02:00"),
      makeAlert("a/ssh-bf", "10.0.0.3", 5, "2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"),
      makeAlert("a/bad", "10.0.0.4", 5, "not a time", ""),
      makeAlert("a/frac", "10.0.0.5", 5, "2024-01-01T10:00:00.5Z", "2024-01-01T10:01:00Z"),
  };
  cw::core::alerts::sortAlerts(alerts);
  std::vector<std::string> order;
  for (const Alert& a : alerts) {
    order.push_back(a.scenario + " " + a.source.value);
  }
  CHECK(order == std::vector<std::string>{"z/late 10.0.0.1", "a/ssh-bf 10.0.0.3",
                                          "a/ssh-bf 10.0.0.9", "b/ssh-bf 10.0.0.2",
                                          "a/frac 10.0.0.5", "a/bad 10.0.0.4"});
}

TEST_CASE("summary line wording is stable", "[alerts]") {
  CHECK(cw::core::alerts::summaryLine(counters()) ==
        "10 lines read, 6 parsed (1 whitelisted), 2 unparsed, 1 too long, 1 empty, 3 alerts");
}

TEST_CASE("human table aligns columns and prefixes non-Ip scopes", "[alerts]") {
  std::vector<Alert> alerts = {
      makeAlert("crowdsecurity/ssh-bf", "192.168.1.10", 6, "2024-01-01T10:00:00Z",
                "2024-01-01T10:00:08Z"),
      makeAlert("x/range", "10.0.0.0/24", 12, "2024-01-01T10:00:01Z", "2024-01-01T10:05:00Z"),
  };
  alerts[1].source.scope = "Range";
  CHECK(cw::core::alerts::renderTable(alerts, counters()) ==
        "SCENARIO              SOURCE             EVENTS  FIRST EVENT           LAST EVENT\n"
        "crowdsecurity/ssh-bf  192.168.1.10       6       2024-01-01T10:00:00Z  "
        "2024-01-01T10:00:08Z\n"
        "x/range               Range:10.0.0.0/24  12      2024-01-01T10:00:01Z  "
        "2024-01-01T10:05:00Z\n"
        "10 lines read, 6 parsed (1 whitelisted), 2 unparsed, 1 too long, 1 empty, 3 alerts\n");
}

TEST_CASE("human output without alerts says so", "[alerts]") {
  CHECK(cw::core::alerts::renderTable({}, ReplayCounters{}) ==
        "No alerts.\n0 lines read, 0 parsed (0 whitelisted), 0 unparsed, 0 too long, 0 empty, "
        "0 alerts\n");
}

TEST_CASE("JSON output has the LAPI alert shape and the counters", "[alerts]") {
  Alert a = makeAlert("crowdsecurity/ssh-bf", "1.2.3.4", 2, "2024-01-01T10:00:00Z",
                      "2024-01-01T10:00:08Z");
  a.scenario_hash = "abc";
  a.scenario_version = "0.2";
  a.message = "Ip 1.2.3.4 performed 'crowdsecurity/ssh-bf' (2 events over 8s)";
  a.capacity = 5;
  a.leakspeed = "10s";
  a.remediation = true;
  a.source.range = "1.2.3.0/24";
  a.source.as_name = "AS \"Quoted\"";
  a.source.as_number = "64500";
  a.source.cn = "FR";
  a.events.push_back({"2024-01-01T10:00:00Z", {{"service", "ssh"}, {"source_ip", "1.2.3.4"}}});
  a.events.push_back({"2024-01-01T10:00:08Z", {{"user", std::string("r\xff\x80t\xc3\xa9")}}});

  CHECK(cw::core::alerts::renderJson({a}, counters()) ==
        R"({"alerts":[{"scenario":"crowdsecurity/ssh-bf","scenario_hash":"abc",)"
        R"("scenario_version":"0.2",)"
        R"x("message":"Ip 1.2.3.4 performed 'crowdsecurity/ssh-bf' (2 events over 8s)",)x"
        R"("events_count":2,"start_at":"2024-01-01T10:00:00Z","stop_at":"2024-01-01T10:00:08Z",)"
        R"("capacity":5,"leakspeed":"10s","simulated":false,"remediation":true,)"
        R"("source":{"scope":"Ip","value":"1.2.3.4","ip":"1.2.3.4","range":"1.2.3.0/24",)"
        R"("as_number":"64500","as_name":"AS \"Quoted\"","cn":"FR"},)"
        R"("events":[{"timestamp":"2024-01-01T10:00:00Z","meta":[)"
        R"({"key":"service","value":"ssh"},{"key":"source_ip","value":"1.2.3.4"}]},)"
        R"({"timestamp":"2024-01-01T10:00:08Z","meta":[{"key":"user","value":")"
        "r\xEF\xBF\xBD\xEF\xBF\xBDt\xc3\xa9"
        R"("}]}]}],"stats":{"lines_read":10,"parsed":6,"whitelisted":1,"unparsed":2,)"
        R"("too_long":1,"empty":1,"overflows":4,"overflows_whitelisted":1,"alerts":3}})"
        "\n");
}

TEST_CASE("JSON output without alerts", "[alerts]") {
  CHECK(cw::core::alerts::renderJson({}, ReplayCounters{}) ==
        R"({"alerts":[],"stats":{"lines_read":0,"parsed":0,"whitelisted":0,"unparsed":0,)"
        R"("too_long":0,"empty":0,"overflows":0,"overflows_whitelisted":0,"alerts":0}})"
        "\n");
}

TEST_CASE("streamed JSON output is byte for byte the rendered document", "[alerts]") {
  cw::core::event::Alert a;
  a.scenario = "crowdsecurity/ssh-bf";
  a.source.scope = "Ip";
  a.source.value = "1.2.3.4";
  a.events.push_back({"2024-01-01T10:00:00Z", {{"service", "ssh"}}});
  cw::core::event::Alert b = a;
  b.source.value = "5.6.7.8";
  for (const std::vector<cw::core::event::Alert>& alerts :
       {std::vector<cw::core::event::Alert>{}, {a}, {a, b}}) {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    {
      cw::core::alerts::JsonStream stream(f);
      for (const auto& alert : alerts) {
        CHECK(stream.add(alert));
      }
      CHECK(stream.finish(counters()));
    }
    std::string got(static_cast<std::size_t>(std::ftell(f)), '\0');
    std::rewind(f);
    CHECK(std::fread(got.data(), 1, got.size(), f) == got.size());
    std::fclose(f);
    CHECK(got == cw::core::alerts::renderJson(alerts, counters()));
  }
}
