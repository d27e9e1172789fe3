// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

#include "cw/core/event/event.h"

// The one JSON form of an agent's alert: the Local API's Alert model as POST /v1/alerts takes
// it (shared/docs/contract/lapi.md §4-5). `crowdwall replay -o json` prints it and the agent
// posts it, so what a replay shows is what the LAPI receives.
namespace cw::core::alerts {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes `s` as a JSON string. Log bytes reach alerts unchanged and may be invalid UTF-8:
/// each invalid byte becomes U+FFFD, so the document always parses.
void writeJsonString(JsonWriter& w, std::string_view s);

/// Writes one alert object: scenario, scenario_hash, scenario_version, message, events_count,
/// start_at, stop_at, capacity, leakspeed, simulated, remediation, source (scope and value,
/// then ip, range, as_number, as_name, cn when set, latitude and longitude when either is not
/// 0), events [{timestamp, meta [{key, value}]}], then meta (console context), labels
/// ("key:value") and decisions when there are some, and kind when it is not "crowdsec".
void writeAlertJson(JsonWriter& w, const event::Alert& alert);

/// writeAlertJson() into a string.
std::string alertToJson(const event::Alert& alert);

}  // namespace cw::core::alerts
