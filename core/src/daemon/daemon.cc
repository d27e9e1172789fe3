// SPDX-License-Identifier: Apache-2.0
#include "cw/core/daemon/daemon.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "cw/core/acquisition/sources.h"
#include "cw/core/agent/agent.h"
#include "cw/core/apiclient/client.h"
#include "cw/core/apiclient/queue.h"
#include "cw/core/apiclient/sender.h"
#include "cw/core/hub/hub.h"
#include "cw/core/hub/simulation.h"
#include "cw/core/lapi/server.h"
#include "cw/core/store/passwords.h"
#include "cw/core/store/store.h"
#include "lapi_parts.h"

namespace cw::core::daemon {
namespace {

namespace fs = std::filesystem;

// Lines waiting for the agent thread. A full queue makes the sources wait (their positions are
// not advanced meanwhile), so a burst is absorbed without dropping lines.
constexpr std::size_t kMaxQueuedLines = 65536;
constexpr auto kTick = std::chrono::seconds(1);
constexpr const char* kQueueFile = "crowdwall-alert-queue.db";

struct OwnedLine {
  std::string raw;
  std::string src;
  std::string module;
  const event::StrMap* labels = nullptr;
  TimePoint received;
  bool time_machine = false;
};

void appendError(std::string& all, const std::string& message) {
  if (!all.empty()) {
    all += '\n';
  }
  all += message;
}

// Grok patterns, the first folder that exists: config_paths.patterns_dir (default
// <config_dir>/patterns, the user's own, used as it is, errors included); <hub_dir>/patterns,
// mirrored from the hub source by `cwcli hub update` (CrowdSec's patterns for CrowdSec's items);
// the packaged patterns of our hub (<prefix>/share/crowdwall/hub/patterns).
std::string patternsDir(const config::Config& cfg) {
  const std::string& configured = cfg.config_paths.patterns_dir;
  std::error_code ec;
  if (configured.empty() || fs::exists(configured, ec)) {
    return configured;
  }
  for (const fs::path& dir : {fs::path(cfg.config_paths.hub_dir) / "patterns",
                              fs::path(hub::defaultHubDir()) / "patterns"}) {
    if (fs::is_directory(dir, ec)) {
      spdlog::info("Grok patterns: {} does not exist, using {}", configured, dir.string());
      return dir.string();
    }
  }
  return configured;  // the agent reports the missing folder
}

std::string installedPluginIndex(const config::Config& cfg) {
  return (fs::path(cfg.config_paths.config_dir) / "plugins" / "index.json").string();
}

agent::AgentConfig agentConfig(const config::Config& cfg, const scenarios::Simulation& sim) {
  agent::AgentConfig ac;
  ac.hub_dir = cfg.config_paths.config_dir;
  ac.data_dir = cfg.config_paths.data_dir;
  ac.patterns_dir = patternsDir(cfg);
  ac.simulation = sim;
  ac.plugin_dir = cfg.config_paths.plugin_dir;
  ac.plugin_index = installedPluginIndex(cfg);
  ac.enabled_plugins = cfg.plugins.enabled;
  ac.disabled_plugins = cfg.plugins.disabled;
  return ac;
}

// Names of the enabled scenarios, sent at login as CrowdSec's agent does.
std::vector<std::string> scenarioNames(const std::string& config_dir) {
  std::vector<std::string> names;
  auto hub = hub::Hub::open(config_dir);
  if (!hub) {
    return names;
  }
  for (const hub::Item* item : hub->all().scenarios) {
    names.push_back(item->name);
  }
  return names;
}

}  // namespace

struct Daemon::Impl {
  config::Config cfg;
  DaemonOptions options;
  bool run_agent = false;
  bool run_server = false;

  // LAPI side.
  LapiParts lapi;

  // Agent side.
  std::unique_ptr<agent::Agent> agent;
  std::unique_ptr<acquisition::Sources> sources;
  std::unique_ptr<apiclient::AlertSender> sender;
  std::string config_error;

  std::mutex mutex;
  std::condition_variable cv_lines;  // lines queued, or stop
  std::condition_variable cv_space;  // room in the queue
  // Lines [0, queued) wait; slots past `queued` keep their strings' capacity for reuse, so a
  // steady flow of lines allocates nothing once the buffers have grown.
  std::vector<OwnedLine> lines;
  std::size_t queued = 0;
  std::unique_ptr<agent::Agent> next_agent;  // a reloaded agent to switch to
  bool stopping = false;
  bool agent_running = false;
  std::thread agent_thread;
  bool started = false;
  bool stopped = false;

  std::atomic<std::uint64_t> n_lines{0};
  std::atomic<std::uint64_t> n_dropped{0};
  std::atomic<std::uint64_t> n_alerts{0};
  std::atomic<std::uint64_t> n_reloads{0};

  void onLine(const acquisition::SourceLine& line) {
    std::unique_lock lock(mutex);
    if (!cv_space.wait_for(lock, std::chrono::seconds(30),
                           [&] { return queued < kMaxQueuedLines || !agent_running; }) ||
        !agent_running) {
      ++n_dropped;
      return;
    }
    if (queued == lines.size()) {
      lines.emplace_back();
    }
    OwnedLine& l = lines[queued++];
    l.raw.assign(line.raw);
    l.src.assign(line.src);
    l.module.assign(line.module);
    l.labels = line.labels;
    l.received = line.received.isZero() ? nowUtc() : line.received;
    l.time_machine = line.time_machine;
    lock.unlock();
    cv_lines.notify_one();
  }

  void shipAlerts(std::vector<event::Alert>& alerts) {
    if (alerts.empty()) {
      return;
    }
    n_alerts += alerts.size();
    for (const event::Alert& a : alerts) {
      spdlog::info("Alert scenario={} source={}:{} events={}", a.scenario, a.source.scope,
                   a.source.value, a.events_count);
    }
    auto ok = sender->enqueue(alerts);
    if (!ok) {
      spdlog::error("Cannot queue {} alerts: {}", alerts.size(), ok.error().message);
    }
    alerts.clear();
  }

  void runAgent() {
    event::Event evt;
    std::vector<event::Alert> alerts;
    std::vector<OwnedLine> batch;
    bool hinted = false;
    auto next_tick = std::chrono::steady_clock::now() + kTick;
    std::unique_lock lock(mutex);
    for (;;) {
      cv_lines.wait_until(lock, next_tick,
                          [&] { return stopping || queued != 0 || next_agent != nullptr; });
      batch.swap(lines);
      const std::size_t batch_size = queued;
      queued = 0;
      const bool last = stopping;
      std::unique_ptr<agent::Agent> replacement = std::move(next_agent);
      lock.unlock();
      cv_space.notify_all();

      for (std::size_t k = 0; k < batch_size; ++k) {
        const OwnedLine& l = batch[k];
        evt.reset();
        evt.type = event::EventType::Log;
        evt.expect_mode = l.time_machine ? event::ExpectMode::TimeMachine : event::ExpectMode::Live;
        evt.process = true;
        evt.line.raw.assign(l.raw);
        evt.line.src.assign(l.src);
        evt.line.module.assign(l.module);
        evt.line.time = l.received;
        evt.line.process = true;
        if (l.labels != nullptr) {
          for (const auto& entry : *l.labels) {
            evt.line.labels.set(entry.key, entry.value);
          }
        }
        agent->processEvent(evt, alerts);
        ++n_lines;
      }
      if (std::chrono::steady_clock::now() >= next_tick) {
        agent->tick(nowUtc(), alerts);
        next_tick = std::chrono::steady_clock::now() + kTick;
        hintIfNothingParses(*agent, hinted);
      }
      shipAlerts(alerts);
      if (replacement) {
        hinted = false;
        agent = std::move(replacement);  // live buckets of the old items are dropped
        ++n_reloads;
        spdlog::info("Hub items reloaded parsers={} scenarios={} postoverflows={}",
                     agent->loaded().parsers, agent->loaded().scenarios,
                     agent->loaded().postoverflows);
      }
      lock.lock();
      if (last && queued == 0) {
        agent_running = false;
        lock.unlock();
        cv_space.notify_all();
        return;
      }
    }
  }

  // Lines arrive and none parses: almost always a `type` label no first-stage parser knows (a
  // collection without its syslog parser, a typo). Said once per loaded set of items.
  static void hintIfNothingParses(const agent::Agent& a, bool& hinted) {
    constexpr std::uint64_t kLines = 100;
    const alerts::ReplayCounters& c = a.counters();
    if (!hinted && c.parsed == 0 && c.unparsed >= kLines) {
      hinted = true;
      spdlog::warn(
          "None of the first {} lines was parsed: check the `type` labels in the acquisition "
          "files and that a first-stage parser for each type is installed (CrowdSec's syslog "
          "and sshd parsers come with crowdsecurity/linux); cwcli explain shows where a line "
          "stops",
          c.unparsed);
    }
  }

  Result<std::unique_ptr<agent::Agent>> loadAgent() {
    auto sim = hub::loadSimulation(cfg.config_paths.simulation_path);
    if (!sim) {
      return sim.error();
    }
    return agent::Agent::create(agentConfig(cfg, *sim));
  }

  // Agent and LAPI in one process and no credentials yet: register the agent in our own store
  // and write the credentials file, as CrowdSec's package does with `cscli machines add -a`.
  Result<bool> provisionLocalMachine() {
    const std::string& listen = cfg.server.listen_uri;
    if (listen.empty()) {
      return makeError(ErrorCode::Config,
                       cfg.client.credentials_path +
                           " is missing and the LAPI has no listen_uri to write into it");
    }
    std::string host = listen.substr(0, listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]") {
      host = "127.0.0.1";
    }
    const std::string port = listen.substr(listen.rfind(':') + 1);
    config::Credentials creds;
    creds.url = (cfg.server.tls.enabled() ? "https://" : "http://") + host + ":" + port + "/";
    creds.login = "localhost-crowdwall";
    creds.password = store::generateSecret(48);
    auto hash = store::hashPassword(creds.password);
    if (!hash) {
      return hash.error();
    }
    auto existing = lapi.store->getMachine(creds.login);
    if (!existing) {
      return existing.error();
    }
    if (existing->has_value()) {
      // Another agent may log in with it (a second daemon on the same database, or this one
      // before its file was lost): resetting its password behind its back would lock it out.
      return makeError(ErrorCode::Config,
                       cfg.client.credentials_path + " is missing, and the machine " +
                           creds.login +
                           " it would register already exists in the database; restore the "
                           "file, or give the machine new credentials with `cwcli machines add " +
                           creds.login + " --auto --force -f " + cfg.client.credentials_path +
                           "` (an agent still using the old password is then refused)");
    }
    store::Machine m;
    m.machine_id = creds.login;
    m.password_hash = *hash;
    m.is_validated = true;
    m.ip_address = host;
    auto created = lapi.store->createMachine(m);
    if (!created) {
      return created.error();
    }
    std::error_code ec;
    fs::create_directories(fs::path(cfg.client.credentials_path).parent_path(), ec);
    auto saved = config::saveCredentials(cfg.client.credentials_path, creds);
    if (!saved) {
      return saved.error();
    }
    spdlog::info("Registered the local agent as machine={} credentials={}", creds.login,
                 cfg.client.credentials_path);
    return true;
  }

  Result<bool> loadAgentSide(std::string& errors) {
    auto a = loadAgent();
    if (a) {
      agent = std::move(*a);
      spdlog::info("Hub items loaded from {} parsers={} scenarios={} postoverflows={}",
                   cfg.config_paths.config_dir, agent->loaded().parsers, agent->loaded().scenarios,
                   agent->loaded().postoverflows);
    } else {
      appendError(errors, a.error().message);
    }

    const std::string state_dir = (fs::path(cfg.config_paths.data_dir) / "acquisition").string();
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    acquisition::LoadOptions lo;
    lo.acquis_path = cfg.agent.acquisition_path;
    lo.acquis_dir = cfg.agent.acquisition_dir;
    lo.state_dir = state_dir;
    lo.plugin_dir = cfg.config_paths.plugin_dir;
    // Next to the packaged plugins: those `cwcli plugins install` enabled, linked under
    // <config_dir>/plugins and listed in its index.json (a plugin removed from there, even if
    // its file stays in the hub dir, is not loaded).
    lo.index_path = installedPluginIndex(cfg);
    lo.enabled_plugins = cfg.plugins.enabled;
    lo.disabled_plugins = cfg.plugins.disabled;
    auto s = acquisition::Sources::load(lo);
    if (s) {
      sources = std::move(*s);
    } else {
      appendError(errors, s.error().message);
    }

    auto creds = config::loadCredentials(cfg.client.credentials_path);
    if (!creds) {
      appendError(errors, creds.error().message +
                              " (create it with: cwcli machines add NAME --auto -f " +
                              cfg.client.credentials_path + ")");
      return false;
    }
    apiclient::ClientOptions co;
    co.url = creds->url;
    co.login = creds->login;
    co.password = creds->password;
    co.ca_cert_path = creds->ca_cert_path;
    co.cert_path = creds->cert_path;
    co.key_path = creds->key_path;
    co.insecure_skip_verify = cfg.client.insecure_skip_verify;
    co.scenarios = scenarioNames(cfg.config_paths.config_dir);
    auto client = apiclient::Client::create(co);
    if (!client) {
      appendError(errors, cfg.client.credentials_path + ": " + client.error().message);
      return false;
    }
    fs::create_directories(cfg.config_paths.data_dir, ec);
    auto queue =
        apiclient::AlertQueue::open((fs::path(cfg.config_paths.data_dir) / kQueueFile).string());
    if (!queue) {
      appendError(errors, queue.error().message);
      return false;
    }
    sender = std::make_unique<apiclient::AlertSender>(std::move(*client), std::move(*queue));
    return true;
  }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::create(const config::Config& config,
                                               const DaemonOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = config;
  impl->options = options;
  impl->run_agent = config.agent.enabled;
  impl->run_server = config.server.enabled;
  if (!impl->run_agent && !impl->run_server) {
    return makeError(ErrorCode::Config, config.path +
                                            ": both crowdsec_service and api.server are disabled: "
                                            "nothing to run");
  }
  std::string errors;
  if (impl->run_server) {
    auto ok = impl->lapi.load(config);
    if (!ok) {
      appendError(errors, ok.error().message);
    }
  }
  if (impl->run_agent && impl->run_server && errors.empty() &&
      !fs::exists(config.client.credentials_path)) {
    auto ok = impl->provisionLocalMachine();
    if (!ok) {
      return makeError(ErrorCode::Config, ok.error().message);  // no credentials: nothing to add
    }
  }
  if (impl->run_agent) {
    impl->loadAgentSide(errors);
  }
  if (!errors.empty()) {
    return makeError(ErrorCode::Config, errors);
  }
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Result<bool> Daemon::start() {
  Impl& d = *impl_;
  if (d.started) {
    return makeError(ErrorCode::Runtime, "daemon already started");
  }
  d.started = true;
  if (d.run_server) {
    auto ok = d.lapi.start(d.cfg.db, d.options.flush_interval);
    if (!ok) {
      return ok;
    }
    spdlog::info("Local API listening url={}", d.lapi.server->url());
  }
  if (d.run_agent) {
    d.sender->start();
    {
      std::lock_guard lock(d.mutex);
      d.agent_running = true;
    }
    d.agent_thread = std::thread([&d] { d.runAgent(); });
    auto ok = d.sources->start([&d](const acquisition::SourceLine& l) { d.onLine(l); });
    if (!ok) {
      return ok;
    }
    spdlog::info("Agent running");
  }
  return true;
}

void Daemon::stop() {
  Impl& d = *impl_;
  if (!d.started || d.stopped) {
    return;
  }
  d.stopped = true;
  if (d.run_agent) {
    d.sources->stop();
    {
      std::lock_guard lock(d.mutex);
      d.stopping = true;
    }
    d.cv_lines.notify_all();
    if (d.agent_thread.joinable()) {
      d.agent_thread.join();
    }
    d.sender->stop();
    const apiclient::SenderStats s = d.sender->stats();
    spdlog::info("Agent stopped lines={} alerts={} sent={} pending={}", d.n_lines.load(),
                 d.n_alerts.load(), s.sent, s.pending);
  }
  if (d.run_server) {
    d.lapi.stop();
  }
}

Result<bool> Daemon::reload() {
  Impl& d = *impl_;
  if (!d.run_agent) {
    return true;
  }
  auto a = d.loadAgent();
  if (!a) {
    return a.error();
  }
  {
    std::lock_guard lock(d.mutex);
    d.next_agent = std::move(*a);
  }
  d.cv_lines.notify_one();
  return true;
}

bool Daemon::oneShot() const {
  const Impl& d = *impl_;
  return d.run_agent && !d.run_server && d.sources && d.sources->oneShot();
}

void Daemon::waitSourcesFinished() {
  if (oneShot()) {
    impl_->sources->waitFinished();
  }
}

int Daemon::lapiPort() const {
  return impl_->run_server && impl_->lapi.server ? impl_->lapi.server->port() : 0;
}

DaemonStats Daemon::stats() const {
  DaemonStats s;
  s.lines = impl_->n_lines;
  s.lines_dropped = impl_->n_dropped;
  s.alerts = impl_->n_alerts;
  s.reloads = impl_->n_reloads;
  s.db_flushes = impl_->lapi.flushes;
  s.db_flushed_alerts = impl_->lapi.flushed_alerts;
  if (impl_->lapi.notifications) {
    const notifications::DispatcherStats n = impl_->lapi.notifications->dispatcher().stats();
    s.notifications_sent = n.sent;
    s.notifications_failed = n.failed;
    s.notifications_dropped = n.dropped;
  }
  if (impl_->sender) {
    const apiclient::SenderStats ss = impl_->sender->stats();
    s.alerts_sent = ss.sent;
    s.alerts_pending = ss.pending;
  }
  return s;
}

}  // namespace cw::core::daemon
