// SPDX-License-Identifier: Apache-2.0
// The hub manager: index parsing, install/remove/upgrade into the installed layout, taint and
// local-item protection, digest checks, data files, plugins, simulation.yaml.
#include "cw/core/hub/manager.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cw/core/hub/hub.h"
#include "cw/core/hub/index.h"
#include "cw/core/hub/simulation.h"

namespace fs = std::filesystem;
using cw::core::hub::Index;
using cw::core::hub::ItemState;
using cw::core::hub::Manager;
using cw::core::hub::ManagerOptions;
using cw::core::hub::sha256Hex;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("cw_hubmgr_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

// A hub repository written by the test: items with their published versions, an index.
class SourceHub {
 public:
  explicit SourceHub(fs::path root) : root_(std::move(root)) {}

  // Publishes `content` as the next version of an item (first: 1.0, then 1.1, ...).
  void publish(const std::string& type, const std::string& name, const std::string& content,
               const std::string& stage = "",
               const std::map<std::string, std::vector<std::string>>& members = {}) {
    Entry& e = entries_[type + "|" + name];
    e.type = type;
    e.name = name;
    e.stage = stage;
    e.members = members;
    const std::string author = name.substr(0, name.find('/'));
    const std::string file = name.substr(name.find('/') + 1) + ".yaml";
    e.path = type + "/" + (stage.empty() ? "" : stage + "/") + author + "/" + file;
    e.versions.push_back(sha256Hex(content));
    spit(root_ / e.path, content);
  }

  // Writes a file's bytes without publishing them (what a compromised mirror would serve).
  void corrupt(const std::string& type, const std::string& name, const std::string& bytes) {
    spit(root_ / entries_.at(type + "|" + name).path, bytes);
  }

  std::string path(const std::string& type, const std::string& name) const {
    return entries_.at(type + "|" + name).path;
  }

  void addPlugin(const std::string& id, const std::string& abi, const std::string& platform,
                 const std::string& bytes) {
    plugins_.push_back({id, abi, platform, sha256Hex(bytes)});
    spit(root_ / ("plugins/acquisition/" + id.substr(id.find('/') + 1) + ".so"), bytes);
  }

  void writeIndex() const {
    std::map<std::string, std::vector<const Entry*>> by_type;
    for (const auto& [k, e] : entries_) {
      by_type[e.type].push_back(&e);
    }
    std::ostringstream j;
    j << "{";
    bool first_type = true;
    for (const auto& [type, list] : by_type) {
      j << (first_type ? "" : ",") << "\"" << type << "\":{";
      first_type = false;
      bool first = true;
      for (const Entry* e : list) {
        j << (first ? "" : ",") << "\"" << e->name << "\":{\"path\":\"" << e->path << "\"";
        first = false;
        if (!e->stage.empty()) {
          j << ",\"stage\":\"" << e->stage << "\"";
        }
        j << ",\"version\":\"1." << e->versions.size() - 1 << "\",\"versions\":{";
        for (std::size_t i = 0; i < e->versions.size(); ++i) {
          j << (i ? "," : "") << "\"1." << i << "\":{\"digest\":\"" << e->versions[i]
            << "\",\"deprecated\":false}";
        }
        j << "},\"author\":\"test\",\"description\":\"d\",\"labels\":null";
        for (const auto& [mt, names] : e->members) {
          j << ",\"" << mt << "\":[";
          for (std::size_t i = 0; i < names.size(); ++i) {
            j << (i ? "," : "") << "\"" << names[i] << "\"";
          }
          j << "]";
        }
        j << "}";
      }
      j << "}";
    }
    if (!plugins_.empty()) {
      j << (first_type ? "" : ",") << "\"plugins\":{";
      for (std::size_t i = 0; i < plugins_.size(); ++i) {
        const Plugin& p = plugins_[i];
        const std::string base = p.id.substr(p.id.find('/') + 1);
        j << (i ? "," : "") << "\"" << p.id << "\":{\"id\":\"" << p.id
          << "\",\"version\":\"0.1\",\"kind\":\"acquisition\",\"abi\":\"" << p.abi
          << "\",\"platform\":\"" << p.platform << "\",\"sha256\":\"" << p.sha256
          << "\",\"file\":\"plugins/acquisition/" << base << ".so\"}";
      }
      j << "}";
    }
    j << "}\n";
    spit(root_ / ".index.json", j.str());
  }

 private:
  struct Entry {
    std::string type, name, stage, path;
    std::map<std::string, std::vector<std::string>> members;
    std::vector<std::string> versions;
  };
  struct Plugin {
    std::string id, abi, platform, sha256;
  };
  fs::path root_;
  std::map<std::string, Entry> entries_;
  std::vector<Plugin> plugins_;
};

// Two collections sharing "base": linux -> {base, ssh-logs, ssh-bf}, web -> {base, web-logs}.
struct Fixture {
  TempDir tmp;
  fs::path src = tmp.path() / "src";
  fs::path etc = tmp.path() / "etc";
  SourceHub hub{src};

  Fixture() {
    hub.publish("parsers", "t/syslog", "name: t/syslog\nfilter: \"1 == 1\"\n", "s00-raw");
    hub.publish("parsers", "t/ssh-logs", "name: t/ssh-logs\n", "s01-parse");
    hub.publish("parsers", "t/web-logs",
                "name: t/web-logs\ndata:\n  - source_url: http://127.0.0.1:9/x\n"
                "    dest_file: web/bad.txt\n    type: string\n",
                "s01-parse");
    hub.publish("scenarios", "t/ssh-bf", "name: t/ssh-bf\ntype: leaky\n");
    hub.publish("collections", "t/base", "parsers:\n  - t/syslog\n", "",
                {{"parsers", {"t/syslog"}}});
    hub.publish(
        "collections", "t/linux",
        "collections:\n  - t/base\nparsers:\n  - t/ssh-logs\nscenarios:\n  - t/ssh-bf\n", "",
        {{"collections", {"t/base"}}, {"parsers", {"t/ssh-logs"}}, {"scenarios", {"t/ssh-bf"}}});
    hub.publish("collections", "t/web", "collections:\n  - t/base\nparsers:\n  - t/web-logs\n", "",
                {{"collections", {"t/base"}}, {"parsers", {"t/web-logs"}}});
    spit(src / "data" / "web" / "bad.txt", "evil-agent\n");
    hub.writeIndex();
  }

  Manager open() const {
    ManagerOptions o;
    o.config_dir = etc.string();
    o.hub_dir = (etc / "hub").string();
    o.data_dir = (etc / "data").string();
    o.source = src.string();
    auto m = Manager::open(o);
    REQUIRE(m.ok());
    return std::move(*m);
  }

  Manager updated() const {
    Manager m = open();
    auto u = m.updateIndex();
    REQUIRE(u.ok());
    return open();
  }

  // Every enabled link under etc/<type>, as "type/relpath -> target relative to etc/hub".
  std::set<std::string> links() const {
    std::set<std::string> out;
    for (const char* type : {"parsers", "postoverflows", "scenarios", "collections", "plugins"}) {
      if (!fs::exists(etc / type)) {
        continue;
      }
      for (const auto& e : fs::recursive_directory_iterator(etc / type)) {
        if (e.is_symlink()) {
          out.insert(e.path().lexically_relative(etc).string() + " -> " +
                     fs::read_symlink(e.path()).lexically_relative(etc / "hub").string());
        }
      }
    }
    return out;
  }
};

ItemState stateOf(const Manager& m, const std::string& type, const std::string& name) {
  auto s = m.inspect(type, name);
  REQUIRE(s.ok());
  return *s;
}

bool hasTempFiles(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find(".cw-tmp-") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("versions compare numerically part by part", "[hub][manager]") {
  using cw::core::hub::compareVersions;
  CHECK(compareVersions("0.10", "0.9") > 0);
  CHECK(compareVersions("1.0", "1") == 0);
  CHECK(compareVersions("2.0", "10.0") < 0);
  CHECK(compareVersions("1.2.3", "1.2") > 0);
  CHECK(compareVersions("0.01", "0.1") == 0);
}

TEST_CASE("the index reads items, versions, members and plugin entries", "[hub][manager]") {
  const std::string json = R"({
    "parsers": {"a/p": {"path": "parsers/s01-parse/a/p.yaml", "version": "0.10",
      "versions": {"0.9": {"digest": "aa", "deprecated": true}, "0.10": {"digest": "bb"}},
      "author": "a", "description": "P", "labels": null}},
    "collections": {"a/c": {"path": "collections/a/c.yaml", "version": "1.0",
      "versions": {"1.0": {"digest": "cc"}}, "parsers": ["a/p"], "contexts": ["a/x"]}},
    "plugins": {"a/tail": {"id": "a/tail", "version": "0.2", "kind": "acquisition",
      "abi": "1.0", "platform": "linux-x86_64", "sha256": "dd",
      "file": "plugins/acquisition/tail.so", "versions": {"0.1": {"digest": "ee"}}}}
  })";
  auto index = Index::parse(json, "test");
  REQUIRE(index.ok());
  const auto* p = index->find("parsers", "a/p");
  REQUIRE(p != nullptr);
  CHECK(p->stage == "s01-parse");  // derived from the path when the index omits it
  CHECK(p->version == "0.10");
  CHECK(p->versions.at("0.9").deprecated);
  CHECK(p->versionOf("bb") == "0.10");
  CHECK(p->versionOf("zz").empty());
  CHECK(p->latestDigest() == "bb");
  CHECK(p->fileName() == "p.yaml");
  const auto* c = index->find("collections", "a/c");
  REQUIRE(c != nullptr);
  CHECK(c->members.at("parsers") == std::vector<std::string>{"a/p"});
  CHECK(c->members.at("contexts") == std::vector<std::string>{"a/x"});
  CHECK(index->findByPath("collections/a/c.yaml") == c);
  REQUIRE(index->plugins().size() == 1);
  const auto* tail = index->findPlugin("a/tail");
  REQUIRE(tail != nullptr);
  CHECK(tail->kind == "acquisition");
  CHECK(tail->abi == "1.0");
  CHECK(tail->platform == "linux-x86_64");
  CHECK(tail->file == "plugins/acquisition/tail.so");
  CHECK(tail->versionOf("dd") == "0.2");
  CHECK(tail->versionOf("ee") == "0.1");

  auto bad = Index::parse(
      R"({"parsers": {"a/x": {"path": "../etc/passwd", "version": "1"}},
          "plugins": {"a/y": {"version": "1", "kind": "acquisition"}}})",
      "bad.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "bad.json: invalid hub index:\n  parsers/a/x: missing or unsafe path '../etc/passwd'\n"
        "  plugins/a/y: missing abi, platform, sha256, file");
  CHECK_FALSE(Index::parse("[1]", "arr").ok());
  CHECK_FALSE(Index::parse("{", "trunc").ok());
}

TEST_CASE("the CrowdSec hub index parses", "[hub][manager][corpus]") {
  const fs::path corpus = fs::path(CW_SHARED_DIR) / "corpus" / "crowdsec-hub";
  if (!fs::exists(corpus / ".index.json")) {
    WARN("skipped: the CrowdSec hub corpus is not in " << corpus << " (/work/shared not mounted)");
    return;
  }
  auto index = Index::load((corpus / ".index.json").string());
  REQUIRE(index.ok());
  CHECK(index->items().size() == 1359);
  const auto* sshd = index->find("parsers", "crowdsecurity/sshd-logs");
  REQUIRE(sshd != nullptr);
  CHECK(sshd->stage == "s01-parse");
  CHECK(sshd->version == "3.1");
  CHECK(sshd->versions.size() == 31);
  CHECK(index->plugins().empty());
}

TEST_CASE("install resolves collections recursively and links the installed layout",
          "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  CHECK(slurp(f.etc / "hub" / ".source") == fs::absolute(f.src).lexically_normal().string() + "\n");
  auto r = m.install("collections", "t/linux", false);
  REQUIRE(r.ok());
  CHECK(r->warnings.empty());
  CHECK(f.links() == std::set<std::string>{
                         "collections/base.yaml -> collections/t/base.yaml",
                         "collections/linux.yaml -> collections/t/linux.yaml",
                         "parsers/s00-raw/syslog.yaml -> parsers/s00-raw/t/syslog.yaml",
                         "parsers/s01-parse/ssh-logs.yaml -> parsers/s01-parse/t/ssh-logs.yaml",
                         "scenarios/ssh-bf.yaml -> scenarios/t/ssh-bf.yaml"});
  CHECK(std::count_if(r->done.begin(), r->done.end(),
                      [](const std::string& l) { return l.rfind("downloaded", 0) == 0; }) == 5);
  const ItemState syslog = stateOf(m, "parsers", "t/syslog");
  CHECK(syslog.installed);
  CHECK(syslog.downloaded);
  CHECK(syslog.up_to_date);
  CHECK_FALSE(syslog.tainted);
  CHECK(syslog.local_version == "1.0");
  CHECK(syslog.status() == "enabled");
  CHECK(syslog.belongs_to_collections == std::vector<std::string>{"t/base", "t/linux"});
  CHECK(m.list("parsers", false).size() == 2);
  CHECK(m.list("parsers", true).size() == 3);

  // The agent's hub reader sees the installed layout: names from the files' `name:`.
  auto hub = cw::core::hub::Hub::open(f.etc.string());
  REQUIRE(hub.ok());
  CHECK(hub->find(cw::core::hub::ItemType::Parser, "t/ssh-logs") != nullptr);
  CHECK(hub->find(cw::core::hub::ItemType::Scenario, "t/ssh-bf") != nullptr);

  // Installing again changes nothing.
  auto again = m.install("collections", "t/linux", false);
  REQUIRE(again.ok());
  CHECK(again->done == std::vector<std::string>{"collections t/linux is already installed"});
}

TEST_CASE("removing a collection keeps the members another installed collection needs",
          "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  REQUIRE(m.install("collections", "t/linux", false).ok());
  auto web = m.install("collections", "t/web", false);
  REQUIRE(web.ok());
  CHECK(fs::is_symlink(f.etc / "parsers/s01-parse/web-logs.yaml"));
  CHECK(slurp(f.etc / "data/web/bad.txt") == "evil-agent\n");  // from the source's data/

  auto r = m.remove("collections", "t/web", false, false);
  REQUIRE(r.ok());
  CHECK(r->done ==
        std::vector<std::string>{"kept collections t/base (needed by another installed collection)",
                                 "kept parsers t/syslog (needed by another installed collection)",
                                 "disabled parsers t/web-logs", "disabled collections t/web"});
  CHECK(f.links() == std::set<std::string>{
                         "collections/base.yaml -> collections/t/base.yaml",
                         "collections/linux.yaml -> collections/t/linux.yaml",
                         "parsers/s00-raw/syslog.yaml -> parsers/s00-raw/t/syslog.yaml",
                         "parsers/s01-parse/ssh-logs.yaml -> parsers/s01-parse/t/ssh-logs.yaml",
                         "scenarios/ssh-bf.yaml -> scenarios/t/ssh-bf.yaml"});
  // Without --purge the download stays; a single member of an installed collection is refused.
  CHECK(fs::exists(f.etc / "hub/parsers/s01-parse/t/web-logs.yaml"));
  auto member = m.remove("parsers", "t/ssh-logs", false, false);
  REQUIRE_FALSE(member.ok());
  CHECK(member.error().message ==
        "parsers t/ssh-logs belongs to the installed collection(s) t/linux: not removed without "
        "--force");
  // A sub-collection too, as cscli refuses it.
  auto sub = m.remove("collections", "t/base", false, false);
  REQUIRE_FALSE(sub.ok());
  CHECK(sub.error().message ==
        "collections t/base belongs to the installed collection(s) t/linux: not removed without "
        "--force");

  auto linux = m.remove("collections", "t/linux", false, true);
  REQUIRE(linux.ok());
  CHECK(f.links().empty());
  CHECK_FALSE(fs::exists(f.etc / "hub/parsers/s00-raw/t/syslog.yaml"));  // purged
}

TEST_CASE("a tainted item is reported and not upgraded without --force", "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  REQUIRE(m.install("collections", "t/linux", false).ok());
  const fs::path file = f.etc / "hub/scenarios/t/ssh-bf.yaml";
  spit(file, "name: t/ssh-bf\ntype: leaky\n# my local change\n");

  const ItemState s = stateOf(m, "scenarios", "t/ssh-bf");
  CHECK(s.tainted);
  CHECK(s.local_version == "?");
  CHECK(s.status() == "enabled,tainted");
  CHECK(stateOf(m, "collections", "t/linux").tainted);  // taint propagates to the collection

  // A new version is published; the tainted copy is kept, the clean one upgraded.
  f.hub.publish("scenarios", "t/ssh-bf", "name: t/ssh-bf\ntype: leaky\ncapacity: 5\n");
  f.hub.publish("parsers", "t/ssh-logs", "name: t/ssh-logs\n# v1.1\n", "s01-parse");
  f.hub.writeIndex();
  m = f.updated();
  auto up = m.upgrade("collections", "t/linux", false);
  REQUIRE(up.ok());
  CHECK(up->warnings == std::vector<std::string>{
                            "scenarios t/ssh-bf is tainted (its file differs from every published "
                            "version): not overwritten, use --force"});
  CHECK(up->done == std::vector<std::string>{"downloaded parsers t/ssh-logs 1.1"});
  CHECK(slurp(file) == "name: t/ssh-bf\ntype: leaky\n# my local change\n");
  CHECK(stateOf(m, "parsers", "t/ssh-logs").local_version == "1.1");

  auto single = m.upgrade("scenarios", "t/ssh-bf", false);
  REQUIRE(single.ok());
  CHECK(single->done.empty());
  CHECK(single->warnings.size() == 1);
  CHECK(slurp(file) == "name: t/ssh-bf\ntype: leaky\n# my local change\n");
  auto tainted_remove = m.remove("scenarios", "t/ssh-bf", true, false);  // --force: allowed
  REQUIRE(tainted_remove.ok());

  auto forced = m.install("scenarios", "t/ssh-bf", true);
  REQUIRE(forced.ok());
  CHECK(slurp(file) == "name: t/ssh-bf\ntype: leaky\ncapacity: 5\n");
  CHECK(stateOf(m, "scenarios", "t/ssh-bf").local_version == "1.1");
}

TEST_CASE("a download whose digest does not match is refused and nothing changes",
          "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  REQUIRE(m.install("collections", "t/base", false).ok());
  const auto before = f.links();
  const std::string syslog_before = slurp(f.etc / "hub/parsers/s00-raw/t/syslog.yaml");

  // Fresh install: the mirror serves a file the index does not know.
  f.hub.corrupt("scenarios", "t/ssh-bf", "name: t/ssh-bf\ntype: trigger\n");
  auto r = m.install("collections", "t/linux", false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("scenarios t/ssh-bf 1.0 from ") == 0);
  CHECK(r.error().message.find(": sha256 " + sha256Hex("name: t/ssh-bf\ntype: trigger\n") +
                               " does not match the index (" +
                               sha256Hex("name: t/ssh-bf\ntype: leaky\n") +
                               "); refused, nothing was changed") != std::string::npos);
  CHECK(f.links() == before);
  CHECK_FALSE(fs::exists(f.etc / "hub/parsers/s01-parse/t/ssh-logs.yaml"));  // fetched, dropped
  CHECK_FALSE(fs::exists(f.etc / "hub/scenarios/t/ssh-bf.yaml"));
  CHECK_FALSE(hasTempFiles(f.etc));

  // Upgrade: the new version's bytes are wrong; the installed version stays.
  f.hub.publish("parsers", "t/syslog", "name: t/syslog\nfilter: \"2 == 2\"\n", "s00-raw");
  f.hub.writeIndex();
  f.hub.corrupt("parsers", "t/syslog", "name: t/syslog\nfilter: \"evil\"\n");
  m = f.updated();
  auto up = m.upgrade("parsers", "t/syslog", false);
  REQUIRE_FALSE(up.ok());
  CHECK(slurp(f.etc / "hub/parsers/s00-raw/t/syslog.yaml") == syslog_before);
  CHECK(stateOf(m, "parsers", "t/syslog").local_version == "1.0");
  CHECK(f.links() == before);
  CHECK_FALSE(hasTempFiles(f.etc));
}

TEST_CASE("local items are listed and never overwritten without --force", "[hub][manager]") {
  Fixture f;
  Manager m0 = f.updated();
  spit(f.etc / "parsers/s01-parse/ssh-logs.yaml", "name: me/my-ssh\n");
  spit(f.etc / "scenarios/custom.yaml", "name: me/custom\n");
  Manager m = f.open();
  const auto locals = m.list("scenarios", false);
  REQUIRE(locals.size() == 1);
  CHECK(locals[0].name == "me/custom");
  CHECK(locals[0].local);
  CHECK(locals[0].status() == "enabled,local");

  auto r = m.install("collections", "t/linux", false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == (f.etc / "parsers/s01-parse/ssh-logs.yaml").string() +
                                 " exists and is not this hub item (a local item?): not "
                                 "overwritten, use --force");
  CHECK(slurp(f.etc / "parsers/s01-parse/ssh-logs.yaml") == "name: me/my-ssh\n");
  CHECK(f.links().empty());

  auto rm = m.remove("scenarios", "me/custom", false, false);
  REQUIRE(rm.ok());
  CHECK(rm->warnings ==
        std::vector<std::string>{"scenarios me/custom is a local item: not removed (delete the "
                                 "file yourself)"});
  CHECK(fs::exists(f.etc / "scenarios/custom.yaml"));

  auto forced = m.install("collections", "t/linux", true);
  REQUIRE(forced.ok());
  CHECK(fs::is_symlink(f.etc / "parsers/s01-parse/ssh-logs.yaml"));

  // A local file answering to a hub item's name, under another file name.
  spit(f.etc / "scenarios/my-bf.yaml", "name: t/ssh-bf\n");
  REQUIRE(m.remove("collections", "t/linux", false, false).ok());
  m = f.open();
  auto named = m.install("scenarios", "t/ssh-bf", false);
  REQUIRE_FALSE(named.ok());
  CHECK(named.error().message == "scenarios t/ssh-bf is a local item (" +
                                     (f.etc / "scenarios/my-bf.yaml").string() +
                                     "): the hub version is not installed, use --force to "
                                     "install it beside");
  CHECK_FALSE(fs::exists(f.etc / "scenarios/ssh-bf.yaml"));
}

TEST_CASE("data files: fetched, kept while fresh, refreshed when old", "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  REQUIRE(m.install("collections", "t/web", false).ok());
  const fs::path data = f.etc / "data/web/bad.txt";
  CHECK(slurp(data) == "evil-agent\n");
  // Younger than 7 days: kept even when the mirror changed.
  spit(f.src / "data/web/bad.txt", "evil-agent\nworse-agent\n");
  REQUIRE(m.remove("collections", "t/web", false, false).ok());
  REQUIRE(m.install("collections", "t/web", false).ok());
  CHECK(slurp(data) == "evil-agent\n");
  // Older: fetched again.
  fs::last_write_time(data, fs::last_write_time(data) - std::chrono::hours(24 * 8));
  REQUIRE(m.remove("collections", "t/web", false, false).ok());
  auto refreshed = m.install("collections", "t/web", false);
  REQUIRE(refreshed.ok());
  CHECK(slurp(data) == "evil-agent\nworse-agent\n");
  CHECK(std::count(refreshed->done.begin(), refreshed->done.end(), "data web/bad.txt downloaded") ==
        1);
  // Old again and the mirror lost it (and the source_url is unreachable): kept, with a warning.
  fs::last_write_time(data, fs::last_write_time(data) - std::chrono::hours(24 * 8));
  fs::remove(f.src / "data/web/bad.txt");
  REQUIRE(m.remove("collections", "t/web", false, false).ok());
  auto kept = m.install("collections", "t/web", false);
  REQUIRE(kept.ok());
  REQUIRE(kept->warnings.size() == 1);
  CHECK(kept->warnings[0].rfind("data file web/bad.txt could not be refreshed (", 0) == 0);
  CHECK(slurp(data) == "evil-agent\nworse-agent\n");
  // Missing altogether: the install fails and nothing changes.
  fs::remove(data);
  REQUIRE(m.remove("collections", "t/web", false, false).ok());
  auto missing = m.install("collections", "t/web", false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.rfind("data file web/bad.txt: ", 0) == 0);
  CHECK_FALSE(fs::exists(f.etc / "collections/web.yaml"));
}

TEST_CASE("data files stay inside the data dir", "[hub][manager]") {
  Fixture f;
  f.hub.publish("parsers", "t/evil", "name: t/evil\ndata:\n  - dest_file: ../../escape.txt\n",
                "s01-parse");
  f.hub.writeIndex();
  Manager m = f.updated();
  auto r = m.install("parsers", "t/evil", false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "parsers t/evil: data file '../../escape.txt' would be written "
        "outside " +
            (f.etc / "data").string() + "; nothing was changed");
  CHECK(f.links().empty());
  CHECK_FALSE(fs::exists(f.tmp.path() / "escape.txt"));
}

TEST_CASE("plugins install only when their abi and platform fit this build", "[hub][manager]") {
  using cw::core::hub::buildPlatform;
  using cw::core::hub::buildPluginAbi;
  using cw::core::hub::pluginFits;
  CHECK(buildPluginAbi() == "1.0");
  CHECK(pluginFits("1.0", buildPlatform()));
  CHECK_FALSE(pluginFits("1.1", buildPlatform()));  // newer minor than ours
  CHECK_FALSE(pluginFits("2.0", buildPlatform()));
  CHECK_FALSE(pluginFits("1.0", "windows-x86_64"));
  CHECK_FALSE(pluginFits("x", buildPlatform()));

  Fixture f;
  f.hub.addPlugin("t/tail", "1.0", buildPlatform(), "ELF-ish bytes");
  f.hub.addPlugin("t/future", "2.0", buildPlatform(), "future bytes");
  f.hub.addPlugin("t/other", "1.0", "freebsd-riscv", "other bytes");
  f.hub.writeIndex();
  Manager m = f.updated();
  REQUIRE(m.index().plugins().size() == 3);
  auto ok = m.install("plugins", "t/tail", false);
  REQUIRE(ok.ok());
  CHECK(f.links() ==
        std::set<std::string>{"plugins/acquisition/tail.so -> plugins/acquisition/tail.so"});
  const ItemState s = stateOf(m, "plugins", "t/tail");
  CHECK(s.installed);
  CHECK(s.local_version == "0.1");
  CHECK(s.abi == "1.0");
  // The plugin loader's index of the enabled plugins, files relative to etc/plugins.
  CHECK(slurp(f.etc / "plugins/index.json") ==
        "{\n  \"plugins\": {\n    \"t/tail\": {\n      \"id\": \"t/tail\",\n"
        "      \"version\": \"0.1\",\n      \"kind\": \"acquisition\",\n"
        "      \"abi\": \"1.0\",\n      \"platform\": \"" +
            buildPlatform() + "\",\n      \"sha256\": \"" + sha256Hex("ELF-ish bytes") +
            "\",\n      \"file\": \"acquisition/tail.so\"\n    }\n  }\n}\n");
  CHECK(m.list("plugins", false).size() == 1);  // index.json is not a local plugin

  auto future = m.install("plugins", "t/future", false);
  REQUIRE_FALSE(future.ok());
  CHECK(future.error().message == "plugin t/future 0.1 is built for abi 2.0 on " + buildPlatform() +
                                      "; this build loads abi 1.0 on " + buildPlatform());
  auto other = m.install("plugins", "t/other", false);
  REQUIRE_FALSE(other.ok());
  CHECK_FALSE(fs::exists(f.etc / "hub/plugins/acquisition/other.so"));

  REQUIRE(m.remove("plugins", "t/tail", false, false).ok());
  CHECK(f.links().empty());
  CHECK(slurp(f.etc / "plugins/index.json") == "{\n  \"plugins\": {}\n}\n");
}

TEST_CASE("simulation.yaml is read, written and decides which scenarios are simulated",
          "[hub][simulation]") {
  using cw::core::hub::isSimulated;
  using cw::core::hub::loadSimulation;
  using cw::core::hub::saveSimulation;
  TempDir t;
  const std::string path = (t.path() / "simulation.yaml").string();
  auto missing = loadSimulation(path);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->enabled);
  CHECK(missing->exclusions.empty());

  cw::core::scenarios::Simulation sim;
  sim.enabled = false;
  sim.exclusions = {"a/x", "b/y"};
  REQUIRE(saveSimulation(path, sim).ok());
  CHECK(slurp(path) == "simulation: false\nexclusions:\n  - a/x\n  - b/y\n");
  auto back = loadSimulation(path);
  REQUIRE(back.ok());
  CHECK(back->exclusions == sim.exclusions);
  CHECK(isSimulated(*back, "a/x"));
  CHECK_FALSE(isSimulated(*back, "c/z"));
  back->enabled = true;
  CHECK_FALSE(isSimulated(*back, "a/x"));
  CHECK(isSimulated(*back, "c/z"));

  spit(path, "simulation: maybe\nexclusions: a/x\nother: 1\n");
  auto bad = loadSimulation(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == path + ":1: 'simulation' must be true or false\n" + path +
                                   ":2: 'exclusions' must be a list of scenario names\n" + path +
                                   ":3: unknown key 'other' (expected simulation, exclusions)");
}

TEST_CASE("upgrading a collection enables its new members and disables dropped ones",
          "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  REQUIRE(m.install("collections", "t/linux", false).ok());
  REQUIRE(m.install("collections", "t/web", false).ok());

  // linux 1.1 drops ssh-bf and base, adds a new scenario.
  f.hub.publish("scenarios", "t/ssh-slow", "name: t/ssh-slow\ntype: leaky\n");
  f.hub.publish("collections", "t/linux", "parsers:\n  - t/ssh-logs\nscenarios:\n  - t/ssh-slow\n",
                "", {{"parsers", {"t/ssh-logs"}}, {"scenarios", {"t/ssh-slow"}}});
  f.hub.writeIndex();
  m = f.updated();
  CHECK(stateOf(m, "collections", "t/linux").status() == "enabled,update-available");
  auto up = m.upgradeAll(false);
  REQUIRE(up.ok());
  CHECK(up->warnings.empty());
  CHECK(up->done == std::vector<std::string>{
                        "downloaded scenarios t/ssh-slow 1.0", "downloaded collections t/linux 1.1",
                        "enabled scenarios t/ssh-slow",
                        "disabled scenarios t/ssh-bf (no longer in its collection)"});
  // base stays: web still needs it.
  CHECK(f.links() == std::set<std::string>{
                         "collections/base.yaml -> collections/t/base.yaml",
                         "collections/linux.yaml -> collections/t/linux.yaml",
                         "collections/web.yaml -> collections/t/web.yaml",
                         "parsers/s00-raw/syslog.yaml -> parsers/s00-raw/t/syslog.yaml",
                         "parsers/s01-parse/ssh-logs.yaml -> parsers/s01-parse/t/ssh-logs.yaml",
                         "parsers/s01-parse/web-logs.yaml -> parsers/s01-parse/t/web-logs.yaml",
                         "scenarios/ssh-slow.yaml -> scenarios/t/ssh-slow.yaml"});
  CHECK(stateOf(m, "collections", "t/linux").status() == "enabled");
  auto again = m.upgradeAll(false);
  REQUIRE(again.ok());
  CHECK(again->done == std::vector<std::string>{"every installed item is up to date"});
}

TEST_CASE("a member removed with --force stays removed when its collection is upgraded",
          "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  REQUIRE(m.install("collections", "t/linux", false).ok());
  auto removed = m.remove("parsers", "t/ssh-logs", true, false);
  REQUIRE(removed.ok());
  CHECK(removed->done == std::vector<std::string>{"disabled parsers t/ssh-logs"});

  // linux 1.1 keeps ssh-logs and adds a scenario: the new member comes, the removed one not.
  f.hub.publish("scenarios", "t/ssh-slow", "name: t/ssh-slow\ntype: leaky\n");
  f.hub.publish("collections", "t/linux",
                "parsers:\n  - t/ssh-logs\nscenarios:\n  - t/ssh-bf\n  - t/ssh-slow\n", "",
                {{"parsers", {"t/ssh-logs"}}, {"scenarios", {"t/ssh-bf", "t/ssh-slow"}}});
  f.hub.writeIndex();
  m = f.updated();
  auto up = m.upgrade("collections", "t/linux", false);
  REQUIRE(up.ok());
  CHECK(up->warnings == std::vector<std::string>{"parsers t/ssh-logs (in t/linux) was removed: "
                                                 "not upgraded, install it to bring it back"});
  CHECK(up->done == std::vector<std::string>{
                        "downloaded scenarios t/ssh-slow 1.0", "downloaded collections t/linux 1.1",
                        "enabled scenarios t/ssh-slow",
                        "disabled collections t/base (no longer in its collection)",
                        "disabled parsers t/syslog (no longer in its collection)"});
  CHECK(f.links() == std::set<std::string>{
                         "collections/linux.yaml -> collections/t/linux.yaml",
                         "scenarios/ssh-bf.yaml -> scenarios/t/ssh-bf.yaml",
                         "scenarios/ssh-slow.yaml -> scenarios/t/ssh-slow.yaml"});
}

TEST_CASE("an index that cannot be fetched or parsed leaves the current one", "[hub][manager]") {
  Fixture f;
  Manager m = f.updated();
  const std::string before = slurp(f.etc / "hub/.index.json");
  spit(f.src / ".index.json", "{\"parsers\": {\"a/b\": {\"path\": \"/abs\"}}}");
  auto bad = m.updateIndex();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("is not a valid hub index") != std::string::npos);
  fs::remove(f.src / ".index.json");
  auto gone = m.updateIndex();
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().message ==
        "hub update: " + (fs::absolute(f.src) / ".index.json").string() + ": not found");
  CHECK(slurp(f.etc / "hub/.index.json") == before);
  CHECK_FALSE(hasTempFiles(f.etc));
}

TEST_CASE("broken links and file-name clashes are reported, not fatal", "[hub][manager]") {
  Fixture f;
  f.hub.publish("parsers", "other/ssh-logs", "name: other/ssh-logs\n", "s01-parse");
  f.hub.writeIndex();
  Manager m0 = f.updated();
  fs::create_directories(f.etc / "scenarios");
  fs::create_symlink(f.tmp.path() / "nowhere.yaml", f.etc / "scenarios/gone.yaml");
  Manager m = f.open();
  CHECK(m.scanWarnings() ==
        std::vector<std::string>{(f.etc / "scenarios/gone.yaml").string() +
                                 ": broken symbolic link (not a known hub item; ignored)"});
  REQUIRE(m.install("parsers", "t/ssh-logs", false).ok());
  auto clash = m.install("parsers", "other/ssh-logs", false);
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().message == (f.etc / "parsers/s01-parse/ssh-logs.yaml").string() +
                                     " is taken by parsers t/ssh-logs (same file name): "
                                     "other/ssh-logs not enabled, use --force");
  // A purged download behind a link: still installed, reinstalled by install.
  fs::remove(f.etc / "hub/parsers/s01-parse/t/ssh-logs.yaml");
  m = f.open();
  const ItemState s = stateOf(m, "parsers", "t/ssh-logs");
  CHECK(s.installed);
  CHECK_FALSE(s.downloaded);
  auto again = m.install("parsers", "t/ssh-logs", false);
  REQUIRE(again.ok());
  CHECK(again->done == std::vector<std::string>{"downloaded parsers t/ssh-logs 1.0"});
  CHECK(fs::is_regular_file(f.etc / "parsers/s01-parse/ssh-logs.yaml"));
}

TEST_CASE("fetch copies local files and refuses oversized ones", "[hub][fetch]") {
  using cw::core::hub::FetchOptions;
  using cw::core::hub::fetchTo;
  TempDir t;
  spit(t.path() / "a.txt", "0123456789");
  FetchOptions o;
  auto ok = fetchTo((t.path() / "a.txt").string(), (t.path() / "b.txt").string(), o);
  REQUIRE(ok.ok());
  CHECK(ok->bytes == 10);
  CHECK(slurp(t.path() / "b.txt") == "0123456789");
  o.max_bytes = 9;
  auto big = fetchTo((t.path() / "a.txt").string(), (t.path() / "c.txt").string(), o);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == (t.path() / "a.txt").string() + ": larger than 9 bytes: refused");
  // Through libcurl (file://): same limit, no file left behind.
  auto big_url =
      fetchTo("file://" + (t.path() / "a.txt").string(), (t.path() / "d.txt").string(), o);
  REQUIRE_FALSE(big_url.ok());
  CHECK(big_url.error().message ==
        "file://" + (t.path() / "a.txt").string() + ": larger than 9 bytes: refused");
  CHECK_FALSE(fs::exists(t.path() / "d.txt"));
  o.max_bytes = 10;
  auto url = fetchTo("file://" + (t.path() / "a.txt").string(), (t.path() / "e.txt").string(), o);
  REQUIRE(url.ok());
  CHECK(slurp(t.path() / "e.txt") == "0123456789");
  CHECK(cw::core::hub::joinLocation("http://h/x/", "/a/b.yaml") == "http://h/x/a/b.yaml");
  CHECK(cw::core::hub::joinLocation("/srv/hub", "a.yaml") == "/srv/hub/a.yaml");
}
