// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cw/core/hub/hub.h"

namespace fs = std::filesystem;
using cw::core::hub::Hub;
using cw::core::hub::Item;
using cw::core::hub::ItemType;
using cw::core::hub::Selection;

namespace {

class TempHub {
 public:
  TempHub() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("cw_hub_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  ~TempHub() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& rel, const std::string& text) const {
    const fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  std::string path() const { return dir_.string(); }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

 private:
  fs::path dir_;
};

std::vector<std::string> names(const std::vector<const Item*>& items) {
  std::vector<std::string> out;
  for (const Item* i : items) {
    out.push_back(i->name);
  }
  return out;
}

// A small hub-layout fixture: linux -> {sshd, base}, nginx -> {base, http}; base is shared.
void writeFixture(const TempHub& hub) {
  hub.write("parsers/s00-raw/crowdsecurity/syslog-logs.yaml", "name: crowdsecurity/syslog-logs\n");
  hub.write("parsers/s01-parse/crowdsecurity/sshd-logs.yaml", "name: crowdsecurity/sshd-logs\n");
  hub.write("parsers/s01-parse/alice/nginx-logs.yml", "name: alice/nginx-logs\n");
  hub.write("parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml", "x: 1\n");
  hub.write("parsers/s02-enrich/crowdsecurity/dateparse-enrich.md", "doc, not an item\n");
  hub.write("postoverflows/s01-whitelist/crowdsecurity/cdn-whitelist.yaml", "y: 1\n");
  hub.write("scenarios/crowdsecurity/ssh-bf.yaml", "name: crowdsecurity/ssh-bf\n");
  hub.write("scenarios/bob/aaa-http.yaml", "name: bob/aaa-http\n");
  hub.write(".tests/ssh-bf/config.yaml", "ignored: true\n");
  hub.write("collections/crowdsecurity/base.yaml",
            "parsers:\n  - crowdsecurity/syslog-logs\n  - crowdsecurity/dateparse-enrich\n"
            "postoverflows:\n  - crowdsecurity/cdn-whitelist\ncontexts:\n  - x/ignored\n");
  hub.write("collections/crowdsecurity/sshd.yaml",
            "parsers:\n  - crowdsecurity/sshd-logs\nscenarios:\n  - crowdsecurity/ssh-bf\n");
  hub.write("collections/crowdsecurity/linux.yaml",
            "collections:\n  - crowdsecurity/sshd\n  - crowdsecurity/base\n"
            "parsers:\n  - crowdsecurity/syslog-logs\n");
  hub.write("collections/crowdsecurity/nginx.yaml",
            "parsers:\n  - alice/nginx-logs\nscenarios:\n  - bob/aaa-http\n"
            "collections:\n  - crowdsecurity/base\n  - crowdsecurity/nginx\n");
}

}  // namespace

TEST_CASE("hub layout items are named author/name from their path", "[hub]") {
  TempHub dir;
  writeFixture(dir);
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());
  CHECK(hub->items().size() == 11);
  CHECK_FALSE(hub->hasIndex());

  const Item* sshd = hub->find(ItemType::Parser, "crowdsecurity/sshd-logs");
  REQUIRE(sshd != nullptr);
  CHECK(sshd->stage == "s01-parse");
  CHECK(sshd->path == dir.path("parsers/s01-parse/crowdsecurity/sshd-logs.yaml"));
  CHECK(sshd->version.empty());
  // sha256("name: crowdsecurity/sshd-logs\n")
  CHECK(sshd->hash == cw::core::hub::sha256Hex("name: crowdsecurity/sshd-logs\n"));
  CHECK(hub->find(ItemType::Parser, "alice/nginx-logs") != nullptr);
  CHECK(hub->find(ItemType::PostOverflow, "crowdsecurity/cdn-whitelist")->stage ==
        "s01-whitelist");
  CHECK(hub->find(ItemType::Scenario, "crowdsecurity/sshd-logs") == nullptr);
}

TEST_CASE("sha256 matches the standard test vectors", "[hub]") {
  CHECK(cw::core::hub::sha256Hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(cw::core::hub::sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(cw::core::hub::sha256File("/nonexistent/x.yaml").has_value());
}

TEST_CASE("collections resolve recursively, each item once, in installed order", "[hub]") {
  TempHub dir;
  writeFixture(dir);
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());

  auto linux_nginx = hub->resolve({"crowdsecurity/linux", "crowdsecurity/nginx"});
  REQUIRE(linux_nginx.ok());
  // Ordered by stage then file name, as <config>/parsers/<stage>/<file> would load.
  CHECK(names(linux_nginx->parsers) ==
        std::vector<std::string>{"crowdsecurity/syslog-logs", "alice/nginx-logs",
                                 "crowdsecurity/sshd-logs", "crowdsecurity/dateparse-enrich"});
  CHECK(names(linux_nginx->postoverflows) ==
        std::vector<std::string>{"crowdsecurity/cdn-whitelist"});
  CHECK(names(linux_nginx->scenarios) ==
        std::vector<std::string>{"bob/aaa-http", "crowdsecurity/ssh-bf"});
  CHECK(names(linux_nginx->collections) ==
        std::vector<std::string>{"crowdsecurity/base", "crowdsecurity/linux",
                                 "crowdsecurity/nginx", "crowdsecurity/sshd"});

  auto sshd = hub->resolve({"crowdsecurity/sshd"});
  REQUIRE(sshd.ok());
  CHECK(names(sshd->parsers) == std::vector<std::string>{"crowdsecurity/sshd-logs"});
  CHECK(sshd->postoverflows.empty());
}

TEST_CASE("all() enables every parser, post-overflow and scenario", "[hub]") {
  TempHub dir;
  writeFixture(dir);
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());
  const Selection all = hub->all();
  CHECK(all.parsers.size() == 4);
  CHECK(all.postoverflows.size() == 1);
  CHECK(names(all.scenarios) == std::vector<std::string>{"bob/aaa-http", "crowdsecurity/ssh-bf"});
  CHECK(all.collections.empty());
}

TEST_CASE("missing items are errors naming the collection and the item", "[hub]") {
  TempHub dir;
  writeFixture(dir);
  dir.write("collections/crowdsecurity/broken.yaml",
            "parsers:\n  - crowdsecurity/nope\nscenarios:\n  - crowdsecurity/ssh-bf\n"
            "  - crowdsecurity/gone\ncollections:\n  - crowdsecurity/missing\n");
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());
  auto r = hub->resolve({"crowdsecurity/broken", "nobody/else"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "collection nobody/else not found in " + dir.path() + "\n"
        "collection crowdsecurity/broken: parsers item crowdsecurity/nope not found\n"
        "collection crowdsecurity/broken: scenarios item crowdsecurity/gone not found\n"
        "collection crowdsecurity/broken: collections item crowdsecurity/missing not found");
}

TEST_CASE("a malformed collection file is reported with its line", "[hub]") {
  TempHub dir;
  dir.write("collections/a/bad.yaml", "parsers:\n  - a/x\n  bad: [\n");
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());
  auto r = hub->resolve({"a/bad"});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith(dir.path("collections/a/bad.yaml") + ": line "));
}

TEST_CASE("installed layout items take their name from the name field", "[hub]") {
  TempHub dir;
  dir.write("parsers/s01-parse/sshd-logs.yaml",
            "# comment\nonsuccess: next_stage\nname: crowdsecurity/sshd-logs\n");
  dir.write("parsers/s00-raw/local.yaml", "filter: true\n");
  dir.write("scenarios/ssh-bf.yaml",
            "type: leaky\nname: \"crowdsecurity/ssh-bf\"\n---\nname: x/y\n");
  dir.write("collections/sshd.yaml",
            "name: crowdsecurity/sshd\nparsers:\n  - crowdsecurity/sshd-logs\n"
            "scenarios:\n  - crowdsecurity/ssh-bf\n");
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());
  REQUIRE(hub->find(ItemType::Parser, "crowdsecurity/sshd-logs") != nullptr);
  CHECK(hub->find(ItemType::Parser, "crowdsecurity/sshd-logs")->stage == "s01-parse");
  CHECK(hub->find(ItemType::Parser, "s00-raw/local") != nullptr);
  CHECK(hub->find(ItemType::Scenario, "crowdsecurity/ssh-bf") != nullptr);
  auto r = hub->resolve({"crowdsecurity/sshd"});
  REQUIRE(r.ok());
  CHECK(names(r->parsers) == std::vector<std::string>{"crowdsecurity/sshd-logs"});
  CHECK(names(r->scenarios) == std::vector<std::string>{"crowdsecurity/ssh-bf"});
}

TEST_CASE("versions come from .index.json digests", "[hub]") {
  TempHub dir;
  const std::string text = "name: crowdsecurity/ssh-bf\n";
  const std::string digest = cw::core::hub::sha256Hex(text);
  dir.write("scenarios/crowdsecurity/ssh-bf.yaml", text);
  dir.write("scenarios/crowdsecurity/ssh-slow-bf.yaml", "changed locally\n");
  dir.write("scenarios/me/local.yaml", "mine\n");
  dir.write(".index.json",
            R"({"scenarios": {"crowdsecurity/ssh-bf": {"versions": {"0.1": {"digest": "00"},)"
            R"( "0.2": {"digest": ")" + digest + R"("}}},)"
            R"( "crowdsecurity/ssh-slow-bf": {"versions": {"0.1": {"digest": "11"}}}}})");
  auto hub = Hub::open(dir.path());
  REQUIRE(hub.ok());
  CHECK(hub->hasIndex());
  CHECK(hub->find(ItemType::Scenario, "crowdsecurity/ssh-bf")->version == "0.2");
  CHECK(hub->find(ItemType::Scenario, "crowdsecurity/ssh-slow-bf")->version == "?");
  CHECK(hub->find(ItemType::Scenario, "me/local")->version == "?");

  dir.write(".index.json", "{not json");
  auto broken = Hub::open(dir.path());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message == dir.path(".index.json") + ": not a valid hub index");
}

TEST_CASE("a missing hub directory is an error", "[hub]") {
  auto r = Hub::open("/nonexistent/hub");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "hub directory /nonexistent/hub not found");
}
