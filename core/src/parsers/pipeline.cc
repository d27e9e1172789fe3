// SPDX-License-Identifier: Apache-2.0
// Node evaluation and the stage driver (parsers.md section 4). Nothing here throws or
// allocates per event once the event's strings have grown: sources are copied into reused
// thread-local buffers, captures are written into the event maps from string views.
#include "cw/core/parsers/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

#include "cw/core/common/log_rate.h"
#include "cw/core/expr/bindings.h"
#include "cw/core/expr/services.h"
#include "cw/core/plugins/event_view.h"
#include "enrichers.h"
#include "loader.h"
#include "node.h"
#include "stash.h"

namespace cw::core::parsers {

using detail::GrokSource;
using detail::Method;
using detail::Node;
using detail::NodeResult;
using detail::Static;
using detail::Target;

struct Pipeline::Impl {
  /// Parser plugins of the nodes; first, so that it outlives the instances the nodes hold.
  std::shared_ptr<const plugins::PluginSet> plugins;
  std::unique_ptr<grok::PatternLibrary> library;
  std::vector<std::string> stages;
  std::vector<std::vector<Node>> nodes;  ///< per stage, load order
  std::size_t node_count = 0;
  std::size_t skipped_documents = 0;
  expr::Services* services = nullptr;
  std::unique_ptr<detail::Enrichers> enrichers;
  mutable Stats stats;

  NodeResult eval(const Node& n, event::Event& e, const Value* vars) const;
  NodeResult runStatics(const std::vector<Static>& list, event::Event& e, const Value* vars) const;
  void assign(const Static& s, std::string_view value, event::Event& e) const;
  bool whitelisted(const Node& n, event::Event& e, const Value* vars) const;
  void runStash(const Node& n, const Value* vars) const;
  bool runPlugin(const Node& n, event::Event& e) const;
  void advanceStage(event::Event& e) const;
};

namespace {

/// Text of a static's or grok expression's result, following upstream's type switch:
/// strings as is, ints in decimal, floats with "%f". Returns Nil for values that are skipped
/// (nil, maps, arrays) and Error for any other kind.
enum class Text { Ok, Skip, Error };

Text valueText(const Value& v, std::string& buf) {
  switch (v.kind()) {
    case Value::Kind::String:
      buf.assign(v.asString());
      return Text::Ok;
    case Value::Kind::Int: {
      char tmp[32];
      auto r = std::to_chars(tmp, tmp + sizeof(tmp), v.asInt());
      buf.assign(tmp, r.ptr);
      return Text::Ok;
    }
    case Value::Kind::Float: {
      char tmp[512];
      const int n = std::snprintf(tmp, sizeof(tmp), "%f", v.asFloat());
      buf.assign(tmp, n > 0 ? static_cast<std::size_t>(n) : 0);
      return Text::Ok;
    }
    case Value::Kind::Nil:
    case Value::Kind::Array:
    case Value::Kind::Map:
      return Text::Skip;
    default:
      return Text::Error;
  }
}

}  // namespace

void Pipeline::Impl::advanceStage(event::Event& e) const {
  for (std::size_t i = 0; i + 1 < stages.size(); ++i) {
    if (stages[i] == e.stage) {
      e.stage.assign(stages[i + 1]);
      return;
    }
  }
}

bool Pipeline::Impl::whitelisted(const Node& n, event::Event& e, const Value* vars) const {
  const auto& wl = n.whitelist;
  auto ipListed = [&](std::string_view text) {
    detail::IpAddr ip;
    if (!detail::parseIp(text, ip)) {
      return false;
    }
    for (const auto& w : wl.ips) {
      if (w == ip) {
        return true;
      }
    }
    for (const auto& c : wl.cidrs) {
      if (detail::cidrContains(c, ip)) {
        return true;
      }
    }
    return false;
  };

  bool hit = false;
  if (!wl.ips.empty() || !wl.cidrs.empty()) {
    if (e.type == event::EventType::Overflow) {
      for (const auto& [key, src] : e.overflow.sources) {
        if (ipListed(key)) {
          hit = true;
          break;
        }
      }
    } else {
      hit = ipListed(e.meta.get("source_ip"));
    }
  }
  if (!hit) {
    for (const auto& p : wl.expressions) {
      auto r = p.runBool(std::span<const Value>(vars, 1));
      if (!r) {
        ++stats.expression_errors;
        continue;
      }
      if (*r) {
        hit = true;
        break;
      }
    }
  }
  if (hit && !e.whitelisted) {
    // The first whitelist that matches gives the reason.
    e.whitelisted = true;
    e.whitelist_reason.assign(wl.reason);
    if (e.type == event::EventType::Overflow) {
      e.overflow.whitelisted = true;
    }
  }
  return hit;
}

void Pipeline::Impl::assign(const Static& s, std::string_view value, event::Event& e) const {
  auto alertField = [&](std::string event::Alert::*field) {
    event::Alert* a = e.overflow.alert();
    if (a == nullptr) {
      ++stats.bad_targets;
      return;
    }
    (a->*field).assign(value);
  };
  auto sourceField = [&](std::string event::Source::*field) {
    event::Alert* a = e.overflow.alert();
    if (a == nullptr) {
      ++stats.bad_targets;
      return;
    }
    // Upstream's Sources map and Alert.Source share their Scope/Value strings: keep the map
    // entry of this source in step (its key, the original value, does not change).
    if (field == &event::Source::value || field == &event::Source::scope) {
      auto it = e.overflow.sources.find(a->source.value);
      if (it == e.overflow.sources.end()) {
        it = std::find_if(e.overflow.sources.begin(), e.overflow.sources.end(),
                          [&](const auto& kv) { return kv.second == a->source; });
      }
      if (it != e.overflow.sources.end()) {
        (it->second.*field).assign(value);
      }
    }
    (a->source.*field).assign(value);
  };

  switch (s.target) {
    case Target::Meta:
      e.meta.set(s.key, value);
      return;
    case Target::Parsed:
      e.parsed.set(s.key, value);
      return;
    case Target::Enriched:
      e.enriched.set(s.key, value);
      return;
    case Target::Unmarshaled:
      e.unmarshaled[s.key] = Value::string(std::string(value));
      return;
    case Target::LineLabels:
      e.line.labels.set(s.key, value);
      return;
    case Target::StrTime:
      e.str_time.assign(value);
      return;
    case Target::StrTimeFormat:
      e.str_time_format.assign(value);
      return;
    case Target::MarshaledTime:
      e.marshaled_time.assign(value);
      return;
    case Target::Stage:
      e.stage.assign(value);
      return;
    case Target::WhitelistReason:
      e.whitelist_reason.assign(value);
      return;
    case Target::LineRaw:
      e.line.raw.assign(value);
      return;
    case Target::LineSrc:
      e.line.src.assign(value);
      return;
    case Target::LineModule:
      e.line.module.assign(value);
      return;
    case Target::OverflowMapkey:
      e.overflow.mapkey.assign(value);
      return;
    case Target::OverflowBucketId:
      e.overflow.bucket_id.assign(value);
      return;
    case Target::AlertScenario:
      alertField(&event::Alert::scenario);
      return;
    case Target::AlertMessage:
      alertField(&event::Alert::message);
      return;
    case Target::AlertSourceScope:
      sourceField(&event::Source::scope);
      return;
    case Target::AlertSourceValue:
      sourceField(&event::Source::value);
      return;
    case Target::AlertSourceIp:
      sourceField(&event::Source::ip);
      return;
    case Target::AlertSourceRange:
      sourceField(&event::Source::range);
      return;
    case Target::AlertSourceAsName:
      sourceField(&event::Source::as_name);
      return;
    case Target::AlertSourceAsNumber:
      sourceField(&event::Source::as_number);
      return;
    case Target::AlertSourceCn:
      sourceField(&event::Source::cn);
      return;
    case Target::None:
    case Target::Invalid:
      ++stats.bad_targets;
      return;
  }
}

NodeResult Pipeline::Impl::runStatics(const std::vector<Static>& list, event::Event& e,
                                      const Value* vars) const {
  // One buffer per nesting level is enough: statics never recurse.
  thread_local std::string buf;
  for (const Static& s : list) {
    std::string_view value;
    if (s.expression) {
      auto r = s.expression->run(std::span<const Value>(vars, 1));
      if (!r) {
        ++stats.expression_errors;
        continue;
      }
      // The result may borrow from the event we are about to write: copy it first.
      const Text t = valueText(*r, buf);
      if (t == Text::Skip) {
        continue;
      }
      if (t == Text::Error) {
        // Upstream returns an error out of the whole parse for e.g. a bool result.
        ++stats.expression_errors;
        return NodeResult::Abort;
      }
      value = buf;
    } else {
      value = s.value;
    }

    if (s.method != Method::None) {
      if (value.empty() && s.method != Method::ParseDate) {
        continue;
      }
      if (!enrichers->run(s.method, value, e)) {
        ++stats.enricher_errors;
      }
      continue;
    }
    if (value.empty()) {
      continue;
    }
    assign(s, value, e);
  }
  return NodeResult::Success;
}

void Pipeline::Impl::runStash(const Node& n, const Value* vars) const {
  for (const auto& s : n.stash) {
    auto k = s.key.run(std::span<const Value>(vars, 1));
    if (!k || !k->isString()) {
      ++stats.expression_errors;
      continue;
    }
    auto v = s.value.run(std::span<const Value>(vars, 1));
    if (!v || !v->isString()) {
      ++stats.expression_errors;
      continue;
    }
    detail::stashWrite(*services, s, k->asString(), v->asString());
  }
}

namespace {

/// Writes a parser plugin made during one process call, applied to evt.Enriched only when it
/// returns CW_OK. The strings keep their capacity from one event to the next.
struct PluginWrites {
  std::vector<std::pair<std::string, std::string>> items;
  std::size_t count = 0;

  static void set(void* ctx, cw_str key, cw_str value) {
    auto* self = static_cast<PluginWrites*>(ctx);
    if (self->count == self->items.size()) {
      self->items.emplace_back();
    }
    auto& [k, v] = self->items[self->count++];
    k.assign(key.data == nullptr ? "" : key.data, key.size);
    v.assign(value.data == nullptr ? "" : value.data, value.size);
  }
};

}  // namespace

bool Pipeline::Impl::runPlugin(const Node& n, event::Event& e) const {
  // One set of buffers per thread (per worker): the view borrows the event's strings, the writes
  // are copied into reused strings, so a steady flow of events allocates nothing here.
  thread_local std::vector<cw_kv> parsed_kv;
  thread_local std::vector<cw_kv> meta_kv;
  thread_local PluginWrites writes;
  const detail::PluginStep& step = *n.plugin;

  cw_event_view view;
  plugins::fillEventView(e, parsed_kv, meta_kv, view);
  cw_event_writer writer{sizeof(cw_event_writer), &writes, &PluginWrites::set};
  writes.count = 0;

  const cw_status status = step.instance->vtable().process(step.instance->get(), &view, &writer);
  if (status == CW_OK) {
    for (std::size_t i = 0; i < writes.count; ++i) {
      e.enriched.set(writes.items[i].first, writes.items[i].second);
    }
    return true;
  }

  ++stats.plugin_failures;
  // Reports are drained on every failure, so that a plugin explaining each refusal does not
  // grow the host's list; a quiet refusal (CW_INVALID, no report) is only counted.
  const std::string why = step.plugin->takeReason();
  if (status == CW_INVALID && why.empty()) {
    return false;
  }
  if (status != CW_INVALID) {
    ++stats.plugin_errors;
  }
  // Driven by log content: the 1st, 10th, 100th... failure of a node is logged, all counted.
  if (isPowerOfTen(++step.failures)) {
    spdlog::warn("Parser plugin failed plugin={} node={} status={} failures={} why={}",
                 step.plugin->entry().id, n.name, static_cast<int>(status), step.failures,
                 why.empty() ? "no reason given" : why);
  }
  return false;
}

NodeResult Pipeline::Impl::eval(const Node& n, event::Event& e, const Value* vars) const {
  if (n.filter) {
    auto r = n.filter->runBool(std::span<const Value>(vars, 1));
    if (!r) {
      ++stats.filter_errors;
      return NodeResult::Fail;
    }
    if (!*r) {
      return NodeResult::Fail;
    }
  }

  const bool wl_hit = n.whitelist.present && whitelisted(n, e, vars);

  bool state = true;
  bool grok_ok = false;
  if (n.grok.pattern) {
    state = false;
    // Captures are written into e.parsed, which may hold the source text itself: work on a
    // copy. Line.Raw is never a capture destination, so it is used in place.
    thread_local std::string source_buf;
    thread_local std::vector<std::string_view> captures;
    std::string_view source;
    bool have_source = false;
    switch (n.grok.source) {
      case GrokSource::LineRaw:
        source = e.line.raw;
        have_source = true;
        break;
      case GrokSource::ParsedKey:
        if (const auto* entry = e.parsed.find(n.grok.apply_on)) {
          source_buf.assign(entry->value);
          source = source_buf;
          have_source = true;
        }
        break;
      case GrokSource::Expression: {
        auto r = n.grok.expression->run(std::span<const Value>(vars, 1));
        if (!r) {
          ++stats.expression_errors;
        } else if (valueText(*r, source_buf) == Text::Ok) {
          source = source_buf;
          have_source = true;
        }
        break;
      }
    }
    if (have_source && n.grok.pattern->match(source, captures)) {
      const auto& names = n.grok.pattern->fieldNames();
      for (std::size_t i = 0; i < names.size() && i < captures.size(); ++i) {
        e.parsed.set(names[i], captures[i]);
      }
      grok_ok = true;
      state = true;
      if (runStatics(n.grok.statics, e, vars) == NodeResult::Abort) {
        return NodeResult::Abort;
      }
    }
  }

  // The plugin step (ours, docs/plugins.md): after the grok, when it matched or there is none.
  // A failure fails the node at once: no stash, children or statics.
  if (n.plugin && (grok_ok || !n.grok.pattern) && !runPlugin(n, e)) {
    if (n.debug) {
      spdlog::debug("Parser node evaluated node={} stage={} plugin={} failed", n.name, e.stage,
                    n.plugin->plugin->entry().id);
    }
    return NodeResult::Fail;
  }

  if (grok_ok || !n.grok.pattern) {
    runStash(n, vars);
  }

  for (const Node& child : n.children) {
    const NodeResult r = eval(child, e, vars);
    if (r == NodeResult::Abort) {
      return r;
    }
    if (r == NodeResult::Success) {
      state = true;
      if (n.next_stage) {
        break;
      }
    } else if (!grok_ok) {
      state = false;
    }
  }

  if (n.debug) {
    // `debug: true` in a parser file: per-node trace for whoever writes the parser.
    spdlog::debug(
        "Parser node evaluated node={} stage={} grok_matched={} whitelisted={} "
        "success={}",
        n.name, e.stage, grok_ok, wl_hit, state);
  }
  if (!state) {
    return NodeResult::Fail;
  }
  if (!n.whitelist.present || wl_hit) {
    if (runStatics(n.statics, e, vars) == NodeResult::Abort) {
      return NodeResult::Abort;
    }
  }
  if (n.next_stage) {
    advanceStage(e);
  }
  return NodeResult::Success;
}

Result<Pipeline> Pipeline::load(const std::vector<ParserFile>& files, const LoadOptions& options) {
  if (options.services == nullptr) {
    return makeError(ErrorCode::Config, "parser pipeline: LoadOptions.services is required");
  }

  Pipeline p;
  auto& impl = *p.impl_;
  impl.services = options.services;
  impl.library = std::make_unique<grok::PatternLibrary>(grok::PatternLibrary::withBase());
  if (!options.patterns_dir.empty()) {
    auto added = impl.library->addFromDirectory(options.patterns_dir);
    if (!added) {
      return makeError(ErrorCode::Config,
                       "grok patterns " + options.patterns_dir + ": " + added.error().message);
    }
  }

  detail::LoadedNodes loaded;
  std::vector<std::string> errors = detail::loadNodes(files, options, *impl.library, loaded);
  if (!errors.empty()) {
    std::string message = std::to_string(errors.size()) + " error(s) loading parsers:";
    for (const auto& e : errors) {
      message += "\n  " + e;
    }
    return makeError(ErrorCode::Config, message);
  }

  std::set<std::string> stage_set;
  for (const auto& n : loaded.nodes) {
    stage_set.insert(n.stage);
  }
  impl.stages.assign(stage_set.begin(), stage_set.end());
  impl.nodes.resize(impl.stages.size());
  for (auto& n : loaded.nodes) {
    const auto idx = static_cast<std::size_t>(
        std::find(impl.stages.begin(), impl.stages.end(), n.stage) - impl.stages.begin());
    impl.nodes[idx].push_back(std::move(n));
    ++impl.node_count;
  }
  impl.skipped_documents = loaded.skipped_format;
  impl.plugins = loaded.plugins;
  impl.enrichers = std::make_unique<detail::Enrichers>(options.services);
  if (loaded.uses_geoip) {
    impl.enrichers->openGeoIp(options.data_dir);
  }
  return p;
}

bool Pipeline::process(event::Event& evt, const Recorder* recorder) const {
  const Impl& impl = *impl_;
  ++impl.stats.events;
  if (!impl.stages.empty() && evt.stage.empty()) {
    evt.stage.assign(impl.stages.front());
  }
  evt.process = false;
  if (evt.time.isZero()) {
    evt.time = impl.services->now();
  }

  const Value vars[1] = {expr::eventValue(evt)};
  auto stageIndex = [&](std::string_view s) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < impl.stages.size(); ++i) {
      if (impl.stages[i] == s) {
        return static_cast<std::ptrdiff_t>(i);
      }
    }
    return -1;
  };

  for (std::size_t i = 0; i < impl.stages.size(); ++i) {
    const std::string& stage = impl.stages[i];
    // An event injected at a later stage (post-overflow replays) skips the earlier ones.
    if (stageIndex(evt.stage) > static_cast<std::ptrdiff_t>(i)) {
      continue;
    }
    if (evt.stage != stage) {
      ++impl.stats.unparsed;
      return false;
    }

    bool ok = false;
    for (const Node& n : impl.nodes[i]) {
      const NodeResult r = impl.eval(n, evt, vars);
      if (r == NodeResult::Abort) {
        ++impl.stats.aborted;
        ++impl.stats.unparsed;
        evt.process = false;
        return false;
      }
      const bool success = r == NodeResult::Success;
      if (recorder != nullptr) {
        (*recorder)(stage, n.name, evt, success);
      }
      ok = ok || success;
      if (success && n.next_stage) {
        break;
      }
      if (evt.stage != stage) {
        break;
      }
    }
    if (!ok) {
      ++impl.stats.unparsed;
      return false;
    }
  }

  evt.process = true;
  ++impl.stats.parsed;
  if (evt.whitelisted) {
    ++impl.stats.whitelisted;
  }
  return true;
}

const std::vector<std::string>& Pipeline::stages() const { return impl_->stages; }

std::size_t Pipeline::nodeCount() const { return impl_->node_count; }

const Stats& Pipeline::stats() const { return impl_->stats; }

std::vector<std::string> Pipeline::nodeNames(std::string_view stage) const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < impl_->stages.size(); ++i) {
    if (impl_->stages[i] == stage) {
      for (const auto& n : impl_->nodes[i]) {
        out.push_back(n.name);
      }
    }
  }
  return out;
}

std::size_t Pipeline::skippedDocuments() const { return impl_->skipped_documents; }

Pipeline::Pipeline() : impl_(std::make_unique<Impl>()) {}
Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

}  // namespace cw::core::parsers
