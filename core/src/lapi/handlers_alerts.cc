// SPDX-License-Identifier: Apache-2.0
// /v1/alerts: push (profiles turn alerts into decisions), list, inspect, delete.
#include <charconv>

#include "cw/core/lapi/json_models.h"
#include "cw/core/notifications/dispatcher.h"
#include "profiles_glue.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

std::optional<std::int64_t> parseId(const std::string& text) {
  std::int64_t id = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return std::nullopt;
  }
  return id;
}

std::string nbDeleted(std::int64_t n) { return "{\"nbDeleted\":\"" + std::to_string(n) + "\"}"; }

}  // namespace

void Server::Impl::postAlerts(Call& call) {
  ParsedAlerts parsed = parseAlerts(call.body, call.now);
  if (!parsed.ok) {
    bump(counters.bad_bodies);
    message(call, parsed.error.status, parsed.error.message);
    return;
  }
  // The notifications each alert's matching profiles name, sent once the alerts are stored.
  std::vector<std::vector<std::string>> notify(parsed.alerts.size());
  for (std::size_t i = 0; i < parsed.alerts.size(); ++i) {
    store::Alert& alert = parsed.alerts[i];
    alert.machine_id = call.machine_id;
    if (!alert.decisions.empty()) {
      // cscli / console alerts carry their decisions: kept as sent, the profiles only notify.
      if (options.notifications != nullptr) {
        notify[i] = notificationsFor(profiles, alert, call.now);
      }
      continue;
    }
    // Allowlists: there is no allowlist store yet, so no source is allowlisted and no alert is
    // dropped here (lapi.md §5 step 2).
    // TODO(lapi): drop alerts whose Ip/Range source is allowlisted once allowlists are stored.
    auto applied = applyProfiles(profiles, alert, call.now, &notify[i]);
    if (!applied) {
      message(call, 500, applied.error().message);
      return;
    }
  }
  auto ids = store.insertAlerts(parsed.alerts, call.now);
  if (!ids) {
    if (ids.error().code == ErrorCode::Invalid) {
      bump(counters.bad_bodies);
      message(call, 400, ids.error().message);
      return;
    }
    storeFailure(call, ids.error());
    return;
  }
  std::uint64_t decisions = 0;
  for (const auto& a : parsed.alerts) {
    decisions += a.decisions.size();
  }
  if (options.notifications != nullptr) {
    // Queued only: the dispatcher's thread calls the plugins; a full queue drops and counts.
    for (std::size_t i = 0; i < parsed.alerts.size() && i < ids->size(); ++i) {
      if (notify[i].empty()) {
        continue;
      }
      parsed.alerts[i].id = (*ids)[i];
      options.notifications->submit(notify[i], notificationJson(parsed.alerts[i]));
      bump(counters.notified_alerts);
    }
  }
  counters.alerts_received.fetch_add(ids->size(), std::memory_order_relaxed);
  counters.decisions_created.fetch_add(decisions, std::memory_order_relaxed);
  if (auto up = store.updateMachineLastPush(call.machine_id, call.now); !up) {
    logger()->warn("Cannot update last push machine={} error={}", call.machine_id,
                   up.error().message);
  }
  std::string body = "[";
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += "\"" + std::to_string((*ids)[i]) + "\"";
  }
  body += "]";
  reply(call, 201, std::move(body));
}

void Server::Impl::getAlerts(Call& call) {
  auto filter = store::AlertFilter::fromQuery(call.query(), call.now);
  if (!filter) {
    message(call, 500, filter.error().message);
    return;
  }
  auto alerts = store.listAlerts(*filter, call.now);
  if (!alerts) {
    storeFailure(call, alerts.error());
    return;
  }
  reply(call, 200, renderAlerts(*alerts, call.now));
}

void Server::Impl::deleteAlerts(Call& call) {
  if (!isTrusted(call)) {
    bump(counters.auth_failures);
    message(call, 403, "access forbidden from this IP (" + call.client_ip + ")");
    return;
  }
  auto filter = store::AlertFilter::fromQuery(call.query(), call.now);
  if (!filter) {
    message(call, 500, filter.error().message);
    return;
  }
  auto n = store.deleteAlerts(*filter, call.now);
  if (!n) {
    storeFailure(call, n.error());
    return;
  }
  reply(call, 200, nbDeleted(*n));
}

void Server::Impl::getAlert(Call& call) {
  const auto id = parseId(call.params.at(0));
  if (!id) {
    message(call, 400, "alert_id must be valid integer");
    return;
  }
  auto alert = store.getAlert(*id);
  if (!alert) {
    storeFailure(call, alert.error());
    return;
  }
  if (!alert->has_value()) {
    message(call, 404, "object not found");
    return;
  }
  reply(call, 200, renderAlert(**alert, call.now));
}

void Server::Impl::deleteAlert(Call& call) {
  if (!isTrusted(call)) {
    bump(counters.auth_failures);
    message(call, 403, "access forbidden from this IP (" + call.client_ip + ")");
    return;
  }
  const auto id = parseId(call.params.at(0));
  if (!id) {
    message(call, 400, "alert_id must be valid integer");
    return;
  }
  auto deleted = store.deleteAlert(*id);
  if (!deleted) {
    storeFailure(call, deleted.error());
    return;
  }
  if (!*deleted) {
    // Upstream answers an unknown id with a 500 (lapi.md §3), in ent's words.
    message(call, 500, "ent: alert not found");
    return;
  }
  reply(call, 200, nbDeleted(1));
}

}  // namespace cw::core::lapi
