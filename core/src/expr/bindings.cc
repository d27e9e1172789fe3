// SPDX-License-Identifier: Apache-2.0
// How expressions see the Event model: one HostType table per struct, with CrowdSec's field
// and method names (parsers.md section 1, scenarios.md section 11).
#include "cw/core/expr/bindings.h"

#include <cstdint>

#include "internal.h"

namespace cw::core::expr {

namespace detail {
namespace {

using event::Event;

bool noMethod(void*, std::string_view, const ValueArray&, Value&, std::string&) { return false; }

bool wantArgs(std::string_view name, const ValueArray& args, std::size_t n, std::string& error) {
  if (args.size() != n) {
    error = std::string(name) + "() expects " + std::to_string(n) + " argument(s)";
    return false;
  }
  for (const Value& a : args) {
    if (!a.isString()) {
      error = std::string(name) + "() expects string arguments";
      return false;
    }
  }
  return true;
}

Value str(const std::string& s) { return Value::stringView(s); }

Value pairsValue(const std::vector<std::pair<std::string, std::string>>& pairs) {
  // Alert meta is a list of {Key, Value} objects upstream.
  ValueArray a;
  for (const auto& [k, v] : pairs) {
    ValueMap m;
    m.emplace("Key", Value::stringView(k));
    m.emplace("Value", Value::stringView(v));
    a.push_back(Value::map(std::move(m)));
  }
  return Value::array(std::move(a));
}

std::string_view lookupPairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                             std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

// --- StrMap
bool strMapField(void* o, std::string_view name, Value& out) {
  out = Value::stringView(static_cast<event::StrMap*>(o)->get(name));
  return true;
}
std::size_t strMapLen(void* o) { return static_cast<event::StrMap*>(o)->size(); }

// --- Source
bool sourceField(void* o, std::string_view n, Value& out) {
  auto& s = *static_cast<event::Source*>(o);
  if (n == "IP") {
    out = str(s.ip);
  } else if (n == "Range") {
    out = str(s.range);
  } else if (n == "AsName") {
    out = str(s.as_name);
  } else if (n == "AsNumber") {
    out = str(s.as_number);
  } else if (n == "Cn") {
    out = str(s.cn);
  } else if (n == "Latitude") {
    out = Value::real(s.latitude);
  } else if (n == "Longitude") {
    out = Value::real(s.longitude);
  } else if (n == "Scope") {
    out = str(s.scope);
  } else if (n == "Value") {
    out = str(s.value);
  } else {
    return false;
  }
  return true;
}
bool sourceMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                  std::string& error) {
  auto& s = *static_cast<event::Source*>(o);
  if (n != "GetScope" && n != "GetValue") {
    return false;
  }
  if (!wantArgs(n, args, 0, error)) {
    return true;
  }
  out = str(n == "GetScope" ? s.scope : s.value);
  return true;
}

// --- AlertEvent
bool alertEventField(void* o, std::string_view n, Value& out) {
  auto& e = *static_cast<event::AlertEvent*>(o);
  if (n == "Timestamp") {
    out = str(e.timestamp);
  } else if (n == "Meta") {
    out = pairsValue(e.meta);
  } else {
    return false;
  }
  return true;
}
bool alertEventMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                      std::string& error) {
  if (n != "GetMeta") {
    return false;
  }
  if (wantArgs(n, args, 1, error)) {
    out = Value::stringView(lookupPairs(static_cast<event::AlertEvent*>(o)->meta,
                                        args[0].asString()));
  }
  return true;
}

// --- Decision
bool decisionField(void* o, std::string_view n, Value& out) {
  auto& d = *static_cast<event::Decision*>(o);
  if (n == "ID") {
    out = Value::integer(d.id);
  } else if (n == "Origin") {
    out = str(d.origin);
  } else if (n == "Type") {
    out = str(d.type);
  } else if (n == "Scope") {
    out = str(d.scope);
  } else if (n == "Value") {
    out = str(d.value);
  } else if (n == "Duration") {
    out = str(d.duration);
  } else if (n == "Scenario") {
    out = str(d.scenario);
  } else if (n == "Simulated") {
    out = Value::boolean(d.simulated);
  } else if (n == "Until") {
    out = str(d.until);
  } else {
    return false;
  }
  return true;
}

}  // namespace

const HostType kStrMapType{"map[string]string", strMapField, noMethod, strMapLen};
const HostType kSourceType{"Source", sourceField, sourceMethod, nullptr};
const HostType kAlertEventType{"Event", alertEventField, alertEventMethod, nullptr};
const HostType kDecisionType{"Decision", decisionField, noMethod, nullptr};

namespace {

// --- Alert
bool alertField(void* o, std::string_view n, Value& out) {
  auto& a = *static_cast<event::Alert*>(o);
  if (n == "ID") {
    out = Value::integer(a.id);
  } else if (n == "Scenario") {
    out = str(a.scenario);
  } else if (n == "ScenarioHash") {
    out = str(a.scenario_hash);
  } else if (n == "ScenarioVersion") {
    out = str(a.scenario_version);
  } else if (n == "Message") {
    out = str(a.message);
  } else if (n == "Capacity") {
    out = Value::integer(a.capacity);
  } else if (n == "Leakspeed") {
    out = str(a.leakspeed);
  } else if (n == "EventsCount") {
    out = Value::integer(a.events_count);
  } else if (n == "StartAt") {
    out = str(a.start_at);
  } else if (n == "StopAt") {
    out = str(a.stop_at);
  } else if (n == "Simulated") {
    out = Value::boolean(a.simulated);
  } else if (n == "Remediation") {
    out = Value::boolean(a.remediation);
  } else if (n == "Kind") {
    out = str(a.kind);
  } else if (n == "Source") {
    out = Value::host(&kSourceType, &a.source);
  } else if (n == "Events") {
    ValueArray arr;
    arr.reserve(a.events.size());
    for (auto& e : a.events) {
      arr.push_back(Value::host(&kAlertEventType, &e));
    }
    out = Value::array(std::move(arr));
  } else if (n == "Decisions") {
    ValueArray arr;
    for (auto& d : a.decisions) {
      arr.push_back(Value::host(&kDecisionType, &d));
    }
    out = Value::array(std::move(arr));
  } else if (n == "Meta") {
    out = pairsValue(a.meta);
  } else if (n == "Labels") {
    out = pairsValue(a.labels);
  } else {
    return false;
  }
  return true;
}

bool alertMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                 std::string& error) {
  auto& a = *static_cast<event::Alert*>(o);
  if (n == "GetMeta") {
    if (!wantArgs(n, args, 1, error)) {
      return true;
    }
    std::string_view v = lookupPairs(a.meta, args[0].asString());
    for (std::size_t i = 0; v.empty() && i < a.events.size(); ++i) {
      v = lookupPairs(a.events[i].meta, args[0].asString());
    }
    out = Value::stringView(v);
    return true;
  }
  if (n != "GetScenario" && n != "GetEventsCount" && n != "GetScope" && n != "GetValue" &&
      n != "GetSimulated" && n != "GetRemediation" && n != "GetMessage") {
    return false;
  }
  if (!wantArgs(n, args, 0, error)) {
    return true;
  }
  if (n == "GetScenario") {
    out = str(a.scenario);
  } else if (n == "GetEventsCount") {
    out = Value::integer(a.events_count);
  } else if (n == "GetScope") {
    out = str(a.source.scope);
  } else if (n == "GetValue") {
    out = str(a.source.value);
  } else if (n == "GetSimulated") {
    out = Value::boolean(a.simulated);
  } else if (n == "GetRemediation") {
    out = Value::boolean(a.remediation);
  } else {
    out = str(a.message);
  }
  return true;
}

}  // namespace

const HostType kAlertType{"Alert", alertField, alertMethod, nullptr};

namespace {

// --- Overflow
bool overflowField(void* o, std::string_view n, Value& out) {
  auto& ov = *static_cast<event::Overflow*>(o);
  if (n == "Mapkey") {
    out = str(ov.mapkey);
  } else if (n == "BucketId") {
    out = str(ov.bucket_id);
  } else if (n == "Whitelisted") {
    out = Value::boolean(ov.whitelisted);
  } else if (n == "Reprocess") {
    out = Value::boolean(ov.reprocess);
  } else if (n == "Alert") {
    out = ov.alert() != nullptr ? Value::host(&kAlertType, ov.alert()) : Value();
  } else if (n == "Sources") {
    ValueMap m;
    for (auto& [k, s] : ov.sources) {
      m.emplace(k, Value::host(&kSourceType, &s));
    }
    out = Value::map(std::move(m));
  } else if (n == "APIAlerts") {
    ValueArray arr;
    for (auto& a : ov.api_alerts) {
      arr.push_back(Value::host(&kAlertType, &a));
    }
    out = Value::array(std::move(arr));
  } else {
    return false;
  }
  return true;
}

bool overflowMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                    std::string& error) {
  if (n != "GetSources") {
    return false;
  }
  if (!wantArgs(n, args, 0, error)) {
    return true;
  }
  ValueArray keys;
  for (auto& [k, s] : static_cast<event::Overflow*>(o)->sources) {
    keys.push_back(Value::stringView(k));
  }
  out = Value::array(std::move(keys));
  return true;
}

}  // namespace

const HostType kOverflowType{"RuntimeAlert", overflowField, overflowMethod, nullptr};

namespace {

// --- Line
bool lineField(void* o, std::string_view n, Value& out) {
  auto& l = *static_cast<event::Line*>(o);
  if (n == "Raw") {
    out = str(l.raw);
  } else if (n == "Src") {
    out = str(l.src);
  } else if (n == "Module") {
    out = str(l.module);
  } else if (n == "Time") {
    out = Value::time(l.time);
  } else if (n == "Labels") {
    out = Value::host(&kStrMapType, &l.labels);
  } else if (n == "Process") {
    out = Value::boolean(l.process);
  } else {
    return false;
  }
  return true;
}

}  // namespace

const HostType kLineType{"Line", lineField, noMethod, nullptr};

namespace {

// --- Event
bool eventField(void* o, std::string_view n, Value& out) {
  auto& e = *static_cast<Event*>(o);
  if (n == "Meta") {
    out = Value::host(&kStrMapType, &e.meta);
  } else if (n == "Parsed") {
    out = Value::host(&kStrMapType, &e.parsed);
  } else if (n == "Enriched") {
    out = Value::host(&kStrMapType, &e.enriched);
  } else if (n == "Unmarshaled") {
    out = Value::mapRef(&e.unmarshaled);
  } else if (n == "Line") {
    out = Value::host(&kLineType, &e.line);
  } else if (n == "Type") {
    out = Value::integer(static_cast<int>(e.type));
  } else if (n == "ExpectMode") {
    out = Value::integer(static_cast<int>(e.expect_mode));
  } else if (n == "Whitelisted") {
    out = Value::boolean(e.whitelisted);
  } else if (n == "WhitelistReason") {
    out = str(e.whitelist_reason);
  } else if (n == "Stage") {
    out = str(e.stage);
  } else if (n == "Time") {
    out = Value::time(e.time);
  } else if (n == "StrTime") {
    out = str(e.str_time);
  } else if (n == "StrTimeFormat") {
    out = str(e.str_time_format);
  } else if (n == "MarshaledTime") {
    out = str(e.marshaled_time);
  } else if (n == "Process") {
    out = Value::boolean(e.process);
  } else if (n == "Overflow") {
    out = Value::host(&kOverflowType, &e.overflow);
  } else {
    return false;
  }
  return true;
}

bool eventMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                 std::string& error) {
  auto& e = *static_cast<Event*>(o);
  if (n == "GetMeta" || n == "GetParsed") {
    if (wantArgs(n, args, 1, error)) {
      out = Value::stringView(n == "GetMeta" ? e.getMeta(args[0].asString())
                                             : e.parsed.get(args[0].asString()));
    }
    return true;
  }
  if (n == "SetMeta" || n == "SetParsed") {
    if (wantArgs(n, args, 2, error)) {
      (n == "SetMeta" ? e.meta : e.parsed).set(args[0].asString(), args[1].asString());
      out = Value::boolean(true);
    }
    return true;
  }
  if (n == "GetType") {
    if (wantArgs(n, args, 0, error)) {
      out = Value::stringView(event::eventTypeName(e.type));
    }
    return true;
  }
  if (n == "ParseIPSources") {
    if (wantArgs(n, args, 0, error)) {
      ValueArray ips;
      if (e.type == event::EventType::Overflow) {
        for (auto& [k, s] : e.overflow.sources) {
          ips.push_back(Value::stringView(s.ip.empty() ? k : s.ip));
        }
      } else if (std::string_view ip = e.meta.get("source_ip"); !ip.empty()) {
        ips.push_back(Value::stringView(ip));
      }
      out = Value::array(std::move(ips));
    }
    return true;
  }
  return false;
}

// --- Weekday / Month (Go's time.Weekday, time.Month: ints with a String() method)
const char* const kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November",
                               "December"};

bool enumMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                std::string& error, const char* const* names, std::intptr_t base,
                std::intptr_t count) {
  const std::intptr_t i = reinterpret_cast<std::intptr_t>(o);
  if (n == "String") {
    if (wantArgs(n, args, 0, error)) {
      out = (i - base >= 0 && i - base < count) ? Value::stringView(names[i - base])
                                                : Value::string(std::to_string(i));
    }
    return true;
  }
  if (n == "Int") {
    out = Value::integer(i);
    return true;
  }
  return false;
}

bool weekdayMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                   std::string& error) {
  return enumMethod(o, n, args, out, error, kWeekdays, 0, 7);
}
bool monthMethod(void* o, std::string_view n, const ValueArray& args, Value& out,
                 std::string& error) {
  return enumMethod(o, n, args, out, error, kMonths, 1, 12);
}
bool noField(void*, std::string_view, Value&) { return false; }

}  // namespace

const HostType kEventType{"Event", eventField, eventMethod, nullptr};
const HostType kWeekdayType{"Weekday", noField, weekdayMethod, nullptr};
const HostType kMonthType{"Month", noField, monthMethod, nullptr};

}  // namespace detail

Value eventValue(event::Event& e) { return Value::host(&detail::kEventType, &e); }
Value overflowValue(event::Overflow& o) { return Value::host(&detail::kOverflowType, &o); }
Value alertValue(event::Alert& a) { return Value::host(&detail::kAlertType, &a); }
Value sourceValue(event::Source& s) { return Value::host(&detail::kSourceType, &s); }
Value strMapValue(event::StrMap& m) { return Value::host(&detail::kStrMapType, &m); }

} // namespace cw::core::expr
