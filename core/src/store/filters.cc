// SPDX-License-Identifier: Apache-2.0
// Query strings of the alert and decision routes parsed into typed filters. The error texts are
// the ones CrowdSec's LAPI answers with (lapi.md sections 6 to 8), since clients show them.
#include <algorithm>
#include <charconv>
#include <set>

#include "cw/core/store/store.h"

namespace cw::core::store {

namespace {

/// Go's strconv.ParseBool.
std::optional<bool> parseGoBool(const std::string& s) {
  static const std::set<std::string> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> kFalse = {"0", "f", "F", "FALSE", "false", "False"};
  if (kTrue.count(s) != 0) {
    return true;
  }
  if (kFalse.count(s) != 0) {
    return false;
  }
  return std::nullopt;
}

std::string goQuote(const std::string& s) { return "\"" + s + "\""; }

std::string parseBoolError(const std::string& v) {
  return "strconv.ParseBool: parsing " + goQuote(v) + ": invalid syntax";
}

std::optional<std::int64_t> parseInt(const std::string& s) {
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

/// Calls fn(key, value) once per distinct key, with the first value given for it.
template <typename Fn>
Result<bool> forEachFirst(const QueryParams& params, Fn&& fn) {
  std::set<std::string> seen;
  for (const auto& [key, value] : params) {
    if (!seen.insert(key).second) {
      continue;
    }
    if (auto r = fn(key, value); !r) {
      return r.error();
    }
  }
  return true;
}

Result<IpRange> parseIpFilter(const std::string& v) {
  auto r = IpRange::parse(v);
  if (!r) {
    return makeError(ErrorCode::Invalid, "unable to convert '" + v + "' to int: " +
                                             r.error().message + ": invalid ip address / range");
  }
  return r;
}

Result<bool> parseContains(const std::string& v, bool& out) {
  auto b = parseGoBool(v);
  if (!b) {
    return makeError(ErrorCode::Invalid,
                     "invalid contains value : " + parseBoolError(v) + ": invalid filter");
  }
  out = *b;
  return true;
}

/// Go's time.ParseDuration error for a text our parser refused: "unknown unit" and "missing
/// unit" are told apart as Go does, anything else is "invalid duration".
std::string goDurationError(const std::string& orig) {
  static const std::set<std::string> kUnits = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms",
                                               "s",  "m",  "h",         "d"};
  std::string_view s = orig;
  const std::string invalid = "time: invalid duration " + goQuote(orig);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return invalid;
  }
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (!s.empty()) {
    if (s[0] != '.' && !digit(s[0])) {
      return invalid;
    }
    std::size_t i = 0;
    while (i < s.size() && digit(s[i])) {
      ++i;
    }
    bool any = i > 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      const std::size_t frac = i;
      while (i < s.size() && digit(s[i])) {
        ++i;
      }
      any = any || i > frac;
    }
    if (!any) {
      return invalid;
    }
    std::size_t u = i;
    while (u < s.size() && s[u] != '.' && !digit(s[u])) {
      ++u;
    }
    const std::string unit(s.substr(i, u - i));
    if (unit.empty()) {
      return "time: missing unit in duration " + goQuote(orig);
    }
    if (kUnits.count(unit) == 0) {
      return "time: unknown unit " + goQuote(unit) + " in duration " + goQuote(orig);
    }
    s.remove_prefix(u);
  }
  return invalid;  // well-formed but out of range
}

Result<TimePoint> agoFromDuration(const std::string& v, TimePoint now) {
  auto d = parseGoDuration(v, /*allow_days=*/true);
  if (!d) {
    return makeError(ErrorCode::Invalid, "while parsing duration: " + goDurationError(v));
  }
  return TimePoint::fromUnixNanos(now.unix_nanos - *d);
}

}  // namespace

Result<AlertFilter> AlertFilter::fromQuery(const QueryParams& params) {
  return fromQuery(params, nowUtc());
}

Result<AlertFilter> AlertFilter::fromQuery(const QueryParams& params, TimePoint now) {
  AlertFilter f;
  auto r = forEachFirst(params, [&](const std::string& k, const std::string& v) -> Result<bool> {
    if (k == "contains") {
      return parseContains(v, f.contains);
    }
    if (k == "scope") {
      f.scope = normalizeScope(v);
    } else if (k == "value") {
      f.value = v;
    } else if (k == "scenario") {
      f.scenario = v;
    } else if (k == "ip" || k == "range") {
      auto ip = parseIpFilter(v);
      if (!ip) {
        return ip.error();
      }
      f.ip_range = *ip;
    } else if (k == "since" || k == "until" || k == "created_before") {
      auto t = agoFromDuration(v, now);
      if (!t) {
        return t.error();
      }
      (k == "since" ? f.started_after : k == "until" ? f.started_before : f.created_before) = *t;
    } else if (k == "decision_type") {
      f.decision_type = v;
    } else if (k == "origin") {
      f.origin = v;
    } else if (k == "include_capi") {
      if (v == "false") {
        f.include_capi = false;
      }
    } else if (k == "has_active_decision") {
      auto b = parseGoBool(v);
      if (!b) {
        return makeError(ErrorCode::Invalid, "'" + v + "' is not a boolean: " + parseBoolError(v) +
                                                 ": unable to parse type");
      }
      f.has_active_decision = *b;
    } else if (k == "kind") {
      f.kind = v;
    } else if (k == "simulated") {
      f.exclude_simulated = (v == "false");
    } else if (k == "limit") {
      auto n = parseInt(v);
      if (!n || *n < 0) {
        return makeError(ErrorCode::Invalid,
                         "bad limit in parameters: [" + v + "]: unable to query");
      }
      f.limit = *n;
    } else if (k == "sort") {
      f.ascending = (v == "ASC");
    } else if (k == "with_decisions") {
      f.with_decisions = parseGoBool(v).value_or(true);
    } else {
      return makeError(ErrorCode::Invalid,
                       "filter parameter '" + k + "' is unknown (=" + v + "): invalid filter");
    }
    return true;
  });
  if (!r) {
    return r.error();
  }
  return f;
}

namespace {

/// Shared by GET /v1/decisions and the stream: `handled` is false for unknown keys.
Result<bool> parseDecisionKey(DecisionFilter& f, const std::string& k, const std::string& v,
                              bool& handled) {
  handled = true;
  if (k == "contains") {
    return parseContains(v, f.contains);
  }
  if (k == "scope" || k == "scopes") {
    f.scopes = splitComma(v);
    for (auto& s : f.scopes) {
      s = normalizeScope(s);
    }
  } else if (k == "value") {
    f.value = v;
  } else if (k == "type") {
    f.type = v;
  } else if (k == "origins") {
    f.origins = splitComma(v);
  } else if (k == "scenarios_containing") {
    f.scenarios_containing = splitComma(v);
  } else if (k == "scenarios_not_containing") {
    f.scenarios_not_containing = splitComma(v);
  } else if (k == "ip" || k == "range") {
    auto ip = parseIpFilter(v);
    if (!ip) {
      return ip.error();
    }
    f.ip_range = *ip;
  } else {
    handled = false;
  }
  return true;
}

}  // namespace

Result<DecisionFilter> DecisionFilter::fromQuery(const QueryParams& params) {
  DecisionFilter f;
  auto r = forEachFirst(params, [&](const std::string& k, const std::string& v) -> Result<bool> {
    bool handled = false;
    if (auto x = parseDecisionKey(f, k, v, handled); !x || handled) {
      return x;
    }
    if (k == "simulated") {
      f.include_simulated = (v == "true");
    } else if (k == "limit" || k == "offset") {
      // Like CrowdSec 1.4.6, a value that is no count is ignored.
      if (auto n = parseInt(v); n && *n >= 0) {
        (k == "limit" ? f.limit : f.offset) = *n;
      }
    }
    return true;  // unknown keys are ignored
  });
  if (!r) {
    return r.error();
  }
  return f;
}

Result<DecisionFilter> DecisionFilter::fromDeleteQuery(const QueryParams& params) {
  DecisionFilter f;
  auto r = forEachFirst(params, [&](const std::string& k, const std::string& v) -> Result<bool> {
    if (k == "contains") {
      return parseContains(v, f.contains);
    }
    if (k == "scopes") {
      f.scopes = {v};
    } else if (k == "value") {
      f.value = v;
    } else if (k == "type") {
      f.type = v;
    } else if (k == "origin") {
      f.origins = {v};
    } else if (k == "scenario") {
      f.scenario = v;
    } else if (k == "uuid") {
      f.uuid = v;
    } else if (k == "ip" || k == "range") {
      auto ip = parseIpFilter(v);
      if (!ip) {
        return ip.error();
      }
      f.ip_range = *ip;
    } else {
      return makeError(ErrorCode::Invalid, "'" + k + "' doesn't exist: invalid filter");
    }
    return true;
  });
  if (!r) {
    return r.error();
  }
  return f;
}

Result<StreamQuery> StreamQuery::fromQuery(const QueryParams& params) {
  StreamQuery q;
  q.filter.scopes = {kScopeIp, kScopeRange};
  auto r = forEachFirst(params, [&](const std::string& k, const std::string& v) -> Result<bool> {
    if (k == "startup") {
      q.startup = (v == "true");
      return true;
    }
    if (k == "dedup") {
      q.dedup = (v != "false");
      return true;
    }
    bool handled = false;
    return parseDecisionKey(q.filter, k, v, handled);  // unknown keys are ignored
  });
  if (!r) {
    return r.error();
  }
  return q;
}

}  // namespace cw::core::store
