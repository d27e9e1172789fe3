// SPDX-License-Identifier: Apache-2.0
// Scenarios of `type: plugin`: the built crowdwall/distinct plugin and the test/count fixture
// loaded through the plugin loader, fed through BucketManager like any scenario. Exact alert
// fields, counters of a throwing plugin, load errors with file:line.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../plugins/plugin_dir.h"
#include "cw/core/plugins/loader.h"
#include "scenario_test_util.h"

namespace fs = std::filesystem;
namespace pl = cw::core::plugins;
using namespace cw::core::scenarios;
using namespace cw::core::scenarios::testing;
using cw::core::Result;
using cw::core::event::Event;

namespace {

/// The built plugins (crowdwall/distinct) plus the test/count fixture in a private folder.
class ScenarioPlugins {
 public:
  /// Ids the next load() treats as disabled (the configuration's plugins.disabled).
  void disable(std::vector<std::string> ids) { disabled_ = std::move(ids); }
  /// Loads `yaml` as the scenario file of `h`, with these plugins available.
  Result<BucketManager> load(Harness& h, const std::string& yaml) {
    ScenarioFile f{h.dir.write("scenario.yaml", yaml), "", ""};
    LoadOptions opts;
    opts.services = &h.services;
    opts.data_dir = h.dir.path();
    opts.load_plugins = pl::lazyLoader(
        pl::installedPluginOptions(CW_PLUGIN_BUILD_DIR, dir_.index(), {}, disabled_, "scenario"));
    return BucketManager::load({f}, opts);
  }

 private:
  cwtest::PluginDir dir_{{{"test/count", "scenario_count", "scenario"}}};
  std::vector<std::string> disabled_;
};

const char* kUserEnum = R"(type: plugin
name: crowdwall/test-user-enum
description: "several user names from one address"
plugin: crowdwall/distinct
config:
  meta: target_user
  count: 3
  window: 1m
filter: "evt.Meta.log_type == 'test'"
groupby: evt.Meta.source_ip
duration: 5m
blackhole: 1m
labels:
  service: ssh
  remediation: true
)";

Event userEvent(const std::string& ip, const std::string& ts, const std::string& user) {
  return logEvent(ip, ts, {{"target_user", user}});
}

}  // namespace

TEST_CASE("a plugin scenario overflows on the plugin's word with a usual alert",
          "[scenarios][plugin]") {
  Harness h;
  ScenarioPlugins plugins;
  auto m = plugins.load(h, kUserEnum);
  REQUIRE(m.ok());
  std::vector<Event> out;
  // 192.0.2.1 repeats one name: never 3 distinct values.
  for (const char* ts : {"2026-03-07T09:00:00Z", "2026-03-07T09:00:01Z", "2026-03-07T09:00:02Z"}) {
    m->pour(userEvent("192.0.2.1", ts, "root"), out);
  }
  m->pour(userEvent("198.51.100.7", "2026-03-07T09:00:03Z", "admin"), out);
  m->pour(userEvent("198.51.100.7", "2026-03-07T09:00:04Z", "admin"), out);
  m->pour(userEvent("198.51.100.7", "2026-03-07T09:00:05Z", "oracle"), out);
  CHECK(out.empty());
  CHECK(m->liveBuckets() == 2);
  m->pour(userEvent("198.51.100.7", "2026-03-07T09:00:06Z", "test"), out);
  REQUIRE(out.size() == 1);
  const auto& o = out[0].overflow;
  REQUIRE(o.api_alerts.size() == 1);
  const auto& a = o.api_alerts[0];
  CHECK(a.scenario == "crowdwall/test-user-enum");
  CHECK(a.source.scope == "Ip");
  CHECK(a.source.value == "198.51.100.7");
  CHECK(a.events_count == 4);
  CHECK(a.start_at == "2026-03-07T09:00:03Z");
  CHECK(a.stop_at == "2026-03-07T09:00:06Z");
  CHECK(a.capacity == 0);
  CHECK(a.remediation);
  CHECK(a.labels == std::vector<std::pair<std::string, std::string>>{{"service", "ssh"},
                                                                     {"remediation", "true"}});
  CHECK(a.message.rfind(
            "Ip 198.51.100.7 performed 'crowdwall/test-user-enum' (4 events over 3s) at ", 0) == 0);
  REQUIRE(a.events.size() == 4);
  CHECK(a.events[3].timestamp == "2026-03-07T09:00:06Z");
  // The group's instance went with the overflow; the blackhole hides the next one (1m).
  CHECK(m->liveBuckets() == 1);
  for (const char* u : {"a", "b", "c"}) {
    m->pour(userEvent("198.51.100.7", "2026-03-07T09:00:10Z", u), out);
  }
  CHECK(out.size() == 1);
  CHECK(m->stats().blackholed == 1);
  CHECK(m->stats().overflows == 1);
  CHECK(m->stats().poured == 10);
  CHECK(m->stats().plugin_errors == 0);
  m->shutdown();
  CHECK(m->liveBuckets() == 0);
}

TEST_CASE("a plugin scenario's window is the event time", "[scenarios][plugin]") {
  Harness h;
  ScenarioPlugins plugins;
  auto m = plugins.load(h, kUserEnum);
  REQUIRE(m.ok());
  std::vector<Event> out;
  m->pour(userEvent("192.0.2.9", "2026-03-07T09:00:00Z", "a"), out);
  m->pour(userEvent("192.0.2.9", "2026-03-07T09:00:30Z", "b"), out);
  m->pour(userEvent("192.0.2.9", "2026-03-07T09:01:00Z", "c"), out);  // a is 60s old: gone
  CHECK(out.empty());
  m->pour(userEvent("192.0.2.9", "2026-03-07T09:01:01Z", "d"), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.api_alerts[0].events_count == 4);
  CHECK(out[0].overflow.api_alerts[0].start_at == "2026-03-07T09:00:00Z");
  // Idle longer than duration (5m): the group starts over (underflow).
  m->pour(userEvent("192.0.2.10", "2026-03-07T09:02:00Z", "a"), out);
  m->pour(userEvent("192.0.2.10", "2026-03-07T09:02:01Z", "b"), out);
  m->pour(userEvent("192.0.2.10", "2026-03-07T09:08:00Z", "c"), out);
  CHECK(out.size() == 1);
  CHECK(m->stats().underflows == 1);
}

TEST_CASE("a plugin that throws is counted and the event dropped for it", "[scenarios][plugin]") {
  Harness h;
  ScenarioPlugins plugins;
  auto m = plugins.load(h, R"(type: plugin
name: test/count3
description: "third event"
plugin: test/count
config:
  after: 3
filter: "evt.Meta.log_type == 'test'"
groupby: evt.Meta.source_ip
duration: 1m
)");
  REQUIRE(m.ok());
  std::vector<Event> out;
  m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:00Z", {{"fail", "throw"}}), out);
  CHECK(m->liveBuckets() == 0);  // nothing poured: no group left behind
  m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:01Z"), out);
  m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:02Z", {{"fail", "throw"}}), out);
  m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:03Z"), out);
  CHECK(out.empty());
  m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:04Z"), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.api_alerts[0].events_count == 3);
  CHECK(out[0].overflow.api_alerts[0].start_at == "2026-03-07T09:00:01Z");
  CHECK(m->stats().plugin_errors == 2);
  CHECK(m->stats().poured == 5);
  CHECK(m->stats().overflows == 1);
}

TEST_CASE("a scenario names its plugin by id or by the id's last part", "[scenarios][plugin]") {
  Harness h;
  ScenarioPlugins plugins;
  for (const char* name : {"test/count", "count"}) {
    auto m = plugins.load(h, std::string("type: plugin\nname: x\ndescription: d\nfilter: 'true'\n"
                                         "duration: 1m\nplugin: ") +
                                 name + "\nconfig: {after: 2}\n");
    REQUIRE(m.ok());
    std::vector<cw::core::event::Event> out;
    m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:01Z"), out);
    m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:02Z"), out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].overflow.api_alerts[0].events_count == 2);
  }
}

TEST_CASE("plugin scenario load errors name the file, line and plugin", "[scenarios][plugin]") {
  Harness h;
  ScenarioPlugins plugins;
  const std::string file = h.dir.path() + "/scenario.yaml";
  SECTION("unknown plugin") {
    auto m = plugins.load(h,
                          "type: plugin\nname: x\ndescription: d\nfilter: 'true'\n"
                          "duration: 1m\nplugin: me/none\n");
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message == file +
                                   ":6: scenario 'x': plugin: no enabled scenario plugin 'me/none' "
                                   "(available: crowdwall/distinct, test/count)");
  }
  SECTION("disabled plugin") {
    plugins.disable({"test/count"});
    auto m = plugins.load(h,
                          "type: plugin\nname: x\ndescription: d\nfilter: 'true'\n"
                          "duration: 1m\nplugin: test/count\nconfig: {after: 2}\n");
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message == file +
                                   ":6: scenario 'x': plugin: scenario plugin 'test/count' is "
                                   "disabled (plugins.disabled, or missing from plugins.enabled)");
  }
  SECTION("configuration refused by the plugin") {
    auto m = plugins.load(h,
                          "type: plugin\nname: x\ndescription: d\nfilter: 'true'\n"
                          "duration: 1m\nplugin: crowdwall/distinct\nconfig:\n  meta: u\n"
                          "  window: soon\n");
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message ==
          file +
              ":8: scenario 'x': plugin 'crowdwall/distinct': config.window: expected a "
              "duration such as 90s, 10m or 1h, got 'soon'\n" +
              file + ":8: scenario 'x': plugin 'crowdwall/distinct': config.count is required");
  }
  SECTION("a key written twice in config") {
    auto m = plugins.load(h,
                          "type: plugin\nname: x\ndescription: d\nfilter: 'true'\n"
                          "duration: 1m\nplugin: crowdwall/distinct\nconfig:\n  count: 3\n"
                          "  count: 50\n");
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message == file + ":8: scenario 'x': config: duplicate key 'count' (line 9)");
  }
  SECTION("keys that do not apply") {
    auto m = plugins.load(h,
                          "type: plugin\nname: x\ndescription: d\nfilter: 'true'\n"
                          "leakspeed: 10s\nplugin: test/count\nconfig: {after: 2}\n---\n"
                          "type: leaky\nname: y\ndescription: d\nfilter: 'true'\n"
                          "capacity: 1\nleakspeed: 1s\nplugin: test/count\nplugins: []\n");
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().message ==
          file +
              ":5: scenario 'x': leakspeed: not used by type plugin (duration is a group's "
              "idle timeout)\n" +
              file +
              ":1: scenario 'x': duration: duration can't be empty for type plugin (a "
              "group's idle timeout)\n" +
              file + ":16: scenario 'y': unknown field 'plugins'\n" + file +
              ":15: scenario 'y': plugin: only for type plugin");
  }
}

TEST_CASE("a plugin scenario without plugins available is a load error", "[scenarios][plugin]") {
  Harness h;
  auto m = h.load(
      "type: plugin\nname: x\ndescription: d\nfilter: 'true'\nduration: 1m\n"
      "plugin: crowdwall/distinct\n");
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message == h.dir.path() +
                                 "/scenario.yaml:6: scenario 'x': plugin: cannot use plugin "
                                 "'crowdwall/distinct': no scenario plugins are available here");
}

TEST_CASE("plugin instances live as long as their group", "[scenarios][plugin]") {
  Harness h;
  ScenarioPlugins plugins;
  const std::string log = h.dir.path() + "/instances.log";
  {
    auto m = plugins.load(h,
                          "type: plugin\nname: test/count2\ndescription: d\n"
                          "filter: \"evt.Meta.log_type == 'test'\"\n"
                          "groupby: evt.Meta.source_ip\nduration: 1m\nplugin: test/count\n"
                          "config:\n  after: 2\n  log: " +
                              log + "\n");
    REQUIRE(m.ok());
    std::vector<Event> out;
    m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:00Z"), out);
    m->pour(logEvent("192.0.2.2", "2026-03-07T09:00:01Z"), out);
    m->pour(logEvent("192.0.2.1", "2026-03-07T09:00:02Z"), out);  // overflow: destroyed
    REQUIRE(out.size() == 1);
    m->pour(logEvent("192.0.2.3", "2026-03-07T09:00:03Z"), out);
    m->pour(logEvent("192.0.2.2", "2026-03-07T09:02:00Z"), out);  // idle 1m: a new instance
    CHECK(m->liveBuckets() == 2);
  }  // unloaded: the live instances go
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  CHECK(lines == std::vector<std::string>{"create", "destroy",  // the load-time check
                                          "create", "pour 192.0.2.1", "create", "pour 192.0.2.2",
                                          "pour 192.0.2.1", "destroy", "create", "pour 192.0.2.3",
                                          "destroy", "create", "pour 192.0.2.2", "destroy",
                                          "destroy"});
}
