// SPDX-License-Identifier: Apache-2.0
#include "profiles_glue.h"

#include "cw/core/alerts/json.h"
#include "cw/core/decisions/profiles.h"
#include "cw/core/lapi/json_models.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<store::MetaItem>& items) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(items.size());
  for (const store::MetaItem& m : items) {
    out.emplace_back(m.key, m.value);
  }
  return out;
}

}  // namespace

Result<bool> applyProfiles(const decisions::Profiles* profiles, store::Alert& alert, TimePoint now,
                           std::vector<std::string>* notifications) {
  if (profiles == nullptr) {
    return true;
  }
  auto evaluation = profiles->evaluate(alert, now);
  if (!evaluation) {
    return evaluation.error();
  }
  alert.decisions = std::move(evaluation->decisions);
  if (notifications != nullptr) {
    *notifications = std::move(evaluation->notifications);
  }
  return true;
}

std::vector<std::string> notificationsFor(const decisions::Profiles* profiles,
                                          const store::Alert& alert, TimePoint now) {
  if (profiles == nullptr) {
    return {};
  }
  auto evaluation = profiles->evaluate(alert, now);
  if (!evaluation) {
    logger()->warn(
        "Profiles failed on an alert with decisions, no notification scenario={} "
        "error={}",
        alert.scenario, evaluation.error().message);
    return {};
  }
  return std::move(evaluation->notifications);
}

std::string notificationJson(const store::Alert& a) {
  event::Alert e;
  e.id = a.id;
  e.scenario = a.scenario;
  e.scenario_hash = a.scenario_hash;
  e.scenario_version = a.scenario_version;
  e.message = a.message;
  e.capacity = a.capacity;
  e.leakspeed = a.leakspeed;
  e.events_count = a.events_count;
  e.start_at = formatRfc3339Nano(a.start_at);
  e.stop_at = formatRfc3339Nano(a.stop_at);
  e.simulated = a.simulated;
  e.remediation = a.remediation;
  if (!a.kind.empty()) {
    e.kind = a.kind;
  }
  e.source.scope = a.source.scope;
  e.source.value = a.source.value;
  e.source.ip = a.source.ip;
  e.source.range = a.source.range;
  e.source.as_name = a.source.as_name;
  e.source.as_number = a.source.as_number;
  e.source.cn = a.source.cn;
  e.source.latitude = static_cast<float>(a.source.latitude);
  e.source.longitude = static_cast<float>(a.source.longitude);
  for (const store::Event& ev : a.events) {
    e.events.push_back(event::AlertEvent{formatRfc3339Nano(ev.timestamp), pairs(ev.meta)});
  }
  e.meta = pairs(a.meta);
  for (const std::string& label : a.labels) {
    const std::size_t colon = label.find(':');
    e.labels.emplace_back(label.substr(0, colon),
                          colon == std::string::npos ? "" : label.substr(colon + 1));
  }
  for (const store::Decision& d : a.decisions) {
    event::Decision out;
    out.id = d.id;
    out.origin = d.origin;
    out.type = d.type;
    out.scope = d.scope;
    out.value = d.value;
    out.duration = formatGoDuration(d.until.unix_nanos - a.stop_at.unix_nanos);
    out.scenario = d.scenario;
    out.simulated = d.simulated;
    out.until = formatRfc3339(d.until);
    e.decisions.push_back(std::move(out));
  }
  return alerts::alertToJson(e);
}

}  // namespace cw::core::lapi
