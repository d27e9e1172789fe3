// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/value.h"

#include <cmath>
#include <cstdio>

#include "internal.h"

namespace cw::core {

Value Value::detached() const {
  switch (kind_) {
    case Kind::String:
      return owner_ ? *this : Value::string(std::string(str_));
    case Kind::Array: {
      ValueArray copy;
      copy.reserve(asArray().size());
      for (const Value& e : asArray()) {
        copy.push_back(e.detached());
      }
      return Value::array(std::move(copy));
    }
    case Kind::Map: {
      ValueMap copy;
      for (const auto& [k, e] : asMap()) {
        copy.emplace(k, e.detached());
      }
      return Value::map(std::move(copy));
    }
    default:
      return *this;
  }
}

bool operator==(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.isNumber() && b.isNumber()) {
    if (a.isInt() && b.isInt()) {
      return a.asInt() == b.asInt();
    }
    return a.asNumber() == b.asNumber();
  }
  // Durations are integers of nanoseconds, as in Go: they compare with plain numbers.
  if (a.kind() == K::Duration && b.isNumber()) {
    return static_cast<double>(a.asDuration()) == b.asNumber();
  }
  if (b.kind() == K::Duration && a.isNumber()) {
    return static_cast<double>(b.asDuration()) == a.asNumber();
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case K::Nil:
      return true;
    case K::Bool:
      return a.asBool() == b.asBool();
    case K::Duration:
      return a.asDuration() == b.asDuration();
    case K::Time:
      return a.asTime() == b.asTime();
    case K::String:
      return a.asString() == b.asString();
    case K::Array: {
      const ValueArray& x = a.asArray();
      const ValueArray& y = b.asArray();
      if (x.size() != y.size()) {
        return false;
      }
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!(x[i] == y[i])) {
          return false;
        }
      }
      return true;
    }
    case K::Map: {
      const ValueMap& x = a.asMap();
      const ValueMap& y = b.asMap();
      if (x.size() != y.size()) {
        return false;
      }
      auto it = y.begin();
      for (const auto& [k, v] : x) {
        if (it->first != k || !(it->second == v)) {
          return false;
        }
        ++it;
      }
      return true;
    }
    case K::Host:
      return a.hostType() == b.hostType() && a.hostObject() == b.hostObject();
    default:
      return false;
  }
}

std::string Value::toString() const {
  switch (kind_) {
    case Kind::Nil:
      return "";
    case Kind::Bool:
      return i_ ? "true" : "false";
    case Kind::Int:
      return std::to_string(i_);
    case Kind::Float: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%f", f_);
      return buf;
    }
    case Kind::String:
      return std::string(str_);
    case Kind::Duration:
      return formatGoDuration(i_);
    case Kind::Time:
      return formatGoDefault(t_);
    case Kind::Array:
    case Kind::Map:
      return expr::detail::toJson(*this, false);
    case Kind::Host: {
      if (host_type_ == &expr::detail::kWeekdayType || host_type_ == &expr::detail::kMonthType) {
        Value out;
        std::string err;
        ValueArray none;
        if (host_type_->call_method(ptr_, "String", none, out, err)) {
          return std::string(out.asString());
        }
      }
      return std::string("<") + host_type_->name + ">";
    }
  }
  return "";
}

const char* Value::kindName(Kind k) {
  switch (k) {
    case Kind::Nil:
      return "nil";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Duration:
      return "duration";
    case Kind::Time:
      return "time";
    case Kind::Array:
      return "array";
    case Kind::Map:
      return "map";
    case Kind::Host:
      return "object";
  }
  return "?";
}

} // namespace cw::core
