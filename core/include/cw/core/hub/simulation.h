// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "cw/core/common/result.h"
#include "cw/core/scenarios/buckets.h"

// simulation.yaml (shared/docs/contract/scenarios.md §11):
//   simulation: true|false
//   exclusions: [scenario names]
// A scenario is simulated iff (simulation on and not excluded) or (off and excluded). Its
// alerts carry `simulated: true` and the Local API makes no active decision from them.
namespace cw::core::hub {

/// Reads simulation.yaml. A missing file is simulation off with no exclusion; a file that is
/// not a mapping, or has keys other than the two, or values of the wrong type, is an error.
Result<scenarios::Simulation> loadSimulation(const std::string& path);

/// Writes simulation.yaml (atomically: a temporary file renamed over the old one).
Result<bool> saveSimulation(const std::string& path, const scenarios::Simulation& simulation);

/// Whether `scenario` is simulated under `simulation`.
bool isSimulated(const scenarios::Simulation& simulation, std::string_view scenario);

}  // namespace cw::core::hub
