// SPDX-License-Identifier: Apache-2.0
#include "profiles_glue.h"

#include "cw/core/decisions/profiles.h"

namespace cw::core::lapi {

Result<bool> applyProfiles(const decisions::Profiles* profiles, store::Alert& alert,
                           TimePoint now) {
  if (profiles == nullptr) {
    return true;
  }
  auto evaluation = profiles->evaluate(alert, now);
  if (!evaluation) {
    return evaluation.error();
  }
  alert.decisions = std::move(evaluation->decisions);
  return true;
}

}  // namespace cw::core::lapi
