// SPDX-License-Identifier: Apache-2.0
#include "cw/core/lapi/json_models.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <limits>

#include "lapi_internal.h"

namespace cw::core::lapi {
namespace {

using Value = rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kRfc3339Layout = "2006-01-02T15:04:05Z07:00";

// Reads one alert, collecting type errors (fatal, 400) and missing required fields (500).
class AlertReader {
 public:
  /// `index`: the alert's position in the posted array, prefixed to every field name.
  AlertReader(TimePoint now, std::size_t index) : now_(now), idx_(std::to_string(index) + ".") {}

  bool typeError() const { return !type_error_.empty(); }
  const std::string& typeErrorMessage() const { return type_error_; }
  const std::vector<std::string>& missing() const { return missing_; }

  void read(const Value& v, store::Alert& a) {
    bool has_start = false;
    bool has_stop = false;
    std::string start_text;
    std::string stop_text;
    std::vector<std::string> durations;

    // Alphabetical, as the required-field messages are listed upstream.
    readInt32(v, "capacity", "Alert.capacity", a.capacity, true);
    if (const Value* d = member(v, "decisions")) {
      if (!d->IsArray()) {
        setTypeError(*d, "Alert.decisions", "models.AddAlertsRequestItemDecisions");
      } else {
        bool decisions_failed = false;
        for (rapidjson::SizeType i = 0; i < d->Size(); ++i) {
          const Value& item = (*d)[i];
          if (item.IsNull()) {
            continue;
          }
          if (!item.IsObject()) {
            setTypeError(item, "Alert.decisions", "models.Decision");
            continue;
          }
          store::Decision dec;
          std::string duration;
          const std::size_t before = missing_.size();
          readDecision(item, "decisions." + std::to_string(i) + ".", dec, duration);
          groupSince(before, decisions_failed);
          a.decisions.push_back(std::move(dec));
          durations.push_back(std::move(duration));
        }
      }
    }
    if (const Value* e = member(v, "events")) {
      if (!e->IsArray()) {
        setTypeError(*e, "Alert.events", "[]*models.Event");
      } else {
        bool events_failed = false;
        for (rapidjson::SizeType i = 0; i < e->Size(); ++i) {
          const Value& item = (*e)[i];
          if (item.IsNull()) {
            continue;
          }
          if (!item.IsObject()) {
            setTypeError(item, "Alert.events", "models.Event");
            continue;
          }
          const std::string prefix = "events." + std::to_string(i) + ".";
          const std::size_t before = missing_.size();
          store::Event ev;
          if (const Value* m = member(item, "meta")) {
            readMeta(*m, "Event.meta", ev.meta);
          } else {
            addMissing(prefix + "meta");
          }
          std::string ts;
          if (readString(item, "timestamp", "Event.timestamp", ts, false)) {
            ev.timestamp = parseTime(ts);
          } else {
            addMissing(prefix + "timestamp");
          }
          groupSince(before, events_failed);
          a.events.push_back(std::move(ev));
        }
      }
    } else {
      addMissing("events");
    }
    readInt32(v, "events_count", "Alert.events_count", a.events_count, true);
    if (const Value* l = member(v, "labels")) {
      if (!l->IsArray()) {
        setTypeError(*l, "Alert.labels", "[]string");
      } else {
        for (const Value& item : l->GetArray()) {
          if (!item.IsString()) {
            setTypeError(item, "Alert.labels", "string");
            continue;
          }
          a.labels.emplace_back(item.GetString(), item.GetStringLength());
        }
      }
    }
    readString(v, "kind", "Alert.kind", a.kind, false);
    readString(v, "leakspeed", "Alert.leakspeed", a.leakspeed, true);
    readString(v, "message", "Alert.message", a.message, true);
    if (const Value* m = member(v, "meta")) {
      readMeta(*m, "Alert.meta", a.meta);
    }
    readBool(v, "remediation", "Alert.remediation", a.remediation, false);
    readString(v, "scenario", "Alert.scenario", a.scenario, true);
    readString(v, "scenario_hash", "Alert.scenario_hash", a.scenario_hash, true);
    readString(v, "scenario_version", "Alert.scenario_version", a.scenario_version, true);
    readBool(v, "simulated", "Alert.simulated", a.simulated, true);
    if (const Value* s = member(v, "source")) {
      if (!s->IsObject()) {
        setTypeError(*s, "Alert.source", "models.Source");
      } else {
        const std::size_t before = missing_.size();
        bool source_failed = false;
        readSource(*s, a.source);
        groupSince(before, source_failed);
      }
    } else {
      addMissing("source");
    }
    has_start = readString(v, "start_at", "Alert.start_at", start_text, true);
    has_stop = readString(v, "stop_at", "Alert.stop_at", stop_text, true);

    if (typeError() || !missing_.empty()) {
      return;
    }
    a.start_at = has_start ? parseTime(start_text) : now_;
    a.stop_at = has_stop ? parseTime(stop_text) : now_;
    for (std::size_t i = 0; i < a.decisions.size(); ++i) {
      const auto d = parseGoDuration(durations[i], true);
      if (!d) {
        duration_error_ = "decision duration '" + durations[i] + "': invalid duration";
        return;
      }
      a.decisions[i].until = addDuration(a.stop_at, *d);
    }
  }

  const std::string& durationError() const { return duration_error_; }

 private:
  static const Value* member(const Value& obj, const char* key) {
    const auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) {
      return nullptr;
    }
    return &it->value;
  }

  void setTypeError(const Value& v, const char* field, const char* go_type) {
    if (type_error_.empty()) {
      type_error_ = std::string("json: cannot unmarshal ") + goKind(v) + numberText(v) +
                    " into Go struct field " + field + " of type " + go_type;
    }
  }

  // Go quotes the number it could not store ("number 5000000000").
  static std::string numberText(const Value& v) {
    if (!v.IsNumber()) {
      return "";
    }
    if (v.IsInt64()) {
      return " " + std::to_string(v.GetInt64());
    }
    if (v.IsUint64()) {
      return " " + std::to_string(v.GetUint64());
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.Double(v.GetDouble());
    std::string text(buf.GetString(), buf.GetSize());
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) {
      text.resize(text.size() - 2);
    }
    return " " + text;
  }

  void addMissing(const std::string& name) {
    missing_.push_back(idx_ + name + " in body is required");
  }

  // The lines a nested object added since `before` become one nested "validation failure
  // list"; as the swagger validator stops at the first failing array item, later items' lines
  // are dropped (`failed` remembers that one item already failed).
  void groupSince(std::size_t before, bool& failed) {
    if (missing_.size() == before) {
      return;
    }
    if (failed) {
      missing_.resize(before);
      return;
    }
    failed = true;
    std::string group = "validation failure list:";
    for (std::size_t i = before; i < missing_.size(); ++i) {
      group += "\n" + missing_[i];
    }
    missing_.resize(before);
    missing_.push_back(std::move(group));
  }

  // Returns true when the field is present (and of the right type).
  bool readString(const Value& obj, const char* key, const char* field, std::string& out,
                  bool required, const std::string& prefix = "") {
    const Value* v = member(obj, key);
    if (v == nullptr) {
      if (required) {
        addMissing(prefix + key);
      }
      return false;
    }
    if (!v->IsString()) {
      setTypeError(*v, field, "string");
      return false;
    }
    out.assign(v->GetString(), v->GetStringLength());
    if (out.find('\0') != std::string::npos) {
      // "\u0000" is valid JSON but no database text can hold it.
      if (type_error_.empty()) {
        type_error_ = std::string("json: NUL character in Go struct field ") + field;
      }
      return false;
    }
    return true;
  }

  void readBool(const Value& obj, const char* key, const char* field, bool& out, bool required,
                const std::string& prefix = "") {
    const Value* v = member(obj, key);
    if (v == nullptr) {
      if (required) {
        addMissing(prefix + key);
      }
      return;
    }
    if (!v->IsBool()) {
      setTypeError(*v, field, "bool");
      return;
    }
    out = v->GetBool();
  }

  void readInt32(const Value& obj, const char* key, const char* field, std::int32_t& out,
                 bool required) {
    const Value* v = member(obj, key);
    if (v == nullptr) {
      if (required) {
        addMissing(key);
      }
      return;
    }
    if (!v->IsInt()) {
      setTypeError(*v, field, "int32");
      return;
    }
    out = v->GetInt();
  }

  void readMeta(const Value& v, const char* field, std::vector<store::MetaItem>& out) {
    if (!v.IsArray()) {
      setTypeError(v, field, "models.Meta");
      return;
    }
    for (const Value& item : v.GetArray()) {
      if (item.IsNull()) {
        continue;
      }
      if (!item.IsObject()) {
        setTypeError(item, field, "models.MetaItems0");
        continue;
      }
      store::MetaItem m;
      readString(item, "key", "MetaItems0.key", m.key, false);
      readString(item, "value", "MetaItems0.value", m.value, false);
      out.push_back(std::move(m));
    }
  }

  void readFloat(const Value& obj, const char* key, const char* field, double& out) {
    const Value* v = member(obj, key);
    if (v == nullptr) {
      return;
    }
    if (!v->IsNumber() || !std::isfinite(v->GetDouble()) ||
        std::fabs(v->GetDouble()) > std::numeric_limits<float>::max()) {
      setTypeError(*v, field, "float32");
      return;
    }
    out = v->GetDouble();
  }

  void readSource(const Value& v, store::Source& s) {
    readString(v, "as_name", "Source.as_name", s.as_name, false);
    readString(v, "as_number", "Source.as_number", s.as_number, false);
    readString(v, "cn", "Source.cn", s.cn, false);
    readString(v, "ip", "Source.ip", s.ip, false);
    readFloat(v, "latitude", "Source.latitude", s.latitude);
    readFloat(v, "longitude", "Source.longitude", s.longitude);
    readString(v, "range", "Source.range", s.range, false);
    readString(v, "scope", "Source.scope", s.scope, true, "source.");
    readString(v, "value", "Source.value", s.value, true, "source.");
    s.scope = store::normalizeScope(s.scope);
  }

  void readDecision(const Value& v, const std::string& prefix, store::Decision& d,
                    std::string& duration) {
    readString(v, "duration", "Decision.duration", duration, true, prefix);
    readString(v, "origin", "Decision.origin", d.origin, true, prefix);
    readString(v, "scenario", "Decision.scenario", d.scenario, true, prefix);
    readString(v, "scope", "Decision.scope", d.scope, true, prefix);
    readBool(v, "simulated", "Decision.simulated", d.simulated, false, prefix);
    readString(v, "type", "Decision.type", d.type, true, prefix);
    readString(v, "value", "Decision.value", d.value, true, prefix);
    d.scope = store::normalizeScope(d.scope);
  }

  TimePoint parseTime(const std::string& text) const {
    if (auto t = parseGoLayout(kRfc3339Layout, text)) {
      return *t;
    }
    return now_;
  }

  static TimePoint addDuration(TimePoint t, Duration d) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(t.unix_nanos, d, &sum)) {
      sum = d > 0 ? std::numeric_limits<std::int64_t>::max()
                  : std::numeric_limits<std::int64_t>::min();
    }
    return TimePoint::fromUnixNanos(sum);
  }

  TimePoint now_;
  std::string idx_;
  std::string type_error_;
  std::vector<std::string> missing_;
  std::string duration_error_;
};

void writeString(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void writeKeyString(Writer& w, const char* key, std::string_view s) {
  w.Key(key);
  writeString(w, s);
}

void writeMeta(Writer& w, const std::vector<store::MetaItem>& meta) {
  if (meta.empty()) {
    w.Null();
    return;
  }
  w.StartArray();
  for (const auto& m : meta) {
    w.StartObject();
    writeKeyString(w, "key", m.key);
    writeKeyString(w, "value", m.value);
    w.EndObject();
  }
  w.EndArray();
}

void writeSource(Writer& w, const store::Source& s) {
  w.StartObject();
  if (!s.as_name.empty()) {
    writeKeyString(w, "as_name", s.as_name);
  }
  if (!s.as_number.empty()) {
    writeKeyString(w, "as_number", s.as_number);
  }
  if (!s.cn.empty()) {
    writeKeyString(w, "cn", s.cn);
  }
  if (!s.ip.empty()) {
    writeKeyString(w, "ip", s.ip);
  }
  if (s.latitude != 0) {
    w.Key("latitude");
    w.Double(s.latitude);
  }
  if (s.longitude != 0) {
    w.Key("longitude");
    w.Double(s.longitude);
  }
  if (!s.range.empty()) {
    writeKeyString(w, "range", s.range);
  }
  writeKeyString(w, "scope", s.scope);
  writeKeyString(w, "value", s.value);
  w.EndObject();
}

void writeBouncerDecision(Writer& w, const store::Decision& d, TimePoint now) {
  w.StartObject();
  writeKeyString(w, "duration", remainingDuration(d.until, now));
  w.Key("id");
  w.Int64(d.id);
  writeKeyString(w, "origin", d.origin);
  writeKeyString(w, "scenario", d.scenario);
  writeKeyString(w, "scope", d.scope);
  if (d.simulated) {
    w.Key("simulated");
    w.Bool(true);
  }
  writeKeyString(w, "type", d.type);
  writeKeyString(w, "uuid", d.uuid);
  writeKeyString(w, "value", d.value);
  w.EndObject();
}

void writeAlert(Writer& w, const store::Alert& a, TimePoint now) {
  w.StartObject();
  w.Key("capacity");
  w.Int(a.capacity);
  writeKeyString(w, "created_at", formatRfc3339(a.created_at));
  w.Key("decisions");
  if (a.decisions.empty()) {
    w.Null();
  } else {
    w.StartArray();
    for (const auto& d : a.decisions) {
      w.StartObject();
      writeKeyString(w, "duration", remainingDuration(d.until, now));
      w.Key("id");
      w.Int64(d.id);
      writeKeyString(w, "origin", d.origin);
      writeKeyString(w, "scenario", d.scenario);
      writeKeyString(w, "scope", d.scope);
      w.Key("simulated");
      w.Bool(d.simulated);
      writeKeyString(w, "type", d.type);
      writeKeyString(w, "until", formatRfc3339(d.until));
      writeKeyString(w, "uuid", d.uuid);
      writeKeyString(w, "value", d.value);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("events");
  if (a.events.empty()) {
    w.Null();
  } else {
    w.StartArray();
    for (const auto& e : a.events) {
      w.StartObject();
      w.Key("meta");
      writeMeta(w, e.meta);
      writeKeyString(w, "timestamp", formatGoDefault(e.timestamp));
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("events_count");
  w.Int(a.events_count);
  w.Key("id");
  w.Int64(a.id);
  if (!a.kind.empty()) {
    writeKeyString(w, "kind", a.kind);
  }
  w.Key("labels");
  if (a.labels.empty()) {
    w.Null();
  } else {
    w.StartArray();
    for (const auto& l : a.labels) {
      writeString(w, l);
    }
    w.EndArray();
  }
  writeKeyString(w, "leakspeed", a.leakspeed);
  writeKeyString(w, "machine_id", a.machine_id);
  writeKeyString(w, "message", a.message);
  if (!a.meta.empty()) {  // omitted when empty, as CrowdSec 1.4.6 does
    w.Key("meta");
    writeMeta(w, a.meta);
  }
  w.Key("remediation");
  w.Bool(a.remediation);
  writeKeyString(w, "scenario", a.scenario);
  writeKeyString(w, "scenario_hash", a.scenario_hash);
  writeKeyString(w, "scenario_version", a.scenario_version);
  w.Key("simulated");
  w.Bool(a.simulated);
  w.Key("source");
  writeSource(w, a.source);
  writeKeyString(w, "start_at", formatGoDefault(a.start_at));
  writeKeyString(w, "stop_at", formatGoDefault(a.stop_at));
  writeKeyString(w, "uuid", a.uuid);
  w.EndObject();
}

void writeAlertForPost(Writer& w, const store::Alert& a) {
  w.StartObject();
  w.Key("capacity");
  w.Int(a.capacity);
  w.Key("decisions");
  w.StartArray();
  for (const auto& d : a.decisions) {
    w.StartObject();
    writeKeyString(w, "duration", formatGoDuration(d.until.unix_nanos - a.stop_at.unix_nanos));
    writeKeyString(w, "origin", d.origin);
    writeKeyString(w, "scenario", d.scenario);
    writeKeyString(w, "scope", d.scope);
    w.Key("simulated");
    w.Bool(d.simulated);
    writeKeyString(w, "type", d.type);
    writeKeyString(w, "value", d.value);
    w.EndObject();
  }
  w.EndArray();
  w.Key("events");
  w.StartArray();
  for (const auto& e : a.events) {
    w.StartObject();
    w.Key("meta");
    w.StartArray();
    for (const auto& m : e.meta) {
      w.StartObject();
      writeKeyString(w, "key", m.key);
      writeKeyString(w, "value", m.value);
      w.EndObject();
    }
    w.EndArray();
    writeKeyString(w, "timestamp", formatRfc3339Nano(e.timestamp));
    w.EndObject();
  }
  w.EndArray();
  w.Key("events_count");
  w.Int(a.events_count);
  if (!a.kind.empty()) {
    writeKeyString(w, "kind", a.kind);
  }
  w.Key("labels");
  w.StartArray();
  for (const auto& l : a.labels) {
    writeString(w, l);
  }
  w.EndArray();
  writeKeyString(w, "leakspeed", a.leakspeed);
  writeKeyString(w, "message", a.message);
  w.Key("meta");
  w.StartArray();
  for (const auto& m : a.meta) {
    w.StartObject();
    writeKeyString(w, "key", m.key);
    writeKeyString(w, "value", m.value);
    w.EndObject();
  }
  w.EndArray();
  w.Key("remediation");
  w.Bool(a.remediation);
  writeKeyString(w, "scenario", a.scenario);
  writeKeyString(w, "scenario_hash", a.scenario_hash);
  writeKeyString(w, "scenario_version", a.scenario_version);
  w.Key("simulated");
  w.Bool(a.simulated);
  w.Key("source");
  writeSource(w, a.source);
  writeKeyString(w, "start_at", formatRfc3339Nano(a.start_at));
  writeKeyString(w, "stop_at", formatRfc3339Nano(a.stop_at));
  w.EndObject();
}

}  // namespace

ParsedAlerts parseAlerts(std::string_view body, TimePoint now) {
  ParsedAlerts out;
  rapidjson::Document doc;
  doc.Parse<kBodyParseFlags>(body.data(), body.size());
  if (doc.HasParseError()) {
    out.error = {400, jsonParseErrorMessage(doc, body)};
    return out;
  }
  if (!doc.IsArray()) {
    out.error = {400, cannotUnmarshal(doc, "models.AddAlertsRequest")};
    return out;
  }
  out.alerts.reserve(doc.Size());
  for (const Value& item : doc.GetArray()) {
    if (!item.IsObject()) {
      out.error = {400, cannotUnmarshal(item, "models.Alert")};
      return out;
    }
    AlertReader reader(now, static_cast<std::size_t>(&item - doc.Begin()));
    store::Alert alert;
    reader.read(item, alert);
    if (reader.typeError()) {
      out.error = {400, reader.typeErrorMessage()};
      return out;
    }
    if (!reader.missing().empty()) {
      std::string message = "validation failure list:";
      for (const auto& m : reader.missing()) {
        message += "\n" + m;
      }
      out.error = {500, std::move(message)};
      return out;
    }
    if (!reader.durationError().empty()) {
      out.error = {500, reader.durationError()};
      return out;
    }
    out.alerts.push_back(std::move(alert));
  }
  out.ok = true;
  return out;
}

std::string remainingDuration(TimePoint until, TimePoint now) {
  // Go's Duration.Round(time.Second): halves away from zero; saturating like Go's Sub().
  std::int64_t d = 0;
  if (__builtin_sub_overflow(until.unix_nanos, now.unix_nanos, &d)) {
    d = until.unix_nanos > now.unix_nanos ? std::numeric_limits<std::int64_t>::max()
                                          : std::numeric_limits<std::int64_t>::min();
  }
  std::int64_t secs = d / kSecond;
  const std::int64_t rest = d % kSecond;
  if (rest >= kSecond / 2) {
    ++secs;
  } else if (rest <= -kSecond / 2) {
    --secs;
  }
  const std::int64_t max_secs = std::numeric_limits<std::int64_t>::max() / kSecond;
  if (secs > max_secs) {
    secs = max_secs;
  } else if (secs < -max_secs) {
    secs = -max_secs;
  }
  return formatGoDuration(secs * kSecond);
}

std::string formatRfc3339(const TimePoint& t) { return formatGoLayout(kRfc3339Layout, t); }

void appendBouncerDecision(std::string& out, const store::Decision& d, TimePoint now) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeBouncerDecision(w, d, now);
  out.append(buf.GetString(), buf.GetSize());
}

void appendBouncerDecisions(std::string& out, const store::Decision* decisions, std::size_t n,
                            TimePoint now) {
  // One buffer for all; the writer is reset for each top-level object.
  rapidjson::StringBuffer buf;
  buf.Reserve(n * 192);
  Writer w(buf);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      buf.Put(',');
    }
    w.Reset(buf);
    writeBouncerDecision(w, decisions[i], now);
  }
  out.append(buf.GetString(), buf.GetSize());
}

std::string renderBouncerDecisions(const std::vector<store::Decision>& decisions, TimePoint now) {
  if (decisions.empty()) {
    return "null";
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& d : decisions) {
    writeBouncerDecision(w, d, now);
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string renderAlert(const store::Alert& alert, TimePoint now) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeAlert(w, alert, now);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string renderAlerts(const std::vector<store::Alert>& alerts, TimePoint now) {
  if (alerts.empty()) {
    return "null";
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& a : alerts) {
    writeAlert(w, a, now);
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string renderAlertsForPost(const std::vector<store::Alert>& alerts) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& a : alerts) {
    writeAlertForPost(w, a);
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string messageJson(std::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  writeKeyString(w, "message", message);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace cw::core::lapi
