// SPDX-License-Identifier: Apache-2.0
// The pour loop (scenarios.md section 4), the leaky limiter (section 5), lifetimes (section 7),
// blackholes (section 8), conditional and bayesian hooks (sections 9-10).
#include "cw/core/scenarios/buckets.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cw/core/expr/bindings.h"
#include "cw/core/plugins/event_view.h"
#include "cw/core/plugins/loader.h"
#include "internal.h"
#include "sha1.h"

namespace cw::core::scenarios {

using detail::Bucket;
using detail::BucketType;
using detail::Scenario;

namespace {

/// Only the first runtime errors are logged at warn level: they are driven by log content.
constexpr std::uint64_t kLoggedErrors = 20;

constexpr std::string_view kRfc3339 = "2006-01-02T15:04:05Z07:00";

struct ScenarioState {
  Scenario spec;
  std::unordered_map<std::string, std::unique_ptr<Bucket>, detail::StringHash, std::equal_to<>>
      buckets;
  std::vector<std::pair<std::string, TimePoint>> blackholes;  ///< (mapkey, expiry)
};

float bayesUpdate(float p, float a, float b) { return a * p / (a * p + b * (1 - p)); }

}  // namespace

struct BucketManager::Impl {
  /// The scenario plugins; declared first so that it outlives every instance of `scenarios`.
  std::shared_ptr<const plugins::PluginSet> plugins;
  std::vector<std::unique_ptr<ScenarioState>> scenarios;
  /// The event view given to scenario plugins, built once per pour() on first need; its key
  /// and value arrays are reused across events (no allocation once they have grown).
  cw_event_view view{};
  std::vector<cw_kv> view_parsed;
  std::vector<cw_kv> view_meta;
  bool view_ready = false;
  Stats stats;
  std::function<void(const std::string&, const event::Event&)> recorder;
  std::function<TimePoint()> clock = nowUtc;
  std::uint64_t next_bucket = 0;
  std::uint64_t pours_since_sweep = 0;
  std::int64_t last_sweep_ns = 0;
  /// The copy of the event being poured that bucket queues share; made on first need.
  std::shared_ptr<event::Event> queued_copy;

  const std::shared_ptr<event::Event>& queuedCopy(const event::Event& evt) {
    if (!queued_copy) {
      queued_copy = std::make_shared<event::Event>(evt);
    }
    return queued_copy;
  }

  /// Replayed buckets expire lazily, when their key shows up again (section 4.3); a key that
  /// never returns (one of a million scanning addresses) would keep its bucket forever. Every
  /// few thousand events, once the log's clock has moved on, buckets idle past their lifetime
  /// are dropped as the next pour would drop them: same alerts, bounded memory.
  void sweepReplay(TimePoint now) {
    constexpr std::uint64_t kPoursPerSweep = 4096;
    constexpr std::int64_t kMinLogTimeBetweenSweeps = kMinute;
    if (++pours_since_sweep < kPoursPerSweep ||
        now.unix_nanos - last_sweep_ns < kMinLogTimeBetweenSweeps) {
      return;
    }
    pours_since_sweep = 0;
    last_sweep_ns = now.unix_nanos;
    for (auto& stp : scenarios) {
      const Scenario& s = stp->spec;
      if (s.lifetime <= 0) {
        continue;
      }
      std::erase_if(stp->buckets, [&](const auto& entry) {
        const Bucket& b = *entry.second;
        const bool idle = b.mode == event::ExpectMode::TimeMachine && b.total_count > 0 &&
                          now.unix_nanos > b.last_ts.unix_nanos + s.lifetime;
        stats.underflows += idle ? 1 : 0;
        return idle;
      });
    }
  }

  /// The view of `evt` for scenario plugins (borrowing its strings) at time `t`, group `key`.
  const cw_event_view* eventView(const event::Event& evt, TimePoint t, std::string_view key) {
    if (!view_ready) {
      view_ready = true;
      plugins::fillEventView(evt, view_parsed, view_meta, view);
    }
    view.time_ns = t.unix_nanos;
    view.group = cw_str{key.data(), key.size()};
    return &view;
  }

  /// A scenario plugin failed (status or exception): counted, `why` logged.
  void pluginError(const Scenario& s, std::string_view what, const std::string& why) {
    ++stats.plugin_errors;
    if (stats.plugin_errors <= kLoggedErrors) {
      spdlog::warn("Scenario plugin error scenario={} plugin={} {}: {}", s.name,
                   s.plugin->entry().id, what, why);
    } else {
      spdlog::debug("Scenario plugin error scenario={} plugin={} {}: {}", s.name,
                    s.plugin->entry().id, what, why);
    }
  }

  void runtimeError(const Scenario& s, std::string_view what, const std::string& message) {
    ++stats.errors;
    if (stats.errors <= kLoggedErrors) {
      spdlog::warn("Scenario runtime error scenario={} {}: {}", s.name, what, message);
    } else {
      spdlog::debug("Scenario runtime error scenario={} {}: {}", s.name, what, message);
    }
  }

  /// Event time of `evt` for a bucket in `mode` (section 4.4b); nullopt when a replayed event
  /// carries no usable time.
  std::optional<TimePoint> eventTime(const event::Event& evt, event::ExpectMode mode,
                                     std::optional<TimePoint>& cache) {
    if (mode == event::ExpectMode::Live) {
      return clock();
    }
    if (cache) {
      return cache;
    }
    // Only the parsed log time counts: evt.time is the read time unless date parsing ran, so
    // an event that no date parser handled cannot be poured in replay (upstream warns and
    // drops it; hub test proxmox-logs, which loads no dateparse-enrich, expects no alert).
    if (!evt.marshaled_time.empty()) {
      cache = parseGoLayout(kRfc3339, evt.marshaled_time);
    }
    return cache;
  }

  void removeBucket(ScenarioState& st, Bucket* b) {
    auto it = st.buckets.find(std::string_view(b->key));
    if (it != st.buckets.end()) {
      st.buckets.erase(it);
    }
  }

  /// Renders the overflow, runs overflow_filter then blackhole, emits it, removes the bucket.
  void overflow(ScenarioState& st, Bucket* b, std::vector<event::Event>& out) {
    const Scenario& s = st.spec;
    event::Event ev;
    std::string error;
    if (!detail::buildOverflow(*b, ev, error)) {
      runtimeError(s, "overflow", error);
      removeBucket(st, b);
      return;
    }
    if (s.overflow_filter) {
      Value vars[] = {detail::queueValue(*b), expr::overflowValue(ev.overflow),
                      detail::leakyValue(*b)};
      auto r = s.overflow_filter->runBool(vars);
      if (!r.ok()) {
        // Upstream keeps the alert when the filter fails.
        runtimeError(s, "overflow_filter", r.error().message);
      } else if (!r.value()) {
        spdlog::debug("Overflow discarded by overflow_filter scenario={} bucket={}", s.name,
                      b->mapkey);
        removeBucket(st, b);
        return;
      }
    }
    if (s.blackhole > 0) {
      const TimePoint now = b->ovflw_ts;
      bool hidden = false;
      std::erase_if(st.blackholes, [&](const auto& entry) {
        if (entry.second.unix_nanos <= now.unix_nanos) {
          return true;
        }
        if (entry.first == b->mapkey) {
          hidden = true;
        }
        return false;
      });
      if (hidden) {
        ++stats.blackholed;
        removeBucket(st, b);
        return;
      }
      st.blackholes.emplace_back(
          b->mapkey, TimePoint::fromUnixNanos(now.unix_nanos + s.blackhole, now.utc_offset_s));
    }
    ++stats.overflows;
    out.push_back(std::move(ev));
    removeBucket(st, b);
  }

  /// Lifetime over (section 7): counters overflow, other buckets underflow silently.
  void expire(ScenarioState& st, Bucket* b, TimePoint now, std::vector<event::Event>& out) {
    if (st.spec.type == BucketType::Counter) {
      b->ovflw_ts = now;
      overflow(st, b, out);
      return;
    }
    ++stats.underflows;
    removeBucket(st, b);
  }

  Bucket* createBucket(ScenarioState& st, std::string_view key, event::ExpectMode mode,
                       TimePoint t) {
    const Scenario& s = st.spec;
    auto b = std::make_unique<Bucket>();
    b->scenario = &st.spec;
    b->key.assign(key);
    std::string material;
    material.reserve(s.filter_source.size() + key.size() + s.name.size() + 2);
    material.append(s.filter_source).push_back('\0');
    material.append(key).push_back('\0');
    material.append(s.name);
    b->mapkey = detail::sha1Hex(material);
    b->uuid = b->mapkey.substr(0, 8) + "-" + std::to_string(++next_bucket);
    b->mode = mode;
    b->credit_ns = s.capacity > 0 ? s.capacity * s.leakspeed : 0;
    b->last_refill = t;
    b->guillotines.assign(s.bayesian_conditions.size(), false);
    if (s.type == BucketType::Plugin) {
      auto created = plugins::createInstance(*s.plugin, *s.plugin_vtable, s.plugin_config);
      if (!created.instance) {
        pluginError(s, "create", plugins::joinReports(created.problems));
        return nullptr;
      }
      b->plugin = std::move(created.instance);
    }
    Bucket* raw = b.get();
    st.buckets.emplace(raw->key, std::move(b));
    return raw;
  }

  /// Token bucket of section 5: true when a token was available (and consumed).
  static bool takeToken(const Scenario& s, Bucket& b, TimePoint t) {
    const std::int64_t full = s.capacity * s.leakspeed;
    if (s.leakspeed > 0) {
      const std::int64_t elapsed = t.unix_nanos - b.last_refill.unix_nanos;
      if (elapsed > 0) {
        b.credit_ns = elapsed >= full - b.credit_ns ? full : b.credit_ns + elapsed;
      }
    }
    b.last_refill = t;
    if (b.credit_ns >= s.leakspeed) {
      b.credit_ns -= s.leakspeed;
      return true;
    }
    return false;
  }

  void pourOne(ScenarioState& st, std::string_view key, const event::Event& evt,
               const Value& evt_value, std::optional<TimePoint>& time_cache,
               std::optional<TimePoint>& now_cache, std::vector<event::Event>& out) {
    const Scenario& s = st.spec;
    auto wall = [&]() {
      if (!now_cache) {
        now_cache = clock();
      }
      return *now_cache;
    };

    auto it = st.buckets.find(key);
    Bucket* b = it != st.buckets.end() ? it->second.get() : nullptr;
    // A Live bucket whose timer is due although tick() has not run yet expires first.
    if (b != nullptr && b->mode == event::ExpectMode::Live && b->deadline &&
        *b->deadline <= wall()) {
      expire(st, b, wall(), out);
      b = nullptr;
    }
    auto t = eventTime(evt, b != nullptr ? b->mode : evt.expect_mode, time_cache);
    if (!t && s.type == BucketType::Trigger) {
      // A trigger overflows whatever the event's time: without one it takes the clock, as
      // upstream does (hub tests configserver-lfd-logs, cve-2023-23397 load no date parser).
      t = wall();
    }
    if (!t) {
      runtimeError(s, "pour", "event has no parsable MarshaledTime '" + evt.marshaled_time + "'");
      return;
    }
    // TIMEMACHINE lazy expiry (section 4.3): idle longer than its lifetime => fresh bucket.
    if (b != nullptr && b->mode == event::ExpectMode::TimeMachine && b->total_count > 0 &&
        s.lifetime > 0 && t->unix_nanos > b->last_ts.unix_nanos + s.lifetime) {
      ++stats.underflows;
      removeBucket(st, b);
      b = nullptr;
    }
    if (b == nullptr) {
      b = createBucket(st, key, evt.expect_mode, *t);
      if (b == nullptr) {
        return;  // the plugin could not create the group's instance: counted, event dropped
      }
    }

    // a. pour hooks: type, distinct, cancel_on.
    if (s.type == BucketType::Trigger) {
      b->total_count = 1;
      b->first_ts = *t;
      b->last_ts = *t;
      b->ovflw_ts = *t;
      b->queue.push_back(queuedCopy(evt));
      overflow(st, b, out);
      return;
    }
    const Value vars1[] = {evt_value};
    if (s.distinct) {
      auto d = s.distinct->run(vars1);
      if (!d.ok()) {
        runtimeError(s, "distinct", d.error().message);
      } else if (!d.value().isString()) {
        runtimeError(s, "distinct",
                     std::string("unexpected return type ") + Value::kindName(d.value().kind()));
      } else {
        std::string_view v = d.value().asString();
        if (b->seen.find(v) != b->seen.end()) {
          return;
        }
        b->seen.emplace(v);
      }
    }
    if (s.cancel_on) {
      auto c = s.cancel_on->runBool(vars1);
      if (!c.ok()) {
        runtimeError(s, "cancel_on", c.error().message);
      } else if (c.value()) {
        spdlog::debug("Bucket cancelled scenario={} bucket={}", s.name, b->mapkey);
        removeBucket(st, b);
        return;
      }
    }

    // Plugin: the instance decides; a failed pour drops the event for this group.
    bool plugin_overflow = false;
    if (s.type == BucketType::Plugin) {
      int flag = 0;
      const cw_status status =
          s.plugin_vtable->pour(b->plugin->get(), eventView(evt, *t, key), &flag);
      if (status != CW_OK) {
        const std::string why = s.plugin->takeReason();
        pluginError(s, "pour",
                    why.empty() ? "status " + std::to_string(static_cast<int>(status)) : why);
        if (b->total_count == 0) {
          removeBucket(st, b);  // nothing poured: no empty group left behind
        }
        return;
      }
      plugin_overflow = flag != 0;
    }

    // b. count.
    ++b->total_count;
    if (b->first_ts.isZero()) {
      b->first_ts = *t;
    }
    b->last_ts = *t;

    // c. limiter; conditional buckets never overflow here.
    bool overflowed = plugin_overflow;
    if (s.capacity != -1 && s.type != BucketType::Conditional && s.type != BucketType::Plugin) {
      overflowed = !takeToken(s, *b, *t);
    }
    b->queue.push_back(queuedCopy(evt));
    if (s.queue_bound >= 0) {
      while (b->queue.size() > static_cast<std::size_t>(s.queue_bound) + 1) {
        b->queue.pop_front();
      }
    }
    if (overflowed) {
      b->ovflw_ts = *t;
      overflow(st, b, out);
      return;
    }

    // d. after-pour hooks: condition, bayesian.
    if (s.condition || s.bayesian_threshold != 0) {
      const Value vars3[] = {evt_value, detail::queueValue(*b), detail::leakyValue(*b)};
      if (s.condition) {
        auto c = s.condition->runBool(vars3);
        if (!c.ok()) {
          runtimeError(s, "condition", c.error().message);
        } else if (c.value()) {
          b->ovflw_ts = b->last_ts;
          overflow(st, b, out);
          return;
        }
      }
      if (s.bayesian_threshold != 0) {
        float p = s.bayesian_prior;
        bool failed = false;
        for (std::size_t i = 0; i < s.bayesian_conditions.size(); ++i) {
          const auto& c = s.bayesian_conditions[i];
          if (c.guillotine && b->guillotines[i]) {
            p = bayesUpdate(p, c.prob_given_evil, c.prob_given_benign);
            continue;
          }
          auto r = c.condition.runBool(vars3);
          if (!r.ok()) {
            runtimeError(s, "bayesian condition", r.error().message);
            failed = true;
            break;
          }
          if (r.value()) {
            p = bayesUpdate(p, c.prob_given_evil, c.prob_given_benign);
            if (c.guillotine) {
              b->guillotines[i] = true;
            }
          } else {
            p = bayesUpdate(p, 1 - c.prob_given_evil, 1 - c.prob_given_benign);
          }
        }
        if (!failed && p > s.bayesian_threshold) {
          b->ovflw_ts = b->last_ts;
          overflow(st, b, out);
          return;
        }
      }
    }

    // e. (re)arm the wall-clock lifetime; counters keep the deadline of their first event.
    if (s.lifetime > 0 && (s.type != BucketType::Counter || !b->deadline)) {
      b->deadline = TimePoint::fromUnixNanos(wall().unix_nanos + s.lifetime);
    }
  }
};

BucketManager::BucketManager() : impl_(std::make_unique<Impl>()) {}
BucketManager::~BucketManager() = default;
BucketManager::BucketManager(BucketManager&&) noexcept = default;
BucketManager& BucketManager::operator=(BucketManager&&) noexcept = default;

Result<BucketManager> BucketManager::load(const std::vector<ScenarioFile>& files,
                                          const LoadOptions& options) {
  std::shared_ptr<const plugins::PluginSet> plugins;
  auto specs = detail::loadScenarios(files, options, plugins);
  if (!specs.ok()) {
    return specs.error();
  }
  BucketManager m;
  m.impl_->plugins = std::move(plugins);
  for (Scenario& s : specs.value()) {
    auto st = std::make_unique<ScenarioState>();
    st->spec = std::move(s);
    m.impl_->scenarios.push_back(std::move(st));
  }
  spdlog::debug("Scenario documents loaded count={}", m.impl_->scenarios.size());
  return m;
}

void BucketManager::pour(const event::Event& evt, std::vector<event::Event>& out) {
  Impl& im = *impl_;
  // Expressions take a mutable Event (SetMeta); scenario expressions are not expected to
  // write, and the event is not reused by us after this call.
  im.queued_copy.reset();  // a copy is shared within one pour() only
  im.view_ready = false;   // so is the plugins' event view
  Value evt_value = expr::eventValue(const_cast<event::Event&>(evt));
  const Value vars1[] = {evt_value};
  std::optional<TimePoint> time_cache;
  std::optional<TimePoint> now_cache;

  for (auto& stp : im.scenarios) {
    ScenarioState& st = *stp;
    const Scenario& s = st.spec;
    auto matched = s.filter.runBool(vars1);
    if (!matched.ok()) {
      // Section 3: a filter error stops this event for every remaining scenario.
      im.runtimeError(s, "filter", matched.error().message);
      return;
    }
    if (!matched.value()) {
      continue;
    }
    Value key_holder;
    std::string_view key;
    if (s.groupby) {
      auto g = s.groupby->run(vars1);
      if (!g.ok()) {
        im.runtimeError(s, "groupby", g.error().message);
        return;
      }
      if (!g.value().isString()) {
        im.runtimeError(
            s, "groupby",
            std::string("groupby must give a string, got ") + Value::kindName(g.value().kind()));
        return;
      }
      key_holder = std::move(g.value());
      key = key_holder.asString();
    }
    ++im.stats.poured;
    if (im.recorder) {
      im.recorder(s.name, evt);
    }
    im.pourOne(st, key, evt, evt_value, time_cache, now_cache, out);
  }
  if (evt.expect_mode == event::ExpectMode::TimeMachine && time_cache) {
    im.sweepReplay(*time_cache);
  }
}

void BucketManager::tick(TimePoint now, std::vector<event::Event>& out) {
  Impl& im = *impl_;
  std::vector<Bucket*> due;
  for (auto& stp : im.scenarios) {
    due.clear();
    for (auto& [key, b] : stp->buckets) {
      if (b->deadline && b->deadline->unix_nanos <= now.unix_nanos) {
        due.push_back(b.get());
      }
    }
    for (Bucket* b : due) {
      im.expire(*stp, b, now, out);
    }
  }
}

void BucketManager::shutdown() {
  for (auto& stp : impl_->scenarios) {
    stp->buckets.clear();
  }
}

void BucketManager::setClock(std::function<TimePoint()> clock) {
  impl_->clock = clock ? std::move(clock) : std::function<TimePoint()>(nowUtc);
}

void BucketManager::setPourRecorder(
    std::function<void(const std::string&, const event::Event&)> recorder) {
  impl_->recorder = std::move(recorder);
}

std::size_t BucketManager::scenarioCount() const { return impl_->scenarios.size(); }

std::vector<std::string> BucketManager::scenarioNames() const {
  std::vector<std::string> names;
  names.reserve(impl_->scenarios.size());
  for (const auto& st : impl_->scenarios) {
    names.push_back(st->spec.name);
  }
  return names;
}

std::size_t BucketManager::liveBuckets() const {
  std::size_t n = 0;
  for (const auto& st : impl_->scenarios) {
    n += st->buckets.size();
  }
  return n;
}

const Stats& BucketManager::stats() const { return impl_->stats; }

}  // namespace cw::core::scenarios
