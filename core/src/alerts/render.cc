// SPDX-License-Identifier: Apache-2.0
#include "cw/core/alerts/render.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cw/core/alerts/json.h"
#include "cw/core/common/time.h"

namespace cw::core::alerts {
namespace {

constexpr std::string_view kRfc3339 = "2006-01-02T15:04:05Z07:00";

std::string sourceLabel(const event::Source& s) {
  if (s.scope.empty() || s.scope == "Ip") {
    return s.value;
  }
  return s.scope + ":" + s.value;
}

void writeStats(JsonWriter& w, const ReplayCounters& c) {
  const std::pair<const char*, std::uint64_t> fields[] = {
      {"lines_read", c.lines_read},
      {"parsed", c.parsed},
      {"whitelisted", c.whitelisted},
      {"unparsed", c.unparsed},
      {"too_long", c.too_long},
      {"empty", c.empty},
      {"overflows", c.overflows},
      {"overflows_whitelisted", c.overflows_whitelisted},
      {"alerts", c.alerts},
  };
  w.StartObject();
  for (const auto& [k, v] : fields) {
    w.Key(k);
    w.Uint64(v);
  }
  w.EndObject();
}

}  // namespace

void sortAlerts(std::vector<event::Alert>& alerts) {
  struct Keyed {
    std::optional<TimePoint> start;
    event::Alert* alert;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(alerts.size());
  for (event::Alert& a : alerts) {
    keyed.push_back({parseGoLayout(kRfc3339, a.start_at), &a});
  }
  // Instants compare across UTC offsets; an unparsable start_at sorts last, by its text.
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) {
    const bool xs = x.start.has_value();
    const bool ys = y.start.has_value();
    if (xs != ys) {
      return xs;
    }
    if (xs && x.start->unix_nanos != y.start->unix_nanos) {
      return x.start->unix_nanos < y.start->unix_nanos;
    }
    return std::tie(x.alert->start_at, x.alert->scenario, x.alert->source.value) <
           std::tie(y.alert->start_at, y.alert->scenario, y.alert->source.value);
  });
  std::vector<event::Alert> sorted;
  sorted.reserve(alerts.size());
  for (Keyed& k : keyed) {
    sorted.push_back(std::move(*k.alert));
  }
  alerts = std::move(sorted);
}

std::string summaryLine(const ReplayCounters& c) {
  return fmt::format("{} lines read, {} parsed ({} whitelisted), {} unparsed, {} too long, "
                     "{} empty, {} alerts",
                     c.lines_read, c.parsed, c.whitelisted, c.unparsed, c.too_long, c.empty,
                     c.alerts);
}

std::string renderTable(const std::vector<event::Alert>& alerts, const ReplayCounters& counters) {
  std::string out;
  if (alerts.empty()) {
    out += "No alerts.\n";
  } else {
    using Row = std::array<std::string, 5>;
    std::vector<Row> rows;
    rows.reserve(alerts.size() + 1);
    rows.push_back({"SCENARIO", "SOURCE", "EVENTS", "FIRST EVENT", "LAST EVENT"});
    for (const event::Alert& a : alerts) {
      rows.push_back({a.scenario, sourceLabel(a.source), std::to_string(a.events_count),
                      a.start_at, a.stop_at});
    }
    std::array<std::size_t, 5> width{};
    for (const Row& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        width[i] = std::max(width[i], r[i].size());
      }
    }
    for (const Row& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        out += r[i];
        if (i + 1 < r.size()) {
          out.append(width[i] - r[i].size() + 2, ' ');  // two spaces between columns
        }
      }
      out += '\n';
    }
  }
  out += summaryLine(counters);
  out += '\n';
  return out;
}

std::string renderJson(const std::vector<event::Alert>& alerts, const ReplayCounters& counters) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("alerts");
  w.StartArray();
  for (const event::Alert& a : alerts) {
    writeAlertJson(w, a);
  }
  w.EndArray();
  w.Key("stats");
  writeStats(w, counters);
  w.EndObject();
  std::string out(buffer.GetString(), buffer.GetSize());
  out += '\n';
  return out;
}

struct JsonStream::State {
  std::FILE* out;
  rapidjson::StringBuffer buffer;
  JsonWriter writer{buffer};
  bool ok = true;

  explicit State(std::FILE* f) : out(f) {}

  // The writer only appends to the buffer, so it can be emptied between alerts.
  void flush() {
    ok = ok && std::fwrite(buffer.GetString(), 1, buffer.GetSize(), out) == buffer.GetSize();
    buffer.Clear();
  }
};

JsonStream::JsonStream(std::FILE* out) : state_(std::make_unique<State>(out)) {
  state_->writer.StartObject();
  state_->writer.Key("alerts");
  state_->writer.StartArray();
}

JsonStream::~JsonStream() = default;

bool JsonStream::add(const event::Alert& alert) {
  writeAlertJson(state_->writer, alert);
  state_->flush();
  return state_->ok;
}

bool JsonStream::finish(const ReplayCounters& counters) {
  JsonWriter& w = state_->writer;
  w.EndArray();
  w.Key("stats");
  writeStats(w, counters);
  w.EndObject();
  state_->buffer.Put('\n');
  state_->flush();
  return state_->ok;
}


}  // namespace cw::core::alerts
