// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/event/event.h"

namespace cw::core::expr {
class Services;
}
namespace cw::core::plugins {
class PluginSet;
}

// Staged YAML parsers (shared/docs/contract/parsers.md): nodes with filter, grok, statics,
// stash, whitelists and children, grouped in stages named by their directory (s00-raw,
// s01-parse, s02-enrich; s00-enrich, s01-whitelist for post-overflow parsers).
namespace cw::core::parsers {

/// One parser file to load and the stage it belongs to.
struct ParserFile {
  std::string path;   ///< YAML file (may hold several documents, one node each)
  std::string stage;  ///< e.g. "s01-parse"
};

/// Gives the parser plugins (nodes with `plugin:`). Called only when a node names a plugin,
/// at most once per Pipeline::load; the set is kept alive by the pipeline (and whoever else
/// holds it) until its nodes' instances are destroyed. An error is the loader's message.
using PluginProvider = std::function<Result<std::shared_ptr<const plugins::PluginSet>>()>;

struct LoadOptions {
  std::string patterns_dir;          ///< grok pattern files (name without '.'); "" = base only
  std::string data_dir;              ///< where `data:` dest_files are found
  expr::Services* services = nullptr;  ///< required: data files, GeoIP, stash, clock
  PluginProvider plugins;              ///< unset: a node naming a plugin is a load error
};

/// Called for every top-level node evaluated (hub-test parser dumps, `cwcli explain`).
/// `evt` is the event after the node ran.
using Recorder = std::function<void(std::string_view stage, std::string_view node,
                                    const event::Event& evt, bool success)>;

struct Stats {
  std::uint64_t events = 0;             ///< events processed
  std::uint64_t parsed = 0;             ///< events that passed every stage
  std::uint64_t unparsed = 0;           ///< dropped in some stage
  std::uint64_t whitelisted = 0;        ///< parsed but whitelisted
  std::uint64_t aborted = 0;            ///< dropped because a static returned an unusable type
  std::uint64_t filter_errors = 0;      ///< filter runtime errors or non-bool results
  std::uint64_t expression_errors = 0;  ///< statics, grok expressions, whitelist expressions
  std::uint64_t enricher_errors = 0;    ///< methods that reported an error (e.g. bad JSON)
  std::uint64_t bad_targets = 0;        ///< `target:` writes to missing/invalid destinations
  std::uint64_t plugin_failures = 0;    ///< parser plugin calls that did not return CW_OK
  std::uint64_t plugin_errors = 0;      ///< of those, errors (CW_ERROR, exceptions), logged
};

/// A loaded set of parser stages. Loading lists every problem at once (file, document, node,
/// field) and fails; processing never throws.
class Pipeline {
 public:
  static Result<Pipeline> load(const std::vector<ParserFile>& files, const LoadOptions& options);

  /// Runs `evt` through the stages in place (parsers.md section 4 stage driver). Returns true
  /// when the event passed every stage (evt.process == true). Not thread-safe per Pipeline
  /// instance only in its Stats; evaluation state lives in the event.
  bool process(event::Event& evt, const Recorder* recorder = nullptr) const;

  const std::vector<std::string>& stages() const;
  std::size_t nodeCount() const;
  const Stats& stats() const;

  /// Top-level node names per stage, in evaluation order (for `explain` and tests).
  std::vector<std::string> nodeNames(std::string_view stage) const;

  /// Documents skipped at load because their `format` is outside 1.0..3.0 (logged as errors).
  std::size_t skippedDocuments() const;

  Pipeline();
  ~Pipeline();
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

} // namespace cw::core::parsers
