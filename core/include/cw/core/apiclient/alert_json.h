// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "cw/core/event/event.h"

// The agent's alerts in the Local API's Alert model as POST /v1/alerts takes it
// (shared/docs/contract/lapi.md §4-5, lapi-trace.md "Agent").
namespace cw::core::apiclient {

/// One alert as a JSON object: scenario, scenario_hash, scenario_version, message,
/// events_count, start_at, stop_at, capacity, leakspeed, simulated, remediation, source
/// (empty optional fields left out), events [{timestamp, meta [{key, value}]}], meta (console
/// context) and labels ("key:value" strings) when present, decisions when the alert carries
/// some. Invalid UTF-8 from logs is replaced by U+FFFD so that the document stays valid.
std::string alertToJson(const event::Alert& alert);

/// Joins JSON objects into a JSON array.
std::string jsonArray(const std::vector<std::string>& objects);

}  // namespace cw::core::apiclient
