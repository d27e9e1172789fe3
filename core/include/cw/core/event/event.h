// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cw/core/common/time.h"
#include "cw/core/common/value.h"
#include "cw/core/event/str_map.h"

// The Event model shared by every stage. Field names follow CrowdSec's, because expressions
// (`evt.Meta.source_ip`) and hub tests (`.Evt.Parsed["program"]`) address them by name:
// see shared/docs/contract/parsers.md section 1 and scenarios.md section 11.
namespace cw::core::event {

enum class EventType : int { Log = 0, Overflow = 1, Appsec = 2 };
enum class ExpectMode : int { Live = 0, TimeMachine = 1 };

/// The raw line as acquisition produced it.
struct Line {
  std::string raw;     ///< the text
  std::string src;     ///< file path, journal name or client address
  std::string module;  ///< datasource name: file, journalctl, syslog...
  TimePoint time;      ///< acquisition time
  StrMap labels;       ///< from acquis; labels["type"] selects parsers
  bool process = false;
};

/// Where an alert comes from (`Overflow.Sources[k]`, `Alert.Source`).
struct Source {
  std::string scope;  ///< "Ip", "Range" or a scenario-defined scope
  std::string value;
  std::string ip;
  std::string range;
  std::string as_name;
  std::string as_number;
  std::string cn;
  float latitude = 0;
  float longitude = 0;

  friend bool operator==(const Source&, const Source&) = default;
};

/// One queued event as carried by an alert.
struct AlertEvent {
  std::string timestamp;                                   ///< RFC3339
  std::vector<std::pair<std::string, std::string>> meta;  ///< sorted by key
};

/// A decision attached to an alert (LAPI side; empty when the agent builds the alert).
struct Decision {
  std::int64_t id = 0;
  std::string origin;
  std::string type;
  std::string scope;
  std::string value;
  std::string duration;
  std::string scenario;
  bool simulated = false;
  std::string until;
};

/// An alert in the shape the Local API exchanges (scenarios.md section 11).
struct Alert {
  std::int64_t id = 0;
  std::string scenario;
  std::string scenario_hash;
  std::string scenario_version;
  std::string message;
  std::int32_t capacity = 0;
  std::string leakspeed;       ///< Go duration string ("10s", "1m0s")
  std::int32_t events_count = 0;
  std::string start_at;        ///< RFC3339Nano
  std::string stop_at;
  bool simulated = false;
  bool remediation = false;
  std::string kind = "crowdsec";
  Source source;
  std::vector<AlertEvent> events;
  std::vector<std::pair<std::string, std::string>> meta;  ///< console context
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<Decision> decisions;
};

/// Set on OVFLW events.
struct Overflow {
  std::string mapkey;
  std::string bucket_id;
  bool whitelisted = false;
  bool reprocess = false;
  std::map<std::string, Source> sources;  ///< keyed by source value
  std::vector<Alert> api_alerts;          ///< one per source; `Alert` is the first
  std::string scenario;                   ///< scenario name, for sorting and output
  TimePoint first_ts;                     ///< first event of the bucket
  TimePoint last_ts;                      ///< the overflowing event

  Alert* alert() { return api_alerts.empty() ? nullptr : &api_alerts.front(); }
  const Alert* alert() const { return api_alerts.empty() ? nullptr : &api_alerts.front(); }
};

/// One log line (Type Log) or one alert (Type Overflow) on its way through the pipeline.
struct Event {
  EventType type = EventType::Log;
  ExpectMode expect_mode = ExpectMode::Live;
  bool whitelisted = false;
  std::string whitelist_reason;
  std::string stage;
  Line line;
  StrMap parsed;
  StrMap enriched;
  StrMap meta;
  ValueMap unmarshaled;
  TimePoint time;
  std::string str_time;
  std::string str_time_format;
  std::string marshaled_time;
  bool process = false;
  Overflow overflow;

  /// Empties the event for the next line, keeping the capacity of its strings and maps so that
  /// steady-state parsing does not allocate.
  void reset();

  /// evt.GetMeta(k): Meta for LOG events; for OVFLW events the first non-empty meta `k` among
  /// the alert's events.
  std::string_view getMeta(std::string_view key) const;
};

const char* eventTypeName(EventType t);  ///< "log", "overflow", "appsec"

} // namespace cw::core::event
