// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cw/core/agent/agent.h"
#include "cw/core/common/result.h"

// `cwcli explain`: runs lines through the agent and shows, stage by stage and node by node,
// which parser succeeded or failed and what each one changed, then which scenarios took the
// event and which alerts it raised.
namespace cw::core::explain {

struct Options {
  agent::AgentConfig agent;
  std::string type;                                         ///< Line.Labels["type"]
  std::vector<std::pair<std::string, std::string>> labels;  ///< extra labels
  bool verbose = false;  ///< also list unchanged nodes' fields? (false: changes only)
};

/// Explains every line of `file`.
Result<bool> explainFile(const Options& options, const std::string& file, std::ostream& out);

/// Explains the given lines (e.g. from --log), as if read from a file named "explain".
Result<bool> explainLines(const Options& options, const std::vector<std::string>& lines,
                          std::ostream& out);

} // namespace cw::core::explain
