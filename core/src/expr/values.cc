// SPDX-License-Identifier: Apache-2.0
// Operators of the expression language on dynamic values (expr.md section 2, "Runtime
// semantics"), plus methods of time and duration values.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cw/core/common/time.h"
#include "cw/core/event/str_map.h"
#include "internal.h"

namespace cw::core::expr::detail {

namespace {

using K = Value::Kind;

std::string typeError(const char* op, const Value& a, const Value& b) {
  return std::string("invalid operation: ") + Value::kindName(a.kind()) + " " + op + " " +
         Value::kindName(b.kind());
}

// Civil date from days since 1970-01-01 (proleptic Gregorian).
void civilFromDays(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

struct Civil {
  int year, month, day, hour, minute, second, nanos, weekday, yday;
};

Civil toCivilLocal(const TimePoint& t) {
  const std::int64_t local = t.unix_nanos + static_cast<std::int64_t>(t.utc_offset_s) * kSecond;
  std::int64_t secs = local / kSecond;
  std::int64_t ns = local % kSecond;
  if (ns < 0) {
    ns += kSecond;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c{};
  civilFromDays(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>((rem % 3600) / 60);
  c.second = static_cast<int>(rem % 60);
  c.nanos = static_cast<int>(ns);
  c.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  c.yday = kCum[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}

bool needArgs(Ctx& c, std::string_view name, std::span<Value> args, std::size_t n) {
  if (args.size() != n) {
    return fail(c, std::string(name) + "() expects " + std::to_string(n) + " argument(s)");
  }
  return true;
}

bool timeMethod(Ctx& c, const TimePoint& t, std::string_view name, std::span<Value> args,
                Value& out) {
  if (name == "Sub" || name == "After" || name == "Before" || name == "Equal") {
    if (!needArgs(c, name, args, 1)) {
      return false;
    }
    if (args[0].kind() != K::Time) {
      return fail(c, std::string(name) + "() expects a time");
    }
    const TimePoint& o = args[0].asTime();
    if (name == "Sub") {
      out = Value::duration(t.unix_nanos - o.unix_nanos);
    } else if (name == "After") {
      out = Value::boolean(t.unix_nanos > o.unix_nanos);
    } else if (name == "Before") {
      out = Value::boolean(t.unix_nanos < o.unix_nanos);
    } else {
      out = Value::boolean(t.unix_nanos == o.unix_nanos);
    }
    return true;
  }
  if (name == "Add") {
    if (!needArgs(c, name, args, 1)) {
      return false;
    }
    if (args[0].kind() != K::Duration && !args[0].isInt()) {
      return fail(c, "Add() expects a duration");
    }
    out = Value::time(TimePoint::fromUnixNanos(t.unix_nanos + args[0].asInt(), t.utc_offset_s));
    return true;
  }
  if (name == "Format") {
    if (!needArgs(c, name, args, 1) || !args[0].isString()) {
      return fail(c, "Format() expects a layout string");
    }
    out = Value::string(formatGoLayout(args[0].asString(), t));
    return true;
  }
  if (!args.empty()) {
    return fail(c, "too many arguments to time." + std::string(name) + "()");
  }
  if (name == "String") {
    out = Value::string(formatGoDefault(t));
    return true;
  }
  if (name == "Unix") {
    out = Value::integer(t.unix_nanos >= 0 ? t.unix_nanos / kSecond
                                           : -((-t.unix_nanos + kSecond - 1) / kSecond));
    return true;
  }
  if (name == "UnixNano") {
    out = Value::integer(t.unix_nanos);
    return true;
  }
  if (name == "UnixMilli") {
    out = Value::integer(t.unix_nanos / kMillisecond);
    return true;
  }
  if (name == "IsZero") {
    out = Value::boolean(t.isZero());
    return true;
  }
  if (name == "UTC") {
    out = Value::time(TimePoint{t.unix_nanos, 0, t.zero});
    return true;
  }
  const Civil cv = toCivilLocal(t);
  if (name == "Hour") {
    out = Value::integer(cv.hour);
  } else if (name == "Minute") {
    out = Value::integer(cv.minute);
  } else if (name == "Second") {
    out = Value::integer(cv.second);
  } else if (name == "Nanosecond") {
    out = Value::integer(cv.nanos);
  } else if (name == "Day") {
    out = Value::integer(cv.day);
  } else if (name == "Year") {
    out = Value::integer(cv.year);
  } else if (name == "YearDay") {
    out = Value::integer(cv.yday);
  } else if (name == "Month") {
    out = Value::host(&kMonthType, reinterpret_cast<void*>(static_cast<std::intptr_t>(cv.month)));
  } else if (name == "Weekday") {
    out = Value::host(&kWeekdayType,
                      reinterpret_cast<void*>(static_cast<std::intptr_t>(cv.weekday)));
  } else {
    return fail(c, "time has no method " + std::string(name) + "()");
  }
  return true;
}

bool durationMethod(Ctx& c, Duration d, std::string_view name, std::span<Value> args,
                    Value& out) {
  if (!args.empty()) {
    return fail(c, "too many arguments to duration." + std::string(name) + "()");
  }
  if (name == "Seconds") {
    out = Value::real(static_cast<double>(d) / kSecond);
  } else if (name == "Minutes") {
    out = Value::real(static_cast<double>(d) / kMinute);
  } else if (name == "Hours") {
    out = Value::real(static_cast<double>(d) / kHour);
  } else if (name == "Milliseconds") {
    out = Value::integer(d / kMillisecond);
  } else if (name == "Microseconds") {
    out = Value::integer(d / kMicrosecond);
  } else if (name == "Nanoseconds") {
    out = Value::integer(d);
  } else if (name == "String") {
    out = Value::string(formatGoDuration(d));
  } else {
    return fail(c, "duration has no method " + std::string(name) + "()");
  }
  return true;
}

}  // namespace

bool valueEquals(const Value& a, const Value& b) { return a == b; }

bool compareValues(Ctx& c, const Value& a, const Value& b, char op, bool& result) {
  int cmp = 0;
  if (a.isInt() && b.isInt()) {
    cmp = a.asInt() < b.asInt() ? -1 : (a.asInt() > b.asInt() ? 1 : 0);
  } else if (a.isNumber() && b.isNumber()) {
    const double x = a.asNumber();
    const double y = b.asNumber();
    if (std::isnan(x) || std::isnan(y)) {
      result = false;
      return true;
    }
    cmp = x < y ? -1 : (x > y ? 1 : 0);
  } else if ((a.kind() == K::Duration || a.isInt()) && (b.kind() == K::Duration || b.isInt())) {
    cmp = a.asInt() < b.asInt() ? -1 : (a.asInt() > b.asInt() ? 1 : 0);
  } else if (a.kind() == K::Duration && b.isFloat()) {
    cmp = static_cast<double>(a.asInt()) < b.asFloat() ? -1
          : static_cast<double>(a.asInt()) > b.asFloat() ? 1 : 0;
  } else if (a.isString() && b.isString()) {
    const int r = a.asString().compare(b.asString());
    cmp = r < 0 ? -1 : (r > 0 ? 1 : 0);
  } else if (a.kind() == K::Time && b.kind() == K::Time) {
    const auto x = a.asTime().unix_nanos;
    const auto y = b.asTime().unix_nanos;
    cmp = x < y ? -1 : (x > y ? 1 : 0);
  } else {
    const char* name = op == '<' ? "<" : op == '>' ? ">" : op == 'l' ? "<=" : ">=";
    return fail(c, typeError(name, a, b));
  }
  switch (op) {
    case '<':
      result = cmp < 0;
      break;
    case '>':
      result = cmp > 0;
      break;
    case 'l':
      result = cmp <= 0;
      break;
    default:
      result = cmp >= 0;
      break;
  }
  return true;
}

bool arith(Ctx& c, char op, const Value& a, const Value& b, Value& out) {
  if (a.isInt() && b.isInt()) {
    const std::int64_t x = a.asInt();
    const std::int64_t y = b.asInt();
    switch (op) {
      case '+':
        out = Value::integer(x + y);
        return true;
      case '-':
        out = Value::integer(x - y);
        return true;
      case '*':
        out = Value::integer(x * y);
        return true;
      case '/':
        out = Value::real(static_cast<double>(x) / static_cast<double>(y));
        return true;
      case '%':
        if (y == 0) {
          return fail(c, "integer divide by zero");
        }
        out = Value::integer(x % y);
        return true;
      case '^':
        out = Value::real(std::pow(static_cast<double>(x), static_cast<double>(y)));
        return true;
    }
  }
  if (a.isNumber() && b.isNumber()) {
    const double x = a.asNumber();
    const double y = b.asNumber();
    switch (op) {
      case '+':
        out = Value::real(x + y);
        return true;
      case '-':
        out = Value::real(x - y);
        return true;
      case '*':
        out = Value::real(x * y);
        return true;
      case '/':
        out = Value::real(x / y);
        return true;
      case '^':
        out = Value::real(std::pow(x, y));
        return true;
      case '%':
        return fail(c, typeError("%", a, b));
    }
  }
  if (op == '+' && a.isString() && b.isString()) {
    std::string s;
    s.reserve(a.asString().size() + b.asString().size());
    s.append(a.asString()).append(b.asString());
    out = Value::string(std::move(s));
    return true;
  }
  if (op == '+' && a.kind() == K::Array && b.kind() == K::Array) {
    ValueArray r = a.asArray();
    r.insert(r.end(), b.asArray().begin(), b.asArray().end());
    out = Value::array(std::move(r));
    return true;
  }
  const bool ad = a.kind() == K::Duration;
  const bool bd = b.kind() == K::Duration;
  if (a.kind() == K::Time && (bd || b.isInt()) && (op == '+' || op == '-')) {
    const TimePoint& t = a.asTime();
    const std::int64_t delta = op == '+' ? b.asInt() : -b.asInt();
    out = Value::time(TimePoint::fromUnixNanos(t.unix_nanos + delta, t.utc_offset_s));
    return true;
  }
  if (b.kind() == K::Time && ad && op == '+') {
    const TimePoint& t = b.asTime();
    out = Value::time(TimePoint::fromUnixNanos(t.unix_nanos + a.asInt(), t.utc_offset_s));
    return true;
  }
  if (a.kind() == K::Time && b.kind() == K::Time && op == '-') {
    out = Value::duration(a.asTime().unix_nanos - b.asTime().unix_nanos);
    return true;
  }
  if ((ad || a.isInt()) && (bd || b.isInt()) && (ad || bd)) {
    switch (op) {
      case '+':
        out = Value::duration(a.asInt() + b.asInt());
        return true;
      case '-':
        out = Value::duration(a.asInt() - b.asInt());
        return true;
      case '*':
        out = Value::duration(a.asInt() * b.asInt());
        return true;
      case '/':
        if (b.asInt() == 0) {
          return fail(c, "integer divide by zero");
        }
        out = ad && bd ? Value::integer(a.asInt() / b.asInt())
                       : Value::duration(a.asInt() / b.asInt());
        return true;
    }
  }
  const char name[2] = {op == '^' ? '*' : op, 0};
  return fail(c, typeError(op == '^' ? "**" : name, a, b));
}

bool inValue(Ctx& c, const Value& needle, const Value& haystack, bool& result) {
  switch (haystack.kind()) {
    case K::Nil:
      result = false;
      return true;
    case K::Array:
      for (const Value& e : haystack.asArray()) {
        if (e == needle) {
          result = true;
          return true;
        }
      }
      result = false;
      return true;
    case K::Map:
      if (!needle.isString()) {
        result = false;
        return true;
      }
      result = haystack.asMap().find(needle.asString()) != haystack.asMap().end();
      return true;
    case K::Host: {
      if (!needle.isString()) {
        result = false;
        return true;
      }
      if (haystack.hostType() == &kStrMapType) {
        const auto* m = static_cast<const event::StrMap*>(haystack.hostObject());
        result = m->contains(needle.asString());
        return true;
      }
      Value tmp;
      result = haystack.hostType()->get_field(haystack.hostObject(), needle.asString(), tmp);
      return true;
    }
    default:
      return fail(c, std::string("invalid operation: in ") + Value::kindName(haystack.kind()));
  }
}

bool memberGetName(Ctx& c, const Value& obj, std::string_view name, Value& out) {
  switch (obj.kind()) {
    case K::Map: {
      const ValueMap& m = obj.asMap();
      auto it = m.find(name);
      if (it == m.end()) {
        out = Value();
      } else {
        out = it->second;
      }
      return true;
    }
    case K::Host:
      if (!obj.hostType()->get_field(obj.hostObject(), name, out)) {
        return fail(c, std::string("type ") + obj.hostType()->name + " has no field " +
                           std::string(name));
      }
      return true;
    case K::Nil:
      return fail(c, "cannot fetch " + std::string(name) + " from nil");
    default:
      return fail(c, "cannot fetch " + std::string(name) + " from " +
                         Value::kindName(obj.kind()));
  }
}

bool memberGet(Ctx& c, const Value& obj, const Value& key, Value& out) {
  if (obj.kind() == K::Array || obj.kind() == K::String) {
    if (!key.isInt() && !(key.isFloat() && key.asFloat() == std::floor(key.asFloat()))) {
      return fail(c, std::string("cannot index ") + Value::kindName(obj.kind()) + " with " +
                         Value::kindName(key.kind()));
    }
    std::int64_t i = key.isInt() ? key.asInt() : static_cast<std::int64_t>(key.asFloat());
    const std::int64_t n = obj.kind() == K::Array
                               ? static_cast<std::int64_t>(obj.asArray().size())
                               : static_cast<std::int64_t>(obj.asString().size());
    if (i < 0) {
      i += n;
    }
    if (i < 0 || i >= n) {
      return fail(c, "index out of range: " + std::to_string(key.asInt()) + " (array of length " +
                         std::to_string(n) + ")");
    }
    if (obj.kind() == K::Array) {
      out = obj.asArray()[static_cast<std::size_t>(i)];
    } else {
      out = obj.substr(static_cast<std::size_t>(i), 1);
    }
    return true;
  }
  if (key.isString()) {
    return memberGetName(c, obj, key.asString(), out);
  }
  if (obj.kind() == K::Host && key.isInt()) {
    return memberGetName(c, obj, std::to_string(key.asInt()), out);
  }
  if (obj.kind() == K::Map) {
    out = Value();
    return true;
  }
  if (obj.isNil()) {
    return fail(c, "cannot fetch " + key.toString() + " from nil");
  }
  return fail(c, std::string("cannot index ") + Value::kindName(obj.kind()) + " with " +
                     Value::kindName(key.kind()));
}

bool sliceValue(Ctx& c, const Value& obj, const Value* from, const Value* to, Value& out) {
  std::int64_t n = 0;
  if (obj.kind() == K::Array) {
    n = static_cast<std::int64_t>(obj.asArray().size());
  } else if (obj.isString()) {
    n = static_cast<std::int64_t>(obj.asString().size());
  } else {
    return fail(c, std::string("cannot slice ") + Value::kindName(obj.kind()));
  }
  std::int64_t lo = 0;
  std::int64_t hi = n;
  if (from != nullptr) {
    if (!from->isInt()) {
      return fail(c, "slice index must be an int");
    }
    lo = from->asInt();
  }
  if (to != nullptr) {
    if (!to->isInt()) {
      return fail(c, "slice index must be an int");
    }
    hi = to->asInt();
  }
  if (lo < 0) {
    lo += n;
  }
  if (hi < 0) {
    hi += n;
  }
  lo = std::clamp<std::int64_t>(lo, 0, n);
  hi = std::clamp<std::int64_t>(hi, 0, n);
  if (hi < lo) {
    hi = lo;
  }
  if (obj.isString()) {
    out = obj.substr(static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo));
  } else {
    const ValueArray& a = obj.asArray();
    out = Value::array(ValueArray(a.begin() + lo, a.begin() + hi));
  }
  return true;
}

bool callMethod(Ctx& c, const Value& obj, std::string_view name, std::span<Value> args,
                Value& out) {
  switch (obj.kind()) {
    case K::Time:
      return timeMethod(c, obj.asTime(), name, args, out);
    case K::Duration:
      return durationMethod(c, obj.asDuration(), name, args, out);
    case K::Host: {
      ValueArray argv(args.begin(), args.end());
      std::string err;
      if (!obj.hostType()->call_method(obj.hostObject(), name, argv, out, err)) {
        if (!err.empty()) {
          return fail(c, err);
        }
        return fail(c, std::string("type ") + obj.hostType()->name + " has no method " +
                           std::string(name));
      }
      if (!err.empty()) {
        return fail(c, err);
      }
      return true;
    }
    case K::Map: {
      // A map holding a function-like value is not supported; report clearly.
      return fail(c, "map has no method " + std::string(name));
    }
    case K::Nil:
      return fail(c, "cannot call " + std::string(name) + "() on nil");
    default:
      return fail(c, std::string(Value::kindName(obj.kind())) + " has no method " +
                         std::string(name));
  }
}

bool lengthOf(Ctx& c, const Value& v, std::int64_t& n) {
  switch (v.kind()) {
    case K::String:
      n = static_cast<std::int64_t>(v.asString().size());
      return true;
    case K::Array:
      n = static_cast<std::int64_t>(v.asArray().size());
      return true;
    case K::Map:
      n = static_cast<std::int64_t>(v.asMap().size());
      return true;
    case K::Host:
      if (v.hostType()->length != nullptr) {
        n = static_cast<std::int64_t>(v.hostType()->length(v.hostObject()));
        return true;
      }
      [[fallthrough]];
    default:
      return fail(c, std::string("invalid argument for len (type ") + Value::kindName(v.kind()) +
                         ")");
  }
}

bool toArray(Ctx& c, const Value& v, Value& out) {
  if (v.kind() == K::Array) {
    out = v;
    return true;
  }
  if (v.isNil()) {
    out = Value::array({});
    return true;
  }
  if (v.kind() == K::Map) {
    ValueArray vals;
    for (const auto& [k, e] : v.asMap()) {
      vals.push_back(e);
    }
    out = Value::array(std::move(vals));
    return true;
  }
  return fail(c, std::string("cannot iterate over ") + Value::kindName(v.kind()));
}

std::string kindOf(const Value& v) {
  return v.kind() == K::Host ? v.hostType()->name : Value::kindName(v.kind());
}

}  // namespace cw::core::expr::detail
