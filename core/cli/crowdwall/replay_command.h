// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace cw::cli {

/// `crowdwall replay ...`; argv[0] is "replay". Returns the process exit code:
/// 0 done (alerts or not), 1 loading or reading failed, 2 bad command line.
int runReplay(int argc, char** argv);

} // namespace cw::cli
