// SPDX-License-Identifier: Apache-2.0
#include "cw/core/plugins/loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "plugin_dir.h"

namespace fs = std::filesystem;
namespace pl = cw::core::plugins;

namespace {

using cwtest::Fixture;
using cwtest::PluginDir;

Fixture fx(std::string id, std::string so, std::string abi = "1.0", std::string sha = "") {
  return Fixture{std::move(id), std::move(so), "acquisition", std::move(abi), std::move(sha)};
}

std::string loadError(const pl::LoadOptions& options) {
  auto r = pl::load(options);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("healthy fixture loads and declares its source", "[plugins][loader]") {
  PluginDir d({fx("fixture/good", "good")});
  auto r = pl::load(d.options());
  REQUIRE(r.ok());
  REQUIRE(r.value()->plugins().size() == 1);
  const pl::Plugin* p = r.value()->findSource("fixture");
  REQUIRE(p != nullptr);
  CHECK(p->entry().id == "fixture/good");
  CHECK(std::string(p->descriptor()->version) == "1.0");
  CHECK(r.value()->findDsnScheme("fixture") == p);
  CHECK(r.value()->findSource("file") == nullptr);
}

TEST_CASE("plugin built for another ABI major is refused", "[plugins][loader]") {
  PluginDir d({fx("fixture/bad-abi-major", "bad_abi_major")});
  CHECK(loadError(d.options()) ==
        "plugins: 1 broken, so none is loaded:\n  " + d.file("bad_abi_major") +
            " (fixture/bad-abi-major): built for plugin ABI 2.0; this host supports ABI 1.0 "
            "to 1.0");
}

TEST_CASE("plugin built for a newer ABI minor is refused", "[plugins][loader]") {
  PluginDir d({fx("fixture/newer-minor", "newer_minor")});
  CHECK(loadError(d.options()) ==
        "plugins: 1 broken, so none is loaded:\n  " + d.file("newer_minor") +
            " (fixture/newer-minor): built for plugin ABI 1.1; this host supports ABI 1.0 to "
            "1.0");
}

TEST_CASE("shared object without entry point is refused", "[plugins][loader]") {
  PluginDir d({fx("fixture/no-entry", "no_entry")});
  CHECK(loadError(d.options()) ==
        "plugins: 1 broken, so none is loaded:\n  " + d.file("no_entry") +
            " (fixture/no-entry): no entry point cw_plugin_entry (not a Crowdwall plugin)");
}

TEST_CASE("entry point that throws is reported, not propagated", "[plugins][loader]") {
  PluginDir d({fx("fixture/throws", "throws_in_entry")});
  CHECK(loadError(d.options()) ==
        "plugins: 1 broken, so none is loaded:\n  " + d.file("throws_in_entry") +
            " (fixture/throws): the entry point failed: exception in entry point: fixture "
            "fails on purpose");
}

TEST_CASE("digest mismatch is refused before loading", "[plugins][loader]") {
  const std::string zeros(64, '0');
  PluginDir d({fx("fixture/good", "good", "1.0", zeros)});
  const std::string real = *pl::sha256OfFile(d.file("good"));
  CHECK(loadError(d.options()) == "plugins: 1 broken, so none is loaded:\n  " + d.file("good") +
                                      " (fixture/good): sha256 mismatch: index says " + zeros +
                                      ", file is " + real);
}

TEST_CASE("index declaring another ABI is refused before loading", "[plugins][loader]") {
  PluginDir d({fx("fixture/good", "good", "2.3")});
  CHECK(loadError(d.options()) ==
        "plugins: 1 broken, so none is loaded:\n  " + d.file("good") +
            " (fixture/good): index declares plugin ABI 2.3; this host supports ABI 1.0 to 1.0");
}

TEST_CASE("every broken plugin is listed and the healthy one is not loaded", "[plugins][loader]") {
  PluginDir d({fx("fixture/bad-abi-major", "bad_abi_major"), fx("fixture/good", "good"),
               fx("fixture/no-entry", "no_entry")});
  CHECK(loadError(d.options()) ==
        "plugins: 2 broken, so none is loaded:\n  " + d.file("bad_abi_major") +
            " (fixture/bad-abi-major): built for plugin ABI 2.0; this host supports ABI 1.0 "
            "to 1.0\n  " +
            d.file("no_entry") +
            " (fixture/no-entry): no entry point cw_plugin_entry (not a Crowdwall plugin)\n"
            "not loaded because of the errors above:\n  " +
            d.file("good") + " (fixture/good)");
}

TEST_CASE("disabled plugin is never loaded, even when broken", "[plugins][loader]") {
  PluginDir d({fx("fixture/good", "good"), fx("fixture/throws", "throws_in_entry")});
  pl::LoadOptions o = d.options();
  o.disabled = {"fixture/throws"};
  auto r = pl::load(o);
  REQUIRE(r.ok());
  REQUIRE(r.value()->plugins().size() == 1);
  CHECK(r.value()->plugins()[0]->entry().id == "fixture/good");
  CHECK(r.value()->skipped() == std::vector<std::string>{"fixture/throws"});

  SECTION("enabled list keeps only the listed ids") {
    pl::LoadOptions e = d.options();
    e.enabled = {"fixture/good"};
    auto r2 = pl::load(e);
    REQUIRE(r2.ok());
    CHECK(r2.value()->plugins().size() == 1);
    CHECK(r2.value()->skipped() == std::vector<std::string>{"fixture/throws"});
  }
}

TEST_CASE("plugin file or folder writable by others is refused", "[plugins][loader]") {
  PluginDir d({fx("fixture/good", "good")});
  SECTION("file") {
    ::chmod(d.file("good").c_str(), 0666);
    CHECK(loadError(d.options()) ==
          "plugins: 1 broken, so none is loaded:\n  " + d.file("good") + " (fixture/good): file " +
              d.file("good") + " is writable by group or others (mode 0666); refusing to load");
  }
  SECTION("folder") {
    ::chmod(d.dir().c_str(), 0775);
    CHECK(loadError(d.options()) ==
          "plugins: 1 broken, so none is loaded:\n  " + d.file("good") +
              " (fixture/good): folder " + d.dir() +
              " is writable by group or others (mode 0775); refusing to load");
  }
  SECTION("owner other than root or us") {
    REQUIRE(::chown(d.file("good").c_str(), 12345, 0) == 0);
    CHECK(loadError(d.options()) ==
          "plugins: 1 broken, so none is loaded:\n  " + d.file("good") + " (fixture/good): file " +
              d.file("good") + " is owned by uid 12345, neither root nor this process (uid " +
              std::to_string(::geteuid()) + "); refusing to load");
  }
}

TEST_CASE("enabled plugin missing from the index is an error", "[plugins][loader]") {
  PluginDir d({fx("fixture/good", "good")});
  pl::LoadOptions o = d.options();
  o.enabled = {"fixture/good", "someone/else"};
  CHECK(loadError(o) ==
        "plugins: 1 broken, so none is loaded:\n  plugin someone/else is "
        "enabled but not declared in " +
            d.dir() + "/index.json\nnot loaded because of the errors above:\n  " + d.file("good") +
            " (fixture/good)");
}

TEST_CASE("hub index plugins are loaded from the hub, uninstalled ones skipped",
          "[plugins][loader]") {
  PluginDir d({fx("fixture/good", "good")});
  // A hub: .index.json at its root, files relative to it; one entry not downloaded.
  const std::string hub = d.dir() + "/hub";
  fs::create_directories(hub + "/plugins/fixture");
  ::chmod(hub.c_str(), 0755);
  ::chmod((hub + "/plugins").c_str(), 0755);
  ::chmod((hub + "/plugins/fixture").c_str(), 0755);
  fs::copy_file(d.file("good"), hub + "/plugins/fixture/cw-fixture-good.so");
  const std::string digest = *pl::sha256OfFile(d.file("good"));
  auto entry = [&](const std::string& id, const std::string& file) {
    return "\"" + id + "\": {\"kind\": \"acquisition\", \"version\": \"1.0\", \"abi\": \"1.0\", " +
           "\"platform\": \"" + pl::hostPlatform() + "\", \"sha256\": \"" + digest +
           "\", \"file\": \"" + file + "\", \"author\": \"fixture\", \"versions\": {}}";
  };
  std::ofstream(hub + "/.index.json")
      << "{\"parsers\": {}, \"plugins\": {"
      << entry("fixture/good", "plugins/fixture/cw-fixture-good.so") << ", "
      << entry("fixture/absent", "plugins/fixture/absent.so") << "}}";

  SECTION("hub only") {
    pl::LoadOptions o;
    o.optional_indexes = {hub + "/.index.json"};
    auto r = pl::load(o);
    REQUIRE(r.ok());
    REQUIRE(r.value()->plugins().size() == 1);
    CHECK(r.value()->plugins()[0]->path() == hub + "/plugins/fixture/cw-fixture-good.so");
  }
  SECTION("an id declared by both indexes is an error") {
    pl::LoadOptions o = d.options();
    o.optional_indexes = {hub + "/.index.json"};
    CHECK(loadError(o) ==
          "plugins: 1 broken, so none is loaded:\n  plugin fixture/good is "
          "declared twice: " +
              d.file("good") + " and " + hub + "/plugins/fixture/cw-fixture-good.so");
  }
}

TEST_CASE("a scenario plugin gives its checked table", "[plugins][loader][scenario]") {
  Fixture f{"test/count", "scenario_count", "scenario", "1.0", ""};
  PluginDir d({f});
  auto r = pl::load(d.options());
  REQUIRE(r.ok());
  REQUIRE(r.value()->plugins().size() == 1);
  const pl::Plugin& p = *r.value()->plugins().front();
  REQUIRE(p.scenario() != nullptr);
  CHECK(p.scenario()->struct_size == sizeof(cw_scenario_vtable));
  CHECK(p.notification() == nullptr);
  CHECK(p.acquisition() == nullptr);
  CHECK(r.value()->find("test/count") == &p);
  CHECK(r.value()->find("test/other") == nullptr);
}

TEST_CASE("a scenario table without pour is refused", "[plugins][loader][scenario]") {
  Fixture f{"test/incomplete", "scenario_incomplete", "scenario", "1.0", ""};
  PluginDir d({f});
  CHECK(loadError(d.options()) == "plugins: 1 broken, so none is loaded:\n  " +
                                      d.file("scenario_incomplete") +
                                      " (test/incomplete): scenario table is incomplete");
}

TEST_CASE("an acquisition plugin has no scenario table", "[plugins][loader][scenario]") {
  PluginDir d({fx("fixture/good", "good")});
  auto r = pl::load(d.options());
  REQUIRE(r.ok());
  CHECK(r.value()->plugins().front()->scenario() == nullptr);
}

TEST_CASE("parser plugin: parser() gives its checked table, other kinds give none",
          "[plugins][loader][parser]") {
  PluginDir d(
      {Fixture{"fixture/probe", "parser_probe", "parser", "1.0", ""}, fx("fixture/good", "good")});
  auto r = pl::load(d.options());
  REQUIRE(r.ok());
  REQUIRE(r.value()->plugins().size() == 2);
  const pl::Plugin* probe = nullptr;
  const pl::Plugin* source = nullptr;
  for (const auto& p : r.value()->plugins()) {
    (p->entry().id == "fixture/probe" ? probe : source) = p.get();
  }
  REQUIRE(probe != nullptr);
  REQUIRE(source != nullptr);
  const cw_parser_vtable* v = probe->parser();
  REQUIRE(v != nullptr);
  CHECK(v->struct_size == sizeof(cw_parser_vtable));
  CHECK(probe->acquisition() == nullptr);
  CHECK(probe->notification() == nullptr);
  CHECK(source->parser() == nullptr);
  CHECK(r.value()->findSource("fixture") == source);
}

TEST_CASE("parser plugin without process is refused", "[plugins][loader][parser]") {
  PluginDir d({Fixture{"fixture/incomplete", "parser_incomplete", "parser", "1.0", ""}});
  CHECK(loadError(d.options()) == "plugins: 1 broken, so none is loaded:\n  " +
                                      d.file("parser_incomplete") +
                                      " (fixture/incomplete): parser table is incomplete");
}

TEST_CASE("parser plugin declared as another kind in the index is refused",
          "[plugins][loader][parser]") {
  PluginDir d({Fixture{"fixture/probe", "parser_probe", "notification", "1.0", ""}});
  CHECK(loadError(d.options()) ==
        "plugins: 1 broken, so none is loaded:\n  " + d.file("parser_probe") +
            " (fixture/probe): declares kind 'parser' but the index says 'notification'");
}
