// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "cw/core/agent/agent.h"

namespace cw::cli {

/// `crowdwall replay --dsn`: reads a DSN (file://..., journalctl://...) through the
/// acquisition plugin serving its scheme (loaded from `plugin_dir`, "" = the default
/// folder, plus those cwcli enabled in `hub_dir`/plugins/index.json when --hub names an
/// installed config dir), every line through the agent, like Agent::replay() does for --file.
core::Result<core::agent::ReplayResult> replayDsn(core::agent::Agent& agent, const std::string& dsn,
                                                  const std::string& plugin_dir,
                                                  const std::string& hub_dir,
                                                  const core::agent::ReplayInput& input);

/// Default plugin folder: $CROWDWALL_PLUGIN_DIR, else <exe dir>/../lib/crowdwall/plugins
/// (or lib/<multiarch>/...), else <exe dir>/../plugins (the build tree).
std::string defaultPluginDir();

}  // namespace cw::cli
