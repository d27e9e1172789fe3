// SPDX-License-Identifier: Apache-2.0
// JSON <-> Value, with Go's encoding/json conventions (numbers decode as float64, object keys
// are emitted sorted, HTML characters escaped like Go does).
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cmath>
#include <cstdio>

#include "cw/core/expr/json.h"
#include "internal.h"

namespace cw::core::expr::detail {

namespace {

void quote(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
      case '>':
      case '&': {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
        break;
      }
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void formatFloat(std::string& out, double f) {
  if (std::isnan(f) || std::isinf(f)) {
    out += "null";
    return;
  }
  if (f == std::floor(f) && std::fabs(f) < 1e21) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", f);
    out += buf;
    return;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", f);
  // Shortest round-trip representation.
  for (int prec = 1; prec <= 17; ++prec) {
    char b2[64];
    std::snprintf(b2, sizeof b2, "%.*g", prec, f);
    if (std::strtod(b2, nullptr) == f) {
      out += b2;
      return;
    }
  }
  out += buf;
}

void write(std::string& out, const Value& v, bool pretty, int indent) {
  auto nl = [&](int level) {
    if (pretty) {
      out.push_back('\n');
      out.append(static_cast<std::size_t>(level) * 2, ' ');
    }
  };
  switch (v.kind()) {
    case Value::Kind::Nil:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.asBool() ? "true" : "false";
      return;
    case Value::Kind::Int:
    case Value::Kind::Duration:
      out += std::to_string(v.asInt());
      return;
    case Value::Kind::Float:
      formatFloat(out, v.asFloat());
      return;
    case Value::Kind::String:
      quote(out, v.asString());
      return;
    case Value::Kind::Time:
      quote(out, formatRfc3339Nano(v.asTime()));
      return;
    case Value::Kind::Array: {
      out.push_back('[');
      bool first = true;
      for (const Value& e : v.asArray()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        nl(indent + 1);
        write(out, e, pretty, indent + 1);
      }
      if (!first) {
        nl(indent);
      }
      out.push_back(']');
      return;
    }
    case Value::Kind::Map: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.asMap()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        nl(indent + 1);
        quote(out, k);
        out += pretty ? ": " : ":";
        write(out, e, pretty, indent + 1);
      }
      if (!first) {
        nl(indent);
      }
      out.push_back('}');
      return;
    }
    case Value::Kind::Host:
      quote(out, v.toString());
      return;
  }
}

Value convert(const rapidjson::Value& j) {
  switch (j.GetType()) {
    case rapidjson::kNullType:
      return Value();
    case rapidjson::kFalseType:
      return Value::boolean(false);
    case rapidjson::kTrueType:
      return Value::boolean(true);
    case rapidjson::kNumberType:
      return Value::real(j.GetDouble());
    case rapidjson::kStringType:
      return Value::string(std::string(j.GetString(), j.GetStringLength()));
    case rapidjson::kArrayType: {
      ValueArray a;
      a.reserve(j.Size());
      for (const auto& e : j.GetArray()) {
        a.push_back(convert(e));
      }
      return Value::array(std::move(a));
    }
    case rapidjson::kObjectType: {
      ValueMap m;
      for (const auto& kv : j.GetObject()) {
        m.insert_or_assign(std::string(kv.name.GetString(), kv.name.GetStringLength()),
                           convert(kv.value));
      }
      return Value::map(std::move(m));
    }
  }
  return Value();
}

}  // namespace

std::string toJson(const Value& v, bool pretty) {
  std::string out;
  write(out, v, pretty, 0);
  return out;
}

bool fromJson(std::string_view text, Value& out, std::string& error) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (d.HasParseError()) {
    error = std::string(rapidjson::GetParseError_En(d.GetParseError())) + " at offset " +
            std::to_string(d.GetErrorOffset());
    return false;
  }
  out = convert(d);
  return true;
}

} // namespace cw::core::expr::detail

namespace cw::core::expr {

bool parseJson(std::string_view text, Value& out, std::string& error) {
  return detail::fromJson(text, out, error);
}

std::string toJsonText(const Value& v) { return detail::toJson(v, false); }

} // namespace cw::core::expr
