// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

// Whole-file reads for configuration, hub items and indexes (load time, never the per-line path).
namespace cw::core {

/// The bytes of the file at `path`, or nullopt when it cannot be opened or read (errno tells
/// why, so each caller words its own message).
std::optional<std::string> readWholeFile(const std::string& path);

}  // namespace cw::core
