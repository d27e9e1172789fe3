// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/store/models.h"

namespace cw::core::decisions {
class Profiles;
}

namespace cw::core::lapi {

/// Runs `profiles` (scenarios.md §12) on an alert that came without decisions and attaches the
/// decisions they generate (origin crowdsec, until = stop_at + duration). No profiles: no
/// decisions. An error is a profile failing without `on_error` (the request then fails, 500).
/// `notifications`, when given, receives the notification names of the matching profiles.
Result<bool> applyProfiles(const decisions::Profiles* profiles, store::Alert& alert, TimePoint now,
                           std::vector<std::string>* notifications = nullptr);

/// The notification names of the profiles matching an alert that came with its decisions
/// (cwcli, console): they are kept as sent, the profiles only notify. A failing profile is
/// logged and notifies nothing.
std::vector<std::string> notificationsFor(const decisions::Profiles* profiles,
                                          const store::Alert& alert, TimePoint now);

/// The alert as notifications get it: the JSON object an agent posts (alerts::alertToJson),
/// with the decisions the LAPI attached (duration = until - stop_at, and until).
std::string notificationJson(const store::Alert& alert);

}  // namespace cw::core::lapi
