// SPDX-License-Identifier: Apache-2.0
// Parser nodes naming a parser plugin (`plugin:`, docs/plugins.md): what the plugin sees, where
// its writes land, the failure path (the node fails, the next node of the stage runs), a
// throwing plugin counted, and the load errors (unknown, disabled, refused configuration).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../plugins/plugin_dir.h"
#include "cw/core/plugins/loader.h"
#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

namespace {

namespace pl = cw::core::plugins;

/// A plugin folder holding the probe fixture (fixture/probe) and its index.
class ProbeDir {
 public:
  /// A provider loading the folder's parser plugins, `disabled` never loaded.
  PluginProvider provider(std::vector<std::string> disabled = {}) const {
    return pl::lazyLoader(pl::installedPluginOptions(dir_.dir(), "", {}, disabled, "parser"));
  }

 private:
  cwtest::PluginDir dir_{{{"fixture/probe", "parser_probe", "parser"}}};
};

Result<Pipeline> loadWith(Fixture& f, const ParserFile& file, PluginProvider plugins) {
  LoadOptions o;
  o.data_dir = f.dir().string();
  o.services = &f.services();
  o.plugins = std::move(plugins);
  return Pipeline::load({file}, o);
}

std::vector<std::pair<std::string, std::string>> entries(const event::StrMap& m) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : m) {
    out.emplace_back(e.key, e.value);
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kTwoNodes = R"(name: test/probe
grok:
  pattern: 'user=%{WORD:user} ip=%{IP:ip}'
  apply_on: Line.Raw
plugin:
  id: probe
  config:
    fail_on: FAILME
    throw_on: THROWME
onsuccess: next_stage
statics:
  - meta: source_ip
    expression: evt.Enriched["parsed.ip"]
  - meta: seen_by
    expression: evt.Enriched.seen
---
name: test/fallback
grok:
  pattern: 'user=%{WORD:user}'
  apply_on: Line.Raw
onsuccess: next_stage
statics:
  - meta: fallback
    value: "yes"
)";

}  // namespace

TEST_CASE("a plugin node sees Line.Raw, Parsed, Meta and Time and writes Enriched",
          "[parsers][plugin]") {
  Fixture f;
  ProbeDir probes;
  auto p = loadWith(f, f.write("s01-parse", "p.yaml", kTwoNodes), probes.provider());
  REQUIRE(p.ok());
  std::vector<Record> records;
  const Recorder rec = recordInto(records);

  event::Event e = logEvent("user=bob ip=192.0.2.7");
  e.meta.set("log_type", "test");
  REQUIRE(p->process(e, &rec));
  CHECK(records == std::vector<Record>{{"s01-parse", "test/probe", true}});
  CHECK(entries(e.enriched) == Pairs{{"seen", "user=bob ip=192.0.2.7"},
                                     {"time", "1710057600000000000"},
                                     {"parsed.user", "bob"},
                                     {"parsed.ip", "192.0.2.7"},
                                     {"meta.log_type", "test"}});
  CHECK(entries(e.meta) == Pairs{{"log_type", "test"},
                                 {"source_ip", "192.0.2.7"},
                                 {"seen_by", "user=bob ip=192.0.2.7"}});
  CHECK(entries(e.parsed) == Pairs{{"user", "bob"}, {"ip", "192.0.2.7"}});
  CHECK(p->stats().plugin_failures == 0);
  CHECK(p->stats().plugin_errors == 0);
}

TEST_CASE("a failing plugin fails its node, discards its writes, and the next node runs",
          "[parsers][plugin]") {
  Fixture f;
  ProbeDir probes;
  auto p = loadWith(f, f.write("s01-parse", "p.yaml", kTwoNodes), probes.provider());
  REQUIRE(p.ok());
  std::vector<Record> records;
  const Recorder rec = recordInto(records);

  SECTION("refusal (process returned false)") {
    event::Event e = logEvent("user=bob ip=192.0.2.7 FAILME");
    REQUIRE(p->process(e, &rec));
    CHECK(records == std::vector<Record>{{"s01-parse", "test/probe", false},
                                         {"s01-parse", "test/fallback", true}});
    CHECK(entries(e.enriched).empty());
    CHECK(entries(e.meta) == Pairs{{"fallback", "yes"}});
    CHECK(p->stats().plugin_failures == 1);
    CHECK(p->stats().plugin_errors == 0);
  }
  SECTION("exception: counted as an error, the process goes on") {
    event::Event e = logEvent("user=bob ip=192.0.2.7 THROWME");
    REQUIRE(p->process(e, &rec));
    CHECK(records == std::vector<Record>{{"s01-parse", "test/probe", false},
                                         {"s01-parse", "test/fallback", true}});
    CHECK(entries(e.enriched).empty());
    CHECK(entries(e.meta) == Pairs{{"fallback", "yes"}});
    event::Event ok = logEvent("user=amy ip=198.51.100.1");
    REQUIRE(p->process(ok));
    CHECK(ok.meta.get("source_ip") == "198.51.100.1");
    CHECK(p->stats().plugin_failures == 1);
    CHECK(p->stats().plugin_errors == 1);
  }
  SECTION("grok without a match: the plugin is not called") {
    event::Event e = logEvent("nothing to see");
    CHECK_FALSE(p->process(e, &rec));
    CHECK(records == std::vector<Record>{{"s01-parse", "test/probe", false},
                                         {"s01-parse", "test/fallback", false}});
    CHECK(p->stats().plugin_failures == 0);
    CHECK(p->stats().unparsed == 1);
  }
}

TEST_CASE("plugin load errors name the file, node, plugin and line", "[parsers][plugin]") {
  Fixture f;
  ProbeDir probes;
  auto errorOf = [&](const std::string& yaml, PluginProvider provider) {
    auto r = loadWith(f, f.write("s01-parse", "p.yaml", yaml), std::move(provider));
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  const std::string file = (f.dir() / "s01-parse" / "p.yaml").string();
  const std::string head = "1 error(s) loading parsers:\n  " + file + ": document 1, node 't': ";

  SECTION("unknown plugin") {
    CHECK(errorOf("name: t\nplugin: me/nosuch\n", probes.provider()) ==
          head +
              "plugin: no enabled parser plugin 'me/nosuch' (available: fixture/probe), at "
              "line 2");
  }
  SECTION("disabled plugin, named by its short name") {
    CHECK(errorOf("name: t\nplugin: probe\n", probes.provider({"fixture/probe"})) ==
          head +
              "plugin: parser plugin 'fixture/probe' is disabled (plugins.disabled, or "
              "missing from plugins.enabled), at line 2");
  }
  SECTION("configuration refused by create: every report") {
    CHECK(errorOf("name: t\nplugin:\n  id: fixture/probe\n  config:\n    bad: true\n",
                  probes.provider()) ==
          "2 error(s) loading parsers:\n  " + file +
              ": document 1, node 't': plugin: 'fixture/probe': probe: bad is true, at line 3\n  " +
              file +
              ": document 1, node 't': plugin: 'fixture/probe': probe: second problem, at line 3");
  }
  SECTION("a key written twice in config, at any depth") {
    CHECK(errorOf("name: t\nplugin:\n  id: probe\n  config:\n    a: 1\n    b: {x: 1, x: 2}\n",
                  probes.provider()) ==
          head + "plugin.config: duplicate key 'x' (line 6), at line 5");
  }
  SECTION("a typo in the plugin mapping is an unknown key") {
    CHECK(errorOf("name: t\nplugin:\n  id: probe\n  confg: {}\n", probes.provider()) ==
          head + "plugin.confg: unknown key 'confg', at line 4");
  }
  SECTION("no plugin folder configured") {
    CHECK(errorOf("name: t\nplugin: probe\n", nullptr) ==
          head + "plugin: parser plugin 'probe': no plugin folder is configured here, at line 2");
  }
}

TEST_CASE("a plugin node alone is not empty, and CrowdSec nodes load without plugins",
          "[parsers][plugin]") {
  Fixture f;
  // No provider at all: nodes without `plugin:` never ask for one.
  auto plain = loadWith(f,
                        f.write("s01-parse", "a.yaml",
                                "name: a\nstatics:\n  - meta: x\n    "
                                "value: y\n"),
                        nullptr);
  CHECK(plain.ok());
  ProbeDir probes;
  auto p =
      loadWith(f, f.write("s01-parse", "b.yaml", "name: b\nplugin: probe\n"), probes.provider());
  REQUIRE(p.ok());
  event::Event e = logEvent("x=1");
  CHECK(p->process(e));
  CHECK(e.enriched.get("seen") == "x=1");
}

}  // namespace cw::core::parsers::testing
