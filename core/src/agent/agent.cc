// SPDX-License-Identifier: Apache-2.0
#include "cw/core/agent/agent.h"

#include <filesystem>

#include "cw/core/common/time.h"
#include "cw/core/expr/services.h"
#include "cw/core/hub/hub.h"
#include "cw/core/parsers/pipeline.h"
#include "cw/core/plugins/loader.h"

namespace cw::core::agent {
namespace {

// A reprocessed overflow may overflow again (scenarios over alerts); the hub only chains one
// level, so a deeper chain means a loop between scenarios and is cut here.
constexpr int kMaxReprocessDepth = 8;

std::vector<parsers::ParserFile> parserFiles(const std::vector<const hub::Item*>& items) {
  std::vector<parsers::ParserFile> files;
  files.reserve(items.size());
  for (const hub::Item* item : items) {
    files.push_back({item->path, item->stage});
  }
  return files;
}

void appendError(std::string& all, const std::string& message) {
  if (!all.empty()) {
    all += '\n';
  }
  all += message;
}

}  // namespace

struct Agent::Impl {
  expr::Services services;
  parsers::Pipeline parsers;
  parsers::Pipeline postoverflows;
  bool has_postoverflows = false;
  scenarios::BucketManager buckets;
  LoadedItems loaded;
  alerts::ReplayCounters counters;
  std::vector<event::Event> overflows;  // reused across lines
  std::vector<event::Event> reprocessed;
  Observer observer;

  void handleOverflows(std::vector<event::Alert>& out, int depth);
};

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Agent::~Agent() = default;

const LoadedItems& Agent::loaded() const { return impl_->loaded; }
const alerts::ReplayCounters& Agent::counters() const { return impl_->counters; }

Result<std::unique_ptr<Agent>> Agent::create(const AgentConfig& config) {
  auto hub = hub::Hub::open(config.hub_dir);
  if (!hub) {
    return hub.error();
  }
  auto selection = config.collections.empty() ? Result<hub::Selection>(hub->all())
                                              : hub->resolve(config.collections);
  if (!selection) {
    return selection.error();
  }
  ItemFiles files;
  files.parsers = parserFiles(selection->parsers);
  files.postoverflows = parserFiles(selection->postoverflows);
  files.scenarios.reserve(selection->scenarios.size());
  for (const hub::Item* item : selection->scenarios) {
    files.scenarios.push_back({item->path, item->hash, item->version});
  }
  auto agent = create(config, files);
  if (agent) {
    (*agent)->impl_->loaded.collections = selection->collections.size();
  }
  return agent;
}

Result<std::unique_ptr<Agent>> Agent::create(const AgentConfig& config, const ItemFiles& files) {
  namespace fs = std::filesystem;
  // Without a parser every line would pass through untouched and nothing could match: a
  // wrong --hub or --collections, not something to replay quietly.
  if (files.parsers.empty()) {
    return makeError(
        ErrorCode::Config,
        "no parser to load from " + config.hub_dir +
            (config.collections.empty() ? std::string() : " with the selected collections") +
            ": is it a hub directory?");
  }
  const std::string data_dir =
      config.data_dir.empty() ? (fs::path(config.hub_dir) / "data").string() : config.data_dir;
  // A hub without a patterns folder uses the built-in grok base set only.
  std::string patterns_dir = config.patterns_dir;
  if (patterns_dir.empty() && fs::is_directory(fs::path(config.hub_dir) / "patterns")) {
    patterns_dir = (fs::path(config.hub_dir) / "patterns").string();
  }

  auto impl = std::make_unique<Impl>();
  impl->services.setCurrentYear(config.year);
  // Missing databases only turn GeoIP enrichment off (Services reports it), as upstream does.
  impl->services.openGeoIp((fs::path(data_dir) / "GeoLite2-City.mmdb").string(),
                           (fs::path(data_dir) / "GeoLite2-ASN.mmdb").string());

  // Every stage is loaded even after a failure, so that one run lists every problem.
  std::string errors;
  parsers::LoadOptions parser_options{patterns_dir, data_dir, &impl->services, {}};
  scenarios::LoadOptions scenario_options{data_dir, &impl->services, config.simulation, {}};
  if (!config.plugin_dir.empty() || !config.plugin_index.empty()) {
    auto loader = [&config](const char* kind) {
      return plugins::lazyLoader(
          plugins::installedPluginOptions(config.plugin_dir, config.plugin_index,
                                          config.enabled_plugins, config.disabled_plugins, kind));
    };
    parser_options.plugins = loader("parser");  // shared by the parsers and post-overflows
    scenario_options.load_plugins = loader("scenario");
  }
  auto pipeline = parsers::Pipeline::load(files.parsers, parser_options);
  if (pipeline) {
    impl->parsers = std::move(*pipeline);
  } else {
    appendError(errors, pipeline.error().message);
  }

  if (!files.postoverflows.empty()) {
    auto post = parsers::Pipeline::load(files.postoverflows, parser_options);
    if (post) {
      impl->postoverflows = std::move(*post);
      impl->has_postoverflows = true;
    } else {
      appendError(errors, post.error().message);
    }
  }

  auto buckets = scenarios::BucketManager::load(files.scenarios, scenario_options);
  if (buckets) {
    impl->buckets = std::move(*buckets);
  } else {
    appendError(errors, buckets.error().message);
  }

  if (!errors.empty()) {
    return makeError(ErrorCode::Config, errors);
  }
  impl->loaded = {files.parsers.size(), files.postoverflows.size(), files.scenarios.size(), 0};
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

void Agent::setObserver(Observer observer) {
  impl_->observer = std::move(observer);
  impl_->buckets.setPourRecorder(impl_->observer.pour);
}

void Agent::Impl::handleOverflows(std::vector<event::Alert>& out, int depth) {
  // Take the batch: pouring a reprocessed overflow appends to `overflows` again.
  std::vector<event::Event> batch;
  batch.swap(overflows);
  for (event::Event& ovflw : batch) {
    ++counters.overflows;
    if (has_postoverflows) {
      // Stage failures do not matter for overflows, only the whitelist flag (parsers.md 11).
      postoverflows.process(ovflw, observer.parser_node ? &observer.parser_node : nullptr);
    }
    if (observer.overflow) {
      observer.overflow(ovflw);
    }
    if (ovflw.overflow.whitelisted) {
      ++counters.overflows_whitelisted;
      continue;
    }
    if (ovflw.overflow.reprocess && depth < kMaxReprocessDepth) {
      buckets.pour(ovflw, overflows);
      if (!overflows.empty()) {
        handleOverflows(out, depth + 1);
      }
    }
    for (event::Alert& alert : ovflw.overflow.api_alerts) {
      ++counters.alerts;
      out.push_back(std::move(alert));
    }
  }
  batch.clear();
  if (overflows.capacity() < batch.capacity()) {
    overflows.swap(batch);  // keep the larger buffer for the next line
  }
}

void Agent::processEvent(event::Event& evt, std::vector<event::Alert>& out) {
  Impl& s = *impl_;
  if (!s.parsers.process(evt, s.observer.parser_node ? &s.observer.parser_node : nullptr)) {
    ++s.counters.unparsed;
    return;
  }
  ++s.counters.parsed;
  if (evt.whitelisted) {
    ++s.counters.whitelisted;
    return;
  }
  s.buckets.pour(evt, s.overflows);
  if (!s.overflows.empty()) {
    s.handleOverflows(out, 0);
  }
}

void Agent::tick(TimePoint now, std::vector<event::Alert>& out) {
  Impl& s = *impl_;
  s.buckets.tick(now, s.overflows);
  if (!s.overflows.empty()) {
    s.handleOverflows(out, 0);
  }
}

void Agent::processLine(event::Event& evt, std::string_view line, const std::string& src,
                        const ReplayInput& input, std::vector<event::Alert>& out) {
  evt.reset();
  evt.type = event::EventType::Log;
  evt.expect_mode = event::ExpectMode::TimeMachine;
  evt.process = true;
  evt.line.raw.assign(line);
  evt.line.src.assign(src);
  evt.line.module.assign("file");
  evt.line.time = nowUtc();
  evt.line.process = true;
  evt.line.labels.set("type", input.type);
  for (const auto& [k, v] : input.labels) {
    evt.line.labels.set(k, v);
  }
  ++impl_->counters.lines_read;
  processEvent(evt, out);
}

Result<ReplayResult> Agent::replay(const ReplayInput& input) {
  ReplayResult result;
  event::Event evt;
  const alerts::ReplayCounters before = impl_->counters;

  for (const std::string& path : input.files) {
    auto stats = acquisition::readFileLines(path, input.read, [&](std::string_view line) {
      processLine(evt, line, path, input, result.alerts);
      if (input.on_alert) {
        for (event::Alert& alert : result.alerts) {
          input.on_alert(std::move(alert));
        }
        result.alerts.clear();
      }
    });
    if (!stats) {
      return stats.error();
    }
    // processLine() counted the lines it was given; empty and too-long ones were read too.
    impl_->counters.lines_read += stats->empty + stats->too_long;
    impl_->counters.too_long += stats->too_long;
    impl_->counters.empty += stats->empty;
  }

  // Replay ends here: buckets still filling are discarded, as upstream does in one-shot mode.
  const alerts::ReplayCounters& now = impl_->counters;
  alerts::ReplayCounters& c = result.counters;
  c.lines_read = now.lines_read - before.lines_read;
  c.parsed = now.parsed - before.parsed;
  c.whitelisted = now.whitelisted - before.whitelisted;
  c.unparsed = now.unparsed - before.unparsed;
  c.too_long = now.too_long - before.too_long;
  c.empty = now.empty - before.empty;
  c.overflows = now.overflows - before.overflows;
  c.overflows_whitelisted = now.overflows_whitelisted - before.overflows_whitelisted;
  c.alerts = now.alerts - before.alerts;
  alerts::sortAlerts(result.alerts);
  return result;
}

}  // namespace cw::core::agent
