// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/common/time.h"
#include "cw/core/common/value.h"
#include "cw/core/event/event.h"
#include "cw/core/expr/expr.h"
#include "cw/core/plugins/loader.h"
#include "cw/core/scenarios/buckets.h"
#include "cw/sdk/abi.h"

// Internals shared by the loader, the pour loop, overflow rendering and the host bindings of
// `queue` and `leaky`. Not installed: include only from core/src/scenarios/.
namespace cw::core::scenarios::detail {

enum class BucketType { Leaky, Trigger, Counter, Conditional, Bayesian, Plugin };

const char* bucketTypeName(BucketType t);

struct BayesianCondition {
  expr::Program condition;
  float prob_given_evil = 0;
  float prob_given_benign = 0;
  bool guillotine = false;
};

/// One loaded scenario (a YAML document), immutable after load.
struct Scenario {
  std::string name;
  std::string description;
  std::string file;
  std::string hash;     ///< alert scenario_hash
  std::string version;  ///< alert scenario_version
  BucketType type = BucketType::Leaky;
  std::string filter_source;  ///< part of the bucket id
  expr::Program filter;
  std::optional<expr::Program> groupby;
  std::optional<expr::Program> distinct;
  std::optional<expr::Program> cancel_on;
  std::optional<expr::Program> overflow_filter;
  std::optional<expr::Program> condition;
  std::optional<expr::Program> scope_expression;
  std::string scope_type = "Ip";
  int capacity = 0;
  int cache_size = 0;
  Duration leakspeed = 0;
  Duration duration = 0;
  Duration blackhole = 0;
  Duration lifetime = 0;  ///< section 7 inactivity timeout; 0 = none
  long queue_bound = 0;   ///< N of section 5; -1 = unbounded
  bool reprocess = false;
  bool remediation = false;
  bool simulated = false;
  bool debug = false;
  std::vector<std::pair<std::string, std::string>> labels;
  float bayesian_prior = 0;
  float bayesian_threshold = 0;
  std::vector<BayesianCondition> bayesian_conditions;
  /// type plugin: the plugin (owned by the manager's PluginSet), its table and `config:` YAML.
  const plugins::Plugin* plugin = nullptr;
  const cw_scenario_vtable* plugin_vtable = nullptr;
  std::string plugin_config;
};

/// Parses every file into scenarios (load order), listing every problem in one Error. The
/// scenario plugins, when a `type: plugin` document needs them, are loaded into `plugins`.
Result<std::vector<Scenario>> loadScenarios(const std::vector<ScenarioFile>& files,
                                            const LoadOptions& options,
                                            std::shared_ptr<const plugins::PluginSet>& plugins);

/// Transparent hashing so buckets are found by a borrowed groupby key without a copy.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// One live bucket instance (a scenario partition).
struct Bucket {
  const Scenario* scenario = nullptr;
  std::string mapkey;  ///< hex sha1(filter NUL key NUL name)
  std::string key;     ///< groupby value
  std::string uuid;    ///< readable instance id (Overflow.bucket_id)
  event::ExpectMode mode = event::ExpectMode::Live;
  /// Events poured, oldest first. One copy of an event is shared by every bucket it was
  /// poured into (as Go's maps are shared by the copies upstream keeps), so a line feeding
  /// ten scenarios is copied once, not ten times.
  std::deque<std::shared_ptr<event::Event>> queue;
  /// Leak credit in nanoseconds: one token is worth `leakspeed` ns. Integer arithmetic keeps
  /// refills exact (27 s + 33 s of leak is exactly one 60 s token, never 0.999...).
  std::int64_t credit_ns = 0;
  TimePoint last_refill;
  std::uint64_t total_count = 0;
  TimePoint first_ts;
  TimePoint last_ts;
  TimePoint ovflw_ts;
  std::unordered_set<std::string, StringHash, std::equal_to<>> seen;  ///< distinct values
  std::vector<bool> guillotines;                                      ///< bayesian, per condition
  std::optional<TimePoint> deadline;  ///< wall-clock expiry (section 7)
  /// type plugin: this group's instance
  std::unique_ptr<plugins::Instance<cw_scenario_vtable>> plugin;
};

/// Host types giving expressions `queue` (Queue, L, GetQueue()) and `leaky` (bucket state).
Value queueValue(Bucket& b);
Value leakyValue(Bucket& b);

/// Builds sources, alerts and the OVFLW event of an overflowing bucket (sections 6 and 11).
/// Returns false (and sets `error`) when no alert can be built (bad source, mixed scopes,
/// no source at all).
bool buildOverflow(Bucket& b, event::Event& out, std::string& error);

/// Sources of one queued event (section 6), merged into `sources`. `scope` receives the scope
/// of the first source seen; a different scope is an error.
bool sourcesFromEvent(const Scenario& s, event::Event& evt,
                      std::map<std::string, event::Source>& sources, std::string& error);

}  // namespace cw::core::scenarios::detail
