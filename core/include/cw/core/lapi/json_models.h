// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/time.h"
#include "cw/core/store/models.h"

// The Local API's wire format of the store's models (shared/docs/contract/lapi.md §4,
// lapi-trace.md). Keys are written in alphabetical order, as CrowdSec's Go models do. Shared by
// the server (cw::core::lapi::Server) and clients that POST alerts.
namespace cw::core::lapi {

/// Why a request body was refused: the HTTP status and the `message` the API answers with.
struct BodyError {
  int status = 400;
  std::string message;
};

/// Result of parseAlerts(): the alerts, or the error to answer with.
struct ParsedAlerts {
  std::vector<store::Alert> alerts;
  bool ok = false;
  BodyError error;
};

/// Parses the body of POST /v1/alerts (a JSON array of alerts, lapi.md §5).
/// - malformed JSON, a JSON type that does not fit a field, a number out of range: 400 with a
///   message in Go's encoding/json style;
/// - a missing required field: 500 "validation failure list:\n<field> in body is required...";
/// - scopes are normalised; start_at/stop_at/event timestamps are RFC3339 (an unreadable one
///   becomes `now`, as upstream); a decision's `duration` (Go units plus `d`) gives
///   until = stop_at + duration, and an unreadable duration is a 500.
/// `uuid`, `machine_id`, `id` and `created_at` sent by the client are ignored.
ParsedAlerts parseAlerts(std::string_view body, TimePoint now);

/// The remaining time of a decision as the API shows it: (until - now) rounded to whole seconds,
/// Go duration syntax ("3h59m58s", "0s", "-12s").
std::string remainingDuration(TimePoint until, TimePoint now);

/// RFC3339 at second precision, "Z" for UTC (Go's time.RFC3339 layout).
std::string formatRfc3339(const TimePoint& t);

/// One decision as bouncers get it (GET /v1/decisions, /v1/decisions/stream): duration, id,
/// origin, scenario, scope, [simulated when true], type, uuid, value. Appended to `out`.
void appendBouncerDecision(std::string& out, const store::Decision& d, TimePoint now);
/// The `n` decisions from `decisions` as appendBouncerDecision writes them, separated by
/// commas (no brackets).
void appendBouncerDecisions(std::string& out, const store::Decision* decisions, std::size_t n,
                            TimePoint now);

/// `[decision,...]` for bouncers, or `null` when `decisions` is empty.
std::string renderBouncerDecisions(const std::vector<store::Decision>& decisions, TimePoint now);

/// One alert as GET /v1/alerts[/{id}] returns it: created_at RFC3339, start_at/stop_at and event
/// timestamps in Go's default time format (CrowdSec 1.4.6 on the wire), decisions with their
/// remaining duration and `until`, empty lists as `null` (alert `meta`: omitted when empty).
std::string renderAlert(const store::Alert& alert, TimePoint now);

/// `[alert,...]`, or `null` when empty.
std::string renderAlerts(const std::vector<store::Alert>& alerts, TimePoint now);

/// Alerts as a machine POSTs them to /v1/alerts: RFC3339 times, decisions carrying
/// duration = until - stop_at. parseAlerts(renderAlertsForPost(a)) gives `a` back (ids, uuids,
/// machine_id and created_at aside).
std::string renderAlertsForPost(const std::vector<store::Alert>& alerts);

/// `{"message": "<message>"}`
std::string messageJson(std::string_view message);

}  // namespace cw::core::lapi
