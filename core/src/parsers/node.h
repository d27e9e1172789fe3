// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cw/core/common/time.h"
#include "cw/core/event/event.h"
#include "cw/core/expr/expr.h"
#include "cw/core/grok/grok.h"
#include "cw/core/parsers/pipeline.h"
#include "cw/core/plugins/loader.h"
#include "ip_match.h"

// The compiled form of parser nodes (parsers.md sections 3-8): everything that can be resolved
// at load time is, so that evaluating a node only runs programs and compares bytes.
namespace cw::core::parsers::detail {

class Enrichers;

/// Where a static writes (parsers.md section 6). Map targets carry their key in Static::key.
enum class Target {
  None,  ///< method-only static
  Meta,
  Parsed,
  Enriched,
  Unmarshaled,
  LineLabels,
  StrTime,
  StrTimeFormat,
  MarshaledTime,
  Stage,
  WhitelistReason,
  LineRaw,
  LineSrc,
  LineModule,
  OverflowMapkey,
  OverflowBucketId,
  AlertScenario,
  AlertMessage,
  AlertSourceScope,
  AlertSourceValue,
  AlertSourceIp,
  AlertSourceRange,
  AlertSourceAsName,
  AlertSourceAsNumber,
  AlertSourceCn,
  Invalid,  ///< `target:` path that names no string field: logged once at load, skipped
};

enum class Method {
  None,
  ParseDate,
  GeoIpCity,
  GeoIpAsn,
  IpToRange,
  ReverseDns,
  UnmarshalJson,
  Unknown
};

struct Static {
  Target target = Target::None;
  std::string key;          ///< map key for map targets
  std::string target_text;  ///< as written, for logs
  Method method = Method::None;
  std::string method_name;
  std::string value;  ///< literal source
  std::optional<expr::Program> expression;
};

enum class GrokSource { LineRaw, ParsedKey, Expression };

struct Grok {
  std::optional<grok::Pattern> pattern;  ///< unset = node has no grok
  std::string pattern_text;              ///< name or inline pattern, for logs
  GrokSource source = GrokSource::LineRaw;
  std::string apply_on;  ///< Parsed key when source == ParsedKey
  std::optional<expr::Program> expression;
  std::vector<Static> statics;
};

struct StashEntry {
  std::string name;
  expr::Program key;
  expr::Program value;
  Duration ttl = 0;
  int size = 100;
  std::string strategy = "LRU";
};

struct Whitelist {
  bool present = false;  ///< at least one ip, cidr or expression
  std::string reason;
  std::vector<IpAddr> ips;
  std::vector<Cidr> cidrs;
  std::vector<expr::Program> expressions;
};

/// The parser plugin a node names (`plugin:`): one instance of it, created at load, destroyed
/// with the node (before the plugin set that holds its shared object is released).
struct PluginStep {
  const plugins::Plugin* plugin;
  std::unique_ptr<plugins::Instance<cw_parser_vtable>> instance;
  /// Failures seen, to log the 1st, 10th, 100th... (the counters are in Stats).
  mutable std::uint64_t failures = 0;
};

struct Node {
  std::string name;
  std::string stage;
  bool debug = false;
  bool next_stage = false;
  std::optional<expr::Program> filter;
  Grok grok;
  std::vector<StashEntry> stash;
  Whitelist whitelist;
  std::vector<Node> children;
  std::vector<Static> statics;
  std::unique_ptr<PluginStep> plugin;  ///< unset: the node names no plugin
};

/// Result of evaluating one node. Abort = a static produced a value of an unusable type: the
/// event is dropped (upstream returns an error out of the whole parse).
enum class NodeResult { Fail, Success, Abort };

}  // namespace cw::core::parsers::detail
