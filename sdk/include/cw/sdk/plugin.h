// SPDX-License-Identifier: Apache-2.0
/// @file plugin.h
/// @brief Header-only C++ layer over abi.h: write a plugin as a C++ class, get the C ABI.
///
/// It fills the descriptor and vtables, converts strings, and catches every exception at the
/// boundary (an exception becomes a reported error and a #CW_ERROR status). Compiled inside
/// the plugin, so nothing C++ crosses the shared object. Example (acquisition):
/// @code
/// class MySource : public cw::sdk::Source {
///  public:
///   static std::unique_ptr<MySource> create(const cw::sdk::SourceConfig& config,
///                                           cw::sdk::Errors& errors);
///   void start(cw::sdk::LineSink sink) override;
///   void stop() override;
///   cw::sdk::SourceCounters counters() const override;
/// };
/// CW_ACQUISITION_PLUGIN(MySource, "me/mysource", "1.0", "mysource", nullptr)
/// @endcode
/// and a notification plugin:
/// @code
/// class MyNotifier : public cw::sdk::Notifier {
///  public:
///   static std::unique_ptr<MyNotifier> create(std::string_view yaml, cw::sdk::Errors& errors);
///   bool notify(std::string_view message, std::string& error) override;
/// };
/// CW_NOTIFICATION_PLUGIN(MyNotifier, "me/mynotifier", "1.0")
/// @endcode
/// and a scenario plugin (one instance per group of the scenario):
/// @code
/// class MyScenario : public cw::sdk::Scenario {
///  public:
///   static std::unique_ptr<MyScenario> create(std::string_view yaml, cw::sdk::Errors& errors);
///   bool pour(const cw::sdk::EventView& event) override;  // true: the group overflows
/// };
/// CW_SCENARIO_PLUGIN(MyScenario, "me/myscenario", "1.0")
/// @endcode
/// and a parser plugin (one instance per parser node naming it):
/// @code
/// class MyParser : public cw::sdk::Parser {
///  public:
///   static std::unique_ptr<MyParser> create(std::string_view yaml, cw::sdk::Errors& errors);
///   bool process(const cw::sdk::EventView& event, cw::sdk::EventWriter& out) override;
/// };
/// CW_PARSER_PLUGIN(MyParser, "me/myparser", "1.0")
/// @endcode
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cw/sdk/abi.h"

namespace cw::sdk {

/// Wraps a string_view as a borrowed cw_str.
inline cw_str toC(std::string_view s) { return cw_str{s.data(), s.size()}; }
/// Views a cw_str (borrowed) as a string_view.
inline std::string_view fromC(cw_str s) {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.size);
}

/// Reads a duration as Go writes it and as configuration files use it ("90s", "1m30s",
/// "250ms", "1.5h"): numbers (a fraction allowed) each followed by a unit, ns, us (or µs), ms,
/// s, m or h. "0" alone is zero. nullopt when the text does not read, has a sign, or exceeds
/// about 292 years. The plugin decides which values make sense (most want them positive).
inline std::optional<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  if (text == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  struct Unit {
    std::string_view name;
    long double ns;
  };
  // "ms" before "m": the first unit the text starts with is taken.
  static constexpr Unit kUnits[] = {{"ns", 1.0L},        {"us", 1e3L},  {"\xC2\xB5s", 1e3L},
                                    {"\xCE\xBCs", 1e3L}, {"ms", 1e6L},  {"s", 1e9L},
                                    {"m", 60e9L},        {"h", 3600e9L}};
  long double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    long double value = 0;
    bool digits = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i++] - '0');
      digits = true;
    }
    if (i < text.size() && text[i] == '.') {
      long double scale = 0.1L;
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, scale /= 10) {
        value += (text[i] - '0') * scale;
        digits = true;
      }
    }
    if (!digits) {
      return std::nullopt;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      return std::nullopt;
    }
    i += unit->name.size();
    total += value * unit->ns;
    if (total > 9.2e18L) {
      return std::nullopt;
    }
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

/// The host table given to cw_plugin_entry, kept for the life of the plugin.
class Host {
 public:
  /// The host API (nullptr before the entry point ran). Owned by the host.
  static const cw_host_api*& api() {
    static const cw_host_api* host = nullptr;
    return host;
  }
  /// Logs through the host (its logger, sinks and level).
  static void log(cw_log_level level, std::string_view message) {
    const cw_host_api* h = api();
    if (h != nullptr && h->log != nullptr) {
      h->log(h->host_ctx, level, toC(message));
    }
  }
  /// Reports one error of the call in progress (configuration problem, failed entry).
  static void report(std::string_view message) {
    const cw_host_api* h = api();
    if (h != nullptr && h->report != nullptr) {
      h->report(h->host_ctx, toC(message));
    }
  }
};

/// Errors collected while checking a configuration; each becomes one host report.
using Errors = std::vector<std::string>;

/// Configuration of one source, views valid during create() only (copy what you keep).
struct SourceConfig {
  std::string_view name;                    ///< display name
  std::string_view yaml;                    ///< the module's keys as a YAML mapping ("" for a DSN)
  std::string_view dsn;                     ///< "scheme://..." in one-shot mode, else ""
  cw_acquisition_mode mode = CW_MODE_TAIL;  ///< tail or cat
  std::string_view state_dir;               ///< folder for positions, "" = keep none
};

/// Where a source hands its lines; a cheap copyable handle on the host's sink.
class LineSink {
 public:
  LineSink() = default;
  /// Wraps the host's sink (borrowed, valid until stop() returns).
  explicit LineSink(const cw_line_sink* sink) : sink_(sink) {}
  /// Emits one line; true when the host accepted it (then record the position past it).
  bool emit(std::string_view raw, std::string_view src, std::int64_t time_ns = 0) const {
    cw_line line{sizeof(cw_line), toC(raw), toC(src), time_ns};
    return sink_ != nullptr && sink_->emit(sink_->sink_ctx, &line) == CW_OK;
  }
  /// Says that a cat-mode source has read everything.
  void finished() const {
    if (sink_ != nullptr && sink_->finished != nullptr) {
      sink_->finished(sink_->sink_ctx);
    }
  }

 private:
  const cw_line_sink* sink_ = nullptr;
};

/// Counters a source reports; see cw_source_stats.
struct SourceCounters {
  std::uint64_t lines = 0;    ///< accepted by the host
  std::uint64_t dropped = 0;  ///< bad input dropped
  std::uint64_t errors = 0;   ///< read or network errors
  std::uint64_t split = 0;    ///< long lines delivered in pieces
};

/// Base class of an acquisition source. A subclass also provides
/// `static std::unique_ptr<Subclass> create(const SourceConfig&, Errors&)`, returning nullptr
/// after filling `errors` when the configuration is wrong.
class Source {
 public:
  virtual ~Source() = default;
  /// Starts the source's threads; returns once running. Throwing = start failed.
  virtual void start(LineSink sink) = 0;
  /// Stops the threads and saves positions; no emit after return.
  virtual void stop() = 0;
  /// Current counters; called from any thread.
  virtual SourceCounters counters() const = 0;
};

/// Base class of a notification plugin's instance (one per configured notification). A subclass
/// also provides `static std::unique_ptr<Subclass> create(std::string_view yaml, Errors&)`:
/// `yaml` is the notification's own keys (its file without the keys the host handles: `type`,
/// `name`, `format`, `group_wait`, `group_threshold`, `max_retry`, `log_level`) as a YAML
/// mapping, valid during create() only; it returns nullptr after filling `errors` when the
/// configuration is wrong.
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// Sends one message (`message` is valid during the call only): the notification's `format`
  /// applied by the host to a batch of alerts, by default the JSON array of the Local API's
  /// alert objects. Returns true when it was delivered; false after setting `error` to why not
  /// (the host logs and counts it, and retries `max_retry` times). Called from one host thread
  /// at a time, never concurrently for the same instance; it may block (the host calls it on a
  /// thread of its own), but should bound its wait with a timeout.
  virtual bool notify(std::string_view message, std::string& error) = 0;
};

/// Read-only view of one event given to a parser plugin (Parser::process) or a scenario plugin
/// (Scenario::pour): Line.Raw, evt.Parsed, evt.Meta, the event's time and, for scenarios, the
/// group. It wraps the host's borrowed cw_event_view: everything it returns is valid during the
/// call only; copy what you keep.
class EventView {
 public:
  /// Wraps the host's view (borrowed).
  explicit EventView(const cw_event_view* view) : view_(view) {}
  /// Line.Raw.
  std::string_view raw() const { return fromC(view_->raw); }
  /// The event's time in ns since the epoch: evt.Time for a parser; for a scenario, the time its
  /// buckets use (the log's time in replay, the clock when live).
  std::int64_t timeNs() const { return view_->time_ns; }
  /// Number of evt.Parsed entries.
  std::size_t parsedCount() const { return view_->parsed_count; }
  /// Key of the evt.Parsed entry `i` (< parsedCount()).
  std::string_view parsedKey(std::size_t i) const { return fromC(view_->parsed[i].key); }
  /// Value of the evt.Parsed entry `i` (< parsedCount()).
  std::string_view parsedValue(std::size_t i) const { return fromC(view_->parsed[i].value); }
  /// evt.Parsed[key]; nullptr when absent (an empty value is present).
  const cw_kv* findParsed(std::string_view key) const {
    return find(view_->parsed, view_->parsed_count, key);
  }
  /// evt.Parsed[key], "" when absent.
  std::string_view parsed(std::string_view key) const {
    const cw_kv* kv = findParsed(key);
    return kv == nullptr ? std::string_view() : fromC(kv->value);
  }
  /// Number of evt.Meta entries.
  std::size_t metaCount() const { return view_->meta_count; }
  /// Key of the evt.Meta entry `i` (< metaCount()).
  std::string_view metaKey(std::size_t i) const { return fromC(view_->meta[i].key); }
  /// Value of the evt.Meta entry `i` (< metaCount()).
  std::string_view metaValue(std::size_t i) const { return fromC(view_->meta[i].value); }
  /// True when evt.Meta has `key` (possibly with an empty value).
  bool hasMeta(std::string_view key) const {
    return find(view_->meta, view_->meta_count, key) != nullptr;
  }
  /// evt.Meta[key], "" when absent.
  std::string_view meta(std::string_view key) const {
    const cw_kv* kv = find(view_->meta, view_->meta_count, key);
    return kv == nullptr ? std::string_view() : fromC(kv->value);
  }
  /// Scenario plugins: the scenario's groupby value for this event ("" without groupby, for a
  /// parser, or from an older host).
  std::string_view group() const {
    return CW_HAS_FIELD(view_, cw_event_view, group) ? fromC(view_->group) : std::string_view();
  }
  /// The host's struct, for fields this wrapper does not cover (check CW_HAS_FIELD).
  const cw_event_view& view() const { return *view_; }

 private:
  static const cw_kv* find(const cw_kv* kvs, std::size_t n, std::string_view key) {
    for (std::size_t i = 0; i < n; ++i) {
      if (fromC(kvs[i].key) == key) {
        return &kvs[i];
      }
    }
    return nullptr;
  }
  const cw_event_view* view_;
};

/// Base class of a scenario plugin's instance: the custom logic of one group (one `groupby`
/// value) of a `type: plugin` scenario. A subclass also provides
/// `static std::unique_ptr<Subclass> create(std::string_view yaml, Errors&)`: `yaml` is the
/// scenario's `config:` mapping as YAML text ("" when absent), valid during create() only; it
/// returns nullptr after filling `errors` when the configuration is wrong. The host calls one
/// instance from one thread at a time; state shared between instances must be thread-safe.
class Scenario {
 public:
  virtual ~Scenario() = default;
  /// Takes one event of the group that passed the scenario's filter. Returns true when it makes
  /// the group overflow (the host raises the alert, then destroys this instance). Throwing: the
  /// event is dropped for this group and the host counts a plugin error (the message is
  /// reported); the instance stays.
  virtual bool pour(const EventView& event) = 0;
};

/// Where Parser::process writes: each set() becomes evt.Enriched[key] = value when process()
/// returns true (discarded otherwise). Key and value are copied by the host.
class EventWriter {
 public:
  /// Wraps the host's writer (borrowed, valid during process()).
  explicit EventWriter(const cw_event_writer* writer) : writer_(writer) {}
  /// Sets evt.Enriched[key] = value (a later set of the same key wins).
  void set(std::string_view key, std::string_view value) const {
    writer_->set(writer_->writer_ctx, toC(key), toC(value));
  }

 private:
  const cw_event_writer* writer_;
};

/// Base class of a parser plugin's instance (one per parser node naming the plugin). A subclass
/// also provides `static std::unique_ptr<Subclass> create(std::string_view yaml, Errors&)`:
/// `yaml` is the node's `config:` mapping as YAML text ("" when the node has none), valid during
/// create() only; it returns nullptr after filling `errors` when the configuration is wrong
/// (each error becomes a load error of the node).
class Parser {
 public:
  virtual ~Parser() = default;
  /// Processes one event. Returns true when the plugin step succeeded (its writes are applied
  /// and the node goes on), false when the event is not for this parser (the node fails, as a
  /// grok that does not match; nothing is reported). An exception is reported to the host and
  /// fails the node (counted as a plugin error). Never called concurrently for one instance;
  /// called for every event reaching the node, so avoid allocating here.
  virtual bool process(const EventView& event, EventWriter& out) = 0;
};

namespace detail {

inline void reportException(const char* where) {
  try {
    throw;
  } catch (const std::exception& e) {
    Host::report(std::string("exception in ") + where + ": " + e.what());
  } catch (...) {
    Host::report(std::string("unknown exception in ") + where);
  }
}

template <class S>
struct AcquisitionTrampolines {
  static cw_status create(const cw_source_config* c, cw_source** out) noexcept {
    try {
      SourceConfig config;
      config.name = fromC(c->name);
      config.yaml = fromC(c->yaml);
      config.dsn = fromC(c->dsn);
      config.mode = c->mode;
      if (CW_HAS_FIELD(c, cw_source_config, state_dir)) {
        config.state_dir = fromC(c->state_dir);
      }
      Errors errors;
      std::unique_ptr<S> source = S::create(config, errors);
      if (!source || !errors.empty()) {
        for (const std::string& e : errors) {
          Host::report(e);
        }
        if (errors.empty()) {
          Host::report("the source could not be created");
        }
        return CW_INVALID;
      }
      *out = reinterpret_cast<cw_source*>(static_cast<Source*>(source.release()));
      return CW_OK;
    } catch (...) {
      reportException("create");
      return CW_ERROR;
    }
  }
  static Source* self(cw_source* s) { return reinterpret_cast<Source*>(s); }
  static cw_status start(cw_source* s, const cw_line_sink* sink) noexcept {
    try {
      self(s)->start(LineSink(sink));
      return CW_OK;
    } catch (...) {
      reportException("start");
      return CW_ERROR;
    }
  }
  static void stop(cw_source* s) noexcept {
    try {
      self(s)->stop();
    } catch (...) {
      Host::log(CW_LOG_ERROR, "Exception while stopping a source");
    }
  }
  static void stats(const cw_source* s, cw_source_stats* out) noexcept {
    try {
      SourceCounters c = reinterpret_cast<const Source*>(s)->counters();
      if (CW_HAS_FIELD(out, cw_source_stats, lines)) out->lines = c.lines;
      if (CW_HAS_FIELD(out, cw_source_stats, dropped)) out->dropped = c.dropped;
      if (CW_HAS_FIELD(out, cw_source_stats, errors)) out->errors = c.errors;
      if (CW_HAS_FIELD(out, cw_source_stats, split)) out->split = c.split;
    } catch (...) {
      Host::log(CW_LOG_ERROR, "Exception while reading a source's counters");
    }
  }
  static void destroy(cw_source* s) noexcept {
    try {
      delete self(s);
    } catch (...) {
      Host::log(CW_LOG_ERROR, "Exception while destroying a source");
    }
  }
};

template <class N>
struct NotificationTrampolines {
  static Notifier* self(cw_instance* i) { return reinterpret_cast<Notifier*>(i); }
  static cw_status create(cw_str yaml, cw_instance** out) noexcept {
    try {
      Errors errors;
      std::unique_ptr<N> notifier = N::create(fromC(yaml), errors);
      if (!notifier || !errors.empty()) {
        for (const std::string& e : errors) {
          Host::report(e);
        }
        if (errors.empty()) {
          Host::report("the notification could not be created");
        }
        return CW_INVALID;
      }
      *out = reinterpret_cast<cw_instance*>(static_cast<Notifier*>(notifier.release()));
      return CW_OK;
    } catch (...) {
      reportException("create");
      return CW_ERROR;
    }
  }
  static cw_status notify(cw_instance* i, cw_str message) noexcept {
    try {
      std::string error;
      if (self(i)->notify(fromC(message), error)) {
        return CW_OK;
      }
      Host::report(error.empty() ? std::string("the notification failed") : error);
      return CW_ERROR;
    } catch (...) {
      reportException("notify");
      return CW_ERROR;
    }
  }
  static void destroy(cw_instance* i) noexcept {
    try {
      delete self(i);
    } catch (...) {
      Host::log(CW_LOG_ERROR, "Exception while destroying a notification");
    }
  }
};

template <class S>
struct ScenarioTrampolines {
  static Scenario* self(cw_instance* i) { return reinterpret_cast<Scenario*>(i); }
  static cw_status create(cw_str yaml, cw_instance** out) noexcept {
    try {
      Errors errors;
      std::unique_ptr<S> scenario = S::create(fromC(yaml), errors);
      if (!scenario || !errors.empty()) {
        for (const std::string& e : errors) {
          Host::report(e);
        }
        if (errors.empty()) {
          Host::report("the scenario could not be created");
        }
        return CW_INVALID;
      }
      *out = reinterpret_cast<cw_instance*>(static_cast<Scenario*>(scenario.release()));
      return CW_OK;
    } catch (...) {
      reportException("create");
      return CW_ERROR;
    }
  }
  static cw_status pour(cw_instance* i, const cw_event_view* event, int* overflow) noexcept {
    try {
      *overflow = self(i)->pour(EventView(event)) ? 1 : 0;
      return CW_OK;
    } catch (...) {
      *overflow = 0;
      reportException("pour");
      return CW_ERROR;
    }
  }
  static void destroy(cw_instance* i) noexcept {
    try {
      delete self(i);
    } catch (...) {
      Host::log(CW_LOG_ERROR, "Exception while destroying a scenario");
    }
  }
};

template <class P>
struct ParserTrampolines {
  static Parser* self(cw_instance* i) { return reinterpret_cast<Parser*>(i); }
  static cw_status create(cw_str yaml, cw_instance** out) noexcept {
    try {
      Errors errors;
      std::unique_ptr<P> parser = P::create(fromC(yaml), errors);
      if (!parser || !errors.empty()) {
        for (const std::string& e : errors) {
          Host::report(e);
        }
        if (errors.empty()) {
          Host::report("the parser could not be created");
        }
        return CW_INVALID;
      }
      *out = reinterpret_cast<cw_instance*>(static_cast<Parser*>(parser.release()));
      return CW_OK;
    } catch (...) {
      reportException("create");
      return CW_ERROR;
    }
  }
  static cw_status process(cw_instance* i, const cw_event_view* event,
                           const cw_event_writer* out) noexcept {
    try {
      const EventView view(event);
      EventWriter writer(out);
      return self(i)->process(view, writer) ? CW_OK : CW_INVALID;
    } catch (...) {
      reportException("process");
      return CW_ERROR;
    }
  }
  static void destroy(cw_instance* i) noexcept {
    try {
      delete self(i);
    } catch (...) {
      Host::log(CW_LOG_ERROR, "Exception while destroying a parser");
    }
  }
};

/// Runs `init` (any callable returning a descriptor) with exceptions reported to the host.
template <class F>
const cw_plugin_descriptor* guardedEntry(const cw_host_api* host, F&& init) noexcept {
  Host::api() = host;
  try {
    return init();
  } catch (...) {
    reportException("entry point");
    return nullptr;
  }
}

}  // namespace detail

/// Builds the acquisition descriptor for source class `S`.
template <class S>
const cw_plugin_descriptor* acquisitionDescriptor(const char* id, const char* version,
                                                  const char* source_name, const char* dsn_scheme) {
  using T = detail::AcquisitionTrampolines<S>;
  static const cw_acquisition_vtable vtable{sizeof(cw_acquisition_vtable),
                                            source_name,
                                            dsn_scheme,
                                            &T::create,
                                            &T::start,
                                            &T::stop,
                                            &T::stats,
                                            &T::destroy};
  static const cw_plugin_descriptor descriptor{sizeof(cw_plugin_descriptor),
                                               CW_ABI_MAJOR,
                                               CW_ABI_MINOR,
                                               CW_KIND_ACQUISITION,
                                               id,
                                               version,
                                               &vtable};
  return &descriptor;
}

/// Builds the notification descriptor for notifier class `N`.
template <class N>
const cw_plugin_descriptor* notificationDescriptor(const char* id, const char* version) {
  using T = detail::NotificationTrampolines<N>;
  static const cw_notification_vtable vtable{sizeof(cw_notification_vtable), &T::create, &T::notify,
                                             &T::destroy};
  static const cw_plugin_descriptor descriptor{sizeof(cw_plugin_descriptor),
                                               CW_ABI_MAJOR,
                                               CW_ABI_MINOR,
                                               CW_KIND_NOTIFICATION,
                                               id,
                                               version,
                                               &vtable};
  return &descriptor;
}

/// Builds the scenario descriptor for scenario class `S`.
template <class S>
const cw_plugin_descriptor* scenarioDescriptor(const char* id, const char* version) {
  using T = detail::ScenarioTrampolines<S>;
  static const cw_scenario_vtable vtable{sizeof(cw_scenario_vtable), &T::create, &T::pour,
                                         &T::destroy};
  static const cw_plugin_descriptor descriptor{sizeof(cw_plugin_descriptor),
                                               CW_ABI_MAJOR,
                                               CW_ABI_MINOR,
                                               CW_KIND_SCENARIO,
                                               id,
                                               version,
                                               &vtable};
  return &descriptor;
}

/// Builds the parser descriptor for parser class `P`.
template <class P>
const cw_plugin_descriptor* parserDescriptor(const char* id, const char* version) {
  using T = detail::ParserTrampolines<P>;
  static const cw_parser_vtable vtable{sizeof(cw_parser_vtable), &T::create, &T::process,
                                       &T::destroy};
  static const cw_plugin_descriptor descriptor{sizeof(cw_plugin_descriptor),
                                               CW_ABI_MAJOR,
                                               CW_ABI_MINOR,
                                               CW_KIND_PARSER,
                                               id,
                                               version,
                                               &vtable};
  return &descriptor;
}

}  // namespace cw::sdk

/// Defines the plugin's entry point for scenario class `ScenarioClass` (a cw::sdk::Scenario):
/// plugin `id` ("author/name" as in the index; what a scenario's `plugin:` names) and
/// `version`. Use once per shared object, at global scope.
#define CW_SCENARIO_PLUGIN(ScenarioClass, id, version)                                   \
  extern "C" CW_PLUGIN_EXPORT const cw_plugin_descriptor* cw_plugin_entry(               \
      const cw_host_api* host) {                                                         \
    return ::cw::sdk::detail::guardedEntry(                                              \
        host, [] { return ::cw::sdk::scenarioDescriptor<ScenarioClass>(id, version); }); \
  }

/// Defines the plugin's entry point for parser class `ParserClass` (a cw::sdk::Parser): plugin
/// `id` ("author/name" as in the index; what a parser node's `plugin:` names) and `version`.
/// Use once per shared object, at global scope.
#define CW_PARSER_PLUGIN(ParserClass, id, version)                                   \
  extern "C" CW_PLUGIN_EXPORT const cw_plugin_descriptor* cw_plugin_entry(           \
      const cw_host_api* host) {                                                     \
    return ::cw::sdk::detail::guardedEntry(                                          \
        host, [] { return ::cw::sdk::parserDescriptor<ParserClass>(id, version); }); \
  }

/// Defines the plugin's entry point for notifier class `NotifierClass` (a cw::sdk::Notifier):
/// plugin `id` ("author/name" as in the index; what a notification file's `type:` names) and
/// `version`. Use once per shared object, at global scope.
#define CW_NOTIFICATION_PLUGIN(NotifierClass, id, version)                                   \
  extern "C" CW_PLUGIN_EXPORT const cw_plugin_descriptor* cw_plugin_entry(                   \
      const cw_host_api* host) {                                                             \
    return ::cw::sdk::detail::guardedEntry(                                                  \
        host, [] { return ::cw::sdk::notificationDescriptor<NotifierClass>(id, version); }); \
  }

/// Defines the plugin's entry point for acquisition source class `SourceClass`: plugin `id`
/// ("author/name" as in the index), `version`, the `source:` name it serves and its DSN
/// scheme (or nullptr). Use once per shared object, at global scope.
#define CW_ACQUISITION_PLUGIN(SourceClass, id, version, source_name, dsn_scheme)                  \
  extern "C" CW_PLUGIN_EXPORT const cw_plugin_descriptor* cw_plugin_entry(                        \
      const cw_host_api* host) {                                                                  \
    return ::cw::sdk::detail::guardedEntry(host, [] {                                             \
      return ::cw::sdk::acquisitionDescriptor<SourceClass>(id, version, source_name, dsn_scheme); \
    });                                                                                           \
  }

/// Defines the entry point from any callable `init` returning `const cw_plugin_descriptor*`
/// (for kinds without a C++ helper yet, or custom setup); exceptions it throws are reported.
#define CW_PLUGIN_ENTRY(init)                                              \
  extern "C" CW_PLUGIN_EXPORT const cw_plugin_descriptor* cw_plugin_entry( \
      const cw_host_api* host) {                                           \
    return ::cw::sdk::detail::guardedEntry(host, init);                    \
  }
