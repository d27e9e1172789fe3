// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/common/time.h"
#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"
#include "cw/core/store/models.h"
#include "cw/core/store/store.h"

// Profiles: how the Local API turns an alert without decisions into decisions
// (shared/docs/contract/scenarios.md section 12, lapi.md section 5). A profiles.yaml holds one
// profile per YAML document; `<path>.local`, when present, is read too and its profiles come
// first. Expressions see `Alert` (the alert being posted) with CrowdSec's names: GetScope(),
// GetValue(), GetScenario(), GetEventsCount(), GetMeta(k), Remediation, Source.*, Events,
// Decisions...; GetDecisionsCount(v), GetDecisionsSinceCount(v, "24h"),
// GetActiveDecisionsCount(v), GetActiveDecisionsTimeLeft(v) read the store given at load.
namespace cw::core::decisions {

/// Default duration of a profile decision without `duration` (CrowdSec's).
inline constexpr Duration kDefaultDecisionDuration = 4 * kHour;

/// What a profile does when one of its filters fails at run time.
enum class OnError {
  Unset,     ///< the whole evaluation fails (the LAPI answers 500)
  Apply,     ///< the failing filter counts as matched
  Continue,  ///< `continue` or `ignore`: the profile counts as not matched
  Break,     ///< stop evaluating profiles; this one adds nothing
};

/// One entry of a profile's `decisions:` list.
struct DecisionTemplate {
  std::string type;                   ///< required (ban, captcha, ...)
  std::optional<std::string> scope;   ///< empty = the alert source's scope
  std::optional<Duration> duration;   ///< empty = kDefaultDecisionDuration
  std::optional<std::string> origin;  ///< origin becomes "crowdsec/<origin>"
  bool simulated = false;
};

/// One YAML document of profiles.yaml.
struct Profile {
  std::string name;
  bool debug = false;
  std::vector<std::string> filter_sources;  ///< as written, for messages
  std::vector<expr::Program> filters;       ///< OR-ed; each match adds one decision set
  std::vector<DecisionTemplate> decisions;
  std::optional<expr::Program> duration_expr;
  bool on_success_break = false;        ///< `on_success: break`
  std::string on_failure = "continue";  ///< continue|break|apply, accepted without effect
  OnError on_error = OnError::Unset;
  std::vector<std::string> notifications;  ///< plugin names (not sent by this module)
};

/// Result of evaluating one alert.
struct Evaluation {
  /// Decisions for the alert (the first matching profile's), with until = stop_at + duration
  /// (stop_at zero: `now` given to evaluate()). Not yet stored: no ids, no uuids.
  std::vector<store::Decision> decisions;
  std::vector<std::string> matched;        ///< names of the profiles that matched, in order
  std::vector<std::string> notifications;  ///< their notification plugins, in order
};

/// A loaded, compiled profiles file. Evaluation is const and thread-safe.
class Profiles {
 public:
  /// Reads `path` (and `path`.local when it exists). `services` must outlive this object;
  /// `store` (may be null: counters then return 0) too. Errors name the file, the profile
  /// (index and name) and what is wrong: unknown key, missing name, filter or duration_expr
  /// that does not compile, decision without type, bad duration, bad on_success / on_failure /
  /// on_error value.
  static Result<Profiles> load(const std::string& path, const expr::Services& services,
                               store::Store* store = nullptr);
  /// Same from YAML text; `origin` names it in messages.
  static Result<Profiles> parse(const std::string& yaml_text, const std::string& origin,
                                const expr::Services& services, store::Store* store = nullptr);

  /// Runs the profiles on `alert` (scenarios.md section 12): profiles in order, a profile
  /// matches when one of its filters is true (each true filter adds one copy of its decision
  /// set); only the first matching profile's decisions are kept, later matches only notify;
  /// on_success: break stops. Each decision: type from the template; scope = template scope or
  /// the source scope (normalised); value = source value; duration = duration_expr's result
  /// when it parses as a Go duration (`d` allowed), else the template's; origin "crowdsec"
  /// (or "crowdsec/<origin>"); scenario = alert scenario; simulated when the template or the
  /// alert is. A filter that fails or does not return a bool is an error ("while running
  /// expression '<src>' of profile <name>: <why>") unless the profile's on_error says otherwise.
  Result<Evaluation> evaluate(const store::Alert& alert, TimePoint now) const;

  const std::vector<Profile>& profiles() const { return profiles_; }

 private:
  std::vector<Profile> profiles_;
};

/// Parses a decision duration as the LAPI accepts it (Go duration, `d` for days) and returns
/// stop_at + duration: the `until` of a decision posted with an alert. Error text:
/// "invalid duration '<text>'".
Result<TimePoint> decisionUntil(TimePoint stop_at, const std::string& duration);

}  // namespace cw::core::decisions
