// SPDX-License-Identifier: Apache-2.0
#include "cw/core/event/event.h"

namespace cw::core::event {

void Event::reset() {
  type = EventType::Log;
  expect_mode = ExpectMode::Live;
  whitelisted = false;
  whitelist_reason.clear();
  stage.clear();
  line.raw.clear();
  line.src.clear();
  line.module.clear();
  line.time = TimePoint{};
  line.labels.clear();
  line.process = false;
  parsed.clear();
  enriched.clear();
  meta.clear();
  if (!unmarshaled.empty()) {
    unmarshaled.clear();
  }
  time = TimePoint{};
  str_time.clear();
  str_time_format.clear();
  marshaled_time.clear();
  process = false;
  if (!overflow.api_alerts.empty() || !overflow.sources.empty() || !overflow.mapkey.empty()) {
    overflow = Overflow{};
  }
}

std::string_view Event::getMeta(std::string_view key) const {
  if (type != EventType::Overflow) {
    return meta.get(key);
  }
  const Alert* alert = overflow.alert();
  if (alert == nullptr) {
    return {};
  }
  for (const AlertEvent& e : alert->events) {
    for (const auto& [k, v] : e.meta) {
      if (k == key && !v.empty()) {
        return v;
      }
    }
  }
  return {};
}

const char* eventTypeName(EventType t) {
  switch (t) {
    case EventType::Log:
      return "log";
    case EventType::Overflow:
      return "overflow";
    case EventType::Appsec:
      return "appsec";
  }
  return "log";
}

} // namespace cw::core::event
