// SPDX-License-Identifier: Apache-2.0
#pragma once

// `cwcli [-c CONFIG] lapi status|register`: a machine's view of a Local API, over HTTP with the
// agent's client (cscli's `lapi` commands).
namespace cw::cli {

/// True when argv (after optional leading -c FILE / --config FILE / --config=FILE) names `lapi`.
bool isLapiCommand(int argc, char** argv);

/// Runs `cwcli [-c CONFIG] lapi ...`; argv[0] is the program.
int runLapiCommand(int argc, char** argv);

}  // namespace cw::cli
