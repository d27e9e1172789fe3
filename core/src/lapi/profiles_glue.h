// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cw/core/common/result.h"
#include "cw/core/store/models.h"

namespace cw::core::decisions {
class Profiles;
}

namespace cw::core::lapi {

/// Runs `profiles` (scenarios.md §12) on an alert that came without decisions and attaches the
/// decisions they generate (origin crowdsec, until = stop_at + duration). No profiles: no
/// decisions. An error is a profile failing without `on_error` (the request then fails, 500).
Result<bool> applyProfiles(const decisions::Profiles* profiles, store::Alert& alert, TimePoint now);

}  // namespace cw::core::lapi
