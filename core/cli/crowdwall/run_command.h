// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace cw::cli {

/// `crowdwall run [-c CONFIG]`: the daemon (agent and/or Local API) until SIGTERM/SIGINT.
/// argv[0] is "run" (or the program name when called as `crowdwall -c CONFIG`).
int runRun(int argc, char** argv);

}  // namespace cw::cli
