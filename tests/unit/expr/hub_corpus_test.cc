// SPDX-License-Identifier: Apache-2.0
// Compiles every expression of the CrowdSec hub mirror (parsers, post-overflows, scenarios,
// console contexts) and every hub-test assert line with the environment of its context.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"

namespace fs = std::filesystem;
using namespace cw::core;

namespace {

struct Tally {
  int compiled = 0;
  std::vector<std::string> failures;

  void compile(const std::string& src, const expr::Environment& env, const std::string& where) {
    auto p = expr::Program::compile(src, env);
    if (p.ok()) {
      ++compiled;
    } else {
      failures.push_back(where + ": " + p.error().message + "\n    " + src);
    }
  }
};

void addScalar(const YAML::Node& n, std::vector<std::string>& out) {
  if (n && n.IsScalar() && !n.Scalar().empty()) {
    out.push_back(n.Scalar());
  }
}

void collectParserNode(const YAML::Node& node, std::vector<std::string>& out) {
  if (!node.IsMap()) {
    return;
  }
  addScalar(node["filter"], out);
  if (const YAML::Node grok = node["grok"]; grok && grok.IsMap()) {
    addScalar(grok["expression"], out);
  }
  if (const YAML::Node statics = node["statics"]; statics && statics.IsSequence()) {
    for (const auto& s : statics) {
      if (s.IsMap()) {
        addScalar(s["expression"], out);
      }
    }
  }
  if (const YAML::Node wl = node["whitelist"]; wl && wl.IsMap()) {
    if (const YAML::Node ex = wl["expression"]; ex && ex.IsSequence()) {
      for (const auto& e : ex) {
        addScalar(e, out);
      }
    }
  }
  if (const YAML::Node stash = node["stash"]; stash && stash.IsSequence()) {
    for (const auto& s : stash) {
      if (s.IsMap()) {
        addScalar(s["key"], out);
        addScalar(s["value"], out);
      }
    }
  }
  if (const YAML::Node nodes = node["nodes"]; nodes && nodes.IsSequence()) {
    for (const auto& n : nodes) {
      collectParserNode(n, out);
    }
  }
}

std::vector<fs::path> yamlFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) {
    return files;
  }
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() &&
        (e.path().extension() == ".yaml" || e.path().extension() == ".yml")) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every hub expression and assert line compiles", "[expr][corpus]") {
  const fs::path hub = fs::path(CW_SHARED_DIR) / "corpus" / "crowdsec-hub";
  if (!fs::exists(hub)) {
    WARN("hub corpus not found at " << hub << ": corpus test skipped (shared corpus absent)");
    return;
  }
  expr::Services services;
  const auto ev_env = expr::Environment::forEvent(services);
  const auto bucket_env = expr::Environment::forBucket(services);
  const auto ovf_env = expr::Environment::forOverflowFilter(services);
  Tally yaml_tally;
  Tally assert_tally;

  for (const char* sub : {"parsers", "postoverflows"}) {
    for (const fs::path& f : yamlFiles(hub / sub)) {
      std::vector<YAML::Node> docs;
      try {
        docs = YAML::LoadAllFromFile(f.string());
      } catch (const YAML::Exception& e) {
        continue;  // the YAML itself is not ours to judge here
      }
      for (const YAML::Node& d : docs) {
        std::vector<std::string> exprs;
        collectParserNode(d, exprs);
        for (const std::string& e : exprs) {
          yaml_tally.compile(e, ev_env, f.string());
        }
      }
    }
  }
  for (const fs::path& f : yamlFiles(hub / "scenarios")) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAllFromFile(f.string());
    } catch (const YAML::Exception&) {
      continue;
    }
    for (const YAML::Node& d : docs) {
      if (!d.IsMap()) {
        continue;
      }
      std::vector<std::string> ev;
      std::vector<std::string> bucket;
      std::vector<std::string> ovf;
      for (const char* k : {"filter", "groupby", "distinct", "cancel_on"}) {
        addScalar(d[k], ev);
      }
      if (d["scope"] && d["scope"].IsMap()) {
        addScalar(d["scope"]["expression"], ev);
      }
      addScalar(d["condition"], bucket);
      if (const YAML::Node bc = d["bayesian_conditions"]; bc && bc.IsSequence()) {
        for (const auto& c : bc) {
          if (c.IsMap()) {
            addScalar(c["condition"], bucket);
          }
        }
      }
      addScalar(d["overflow_filter"], ovf);
      for (const auto& e : ev) {
        yaml_tally.compile(e, ev_env, f.string());
      }
      for (const auto& e : bucket) {
        yaml_tally.compile(e, bucket_env, f.string());
      }
      for (const auto& e : ovf) {
        yaml_tally.compile(e, ovf_env, f.string());
      }
    }
  }
  // Console contexts: evt, match, req.
  expr::Environment ctx_env = ev_env;
  ctx_env.variables.push_back({"match", expr::VarType::Any});
  ctx_env.variables.push_back({"req", expr::VarType::Any});
  for (const fs::path& f : yamlFiles(hub / "contexts")) {
    YAML::Node d;
    try {
      d = YAML::LoadFile(f.string());
    } catch (const YAML::Exception&) {
      continue;
    }
    if (const YAML::Node c = d["context"]; c && c.IsMap()) {
      for (const auto& kv : c) {
        if (kv.second.IsSequence()) {
          for (const auto& e : kv.second) {
            if (e.IsScalar()) {
              yaml_tally.compile(e.Scalar(), ctx_env, f.string());
            }
          }
        }
      }
    }
  }

  // Hub-test asserts: `results` plus basename().
  expr::Environment assert_env;
  assert_env.services = &services;
  assert_env.variables = {{"results", expr::VarType::Any}};
  assert_env.addFunction("basename", [](std::span<const Value> a) -> Result<Value> {
    if (a.size() != 1 || !a[0].isString()) {
      return makeError(ErrorCode::Invalid, "basename() expects a string");
    }
    const std::string_view s = a[0].asString();
    const auto slash = s.rfind('/');
    return Value::string(std::string(slash == std::string_view::npos ? s : s.substr(slash + 1)));
  });
  if (fs::exists(hub / "tests")) {
    for (const auto& t : fs::directory_iterator(hub / "tests")) {
      for (const char* name : {"parser.assert", "scenario.assert"}) {
        std::ifstream in(t.path() / name);
        std::string line;
        int lineno = 0;
        while (std::getline(in, line)) {
          ++lineno;
          if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
          }
          assert_tally.compile(line, assert_env,
                               (t.path() / name).string() + ":" + std::to_string(lineno));
        }
      }
    }
  }

  std::cout << "hub corpus: compiled " << yaml_tally.compiled << " YAML expressions ("
            << yaml_tally.failures.size() << " failed) and " << assert_tally.compiled
            << " assert lines (" << assert_tally.failures.size() << " failed)\n";
  for (std::size_t i = 0; i < yaml_tally.failures.size() && i < 40; ++i) {
    std::cout << "  " << yaml_tally.failures[i] << "\n";
  }
  for (std::size_t i = 0; i < assert_tally.failures.size() && i < 20; ++i) {
    std::cout << "  " << assert_tally.failures[i] << "\n";
  }
  // Documented exceptions: AppSec-only helpers that need the WAF request object.
  const std::vector<std::string> allowed = {"unknown name 'JA4H'"};
  std::size_t unexpected = 0;
  for (const std::string& f : yaml_tally.failures) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return f.find(a) != std::string::npos; })) {
      ++unexpected;
    }
  }
  CHECK(yaml_tally.compiled > 3000);
  CHECK(assert_tally.compiled > 80000);
  CHECK(unexpected == 0);
  CHECK(assert_tally.failures.empty());
}
