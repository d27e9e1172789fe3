// SPDX-License-Identifier: Apache-2.0
// Compiles every grok pattern of the CrowdSec hub corpus (shared/, present on development
// machines and CI, absent on user machines): the pattern files on top of our own base set,
// then every inline `grok: pattern:` and `pattern_syntax:` entry of the parsers.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cw/core/grok/grok.h"

namespace fs = std::filesystem;
using cw::core::grok::Pattern;
using cw::core::grok::PatternLibrary;

namespace {

const fs::path kHub = fs::path(CW_SHARED_DIR) / "corpus" / "crowdsec-hub";

struct Tally {
  int named_compiled = 0;
  int inline_compiled = 0;
  int syntax_added = 0;
  int grokky_miscounts = 0; // patterns where grokky's group count differs from the exact one
  std::vector<std::string> failures;
};

// Walks a parser document: pattern_syntax first (it is added before the node's grok is
// compiled), then grok, then child nodes.
void walkNode(const YAML::Node& node, PatternLibrary& lib, const std::string& where, Tally& t) {
  if (!node.IsMap()) {
    return;
  }
  if (const YAML::Node syntax = node["pattern_syntax"]; syntax && syntax.IsMap()) {
    for (const auto& kv : syntax) {
      const auto name = kv.first.as<std::string>();
      const auto text = kv.second.as<std::string>();
      // CrowdSec keeps the first definition of a name and warns about later ones; the hub
      // relies on it (TIMESTAMP is defined by several parsers, not always the same way).
      if (lib.contains(name)) {
        if (lib.raw(name) != std::optional<std::string_view>(text)) {
          std::cout << "note: " << where << ": pattern_syntax " << name
                    << " differs from an earlier definition, which is kept\n";
        }
        continue;
      }
      auto st = lib.add(name, text);
      if (st.ok()) {
        ++t.syntax_added;
      } else {
        t.failures.push_back(where + ": " + st.error().message);
      }
    }
  }
  if (const YAML::Node grok = node["grok"]; grok && grok.IsMap()) {
    if (const YAML::Node pattern = grok["pattern"]; pattern && pattern.IsScalar()) {
      auto p = Pattern::compile(lib, pattern.as<std::string>());
      if (p.ok()) {
        ++t.inline_compiled;
      } else {
        t.failures.push_back(where + ": " + p.error().message);
      }
    }
    if (const YAML::Node name = grok["name"]; name && name.IsScalar()) {
      if (!lib.contains(name.as<std::string>())) {
        t.failures.push_back(where + ": grok name " + name.as<std::string>() + " undefined");
      }
    }
  }
  if (const YAML::Node nodes = node["nodes"]; nodes && nodes.IsSequence()) {
    for (const auto& child : nodes) {
      walkNode(child, lib, where, t);
    }
  }
}

} // namespace

TEST_CASE("every CrowdSec hub grok pattern compiles", "[grok][corpus]") {
  if (!fs::exists(kHub / "patterns")) {
    WARN("CrowdSec hub corpus not found at " << kHub.string()
                                              << " (shared/ is absent outside development); "
                                                 "corpus compilation not checked");
    return;
  }
  PatternLibrary lib = PatternLibrary::withBase();
  Tally t;

  // Pattern files in name order, except 'base': ours is compiled in.
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kHub / "patterns")) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name != "base" && name.find('.') == std::string::npos) {
      files.push_back(name);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto st = lib.addFromFile((kHub / "patterns" / f).string());
    if (!st.ok()) {
      t.failures.push_back(st.error().message);
    }
  }
  // Every named pattern (ours and the hub's) compiles on its own.
  for (const auto& name : lib.names()) {
    auto p = Pattern::compile(lib, "%{" + name + "}");
    if (p.ok()) {
      ++t.named_compiled;
    } else {
      t.failures.push_back(p.error().message);
    }
    // Diagnostics: where grokky's approximate group count would misplace fields (only the
    // literal text before each reference is counted).
    const std::string raw(*lib.raw(name));
    std::string counted;
    std::size_t pos = 0;
    for (std::size_t b = raw.find("%{"); b != std::string::npos; b = raw.find("%{", pos)) {
      const std::size_t e = raw.find('}', b);
      if (e == std::string::npos) {
        break;
      }
      counted += raw.substr(pos, b - pos);
      pos = e + 1;
    }
    if (cw::core::grok::grokkyCapCount(counted) != cw::core::grok::countCapturingGroups(counted)) {
      ++t.grokky_miscounts;
      std::cout << "note: grokky's group count is off in pattern " << name << "\n";
    }
  }

  // Parsers: stages in order, files in name order; pattern_syntax stays for later files.
  std::vector<fs::path> parsers;
  for (const auto& e : fs::recursive_directory_iterator(kHub / "parsers")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") {
      parsers.push_back(e.path());
    }
  }
  std::sort(parsers.begin(), parsers.end());
  for (const auto& path : parsers) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAllFromFile(path.string());
    } catch (const YAML::Exception& ex) {
      t.failures.push_back(path.string() + ": YAML: " + ex.what());
      continue;
    }
    const std::string where = fs::relative(path, kHub).string();
    for (const auto& doc : docs) {
      walkNode(doc, lib, where, t);
    }
  }

  std::cout << "grok corpus: " << files.size() << " pattern files, " << t.named_compiled
            << " named patterns compiled, " << t.syntax_added << " pattern_syntax entries, "
            << t.inline_compiled << " inline grok patterns compiled, " << parsers.size()
            << " parser files, " << t.grokky_miscounts << " grokky group miscounts, "
            << t.failures.size() << " failures\n";
  for (const auto& f : t.failures) {
    std::cout << "  FAIL " << f << "\n";
  }
  CHECK(t.failures.empty());
  // Floors from the corpus as stored (so that a silently shrinking walk is noticed).
  CHECK(t.named_compiled >= 397);
  CHECK(t.syntax_added >= 226);
  CHECK(t.inline_compiled >= 238);
}
