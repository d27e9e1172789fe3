// SPDX-License-Identifier: Apache-2.0
// Loading parser files into compiled nodes (parsers.md sections 2, 3, 5-8). Every problem of
// every file is collected, each prefixed with file, document, node and field, and the load
// fails once at the end with all of them.
#include "loader.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <tuple>

#include "cw/core/common/file.h"
#include "cw/core/expr/services.h"
#include "cw/core/plugins/config_text.h"

namespace cw::core::parsers::detail {

namespace {

constexpr std::string_view kNodeKeys[] = {
    "name",      "description", "author",         "references", "format",  "debug",
    "filter",    "onsuccess",   "pattern_syntax", "grok",       "statics", "stash",
    "whitelist", "nodes",       "data",           "profiling",  "stage",
    "plugin",  // ours: a parser plugin step (docs/plugins.md)
};
constexpr std::string_view kPluginKeys[] = {"id", "config"};
constexpr std::string_view kGrokKeys[] = {"pattern", "name", "apply_on", "expression", "statics"};
constexpr std::string_view kStaticKeys[] = {"target", "parsed", "meta",      "enriched",
                                            "method", "value",  "expression"};
constexpr std::string_view kStashKeys[] = {"name", "key", "value", "ttl", "size", "strategy"};
constexpr std::string_view kWhitelistKeys[] = {"reason", "ip", "cidr", "expression"};
constexpr std::string_view kDataKeys[] = {"source_url", "dest_file", "type", "strategy",
                                          "size",       "ttl",       "cache"};

int lineOf(const YAML::Node& n) { return n.Mark().line + 1; }

/// Parses "1", "1.0", "2.1.3" as (major, minor); false when it is not a version.
bool parseVersion(std::string_view text, int& major, int& minor) {
  major = 0;
  minor = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  auto r = std::from_chars(p, end, major);
  if (r.ec != std::errc()) {
    return false;
  }
  p = r.ptr;
  if (p == end) {
    return true;
  }
  if (*p != '.') {
    return false;
  }
  r = std::from_chars(p + 1, end, minor);
  if (r.ec != std::errc()) {
    return false;
  }
  p = r.ptr;
  if (p != end) {
    // A patch level is allowed and ignored ("1.0.2").
    int patch = 0;
    if (*p != '.' || std::from_chars(p + 1, end, patch).ptr != end) {
      return false;
    }
  }
  return true;
}

Method methodByName(std::string_view name) {
  if (name == "ParseDate") {
    return Method::ParseDate;
  }
  if (name == "GeoIpCity") {
    return Method::GeoIpCity;
  }
  if (name == "GeoIpASN") {
    return Method::GeoIpAsn;
  }
  if (name == "IpToRange") {
    return Method::IpToRange;
  }
  if (name == "reverse_dns") {
    return Method::ReverseDns;
  }
  if (name == "UnmarshalJSON") {
    return Method::UnmarshalJson;
  }
  return Method::Unknown;
}

/// Resolves a `target:` path the way upstream walks the Event struct by reflection: field
/// names are Go's, case-sensitive; the first map takes the next element as key.
Target resolveTargetPath(std::string_view path, std::string& key) {
  if (path.substr(0, 4) == "evt.") {
    path.remove_prefix(4);
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) {
      dot = path.size();
    }
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  if (parts.empty()) {
    return Target::Invalid;
  }

  auto mapTarget = [&](Target t) {
    if (parts.size() < 2) {
      return Target::Invalid;
    }
    key.assign(parts[1]);
    return t;
  };
  const std::string_view head = parts[0];
  if (parts.size() == 1) {
    if (head == "StrTime") {
      return Target::StrTime;
    }
    if (head == "StrTimeFormat") {
      return Target::StrTimeFormat;
    }
    if (head == "MarshaledTime") {
      return Target::MarshaledTime;
    }
    if (head == "Stage") {
      return Target::Stage;
    }
    if (head == "WhitelistReason") {
      return Target::WhitelistReason;
    }
    return Target::Invalid;
  }
  if (head == "Meta") {
    return mapTarget(Target::Meta);
  }
  if (head == "Parsed") {
    return mapTarget(Target::Parsed);
  }
  if (head == "Enriched") {
    return mapTarget(Target::Enriched);
  }
  if (head == "Unmarshaled") {
    return mapTarget(Target::Unmarshaled);
  }
  if (head == "Line") {
    const std::string_view f = parts[1];
    if (f == "Labels") {
      if (parts.size() < 3) {
        return Target::Invalid;
      }
      key.assign(parts[2]);
      return Target::LineLabels;
    }
    if (parts.size() != 2) {
      return Target::Invalid;
    }
    if (f == "Raw") {
      return Target::LineRaw;
    }
    if (f == "Src") {
      return Target::LineSrc;
    }
    if (f == "Module") {
      return Target::LineModule;
    }
    return Target::Invalid;
  }
  if (head == "Overflow") {
    const std::string_view f = parts[1];
    if (parts.size() == 2) {
      if (f == "Mapkey") {
        return Target::OverflowMapkey;
      }
      if (f == "BucketId") {
        return Target::OverflowBucketId;
      }
      return Target::Invalid;
    }
    if (f != "Alert") {
      return Target::Invalid;
    }
    if (parts.size() == 3) {
      if (parts[2] == "Scenario") {
        return Target::AlertScenario;
      }
      if (parts[2] == "Message") {
        return Target::AlertMessage;
      }
      return Target::Invalid;
    }
    if (parts[2] != "Source" || parts.size() != 4) {
      return Target::Invalid;
    }
    const std::string_view s = parts[3];
    if (s == "Scope") {
      return Target::AlertSourceScope;
    }
    if (s == "Value") {
      return Target::AlertSourceValue;
    }
    if (s == "IP") {
      return Target::AlertSourceIp;
    }
    if (s == "Range") {
      return Target::AlertSourceRange;
    }
    if (s == "AsName") {
      return Target::AlertSourceAsName;
    }
    if (s == "AsNumber") {
      return Target::AlertSourceAsNumber;
    }
    if (s == "Cn") {
      return Target::AlertSourceCn;
    }
  }
  return Target::Invalid;
}

class Loader {
 public:
  Loader(const LoadOptions& options, grok::PatternLibrary& library, LoadedNodes& out)
      : options_(options),
        library_(library),
        out_(out),
        env_(expr::Environment::forEvent(*options.services)) {}

  void loadFile(const ParserFile& file);
  std::vector<std::string>& errors() { return errors_; }

 private:
  /// Where an error is: file, document and node.
  struct Where {
    const std::string* file;
    int document;
    std::string node;
  };

  void error(const Where& w, std::string_view field, const YAML::Node& at,
             std::string_view message) {
    std::string e =
        *w.file + ": document " + std::to_string(w.document) + ", node '" + w.node + "': ";
    if (!field.empty()) {
      e.append(field).append(": ");
    }
    e.append(message);
    if (at.IsDefined()) {
      e += ", at line " + std::to_string(lineOf(at));
    }
    errors_.push_back(std::move(e));
  }

  /// Checks a mapping's keys: each known and present once. False when any problem was found.
  bool checkKeys(const Where& w, std::string_view field, const YAML::Node& map,
                 const std::string_view* known, std::size_t known_count);

  template <std::size_t N>
  bool checkMap(const Where& w, std::string_view field, const YAML::Node& map,
                const std::string_view (&known)[N]) {
    if (!map.IsMap()) {
      error(w, field, map, "must be a mapping");
      return false;
    }
    return checkKeys(w, field, map, known, N);
  }

  bool scalar(const Where& w, std::string_view field, const YAML::Node& n, std::string& out) {
    if (!n.IsScalar()) {
      if (n.IsNull()) {
        out.clear();
        return true;
      }
      error(w, field, n, "must be a string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  bool boolean(const Where& w, std::string_view field, const YAML::Node& n, bool& out) {
    try {
      out = n.as<bool>();
      return true;
    } catch (const YAML::Exception&) {
      error(w, field, n, "must be a boolean");
      return false;
    }
  }

  bool stringList(const Where& w, std::string_view field, const YAML::Node& n,
                  std::vector<std::string>& out) {
    if (n.IsNull()) {
      return true;
    }
    if (!n.IsSequence()) {
      error(w, field, n, "must be a list of strings");
      return false;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        error(w, field, item, "must be a list of strings");
        return false;
      }
      out.push_back(item.Scalar());
    }
    return true;
  }

  std::optional<expr::Program> compile(const Where& w, std::string_view field, const YAML::Node& at,
                                       const std::string& source) {
    auto p = expr::Program::compile(source, env_);
    if (!p) {
      error(w, field, at, p.error().message);
      return std::nullopt;
    }
    return std::move(p.value());
  }

  bool loadNode(const Where& parent_where, const YAML::Node& y, Node& n, bool top_level);
  bool loadGrok(const Where& w, const YAML::Node& y, Grok& g);
  bool loadStatics(const Where& w, std::string_view field, const YAML::Node& y,
                   std::vector<Static>& out);
  bool loadStash(const Where& w, const YAML::Node& y, std::vector<StashEntry>& out);
  bool loadWhitelist(const Where& w, const YAML::Node& y, Whitelist& wl);
  bool loadData(const Where& w, const YAML::Node& y);
  bool addPatternSyntax(const Where& w, const YAML::Node& y);
  bool loadPlugin(const Where& w, const YAML::Node& y, Node& n);

  const LoadOptions& options_;
  bool plugins_requested_ = false;  ///< options_.plugins was called (once per load)
  grok::PatternLibrary& library_;
  LoadedNodes& out_;
  expr::Environment env_;
  std::vector<std::string> errors_;
};

bool Loader::checkKeys(const Where& w, std::string_view field, const YAML::Node& map,
                       const std::string_view* known, std::size_t known_count) {
  bool ok = true;
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      error(w, field, k, "keys must be strings");
      ok = false;
      continue;
    }
    const std::string& name = k.Scalar();
    const std::string where = field.empty() ? name : std::string(field) + "." + name;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      error(w, where, k, "duplicate key '" + name + "'");
      ok = false;
      continue;
    }
    seen.push_back(name);
    if (std::find(known, known + known_count, std::string_view(name)) == known + known_count) {
      error(w, where, k, "unknown key '" + name + "'");
      ok = false;
    }
  }
  return ok;
}

bool Loader::addPatternSyntax(const Where& w, const YAML::Node& y) {
  if (!y.IsMap()) {
    error(w, "pattern_syntax", y, "must be a mapping of NAME: pattern");
    return false;
  }
  bool ok = true;
  std::vector<std::string> seen;
  for (const auto& kv : y) {
    const std::string name = kv.first.Scalar();
    const std::string field = "pattern_syntax." + name;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      error(w, field, kv.first, "duplicate key '" + name + "'");
      ok = false;
      continue;
    }
    seen.push_back(name);
    std::string pattern;
    if (!scalar(w, field, kv.second, pattern)) {
      ok = false;
      continue;
    }
    if (library_.contains(name)) {
      // First definition wins (parsers.md section 3): hub parsers redefine shared helpers.
      spdlog::debug("Grok pattern already defined, keeping the first pattern={} node={}", name,
                    w.node);
      continue;
    }
    auto added = library_.add(name, pattern);
    if (!added) {
      error(w, field, kv.second, added.error().message);
      ok = false;
    }
  }
  return ok;
}

bool Loader::loadStatics(const Where& w, std::string_view field, const YAML::Node& y,
                         std::vector<Static>& out) {
  if (y.IsNull()) {
    return true;
  }
  if (!y.IsSequence()) {
    error(w, field, y, "must be a list");
    return false;
  }
  bool ok = true;
  int idx = 0;
  for (const auto& item : y) {
    const std::string f = std::string(field) + "[" + std::to_string(idx++) + "]";
    if (!checkMap(w, f, item, kStaticKeys)) {
      ok = false;
      continue;
    }
    Static s;
    std::string meta, parsed, enriched, target, method, value, expression;
    bool item_ok = true;
    auto get = [&](const char* k, std::string& dst) {
      if (item[k]) {
        item_ok = scalar(w, f + "." + k, item[k], dst) && item_ok;
      }
    };
    get("meta", meta);
    get("parsed", parsed);
    get("enriched", enriched);
    get("target", target);
    get("method", method);
    get("value", value);
    get("expression", expression);
    if (!item_ok) {
      ok = false;
      continue;
    }

    if (!expression.empty()) {
      s.expression = compile(w, f + ".expression", item["expression"], expression);
      if (!s.expression) {
        ok = false;
        continue;
      }
    }
    s.value = value;
    const bool has_source = !value.empty() || s.expression.has_value();

    // Same precedence as upstream: method, then parsed, meta, enriched, target.
    if (!method.empty()) {
      s.method_name = method;
      s.method = methodByName(method);
      if (s.method == Method::Unknown) {
        spdlog::warn("Unknown enrichment method, static ignored method={} file={} node={}", method,
                     *w.file, w.node);
      }
      if (!has_source) {
        error(w, f, item, "method '" + method + "' needs a value or an expression");
        ok = false;
        continue;
      }
      out_.uses_geoip = out_.uses_geoip || s.method == Method::GeoIpCity ||
                        s.method == Method::GeoIpAsn || s.method == Method::IpToRange;
    } else {
      if (!parsed.empty()) {
        s.target = Target::Parsed;
        s.key = parsed;
      } else if (!meta.empty()) {
        s.target = Target::Meta;
        s.key = meta;
      } else if (!enriched.empty()) {
        s.target = Target::Enriched;
        s.key = enriched;
      } else if (!target.empty()) {
        s.target_text = target;
        s.target = resolveTargetPath(target, s.key);
        if (s.target == Target::Invalid) {
          spdlog::error(
              "Static target is not a string field of the event, it will be "
              "skipped target={} file={} node={}",
              target, *w.file, w.node);
        }
      } else {
        error(w, f, item, "needs a target (meta, parsed, enriched, target or method)");
        ok = false;
        continue;
      }
      if (!has_source) {
        error(w, f, item, "needs a value or an expression");
        ok = false;
        continue;
      }
    }
    out.push_back(std::move(s));
  }
  return ok;
}

bool Loader::loadGrok(const Where& w, const YAML::Node& y, Grok& g) {
  if (!checkMap(w, "grok", y, kGrokKeys)) {
    return false;
  }
  std::string name, pattern, apply_on, expression;
  bool ok = true;
  if (y["name"]) {
    ok = scalar(w, "grok.name", y["name"], name) && ok;
  }
  if (y["pattern"]) {
    ok = scalar(w, "grok.pattern", y["pattern"], pattern) && ok;
  }
  if (y["apply_on"]) {
    ok = scalar(w, "grok.apply_on", y["apply_on"], apply_on) && ok;
  }
  if (y["expression"]) {
    ok = scalar(w, "grok.expression", y["expression"], expression) && ok;
  }
  if (!ok) {
    return false;
  }

  if (!name.empty()) {
    // A named pattern is the library entry itself: compile the reference to it.
    g.pattern_text = name;
    if (!library_.contains(name)) {
      error(w, "grok.name", y["name"], "unknown grok pattern '" + name + "'");
      ok = false;
    } else {
      auto p = grok::Pattern::compile(library_, "%{" + name + "}");
      if (!p) {
        error(w, "grok.name", y["name"], p.error().message);
        ok = false;
      } else {
        g.pattern = std::move(p.value());
      }
    }
  } else if (!pattern.empty()) {
    g.pattern_text = pattern;
    auto p = grok::Pattern::compile(library_, pattern);
    if (!p) {
      error(w, "grok.pattern", y["pattern"], p.error().message);
      ok = false;
    } else {
      g.pattern = std::move(p.value());
    }
  } else {
    error(w, "grok", y, "needs 'pattern' or 'name'");
    ok = false;
  }

  if (!apply_on.empty()) {
    if (apply_on == "Line.Raw") {
      g.source = GrokSource::LineRaw;
    } else {
      g.source = GrokSource::ParsedKey;
      g.apply_on = apply_on;
    }
  } else if (!expression.empty()) {
    g.source = GrokSource::Expression;
    g.expression = compile(w, "grok.expression", y["expression"], expression);
    ok = g.expression.has_value() && ok;
  } else {
    error(w, "grok", y, "needs 'apply_on' or 'expression'");
    ok = false;
  }

  if (y["statics"]) {
    ok = loadStatics(w, "grok.statics", y["statics"], g.statics) && ok;
  }
  return ok;
}

bool Loader::loadStash(const Where& w, const YAML::Node& y, std::vector<StashEntry>& out) {
  if (!y.IsSequence()) {
    error(w, "stash", y, "must be a list");
    return false;
  }
  bool ok = true;
  int idx = 0;
  for (const auto& item : y) {
    const std::string f = "stash[" + std::to_string(idx++) + "]";
    if (!checkMap(w, f, item, kStashKeys)) {
      ok = false;
      continue;
    }
    StashEntry s;
    std::string key, value, ttl, size;
    bool item_ok = true;
    auto get = [&](const char* k, std::string& dst) {
      if (item[k]) {
        item_ok = scalar(w, f + "." + k, item[k], dst) && item_ok;
      }
    };
    get("name", s.name);
    get("key", key);
    get("value", value);
    get("ttl", ttl);
    get("size", size);
    get("strategy", s.strategy);
    if (!item_ok) {
      ok = false;
      continue;
    }
    auto require = [&](const std::string& v, const char* k) {
      if (v.empty()) {
        error(w, f + "." + k, item, std::string("'") + k + "' is required");
        item_ok = false;
      }
    };
    require(s.name, "name");
    require(key, "key");
    require(value, "value");
    require(ttl, "ttl");
    if (!item_ok) {
      ok = false;
      continue;
    }
    auto d = parseGoDuration(ttl);
    if (!d || *d <= 0) {
      error(w, f + ".ttl", item["ttl"], "invalid duration '" + ttl + "'");
      item_ok = false;
    } else {
      s.ttl = *d;
    }
    if (!size.empty()) {
      int n = 0;
      auto r = std::from_chars(size.data(), size.data() + size.size(), n);
      if (r.ec != std::errc() || r.ptr != size.data() + size.size() || n <= 0) {
        error(w, f + ".size", item["size"], "must be a positive integer");
        item_ok = false;
      } else {
        s.size = n;
      }
    }
    if (s.strategy.empty()) {
      s.strategy = "LRU";
    }
    if (s.strategy != "LRU" && s.strategy != "LFU" && s.strategy != "ARC") {
      error(w, f + ".strategy", item["strategy"],
            "must be LRU, LFU or ARC, not '" + s.strategy + "'");
      item_ok = false;
    }
    auto k = compile(w, f + ".key", item["key"], key);
    auto v = compile(w, f + ".value", item["value"], value);
    if (!k || !v || !item_ok) {
      ok = false;
      continue;
    }
    s.key = std::move(*k);
    s.value = std::move(*v);
    // Caches are global by name; the size of the last declaration loaded applies.
    options_.services->configureStash(s.name, static_cast<std::size_t>(s.size));
    out.push_back(std::move(s));
  }
  return ok;
}

bool Loader::loadWhitelist(const Where& w, const YAML::Node& y, Whitelist& wl) {
  if (!checkMap(w, "whitelist", y, kWhitelistKeys)) {
    return false;
  }
  bool ok = true;
  if (y["reason"]) {
    ok = scalar(w, "whitelist.reason", y["reason"], wl.reason) && ok;
  }
  std::vector<std::string> ips, cidrs, exprs;
  if (y["ip"]) {
    ok = stringList(w, "whitelist.ip", y["ip"], ips) && ok;
  }
  if (y["cidr"]) {
    ok = stringList(w, "whitelist.cidr", y["cidr"], cidrs) && ok;
  }
  if (y["expression"]) {
    ok = stringList(w, "whitelist.expression", y["expression"], exprs) && ok;
  }
  for (const auto& s : ips) {
    IpAddr ip;
    if (!parseIp(s, ip)) {
      error(w, "whitelist.ip", y["ip"], "invalid IP address '" + s + "'");
      ok = false;
      continue;
    }
    wl.ips.push_back(ip);
  }
  for (const auto& s : cidrs) {
    Cidr c;
    if (!parseCidr(s, c)) {
      error(w, "whitelist.cidr", y["cidr"], "invalid CIDR '" + s + "'");
      ok = false;
      continue;
    }
    wl.cidrs.push_back(c);
  }
  int idx = 0;
  for (const auto& s : exprs) {
    auto p = compile(w, "whitelist.expression[" + std::to_string(idx++) + "]", y["expression"], s);
    if (!p) {
      ok = false;
      continue;
    }
    wl.expressions.push_back(std::move(*p));
  }
  wl.present = !wl.ips.empty() || !wl.cidrs.empty() || !wl.expressions.empty();
  return ok;
}

bool Loader::loadData(const Where& w, const YAML::Node& y) {
  if (y.IsNull()) {
    return true;
  }
  if (!y.IsSequence()) {
    error(w, "data", y, "must be a list");
    return false;
  }
  bool ok = true;
  int idx = 0;
  for (const auto& item : y) {
    const std::string f = "data[" + std::to_string(idx++) + "]";
    if (!checkMap(w, f, item, kDataKeys)) {
      ok = false;
      continue;
    }
    std::string source_url, dest, type;
    if ((item["source_url"] && !scalar(w, f + ".source_url", item["source_url"], source_url)) ||
        (item["dest_file"] && !scalar(w, f + ".dest_file", item["dest_file"], dest)) ||
        (item["type"] && !scalar(w, f + ".type", item["type"], type))) {
      ok = false;
      continue;
    }
    auto loaded = options_.services->loadDataEntry(source_url, dest, type, options_.data_dir);
    if (!loaded) {
      error(w, f, item, loaded.error().message);
      ok = false;
    }
  }
  return ok;
}

bool Loader::loadPlugin(const Where& w, const YAML::Node& y, Node& n) {
  // `plugin: ID` or `plugin: {id: ID, config: {...}}`; ID is "author/name" or just "name".
  std::string name;
  YAML::Node at = y;
  YAML::Node config;
  if (y.IsScalar()) {
    name = y.Scalar();
  } else if (y.IsMap()) {
    if (!checkMap(w, "plugin", y, kPluginKeys)) {
      return false;
    }
    // reset(), not `=`: assigning a yaml-cpp node overwrites the node it refers to.
    if (y["id"]) {
      at.reset(y["id"]);
      if (!scalar(w, "plugin.id", at, name)) {
        return false;
      }
    }
    config.reset(y["config"]);
  } else {
    error(w, "plugin", y, "must be a plugin id, or a mapping with 'id' and 'config'");
    return false;
  }
  if (name.empty()) {
    error(w, "plugin", y, "needs a plugin id");
    return false;
  }
  std::string config_text;
  if (config && !config.IsNull()) {
    if (!config.IsMap()) {
      error(w, "plugin.config", config, "must be a mapping");
      return false;
    }
    auto text = plugins::configText(config);
    if (!text) {
      error(w, "plugin.config", config, text.error().message);
      return false;
    }
    config_text = std::move(*text);
  }

  if (!options_.plugins) {
    error(w, "plugin", at, "parser plugin '" + name + "': no plugin folder is configured here");
    return false;
  }
  if (!plugins_requested_) {
    plugins_requested_ = true;
    auto set = options_.plugins();
    if (!set) {
      error(w, "plugin", at, "parser plugin '" + name + "': " + set.error().message);
      return false;
    }
    out_.plugins = std::move(*set);
  }
  if (!out_.plugins) {
    error(w, "plugin", at,
          "parser plugin '" + name + "': the parser plugins could not be loaded (see above)");
    return false;
  }

  auto resolved = out_.plugins->resolve("parser", name);
  if (!resolved) {
    error(w, "plugin", at, resolved.error().message);
    return false;
  }
  const plugins::Plugin* found = *resolved;

  auto created = plugins::createInstance(*found, *found->parser(), config_text);
  if (!created.instance) {
    for (const std::string& r : created.problems) {
      error(w, "plugin", at, "'" + found->entry().id + "': " + r);
    }
    return false;
  }
  n.plugin = std::make_unique<PluginStep>(PluginStep{found, std::move(created.instance)});
  return true;
}

bool Loader::loadNode(const Where& parent_where, const YAML::Node& y, Node& n, bool top_level) {
  Where w = parent_where;
  if (!y.IsMap()) {
    error(w, "", y, "a node must be a mapping");
    return false;
  }
  if (y["name"] && y["name"].IsScalar()) {
    n.name = y["name"].Scalar();
    w.node = n.name;
  } else if (!top_level) {
    n.name = "child-" + parent_where.node;
    w.node = n.name;
  }

  bool ok = checkMap(w, "", y, kNodeKeys);
  std::string scratch;
  for (const char* k : {"name", "description", "author", "format", "filter", "onsuccess"}) {
    if (y[k] && !scalar(w, k, y[k], scratch)) {
      ok = false;
    }
  }
  if (y["debug"]) {
    bool d = false;
    if (boolean(w, "debug", y["debug"], d)) {
      n.debug = n.debug || d;
    } else {
      ok = false;
    }
  }
  if (y["profiling"]) {
    bool p = false;
    ok = boolean(w, "profiling", y["profiling"], p) && ok;
  }
  if (y["references"] && !y["references"].IsSequence() && !y["references"].IsNull()) {
    error(w, "references", y["references"], "must be a list");
    ok = false;
  }

  if (y["onsuccess"] && y["onsuccess"].IsScalar()) {
    const std::string& os = y["onsuccess"].Scalar();
    if (os == "next_stage") {
      n.next_stage = true;
    } else if (!os.empty() && os != "continue") {
      error(w, "onsuccess", y["onsuccess"], "must be 'next_stage' or 'continue', not '" + os + "'");
      ok = false;
    }
  }

  if (y["filter"] && y["filter"].IsScalar() && !y["filter"].Scalar().empty()) {
    n.filter = compile(w, "filter", y["filter"], y["filter"].Scalar());
    ok = n.filter.has_value() && ok;
  }

  if (y["data"]) {
    ok = loadData(w, y["data"]) && ok;
  }
  if (y["pattern_syntax"]) {
    ok = addPatternSyntax(w, y["pattern_syntax"]) && ok;
  }
  if (y["grok"] && !y["grok"].IsNull()) {
    ok = loadGrok(w, y["grok"], n.grok) && ok;
  }
  if (y["stash"] && !y["stash"].IsNull()) {
    ok = loadStash(w, y["stash"], n.stash) && ok;
  }
  if (y["whitelist"] && !y["whitelist"].IsNull()) {
    ok = loadWhitelist(w, y["whitelist"], n.whitelist) && ok;
  }
  if (y["statics"]) {
    ok = loadStatics(w, "statics", y["statics"], n.statics) && ok;
  }
  if (y["plugin"] && !y["plugin"].IsNull()) {
    ok = loadPlugin(w, y["plugin"], n) && ok;
  }

  const YAML::Node children = y["nodes"];
  if (children && !children.IsNull()) {
    if (!children.IsSequence()) {
      error(w, "nodes", children, "must be a list of nodes");
      ok = false;
    } else {
      for (const auto& c : children) {
        Node child;
        child.stage = n.stage;
        child.debug = n.debug;
        Where cw = w;
        ok = loadNode(cw, c, child, false) && ok;
        n.children.push_back(std::move(child));
      }
    }
  }

  // parsers.md section 2: a filter or a stash alone does nothing visible.
  const bool has_grok = y["grok"] && !y["grok"].IsNull();
  if (ok && !has_grok && n.children.empty() && n.statics.empty() && !n.whitelist.present &&
      !n.plugin) {
    error(w, "", y,
          "node is empty (it needs a grok, child nodes, statics, a whitelist or a plugin)");
    ok = false;
  }
  return ok;
}

void Loader::loadFile(const ParserFile& file) {
  std::vector<YAML::Node> docs;
  try {
    const auto text = readWholeFile(file.path);
    if (!text) {
      errors_.push_back(file.path + ": cannot open the file");
      return;
    }
    docs = YAML::LoadAll(*text);
  } catch (const YAML::Exception& e) {
    errors_.push_back(file.path + ": invalid YAML at line " + std::to_string(e.mark.line + 1) +
                      ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
    return;
  }

  int doc_index = 0;
  for (const auto& doc : docs) {
    ++doc_index;
    if (doc.IsNull()) {
      continue;
    }
    Where w{&file.path, doc_index, ""};
    if (!doc.IsMap()) {
      error(w, "", doc, "a document must be a mapping");
      continue;
    }
    if (!doc["name"] && !doc["description"] && !doc["author"]) {
      // Upstream skips these silently: it allows a trailing '---' with comments.
      spdlog::debug(
          "Parser document without name, description or author skipped file={} "
          "document={}",
          file.path, doc_index);
      continue;
    }

    Node n;
    n.stage = file.stage;
    try {
      if (doc["format"] && doc["format"].IsScalar()) {
        int major = 0;
        int minor = 0;
        const std::string& f = doc["format"].Scalar();
        if (!parseVersion(f, major, minor) || major < 1 || major > 3 || (major == 3 && minor > 0)) {
          spdlog::error(
              "Parser node skipped: unsupported format version={} (supported 1.0 to "
              "3.0) file={} node={}",
              f, file.path, doc["name"] ? doc["name"].as<std::string>("") : "");
          ++out_.skipped_format;
          continue;
        }
      }
      if (!loadNode(w, doc, n, true)) {
        continue;
      }
    } catch (const YAML::Exception& e) {
      error(w, "", YAML::Node(), std::string("invalid value: ") + e.what());
      continue;
    }
    out_.nodes.push_back(std::move(n));
  }
}

}  // namespace

std::vector<std::string> loadNodes(const std::vector<ParserFile>& files, const LoadOptions& options,
                                   grok::PatternLibrary& library, LoadedNodes& out) {
  Loader loader(options, library, out);
  std::vector<const ParserFile*> sorted;
  for (const auto& f : files) {
    sorted.push_back(&f);
  }
  // parsers.md section 2: files load in ascending order of their path in the installed layout,
  // <config>/parsers/<stage>/<file name>: by stage, then file name (whatever folder or author
  // the file comes from), then full path to keep the order total.
  auto key = [](const ParserFile* f) {
    const std::size_t slash = f->path.find_last_of('/');
    const std::string_view name = slash == std::string::npos
                                      ? std::string_view(f->path)
                                      : std::string_view(f->path).substr(slash + 1);
    return std::make_tuple(std::string_view(f->stage), name, std::string_view(f->path));
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const ParserFile* a, const ParserFile* b) { return key(a) < key(b); });
  for (const ParserFile* f : sorted) {
    loader.loadFile(*f);
  }
  return std::move(loader.errors());
}

}  // namespace cw::core::parsers::detail
