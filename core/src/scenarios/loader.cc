// SPDX-License-Identifier: Apache-2.0
// Scenario files -> Scenario specs (scenarios.md sections 1-3). Decoding is strict like the
// upstream YAML decoder: an unknown or repeated key, or a value of the wrong YAML type, is an
// error naming the file and line. Every problem is collected before failing.
#include "cw/core/plugins/loader.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "cw/core/common/file.h"
#include "cw/core/expr/services.h"
#include "cw/core/plugins/config_text.h"
#include "internal.h"

namespace cw::core::scenarios::detail {
namespace {

constexpr std::string_view kScenarioKeys[] = {"format",
                                              "author",
                                              "description",
                                              "references",
                                              "type",
                                              "name",
                                              "capacity",
                                              "leakspeed",
                                              "duration",
                                              "filter",
                                              "groupby",
                                              "distinct",
                                              "debug",
                                              "labels",
                                              "blackhole",
                                              "reprocess",
                                              "cache_size",
                                              "profiling",
                                              "overflow_filter",
                                              "condition",
                                              "bayesian_prior",
                                              "bayesian_threshold",
                                              "bayesian_conditions",
                                              "scope",
                                              "data",
                                              "cancel_on",
                                              "version",
                                              "simulated",
                                              "plugin",
                                              "config"};

/// Events a `type: plugin` group keeps for its alert without cache_size (the alert's events
/// and sources come from them; events_count counts every event poured).
constexpr int kPluginDefaultQueue = 20;

constexpr std::string_view kScopeKeys[] = {"type", "expression"};
constexpr std::string_view kBayesKeys[] = {"condition", "prob_given_evil", "prob_given_benign",
                                           "guillotine"};
constexpr std::string_view kDataKeys[] = {"source_url", "dest_file", "type",
                                          "strategy",   "size",      "ttl"};

int lineOf(const YAML::Node& n) { return n.Mark().line + 1; }

/// Collects errors with their location.
class Problems {
 public:
  void add(const std::string& file, int line, const std::string& what) {
    list_.push_back(file + ":" + std::to_string(line) + ": " + what);
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  std::string joined() const {
    std::string out;
    for (const auto& p : list_) {
      if (!out.empty()) {
        out += '\n';
      }
      out += p;
    }
    return out;
  }

 private:
  std::vector<std::string> list_;
};

bool isPlain(const YAML::Node& n) { return n.Tag() == "?"; }

/// A plain scalar the YAML 1.1 resolver (the upstream decoder's) reads as a boolean.
std::optional<bool> yamlBool(const YAML::Node& n) {
  if (!n.IsScalar()) {
    return std::nullopt;
  }
  if (!isPlain(n) && n.Tag() != "tag:yaml.org,2002:bool" && n.Tag() != "!!bool") {
    return std::nullopt;
  }
  static const std::set<std::string> kTrue = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                              "True", "TRUE", "on",  "On",  "ON"};
  static const std::set<std::string> kFalse = {"n",     "N",     "no",  "No",  "NO", "false",
                                               "False", "FALSE", "off", "Off", "OFF"};
  if (kTrue.count(n.Scalar()) != 0) {
    return true;
  }
  if (kFalse.count(n.Scalar()) != 0) {
    return false;
  }
  return std::nullopt;
}

std::optional<long long> yamlInt(const YAML::Node& n) {
  if (!n.IsScalar() || !isPlain(n)) {
    return std::nullopt;
  }
  std::string s;
  for (char c : n.Scalar()) {
    if (c != '_') {
      s.push_back(c);
    }
  }
  if (s.empty()) {
    return std::nullopt;
  }
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) {
    return std::nullopt;
  }
  int base = 10;
  if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    base = 16;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, base);
  if (errno != 0 || end != s.c_str() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> yamlFloat(const YAML::Node& n) {
  if (!n.IsScalar() || !isPlain(n)) {
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  if (s.empty()) {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

const char* yamlKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "a scalar";
  }
}

/// Compares dotted versions ("1.0", "2", "v3.1.4") segment by segment.
std::optional<std::vector<long>> parseVersion(std::string_view v) {
  if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) {
    v.remove_prefix(1);
  }
  std::vector<long> out;
  std::size_t i = 0;
  while (i <= v.size()) {
    std::size_t j = v.find('.', i);
    std::string_view part = v.substr(i, j == std::string_view::npos ? v.size() - i : j - i);
    if (part.empty() || part.size() > 9 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    out.push_back(std::stol(std::string(part)));
    if (j == std::string_view::npos) {
      break;
    }
    i = j + 1;
  }
  while (out.size() < 3) {
    out.push_back(0);
  }
  return out;
}

/// The scenario plugins, loaded on first need (only a `type: plugin` document asks).
class PluginAccess {
 public:
  PluginAccess(const LoadOptions& options, std::shared_ptr<const plugins::PluginSet>& set)
      : options_(options), set_(set) {}
  /// The set, or nullptr with `why` set (the full loader error the first time only).
  const plugins::PluginSet* get(std::string& why) {
    if (!tried_) {
      tried_ = true;
      if (!options_.load_plugins) {
        error_ = "no scenario plugins are available here";
      } else if (auto r = options_.load_plugins(); !r) {
        error_ = r.error().message;
      } else {
        set_ = std::move(*r);
      }
      if (!error_.empty()) {
        why = error_;
        return nullptr;
      }
    }
    if (!set_) {
      why = "the scenario plugins could not be loaded (see above)";
    }
    return set_.get();
  }

 private:
  const LoadOptions& options_;
  std::shared_ptr<const plugins::PluginSet>& set_;
  bool tried_ = false;
  std::string error_;
};

/// Strict decoding of one document into a Scenario.
class DocumentLoader {
 public:
  DocumentLoader(const ScenarioFile& file, const LoadOptions& options, Problems& problems,
                 PluginAccess& plugins)
      : file_(file), options_(options), problems_(problems), plugins_(plugins) {}

  /// Returns nullopt on error (problems recorded) or when the document is skipped.
  std::optional<Scenario> load(const YAML::Node& doc) {
    doc_line_ = lineOf(doc);
    erred_keys_.clear();
    if (!doc.IsMap()) {
      problems_.add(file_.path, doc_line_,
                    std::string("scenario document must be a mapping, got ") + yamlKind(doc));
      return std::nullopt;
    }
    std::size_t before = problems_.size();
    Scenario s;
    s.file = file_.path;
    s.hash = file_.hash;
    s.version = file_.version;

    // Named from the start, so that a misspelt key says which scenario it is in.
    const YAML::Node name = doc["name"];
    label_ = name && name.IsScalar() && !name.Scalar().empty() ? "scenario '" + name.Scalar() + "'"
                                                               : std::string("scenario");
    std::set<std::string> seen;
    for (const auto& kv : doc) {
      std::string key = kv.first.Scalar();
      if (!checkKey(kv.first, key, kScenarioKeys, seen, label_.c_str())) {
        continue;
      }
      fields_.emplace_back(key, kv.second);
    }

    s.name = str("name");
    label_ = s.name.empty() ? std::string("scenario") : "scenario '" + s.name + "'";
    if (s.name.empty()) {
      problems_.add(file_.path, doc_line_, "scenario has no name");
      return std::nullopt;
    }

    // Format gate: outside [1.0, 3.0] the scenario is skipped, as upstream does.
    std::string format = str("format");
    if (format.empty()) {
      format = "1.0";
    }
    auto ver = parseVersion(format);
    if (!ver) {
      error("format", "invalid format version '" + format + "'");
      return std::nullopt;
    }
    if (*ver < std::vector<long>{1, 0, 0} || *ver > std::vector<long>{3, 0, 0}) {
      spdlog::warn("Skipping scenario name={} file={} format={} (supported >= 1.0, <= 3.0)", s.name,
                   file_.path, format);
      skipped_ = true;
      return std::nullopt;
    }

    s.description = str("description");
    if (s.description.empty()) {
      error("description", "description is mandatory");
    }
    std::string type = str("type");
    std::optional<long long> capacity = integer("capacity");
    s.capacity = static_cast<int>(capacity.value_or(0));
    s.cache_size = static_cast<int>(integer("cache_size").value_or(0));
    s.leakspeed = duration("leakspeed");
    s.duration = duration("duration");
    s.blackhole = duration("blackhole");
    s.reprocess = boolean("reprocess");
    s.debug = boolean("debug");
    boolean("profiling");
    boolean("simulated");
    str("author");
    str("version");
    stringList("references");
    s.bayesian_prior = static_cast<float>(real("bayesian_prior"));
    s.bayesian_threshold = static_cast<float>(real("bayesian_threshold"));

    const expr::Services& services = *options_.services;
    auto event_env = expr::Environment::forEvent(services);
    auto bucket_env = expr::Environment::forBucket(services);

    s.filter_source = str("filter");
    if (s.filter_source.empty()) {
      error("filter", "bucket without filter directive");
    } else if (auto p = compile("filter", s.filter_source, event_env)) {
      s.filter = std::move(*p);
    }
    s.groupby = optionalProgram("groupby", event_env);
    s.distinct = optionalProgram("distinct", event_env);
    s.cancel_on = optionalProgram("cancel_on", event_env);
    s.condition = optionalProgram("condition", bucket_env);
    s.overflow_filter =
        optionalProgram("overflow_filter", expr::Environment::forOverflowFilter(services));

    loadScope(s, event_env);
    loadLabels(s);
    loadBayesian(s, bucket_env);
    loadData();
    validateType(s, type, capacity.has_value(), has("leakspeed"), has("duration"));

    // Simulated iff (global on and not excluded) or (global off and excluded).
    const Simulation& sim = options_.simulation;
    bool excluded =
        std::find(sim.exclusions.begin(), sim.exclusions.end(), s.name) != sim.exclusions.end();
    s.simulated = sim.enabled != excluded;

    finish(s);
    if (problems_.size() != before) {
      return std::nullopt;
    }
    return s;
  }

  bool skipped() const { return skipped_; }

 private:
  template <std::size_t N>
  bool checkKey(const YAML::Node& key_node, const std::string& key,
                const std::string_view (&allowed)[N], std::set<std::string>& seen,
                const char* what) {
    if (!key_node.IsScalar()) {
      problems_.add(file_.path, lineOf(key_node), std::string(what) + ": non-scalar key");
      return false;
    }
    if (std::find(std::begin(allowed), std::end(allowed), key) == std::end(allowed)) {
      problems_.add(file_.path, lineOf(key_node),
                    std::string(what) + ": unknown field '" + key + "'");
      return false;
    }
    if (!seen.insert(key).second) {
      problems_.add(file_.path, lineOf(key_node),
                    std::string(what) + ": field '" + key + "' already set");
      return false;
    }
    return true;
  }

  const YAML::Node* field(std::string_view key) const {
    for (const auto& [k, v] : fields_) {
      if (k == key) {
        return &v;
      }
    }
    return nullptr;
  }
  bool has(std::string_view key) const {
    const YAML::Node* n = field(key);
    return n != nullptr && !n->IsNull();
  }

  // One message per key: the first says what is wrong; a later check of the same key would
  // only report the consequence (capacity 'abc', then "bad capacity for leaky '0'").
  void error(std::string_view key, const std::string& what) {
    if (!erred_keys_.insert(std::string(key)).second) {
      return;
    }
    const YAML::Node* n = field(key);
    problems_.add(file_.path, n != nullptr ? lineOf(*n) : doc_line_,
                  label_ + ": " + std::string(key) + ": " + what);
  }

  /// Scalars of any plain type decode into strings (upstream behaviour); collections do not.
  std::string str(std::string_view key) {
    const YAML::Node* n = field(key);
    if (n == nullptr || n->IsNull()) {
      return {};
    }
    if (!n->IsScalar()) {
      error(key, std::string("expected a string, got ") + yamlKind(*n));
      return {};
    }
    return n->Scalar();
  }

  std::optional<long long> integer(std::string_view key) {
    const YAML::Node* n = field(key);
    if (n == nullptr || n->IsNull()) {
      return std::nullopt;
    }
    auto v = yamlInt(*n);
    if (!v || *v < INT32_MIN || *v > INT32_MAX) {
      error(key, "expected an integer, got '" + (n->IsScalar() ? n->Scalar() : yamlKind(*n)) + "'");
      return std::nullopt;
    }
    return v;
  }

  double real(std::string_view key) {
    const YAML::Node* n = field(key);
    if (n == nullptr || n->IsNull()) {
      return 0;
    }
    auto v = yamlFloat(*n);
    if (!v) {
      error(key, "expected a number, got '" + (n->IsScalar() ? n->Scalar() : yamlKind(*n)) + "'");
      return 0;
    }
    return *v;
  }

  bool boolean(std::string_view key) {
    const YAML::Node* n = field(key);
    if (n == nullptr || n->IsNull()) {
      return false;
    }
    auto v = yamlBool(*n);
    if (!v) {
      error(key, "expected a boolean, got '" + (n->IsScalar() ? n->Scalar() : yamlKind(*n)) + "'");
      return false;
    }
    return *v;
  }

  Duration duration(std::string_view key) {
    std::string text = str(key);
    if (text.empty()) {
      return 0;
    }
    auto d = parseGoDuration(text);
    if (!d) {
      error(key, "invalid duration '" + text + "'");
      return 0;
    }
    return *d;
  }

  void stringList(std::string_view key) {
    const YAML::Node* n = field(key);
    if (n == nullptr || n->IsNull()) {
      return;
    }
    if (!n->IsSequence()) {
      error(key, std::string("expected a list of strings, got ") + yamlKind(*n));
      return;
    }
    for (const auto& item : *n) {
      if (!item.IsScalar()) {
        error(key, std::string("expected a string item, got ") + yamlKind(item));
      }
    }
  }

  std::optional<expr::Program> compile(std::string_view key, const std::string& source,
                                       const expr::Environment& env) {
    auto p = expr::Program::compile(source, env);
    if (!p.ok()) {
      error(key, "invalid expression '" + source + "': " + p.error().message);
      return std::nullopt;
    }
    return std::move(p.value());
  }

  std::optional<expr::Program> optionalProgram(std::string_view key, const expr::Environment& env) {
    std::string source = str(key);
    if (source.empty()) {
      return std::nullopt;
    }
    return compile(key, source, env);
  }

  void loadScope(Scenario& s, const expr::Environment& env) {
    const YAML::Node* n = field("scope");
    if (n == nullptr || n->IsNull()) {
      return;
    }
    if (!n->IsMap()) {
      error("scope", std::string("expected a mapping, got ") + yamlKind(*n));
      return;
    }
    std::set<std::string> seen;
    std::string expression;
    int expr_line = lineOf(*n);
    for (const auto& kv : *n) {
      std::string key = kv.first.Scalar();
      if (!checkKey(kv.first, key, kScopeKeys, seen, (label_ + ": scope").c_str())) {
        continue;
      }
      if (!kv.second.IsNull() && !kv.second.IsScalar()) {
        problems_.add(file_.path, lineOf(kv.second),
                      label_ + ": scope." + key + ": expected a string");
        continue;
      }
      std::string value = kv.second.IsNull() ? std::string() : kv.second.Scalar();
      if (key == "type") {
        if (!value.empty()) {
          s.scope_type = value;
        }
      } else {
        expression = value;
        expr_line = lineOf(kv.second);
      }
    }
    if (expression.empty()) {
      if (s.scope_type != "Ip" && s.scope_type != "Range") {
        error("scope", "scope '" + s.scope_type + "' needs an expression");
      }
      return;
    }
    if (s.scope_type == "Ip") {
      error("scope", "expression is not allowed with scope Ip");
      return;
    }
    auto p = expr::Program::compile(expression, env);
    if (!p.ok()) {
      problems_.add(file_.path, expr_line,
                    label_ + ": scope.expression: invalid expression '" + expression +
                        "': " + p.error().message);
      return;
    }
    s.scope_expression = std::move(p.value());
  }

  static void toJson(const YAML::Node& n, std::string& out) {
    auto quote = [&out](const std::string& v) {
      out += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') {
          out += '\\';
        }
        out += c;
      }
      out += '"';
    };
    if (n.IsSequence()) {
      out += '[';
      bool first = true;
      for (const auto& item : n) {
        if (!first) {
          out += ',';
        }
        first = false;
        toJson(item, out);
      }
      out += ']';
    } else if (n.IsMap()) {
      out += '{';
      bool first = true;
      for (const auto& kv : n) {
        if (!first) {
          out += ',';
        }
        first = false;
        quote(kv.first.IsScalar() ? kv.first.Scalar() : std::string());
        out += ':';
        toJson(kv.second, out);
      }
      out += '}';
    } else if (n.IsScalar()) {
      if (isPlain(n) && (yamlBool(n) || yamlFloat(n))) {
        out += n.Scalar();
      } else {
        quote(n.Scalar());
      }
    } else {
      out += "null";
    }
  }

  void loadLabels(Scenario& s) {
    const YAML::Node* n = field("labels");
    if (n == nullptr || n->IsNull()) {
      return;
    }
    if (!n->IsMap()) {
      error("labels", std::string("expected a mapping, got ") + yamlKind(*n));
      return;
    }
    for (const auto& kv : *n) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      std::string value;
      if (kv.second.IsScalar()) {
        value = kv.second.Scalar();
      } else if (!kv.second.IsNull()) {
        toJson(kv.second, value);
      }
      // Only a YAML boolean true counts: the quoted string "true" does not (section 3).
      if (key == "remediation") {
        s.remediation = yamlBool(kv.second).value_or(false);
      }
      s.labels.emplace_back(std::move(key), std::move(value));
    }
  }

  void loadBayesian(Scenario& s, const expr::Environment& env) {
    const YAML::Node* n = field("bayesian_conditions");
    if (n == nullptr || n->IsNull()) {
      return;
    }
    if (!n->IsSequence()) {
      error("bayesian_conditions", std::string("expected a list, got ") + yamlKind(*n));
      return;
    }
    for (const auto& item : *n) {
      if (!item.IsMap()) {
        problems_.add(file_.path, lineOf(item),
                      label_ + ": bayesian_conditions: expected a mapping");
        continue;
      }
      std::set<std::string> seen;
      BayesianCondition c;
      std::string source;
      bool ok = true;
      for (const auto& kv : item) {
        std::string key = kv.first.Scalar();
        if (!checkKey(kv.first, key, kBayesKeys, seen,
                      (label_ + ": bayesian_conditions").c_str())) {
          ok = false;
          continue;
        }
        const YAML::Node& v = kv.second;
        std::string where = label_ + ": bayesian_conditions." + key;
        if (key == "condition") {
          if (!v.IsScalar()) {
            problems_.add(file_.path, lineOf(v), where + ": expected a string");
            ok = false;
          } else {
            source = v.Scalar();
          }
        } else if (key == "guillotine") {
          auto b = v.IsNull() ? std::optional<bool>(false) : yamlBool(v);
          if (!b) {
            problems_.add(file_.path, lineOf(v), where + ": expected a boolean");
            ok = false;
          } else {
            c.guillotine = *b;
          }
        } else {
          auto f = v.IsNull() ? std::optional<double>(0) : yamlFloat(v);
          if (!f) {
            problems_.add(file_.path, lineOf(v), where + ": expected a number");
            ok = false;
          } else if (key == "prob_given_evil") {
            c.prob_given_evil = static_cast<float>(*f);
          } else {
            c.prob_given_benign = static_cast<float>(*f);
          }
        }
      }
      if (!ok) {
        continue;
      }
      if (source.empty()) {
        problems_.add(file_.path, lineOf(item),
                      label_ + ": bayesian_conditions: condition is required");
        continue;
      }
      auto p = expr::Program::compile(source, env);
      if (!p.ok()) {
        problems_.add(file_.path, lineOf(item),
                      label_ + ": bayesian_conditions: invalid expression '" + source +
                          "': " + p.error().message);
        continue;
      }
      c.condition = std::move(p.value());
      s.bayesian_conditions.push_back(std::move(c));
    }
  }

  /// Data files are loaded into the shared Services; a missing or broken file fails the load
  /// with the item named (the same rule as parsers).
  void loadData() {
    const YAML::Node* n = field("data");
    if (n == nullptr || n->IsNull()) {
      return;
    }
    if (!n->IsSequence()) {
      error("data", std::string("expected a list, got ") + yamlKind(*n));
      return;
    }
    for (const auto& item : *n) {
      if (!item.IsMap()) {
        problems_.add(file_.path, lineOf(item), label_ + ": data: expected a mapping");
        continue;
      }
      std::set<std::string> seen;
      std::string source_url;
      std::string dest;
      std::string type;
      for (const auto& kv : item) {
        std::string key = kv.first.Scalar();
        if (!checkKey(kv.first, key, kDataKeys, seen, (label_ + ": data").c_str())) {
          continue;
        }
        if (!kv.second.IsScalar()) {
          continue;
        }
        if (key == "source_url") {
          source_url = kv.second.Scalar();
        } else if (key == "dest_file") {
          dest = kv.second.Scalar();
        } else if (key == "type") {
          type = kv.second.Scalar();
        }
      }
      auto r = options_.services->loadDataEntry(source_url, dest, type, options_.data_dir);
      if (!r.ok()) {
        problems_.add(file_.path, lineOf(item), label_ + ": data: " + r.error().message);
      }
    }
  }

  void validateType(Scenario& s, const std::string& type, bool has_capacity, bool has_leakspeed,
                    bool has_duration) {
    if (type == "leaky") {
      s.type = BucketType::Leaky;
      if (s.capacity <= 0) {
        error("capacity", "bad capacity for leaky '" + std::to_string(s.capacity) + "'");
      }
      if (!has_leakspeed) {
        error("leakspeed", "leakspeed can't be empty for leaky");
      } else if (s.leakspeed <= 0) {
        error("leakspeed", "bad leakspeed for leaky");
      }
    } else if (type == "trigger") {
      s.type = BucketType::Trigger;
      if (s.capacity != 0) {
        error("capacity", "trigger bucket must have 0 capacity");
      }
    } else if (type == "counter") {
      s.type = BucketType::Counter;
      if (!has_duration) {
        error("duration", "duration can't be empty for counter");
      } else if (s.duration <= 0) {
        error("duration", "bad duration for counter");
      }
      if (s.capacity != -1) {
        error("capacity", "counter bucket must have -1 capacity");
      }
    } else if (type == "conditional") {
      s.type = BucketType::Conditional;
      if (!s.condition) {
        if (!has("condition")) {
          error("condition", "conditional bucket must have a condition");
        }
      }
      if (s.capacity != -1) {
        spdlog::warn("Conditional scenario name={} has capacity {} (expected -1)", s.name,
                     s.capacity);
      }
      if (!has_leakspeed) {
        error("leakspeed", "leakspeed can't be empty for conditional bucket");
      } else if (s.leakspeed <= 0) {
        error("leakspeed", "bad leakspeed for conditional bucket");
      }
    } else if (type == "bayesian") {
      s.type = BucketType::Bayesian;
      if (!has("bayesian_conditions")) {
        error("bayesian_conditions", "bayesian bucket must have bayesian conditions");
      }
      if (!(s.bayesian_prior > 0 && s.bayesian_prior <= 1)) {
        error("bayesian_prior", "bayesian bucket must have a prior in (0, 1]");
      }
      if (!(s.bayesian_threshold > 0 && s.bayesian_threshold <= 1)) {
        error("bayesian_threshold", "bayesian bucket must have a threshold in (0, 1]");
      }
      if (s.capacity != -1) {
        error("capacity", "bayesian bucket must have capacity -1");
      }
    } else if (type == "plugin") {
      s.type = BucketType::Plugin;
      if (has_capacity && s.capacity != 0) {
        error("capacity", "not used by type plugin (the plugin decides when to overflow)");
      }
      if (has_leakspeed) {
        error("leakspeed", "not used by type plugin (duration is a group's idle timeout)");
      }
      if (!has_duration) {
        error("duration", "duration can't be empty for type plugin (a group's idle timeout)");
      } else if (s.duration <= 0) {
        error("duration", "bad duration for type plugin");
      }
      for (std::string_view key :
           {"condition", "bayesian_conditions", "bayesian_prior", "bayesian_threshold"}) {
        if (has(key)) {
          error(key, "not used by type plugin");
        }
      }
      loadPlugin(s);
    } else {
      error("type", "unknown bucket type '" + type + "'");
    }
    if (type != "plugin") {
      for (std::string_view key : {"plugin", "config"}) {
        if (has(key)) {
          error(key, "only for type plugin");
        }
      }
    }
    (void)has_capacity;
  }

  /// `plugin:` and `config:` of a `type: plugin` document: the plugin must be an enabled
  /// scenario plugin, and must accept the configuration (one instance is created and destroyed
  /// now, so that a bad configuration is a load error, not a runtime one).
  void loadPlugin(Scenario& s) {
    const std::string id = str("plugin");
    if (id.empty()) {
      error("plugin", "type plugin needs 'plugin: <author/name>', the id of a scenario plugin");
      return;
    }
    const YAML::Node* c = field("config");
    if (c != nullptr && !c->IsNull()) {
      if (!c->IsMap()) {
        error("config", std::string("expected a mapping, got ") + yamlKind(*c));
        return;
      }
      auto text = plugins::configText(*c);
      if (!text) {
        error("config", text.error().message);
        return;
      }
      s.plugin_config = std::move(*text);
    }
    std::string why;
    const plugins::PluginSet* set = plugins_.get(why);
    if (set == nullptr) {
      error("plugin", "cannot use plugin '" + id + "': " + why);
      return;
    }
    auto resolved = set->resolve("scenario", id);
    if (!resolved) {
      error("plugin", resolved.error().message);
      return;
    }
    const plugins::Plugin* plugin = *resolved;
    // One instance now, destroyed at once: a bad configuration is a load error, not a runtime
    // one.
    auto created = plugins::createInstance(*plugin, *plugin->scenario(), s.plugin_config);
    if (!created.instance) {
      const YAML::Node* where = c != nullptr ? c : field("plugin");
      for (const std::string& r : created.problems) {
        problems_.add(file_.path, lineOf(*where), label_ + ": plugin '" + id + "': " + r);
      }
      return;
    }
    s.plugin = plugin;
    s.plugin_vtable = plugin->scenario();
  }

  /// Derived values: lifetime (section 7) and queue bound (section 5).
  static void finish(Scenario& s) {
    switch (s.type) {
      case BucketType::Leaky:
        s.lifetime = static_cast<Duration>(s.capacity + 1) * s.leakspeed;
        break;
      case BucketType::Conditional:
      case BucketType::Bayesian:
        s.lifetime = s.leakspeed;
        break;
      case BucketType::Counter:
        s.lifetime = s.duration;
        break;
      case BucketType::Trigger:
        s.lifetime = 0;
        break;
      case BucketType::Plugin:
        s.lifetime = s.duration;
        s.queue_bound = (s.cache_size > 0 ? s.cache_size : kPluginDefaultQueue) - 1;
        return;
    }
    bool bounded_by_cache =
        (s.cache_size > 0 && s.cache_size <= s.capacity) || (s.capacity == -1 && s.cache_size > 0);
    if (bounded_by_cache) {
      s.queue_bound = s.cache_size;
    } else {
      s.queue_bound = s.capacity;
    }
  }

  const ScenarioFile& file_;
  const LoadOptions& options_;
  Problems& problems_;
  PluginAccess& plugins_;
  std::vector<std::pair<std::string, YAML::Node>> fields_;
  std::string label_ = "scenario";
  int doc_line_ = 1;
  std::set<std::string> erred_keys_;  ///< keys of this document already reported
  bool skipped_ = false;
};

}  // namespace

const char* bucketTypeName(BucketType t) {
  switch (t) {
    case BucketType::Leaky:
      return "leaky";
    case BucketType::Trigger:
      return "trigger";
    case BucketType::Counter:
      return "counter";
    case BucketType::Conditional:
      return "conditional";
    case BucketType::Bayesian:
      return "bayesian";
    case BucketType::Plugin:
      return "plugin";
  }
  return "leaky";
}

Result<std::vector<Scenario>> loadScenarios(const std::vector<ScenarioFile>& files,
                                            const LoadOptions& options,
                                            std::shared_ptr<const plugins::PluginSet>& plugins) {
  PluginAccess access(options, plugins);
  if (options.services == nullptr) {
    return makeError(ErrorCode::Config, "scenarios: LoadOptions.services is required");
  }
  Problems problems;
  std::vector<Scenario> out;
  for (const ScenarioFile& file : files) {
    const auto text = readWholeFile(file.path);
    if (!text) {
      problems.add(file.path, 0, "cannot open scenario file");
      continue;
    }
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(*text);
    } catch (const YAML::Exception& e) {
      problems.add(file.path, e.mark.line + 1, std::string("bad yaml: ") + e.msg);
      continue;
    }
    for (const YAML::Node& doc : docs) {
      // An empty document (a trailing "---") holds no scenario.
      if (doc.IsNull()) {
        continue;
      }
      DocumentLoader loader(file, options, problems, access);
      try {
        if (auto s = loader.load(doc)) {
          out.push_back(std::move(*s));
        }
      } catch (const YAML::Exception& e) {
        problems.add(file.path, e.mark.line + 1, std::string("bad yaml: ") + e.msg);
      }
    }
  }
  if (!problems.empty()) {
    return makeError(ErrorCode::Config, problems.joined());
  }
  return out;
}

}  // namespace cw::core::scenarios::detail
