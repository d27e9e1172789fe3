// SPDX-License-Identifier: Apache-2.0
// Logging a repeated problem without flooding the log.
#pragma once

#include <cstdint>

namespace cw::core {

/// True for the 1st, 10th, 100th, 1000th... occurrence: a problem driven by its input's rate
/// (dropped alerts, a failing plugin) is logged at those counts and counted at every one.
inline bool isPowerOfTen(std::uint64_t n) {
  while (n >= 10 && n % 10 == 0) {
    n /= 10;
  }
  return n == 1;
}

}  // namespace cw::core
