// SPDX-License-Identifier: Apache-2.0
#include "profiles_glue.h"

namespace cw::core::lapi {

Result<bool> applyProfiles(const decisions::Profiles* profiles, store::Store& store,
                           store::Alert& alert, TimePoint now) {
  (void)store;
  (void)alert;
  (void)now;
  if (profiles == nullptr) {
    return true;
  }
  return makeError(ErrorCode::Unsupported, "profiles engine not wired yet");
}

}  // namespace cw::core::lapi
