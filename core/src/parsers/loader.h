// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cw/core/grok/grok.h"
#include "cw/core/parsers/pipeline.h"
#include "node.h"

namespace cw::core::parsers::detail {

struct LoadedNodes {
  /// Parser plugins, loaded when a node names one. Declared first: the nodes' plugin instances
  /// are destroyed before the set may unload their shared objects.
  std::shared_ptr<const plugins::PluginSet> plugins;
  std::vector<Node> nodes;  ///< top-level nodes in load order (files by path, then documents)
  bool uses_geoip = false;  ///< some static calls GeoIpCity, GeoIpASN or IpToRange
  std::size_t skipped_format = 0;  ///< documents skipped for an unsupported `format`
};

/// Loads and compiles `files` (sorted by path) into `out`, adding `pattern_syntax` entries to
/// `library`. Returns every problem found, one message each; empty = success.
std::vector<std::string> loadNodes(const std::vector<ParserFile>& files,
                                   const LoadOptions& options, grok::PatternLibrary& library,
                                   LoadedNodes& out);

} // namespace cw::core::parsers::detail
