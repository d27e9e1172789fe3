// SPDX-License-Identifier: Apache-2.0
// profiles.yaml: loading (strict keys, expressions compiled once) and evaluation of an alert
// into decisions. Expressions see the alert through the expr bindings of event::Alert, so
// profile filters use exactly the names scenario filters use.
#include "cw/core/common/file.h"
#include "cw/core/decisions/profiles.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cw/core/event/event.h"
#include "cw/core/expr/bindings.h"

namespace cw::core::decisions {

namespace {

std::string where(const std::string& origin, std::size_t index, const std::string& name) {
  std::string s = origin + ": profile " + std::to_string(index + 1);
  if (!name.empty()) {
    s += " (" + name + ")";
  }
  return s;
}

Result<bool> readBool(const YAML::Node& n, const std::string& what, bool& out) {
  try {
    out = n.as<bool>();
    return true;
  } catch (const YAML::Exception&) {
    return makeError(ErrorCode::Config, what + " must be true or false");
  }
}

Result<std::string> readScalar(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) {
    return makeError(ErrorCode::Config, what + " must be a string");
  }
  return n.Scalar();
}

/// The expression environment: `Alert`, plus decision counters backed by the store.
expr::Environment profileEnvironment(const expr::Services& services, store::Store* store) {
  auto env = expr::Environment::forProfile(services);
  if (store == nullptr) {
    return env;  // the expr helpers' defaults (0) stay
  }
  const expr::Services* svc = &services;
  auto wantStrings = [](std::span<const Value> args, std::size_t n, const char* name) {
    if (args.size() != n) {
      return std::string(name) + "() expects " + std::to_string(n) + " argument(s)";
    }
    for (const auto& a : args) {
      if (!a.isString()) {
        return std::string(name) + "() expects string arguments";
      }
    }
    return std::string();
  };
  env.addFunction("GetDecisionsCount",
                  [store, wantStrings](std::span<const Value> args) -> Result<Value> {
                    if (auto e = wantStrings(args, 1, "GetDecisionsCount"); !e.empty()) {
                      return makeError(ErrorCode::Runtime, e);
                    }
                    auto n = store->countDecisions(std::string(args[0].asString()), TimePoint{});
                    if (!n) {
                      return n.error();
                    }
                    return Value::integer(*n);
                  });
  env.addFunction("GetDecisionsSinceCount",
                  [store, svc, wantStrings](std::span<const Value> args) -> Result<Value> {
                    if (auto e = wantStrings(args, 2, "GetDecisionsSinceCount"); !e.empty()) {
                      return makeError(ErrorCode::Runtime, e);
                    }
                    auto d = parseGoDuration(args[1].asString(), /*allow_days=*/true);
                    if (!d) {
                      return makeError(ErrorCode::Runtime,
                                       "GetDecisionsSinceCount(): invalid duration '" +
                                           std::string(args[1].asString()) + "'");
                    }
                    auto since = TimePoint::fromUnixNanos(svc->now().unix_nanos - *d);
                    auto n = store->countDecisions(std::string(args[0].asString()), since);
                    if (!n) {
                      return n.error();
                    }
                    return Value::integer(*n);
                  });
  auto active = [store, svc](std::string_view value) {
    store::DecisionFilter f;
    f.value = std::string(value);
    f.include_simulated = true;  // counted as CrowdSec counts them
    return store->listActiveDecisions(f, svc->now());
  };
  env.addFunction("GetActiveDecisionsCount",
                  [active, wantStrings](std::span<const Value> args) -> Result<Value> {
                    if (auto e = wantStrings(args, 1, "GetActiveDecisionsCount"); !e.empty()) {
                      return makeError(ErrorCode::Runtime, e);
                    }
                    auto r = active(args[0].asString());
                    if (!r) {
                      return r.error();
                    }
                    return Value::integer(static_cast<std::int64_t>(r->size()));
                  });
  env.addFunction("GetActiveDecisionsTimeLeft",
                  [active, svc, wantStrings](std::span<const Value> args) -> Result<Value> {
                    if (auto e = wantStrings(args, 1, "GetActiveDecisionsTimeLeft"); !e.empty()) {
                      return makeError(ErrorCode::Runtime, e);
                    }
                    auto r = active(args[0].asString());
                    if (!r) {
                      return r.error();
                    }
                    Duration left = 0;
                    for (const auto& d : *r) {
                      left = std::max(left, d.until.unix_nanos - svc->now().unix_nanos);
                    }
                    return Value::duration(left);
                  });
  return env;
}

Result<Profile> parseProfile(const YAML::Node& doc, const std::string& at,
                             const expr::Environment& env) {
  static const std::set<std::string> kKeys = {"name",       "debug",         "filters",
                                              "decisions",  "duration_expr", "on_success",
                                              "on_failure", "on_error",      "notifications"};
  static const std::set<std::string> kDecisionKeys = {"type", "scope", "duration", "origin",
                                                      "simulated"};
  if (!doc.IsMap()) {
    return makeError(ErrorCode::Config, at + ": a profile must be a mapping");
  }
  Profile p;
  for (const auto& kv : doc) {
    const std::string key = kv.first.Scalar();
    if (kKeys.count(key) == 0) {
      return makeError(ErrorCode::Config, at + ": unknown key '" + key + "'");
    }
  }
  if (!doc["name"] || !doc["name"].IsScalar() || doc["name"].Scalar().empty()) {
    return makeError(ErrorCode::Config, at + ": missing name");
  }
  p.name = doc["name"].Scalar();
  if (doc["debug"]) {
    if (auto r = readBool(doc["debug"], at + ": debug", p.debug); !r) {
      return r.error();
    }
  }

  if (const auto& f = doc["filters"]; f && !f.IsNull()) {
    if (!f.IsSequence()) {
      return makeError(ErrorCode::Config, at + ": filters must be a list of expressions");
    }
    for (std::size_t i = 0; i < f.size(); ++i) {
      auto src = readScalar(f[i], at + ": filter " + std::to_string(i + 1));
      if (!src) {
        return src.error();
      }
      auto prog = expr::Program::compile(*src, env);
      if (!prog) {
        return makeError(ErrorCode::Config,
                         at + ": filter '" + *src + "' does not compile: " + prog.error().message);
      }
      p.filter_sources.push_back(*src);
      p.filters.push_back(std::move(*prog));
    }
  }

  if (const auto& ds = doc["decisions"]; ds && !ds.IsNull()) {
    if (!ds.IsSequence()) {
      return makeError(ErrorCode::Config, at + ": decisions must be a list");
    }
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const std::string dat = at + ": decision " + std::to_string(i + 1);
      const YAML::Node& d = ds[i];
      if (!d.IsMap()) {
        return makeError(ErrorCode::Config, dat + " must be a mapping");
      }
      for (const auto& kv : d) {
        if (kDecisionKeys.count(kv.first.Scalar()) == 0) {
          return makeError(ErrorCode::Config, dat + ": unknown key '" + kv.first.Scalar() + "'");
        }
      }
      DecisionTemplate t;
      if (!d["type"] || !d["type"].IsScalar() || d["type"].Scalar().empty()) {
        return makeError(ErrorCode::Config, dat + ": missing type");
      }
      t.type = d["type"].Scalar();
      if (d["scope"]) {
        auto s = readScalar(d["scope"], dat + ": scope");
        if (!s) {
          return s.error();
        }
        if (!s->empty()) {
          t.scope = store::normalizeScope(*s);
        }
      }
      if (d["duration"]) {
        auto s = readScalar(d["duration"], dat + ": duration");
        if (!s) {
          return s.error();
        }
        auto dur = parseGoDuration(*s, /*allow_days=*/true);
        if (!dur) {
          return makeError(ErrorCode::Config, dat + ": invalid duration '" + *s + "'");
        }
        t.duration = *dur;
      }
      if (d["origin"]) {
        auto s = readScalar(d["origin"], dat + ": origin");
        if (!s) {
          return s.error();
        }
        t.origin = *s;
      }
      if (d["simulated"]) {
        if (auto r = readBool(d["simulated"], dat + ": simulated", t.simulated); !r) {
          return r.error();
        }
      }
      p.decisions.push_back(std::move(t));
    }
  }

  if (doc["duration_expr"]) {
    auto src = readScalar(doc["duration_expr"], at + ": duration_expr");
    if (!src) {
      return src.error();
    }
    if (!src->empty()) {
      auto prog = expr::Program::compile(*src, env);
      if (!prog) {
        return makeError(ErrorCode::Config, at + ": duration_expr '" + *src +
                                                "' does not compile: " + prog.error().message);
      }
      p.duration_expr = std::move(*prog);
    }
  }

  if (doc["on_success"]) {
    auto v = readScalar(doc["on_success"], at + ": on_success");
    if (!v) {
      return v.error();
    }
    if (*v != "continue" && *v != "break" && !v->empty()) {
      return makeError(ErrorCode::Config,
                       at + ": on_success must be continue or break, not '" + *v + "'");
    }
    p.on_success_break = (*v == "break");
  }
  if (doc["on_failure"]) {
    auto v = readScalar(doc["on_failure"], at + ": on_failure");
    if (!v) {
      return v.error();
    }
    if (*v != "continue" && *v != "break" && *v != "apply" && !v->empty()) {
      return makeError(ErrorCode::Config,
                       at + ": on_failure must be continue, break or apply, not '" + *v + "'");
    }
    p.on_failure = v->empty() ? "continue" : *v;
  }
  if (doc["on_error"]) {
    auto v = readScalar(doc["on_error"], at + ": on_error");
    if (!v) {
      return v.error();
    }
    if (*v == "apply") {
      p.on_error = OnError::Apply;
    } else if (*v == "continue" || *v == "ignore") {
      p.on_error = OnError::Continue;
    } else if (*v == "break") {
      p.on_error = OnError::Break;
    } else if (!v->empty()) {
      return makeError(
          ErrorCode::Config,
          at + ": on_error must be apply, continue, ignore or break, not '" + *v + "'");
    }
  }
  if (const auto& n = doc["notifications"]; n && !n.IsNull()) {
    if (!n.IsSequence()) {
      return makeError(ErrorCode::Config, at + ": notifications must be a list");
    }
    for (const auto& item : n) {
      auto s = readScalar(item, at + ": notification");
      if (!s) {
        return s.error();
      }
      p.notifications.push_back(*s);
    }
  }
  return p;
}

/// The alert as the expression bindings know it (event::Alert, times as RFC3339 text).
event::Alert toEventAlert(const store::Alert& a, TimePoint now) {
  auto text = [](const TimePoint& t) { return t.isZero() ? std::string() : formatRfc3339Nano(t); };
  auto pairs = [](const std::vector<store::MetaItem>& meta) {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(meta.size());
    for (const auto& m : meta) {
      out.emplace_back(m.key, m.value);
    }
    return out;
  };
  event::Alert e;
  e.id = a.id;
  e.scenario = a.scenario;
  e.scenario_hash = a.scenario_hash;
  e.scenario_version = a.scenario_version;
  e.message = a.message;
  e.capacity = a.capacity;
  e.leakspeed = a.leakspeed;
  e.events_count = a.events_count;
  e.start_at = text(a.start_at);
  e.stop_at = text(a.stop_at);
  e.simulated = a.simulated;
  e.remediation = a.remediation;
  e.kind = a.kind;
  e.source.scope = store::normalizeScope(a.source.scope);  // as the LAPI stores it
  e.source.value = a.source.value;
  e.source.ip = a.source.ip;
  e.source.range = a.source.range;
  e.source.as_name = a.source.as_name;
  e.source.as_number = a.source.as_number;
  e.source.cn = a.source.cn;
  e.source.latitude = static_cast<float>(a.source.latitude);
  e.source.longitude = static_cast<float>(a.source.longitude);
  for (const auto& ev : a.events) {
    e.events.push_back({text(ev.timestamp), pairs(ev.meta)});
  }
  e.meta = pairs(a.meta);
  for (const auto& l : a.labels) {
    e.labels.emplace_back(l, "");
  }
  for (const auto& d : a.decisions) {
    event::Decision ed;
    ed.id = d.id;
    ed.origin = d.origin;
    ed.type = d.type;
    ed.scope = d.scope;
    ed.value = d.value;
    ed.scenario = d.scenario;
    ed.simulated = d.simulated;
    ed.until = text(d.until);
    ed.duration = formatGoDuration((d.until.unix_nanos - now.unix_nanos) / kSecond * kSecond);
    e.decisions.push_back(std::move(ed));
  }
  return e;
}

}  // namespace

Result<Profiles> Profiles::parse(const std::string& yaml_text, const std::string& origin,
                                 const expr::Services& services, store::Store* store) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Parse,
                     origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  const auto env = profileEnvironment(services, store);
  Profiles out;
  std::set<std::string> names;
  for (const auto& doc : docs) {
    if (doc.IsNull()) {
      continue;  // an empty document (a trailing ---)
    }
    const std::size_t index = out.profiles_.size();
    const std::string name =
        doc.IsMap() && doc["name"] && doc["name"].IsScalar() ? doc["name"].Scalar() : std::string();
    auto p = parseProfile(doc, where(origin, index, name), env);
    if (!p) {
      return p.error();
    }
    out.profiles_.push_back(std::move(*p));
  }
  return out;
}

Result<Profiles> Profiles::load(const std::string& path, const expr::Services& services,
                                store::Store* store) {
  auto read = [](const std::string& p) -> Result<std::string> {
    auto text = readWholeFile(p);
    if (!text) {
      return makeError(ErrorCode::Io, "cannot read profiles file " + p);
    }
    return std::move(*text);
  };
  auto main = read(path);
  if (!main) {
    return main.error();
  }
  const std::string local_path = path + ".local";
  std::error_code ec;
  if (std::filesystem::exists(local_path, ec)) {
    // Local profiles come first, so they win over the packaged ones.
    auto local = read(local_path);
    if (!local) {
      return local.error();
    }
    auto lp = parse(*local, local_path, services, store);
    if (!lp) {
      return lp.error();
    }
    auto mp = parse(*main, path, services, store);
    if (!mp) {
      return mp.error();
    }
    for (auto& p : mp->profiles_) {
      lp->profiles_.push_back(std::move(p));
    }
    return lp;
  }
  return parse(*main, path, services, store);
}

Result<Evaluation> Profiles::evaluate(const store::Alert& alert, TimePoint now) const {
  event::Alert view = toEventAlert(alert, now);
  const Value vars[] = {expr::alertValue(view)};
  const TimePoint base = alert.stop_at.isZero() ? now : alert.stop_at;

  Evaluation out;
  for (const Profile& p : profiles_) {
    // The decision set of this profile, once per matching filter.
    std::vector<store::Decision> set;
    std::optional<Duration> expr_duration;
    bool expr_done = false;
    auto addSet = [&] {
      if (!expr_done && p.duration_expr) {
        expr_done = true;
        // A duration_expr that fails or gives no duration falls back to the template's.
        if (auto v = p.duration_expr->run(vars); v) {
          expr_duration = parseGoDuration(v->toString(), /*allow_days=*/true);
        }
      }
      for (const auto& t : p.decisions) {
        store::Decision d;
        d.type = t.type;
        d.scope = t.scope ? *t.scope : store::normalizeScope(alert.source.scope);
        d.value = alert.source.value;
        d.origin = t.origin ? std::string(store::kOriginCrowdsec) + "/" + *t.origin
                            : std::string(store::kOriginCrowdsec);
        d.scenario = alert.scenario;
        d.simulated = t.simulated || alert.simulated;
        const Duration dur = expr_duration.value_or(t.duration.value_or(kDefaultDecisionDuration));
        d.until = TimePoint::fromUnixNanos(base.unix_nanos + dur);
        set.push_back(std::move(d));
      }
    };

    bool matched = false;
    bool skip = false;
    bool stop = false;
    for (std::size_t i = 0; i < p.filters.size() && !skip && !stop; ++i) {
      auto r = p.filters[i].runBool(vars);
      if (r) {
        if (*r) {
          matched = true;
          addSet();
        }
        continue;
      }
      switch (p.on_error) {
        case OnError::Unset:
          return makeError(ErrorCode::Runtime, "while running expression '" + p.filter_sources[i] +
                                                   "' of profile " + p.name + ": " +
                                                   r.error().message);
        case OnError::Apply:
          matched = true;
          addSet();
          break;
        case OnError::Continue:
          skip = true;
          break;
        case OnError::Break:
          stop = true;
          break;
      }
    }
    if (stop) {
      break;
    }
    if (skip || !matched) {
      continue;
    }
    out.matched.push_back(p.name);
    out.notifications.insert(out.notifications.end(), p.notifications.begin(),
                             p.notifications.end());
    if (out.decisions.empty()) {
      out.decisions = std::move(set);
    }
    if (p.on_success_break) {
      break;
    }
  }
  return out;
}

Result<TimePoint> decisionUntil(TimePoint stop_at, const std::string& duration) {
  auto d = parseGoDuration(duration, /*allow_days=*/true);
  if (!d) {
    return makeError(ErrorCode::Invalid, "invalid duration '" + duration + "'");
  }
  return TimePoint::fromUnixNanos(stop_at.unix_nanos + *d);
}

}  // namespace cw::core::decisions
