// SPDX-License-Identifier: Apache-2.0
#include "cw/core/alerts/json.h"

#include <cstdint>

namespace cw::core::alerts {
namespace {

// Length of the valid UTF-8 sequence at s[i], 0 when invalid (overlong, surrogate, > U+10FFFF).
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    return 1;
  }
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1Fu;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0Fu;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

void field(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  writeJsonString(w, value);
}

void optionalField(JsonWriter& w, const char* key, std::string_view value) {
  if (!value.empty()) {
    field(w, key, value);
  }
}

void pairs(JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& kv) {
  w.StartArray();
  for (const auto& [k, v] : kv) {
    w.StartObject();
    field(w, "key", k);
    field(w, "value", v);
    w.EndObject();
  }
  w.EndArray();
}

void source(JsonWriter& w, const event::Source& s) {
  w.StartObject();
  field(w, "scope", s.scope);
  field(w, "value", s.value);
  optionalField(w, "ip", s.ip);
  optionalField(w, "range", s.range);
  optionalField(w, "as_number", s.as_number);
  optionalField(w, "as_name", s.as_name);
  optionalField(w, "cn", s.cn);
  if (s.latitude != 0 || s.longitude != 0) {
    w.Key("latitude");
    w.Double(s.latitude);
    w.Key("longitude");
    w.Double(s.longitude);
  }
  w.EndObject();
}

void decision(JsonWriter& w, const event::Decision& d) {
  w.StartObject();
  field(w, "origin", d.origin);
  field(w, "type", d.type);
  field(w, "scope", d.scope);
  field(w, "value", d.value);
  field(w, "duration", d.duration);
  field(w, "scenario", d.scenario);
  w.Key("simulated");
  w.Bool(d.simulated);
  optionalField(w, "until", d.until);
  w.EndObject();
}

}  // namespace

void writeJsonString(JsonWriter& w, std::string_view s) {
  std::size_t i = 0;
  std::size_t n = 0;
  while (i < s.size() && (n = utf8SequenceLength(s, i)) != 0) {
    i += n;
  }
  if (i == s.size()) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  std::string fixed(s.substr(0, i));
  while (i < s.size()) {
    n = utf8SequenceLength(s, i);
    if (n == 0) {
      fixed += "\xEF\xBF\xBD";
      ++i;
    } else {
      fixed.append(s.substr(i, n));
      i += n;
    }
  }
  w.String(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()));
}

void writeAlertJson(JsonWriter& w, const event::Alert& a) {
  w.StartObject();
  field(w, "scenario", a.scenario);
  field(w, "scenario_hash", a.scenario_hash);
  field(w, "scenario_version", a.scenario_version);
  field(w, "message", a.message);
  w.Key("events_count");
  w.Int(a.events_count);
  field(w, "start_at", a.start_at);
  field(w, "stop_at", a.stop_at);
  w.Key("capacity");
  w.Int(a.capacity);
  field(w, "leakspeed", a.leakspeed);
  w.Key("simulated");
  w.Bool(a.simulated);
  w.Key("remediation");
  w.Bool(a.remediation);
  w.Key("source");
  source(w, a.source);
  w.Key("events");
  w.StartArray();
  for (const event::AlertEvent& e : a.events) {
    w.StartObject();
    field(w, "timestamp", e.timestamp);
    w.Key("meta");
    pairs(w, e.meta);
    w.EndObject();
  }
  w.EndArray();
  if (!a.meta.empty()) {
    w.Key("meta");
    pairs(w, a.meta);
  }
  if (!a.labels.empty()) {
    w.Key("labels");
    w.StartArray();
    std::string label;
    for (const auto& [k, v] : a.labels) {
      label.assign(k).append(1, ':').append(v);
      writeJsonString(w, label);
    }
    w.EndArray();
  }
  if (!a.decisions.empty()) {
    w.Key("decisions");
    w.StartArray();
    for (const event::Decision& d : a.decisions) {
      decision(w, d);
    }
    w.EndArray();
  }
  if (!a.kind.empty() && a.kind != "crowdsec") {
    field(w, "kind", a.kind);
  }
  w.EndObject();
}

std::string alertToJson(const event::Alert& alert) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  writeAlertJson(w, alert);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace cw::core::alerts
