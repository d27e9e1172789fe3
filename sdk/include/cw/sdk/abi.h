/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file abi.h
 * @brief The Crowdwall plugin ABI: the only declarations that cross a plugin's shared object.
 *
 * Plain C so that any compiler (or Rust/Go through FFI) can build a plugin. Rules:
 * - A plugin exports exactly one symbol, `cw_plugin_entry` (#CW_PLUGIN_ENTRY_SYMBOL).
 * - Every struct starts with `struct_size`; fields are only ever appended. A reader checks
 *   CW_HAS_FIELD() before reading a field that a smaller (older) struct may lack.
 * - The host refuses another ABI major, and a minor newer than its own.
 * - Every pointer documents its owner and lifetime. "Borrowed" means: valid only during the
 *   call that hands it over; copy what you keep.
 * - No C++ exception, `longjmp` or signal crosses the boundary: functions return #cw_status.
 */
#ifndef CW_SDK_ABI_H
#define CW_SDK_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major version: a plugin built for another major is refused. */
#define CW_ABI_MAJOR 1
/** ABI minor version: a plugin built for a newer minor than the host's is refused. */
#define CW_ABI_MINOR 0
/** Name of the single symbol a plugin exports. */
#define CW_PLUGIN_ENTRY_SYMBOL "cw_plugin_entry"

/** Symbol visibility for the entry point (everything else stays hidden). */
#if defined(_WIN32)
#define CW_PLUGIN_EXPORT __declspec(dllexport)
#else
#define CW_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/** True when the struct at `ptr` (whose first member is `struct_size`) contains `field`. */
#define CW_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/** Result of a plugin or host call. */
typedef enum cw_status {
  CW_OK = 0,          /**< success */
  CW_ERROR = 1,       /**< failed; details were reported through cw_host_api::report */
  CW_INVALID = 2,     /**< bad configuration or argument; details reported */
  CW_UNSUPPORTED = 3  /**< the operation is not provided */
} cw_status;

/** What a plugin provides. Selects the type of cw_plugin_descriptor::vtable. */
typedef enum cw_plugin_kind {
  CW_KIND_ACQUISITION = 1,  /**< data source: #cw_acquisition_vtable */
  CW_KIND_PARSER = 2,       /**< enricher or decoder: #cw_parser_vtable */
  CW_KIND_SCENARIO = 3,     /**< custom bucket logic: #cw_scenario_vtable */
  CW_KIND_BOUNCER = 4,      /**< remediation: #cw_bouncer_vtable */
  CW_KIND_NOTIFICATION = 5  /**< alert notification: #cw_notification_vtable */
} cw_plugin_kind;

/** Log levels of cw_host_api::log. */
typedef enum cw_log_level {
  CW_LOG_TRACE = 0,
  CW_LOG_DEBUG = 1,
  CW_LOG_INFO = 2,
  CW_LOG_WARN = 3,
  CW_LOG_ERROR = 4
} cw_log_level;

/** A string view: `size` bytes at `data`, not NUL-terminated. Never owning. */
typedef struct cw_str {
  const char* data; /**< borrowed; may be NULL when size is 0 */
  size_t size;      /**< length in bytes */
} cw_str;

/**
 * What the host offers a plugin. Owned by the host; valid from the cw_plugin_entry call until
 * the plugin is unloaded. Functions are thread-safe.
 */
typedef struct cw_host_api {
  uint32_t struct_size; /**< sizeof(cw_host_api) of the host; read fields with CW_HAS_FIELD */
  uint16_t abi_major;   /**< the host's #CW_ABI_MAJOR */
  uint16_t abi_minor;   /**< the host's #CW_ABI_MINOR */
  void* host_ctx;       /**< owned by the host; pass back unchanged as `host_ctx` */
  /** Logs `message` (borrowed) under the plugin's logger. */
  void (*log)(void* host_ctx, cw_log_level level, cw_str message);
  /**
   * Reports one error (borrowed message) about the call in progress: a configuration
   * problem, why the entry point failed. Call once per problem; the host lists them all
   * (the latest 64 of a plugin that reports without failing).
   */
  void (*report)(void* host_ctx, cw_str message);
} cw_host_api;

/**
 * What cw_plugin_entry returns. Owned by the plugin (normally a static object); must stay
 * valid until the plugin is unloaded.
 */
typedef struct cw_plugin_descriptor {
  uint32_t struct_size; /**< sizeof(cw_plugin_descriptor) the plugin was built with */
  uint16_t abi_major;   /**< #CW_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;   /**< #CW_ABI_MINOR the plugin was built with */
  cw_plugin_kind kind;  /**< type of `vtable` */
  const char* id;       /**< plugin-owned, NUL-terminated: "author/name", as in the index */
  const char* version;  /**< plugin-owned, NUL-terminated: the plugin's version, "1.2" */
  const void* vtable;   /**< plugin-owned table of the `kind`, e.g. #cw_acquisition_vtable */
} cw_plugin_descriptor;

/**
 * The entry point, exported as `cw_plugin_entry`. Called once after loading. `host` is
 * borrowed but stays valid until unload, so the plugin may keep the pointer. Returns the
 * descriptor, or NULL after reporting why through host->report.
 */
typedef const cw_plugin_descriptor* (*cw_plugin_entry_fn)(const cw_host_api* host);

/* ------------------------------------------------------------------------------------------ */
/* Acquisition                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** How a data source runs. */
typedef enum cw_acquisition_mode {
  CW_MODE_TAIL = 0, /**< follow new data until stopped */
  CW_MODE_CAT = 1   /**< read what exists once, then finish (one-shot / replay) */
} cw_acquisition_mode;

/** One line produced by a source. Everything is borrowed for the duration of the emit call. */
typedef struct cw_line {
  uint32_t struct_size; /**< sizeof(cw_line) of the plugin */
  cw_str raw;           /**< the line without its end-of-line; borrowed */
  cw_str src;           /**< file path, journal name, sender address; borrowed */
  int64_t time_ns;      /**< when it was read, ns since the Unix epoch; 0 = host sets now */
} cw_line;

/**
 * Where a source hands its lines. Owned by the host; valid from start() until stop() returns.
 * `emit` may be called from any thread of the plugin, concurrently. A line for which emit
 * returned CW_OK is accepted: the source records its position as past it.
 */
typedef struct cw_line_sink {
  uint32_t struct_size; /**< sizeof(cw_line_sink) of the host */
  void* sink_ctx;       /**< owned by the host; pass back unchanged */
  /** Hands one line to the host. `line` is borrowed. */
  cw_status (*emit)(void* sink_ctx, const cw_line* line);
  /** Tells the host that a cat-mode source has read everything (called once). */
  void (*finished)(void* sink_ctx);
} cw_line_sink;

/** Configuration of one source, built by the host from an acquis document or a DSN. */
typedef struct cw_source_config {
  uint32_t struct_size;     /**< sizeof(cw_source_config) of the host */
  cw_str name;              /**< display name of the source; borrowed */
  cw_str yaml;              /**< the module's keys (common keys removed) as a YAML mapping;
                                 borrowed; empty when `dsn` is set */
  cw_str dsn;               /**< "scheme://..." in one-shot mode, else empty; borrowed */
  cw_acquisition_mode mode; /**< tail or cat (a DSN is always cat) */
  cw_str state_dir;         /**< folder private to this source for positions and cursors,
                                 created by the host; empty = keep no state; borrowed */
} cw_source_config;

/** Counters of one source (cumulative since create). */
typedef struct cw_source_stats {
  uint32_t struct_size; /**< sizeof(cw_source_stats) of the host; the plugin fills what fits */
  uint64_t lines;       /**< lines accepted by emit */
  uint64_t dropped;     /**< bad input dropped: too long, malformed, over a size limit */
  uint64_t errors;      /**< read or network errors (the source kept running) */
  uint64_t split;       /**< lines over a size limit delivered in pieces */
} cw_source_stats;

/** Opaque source instance, owned by the plugin (freed by cw_acquisition_vtable::destroy). */
typedef struct cw_source cw_source;

/** Operations of an acquisition plugin. Owned by the plugin, static. */
typedef struct cw_acquisition_vtable {
  uint32_t struct_size; /**< sizeof(cw_acquisition_vtable) of the plugin */
  const char* source;   /**< `source:` value it serves ("file"); plugin-owned */
  const char* dsn_scheme; /**< DSN scheme it reads ("file"), or NULL; plugin-owned */
  /**
   * Checks `config` (borrowed) and creates a source. Reports every problem through
   * host->report and returns CW_INVALID, or stores a new instance in `*out`.
   */
  cw_status (*create)(const cw_source_config* config, cw_source** out);
  /**
   * Starts reading on the plugin's own thread(s); returns once running. `sink` is owned by
   * the host and valid until stop() returns.
   */
  cw_status (*start)(cw_source* source, const cw_line_sink* sink);
  /** Stops the threads, saves positions; after return, emit is no longer called. */
  void (*stop)(cw_source* source);
  /** Fills `out` (host-owned). Thread-safe, callable while running. */
  void (*stats)(const cw_source* source, cw_source_stats* out);
  /** Frees the instance (stopped first by the host). */
  void (*destroy)(cw_source* source);
} cw_acquisition_vtable;

/* ------------------------------------------------------------------------------------------ */
/* Other kinds: declared with their minimal operations. The host calls parser, scenario and  */
/* notification plugins; bouncer plugins are not called yet.                                   */
/* ------------------------------------------------------------------------------------------ */

/** A key/value pair of an event; both borrowed. */
typedef struct cw_kv {
  cw_str key;   /**< borrowed */
  cw_str value; /**< borrowed */
} cw_kv;

/**
 * Read-only view of an event for parser and scenario plugins. Owned by the host; the struct,
 * its arrays and every string are borrowed for the duration of the call (the host reuses the
 * arrays for the next event: copy what you keep). Entries are in the event's insertion order,
 * each key once.
 */
typedef struct cw_event_view {
  uint32_t struct_size; /**< sizeof(cw_event_view) of the host */
  cw_str raw;           /**< Line.Raw; borrowed */
  const cw_kv* parsed;  /**< evt.Parsed entries; borrowed array of `parsed_count` */
  size_t parsed_count;  /**< entries in `parsed` */
  const cw_kv* meta;    /**< evt.Meta entries; borrowed array of `meta_count` */
  size_t meta_count;    /**< entries in `meta` */
  int64_t time_ns;      /**< the event's time, ns since the epoch: for a scenario, the time its
                             buckets use (the log's own time in replay, the clock when live) */
  cw_str group;         /**< scenario plugins: the value of the scenario's `groupby` for this
                             event ("" without groupby); borrowed. Absent from views of hosts
                             older than this field: read it with CW_HAS_FIELD */
} cw_event_view;

/**
 * Where a parser writes its results; owned by the host, valid during `process` only, used from
 * the thread that called `process`.
 */
typedef struct cw_event_writer {
  uint32_t struct_size; /**< sizeof(cw_event_writer) of the host */
  void* writer_ctx;     /**< owned by the host; pass back unchanged */
  /**
   * Sets evt.Enriched[key] = value (key and value borrowed, copied by the host). Decoders write
   * there too: a plugin never writes evt.Parsed or evt.Meta directly (the node's statics copy
   * what it needs, e.g. `meta: source_ip` with `expression: evt.Enriched.src`). The writes
   * take effect when `process` returns CW_OK, in the order made (a later write of a key wins);
   * after any other status they are discarded and the event is unchanged.
   */
  void (*set)(void* writer_ctx, cw_str key, cw_str value);
} cw_event_writer;

/** Opaque instance of a parser, scenario, bouncer or notification plugin (plugin-owned). */
typedef struct cw_instance cw_instance;

/**
 * Parser plugin: enrich or decode an event (e.g. a key=value or JSON decoder). A parser node
 * names it with `plugin:` (docs/plugins.md); the host creates one instance per such node when
 * the parsers are loaded (again on each reload) and destroys it when they are unloaded.
 *
 * Threads: the host never calls `process` concurrently for one instance (today one agent
 * thread runs every parser; a host running parsers on several workers creates one instance per
 * node and worker). An instance needs no lock for its own state; state shared between
 * instances (globals of the plugin) must be thread-safe.
 */
typedef struct cw_parser_vtable {
  uint32_t struct_size; /**< sizeof(cw_parser_vtable) of the plugin */
  /**
   * Creates an instance from the node's `config:` mapping as YAML text (borrowed; empty when
   * the node has none). Reports every problem through host->report and returns CW_INVALID, or
   * stores a new instance in `*out`. The host lists the reports as load errors of the node.
   */
  cw_status (*create)(cw_str yaml, cw_instance** out);
  /**
   * Processes one event (borrowed), on the hot path: avoid allocating per call. CW_OK = the
   * plugin step succeeded (its writes are applied, the node goes on); CW_INVALID = the event is
   * not for this parser (the node fails, like a grok that does not match); CW_ERROR = failed
   * after reporting why through host->report (the node fails; the host counts and logs it).
   * Any status but CW_OK makes the node fail and discards the writes.
   */
  cw_status (*process)(cw_instance* instance, const cw_event_view* event,
                       const cw_event_writer* out);
  /** Frees the instance. */
  void (*destroy)(cw_instance* instance);
} cw_parser_vtable;

/**
 * Scenario plugin: custom bucket logic fed event by event. A scenario file of `type: plugin`
 * names the plugin (`plugin: author/name`) and gives it its `config:` mapping.
 *
 * Instances: the host creates one instance per group of the scenario (per `groupby` value, or a
 * single group without groupby), lazily, when the group's first matching event arrives. It
 * destroys the instance when the group overflows (the next event of the group starts a new
 * one), when the group received no event for the scenario's `duration` (the idle timeout), and
 * when the scenarios are unloaded (shutdown, SIGHUP reload). At load time the host also creates
 * and destroys one instance to check the configuration.
 *
 * Threads: calls on one instance are never concurrent (create, pour..., destroy, in that order,
 * from one host thread at a time). Different instances of a plugin may be called from different
 * threads at the same time (e.g. the reloaded scenarios being checked while the old ones still
 * run), so state shared between instances (globals, statics) must be thread-safe.
 *
 * Errors: a pour that returns anything but CW_OK is counted by the host and the event is
 * dropped for that group (not counted in the alert); the reason reported through
 * cw_host_api::report is logged. The process goes on.
 */
typedef struct cw_scenario_vtable {
  uint32_t struct_size; /**< sizeof(cw_scenario_vtable) of the plugin */
  /**
   * Creates an instance from its YAML configuration (the scenario's `config:` mapping as YAML
   * text, "" when absent; borrowed). Reports every problem through host->report and returns
   * CW_INVALID, or stores a new instance in `*out`.
   */
  cw_status (*create)(cw_str yaml, cw_instance** out);
  /**
   * Pours one event (borrowed, valid during the call only) that passed the scenario's filter.
   * Returns CW_OK and sets `*overflow` to 1 when the event makes the group overflow (the host
   * then raises the scenario's alert for the events poured into this group), else leaves it 0.
   * Any other status: the event is dropped for this group and counted as a plugin error.
   */
  cw_status (*pour)(cw_instance* instance, const cw_event_view* event, int* overflow);
  /** Frees the instance. */
  void (*destroy)(cw_instance* instance);
} cw_scenario_vtable;

/** A decision given to a bouncer; everything borrowed during the call. */
typedef struct cw_decision {
  uint32_t struct_size; /**< sizeof(cw_decision) of the host */
  cw_str type;          /**< "ban", "captcha"...; borrowed */
  cw_str scope;         /**< "Ip", "Range"...; borrowed */
  cw_str value;         /**< the address or range; borrowed */
  int64_t duration_s;   /**< seconds left */
} cw_decision;

/** Bouncer plugin: applies and revokes decisions. */
typedef struct cw_bouncer_vtable {
  uint32_t struct_size; /**< sizeof(cw_bouncer_vtable) of the plugin */
  /** Creates an instance from its YAML configuration (borrowed). */
  cw_status (*create)(cw_str yaml, cw_instance** out);
  /** Applies one decision (borrowed). */
  cw_status (*apply)(cw_instance* instance, const cw_decision* decision);
  /** Revokes one decision (borrowed). */
  cw_status (*revoke)(cw_instance* instance, const cw_decision* decision);
  /** Frees the instance. */
  void (*destroy)(cw_instance* instance);
} cw_bouncer_vtable;

/**
 * Notification plugin: sends alerts somewhere (mail, chat, webhook). The host creates one
 * instance per notification a profile names, from the notification's file without the keys the
 * host handles (`type`, `name`, `format`, `group_wait`, `group_threshold`, `max_retry`,
 * `log_level`); it calls notify on a thread of its own, one call at a time per instance.
 */
typedef struct cw_notification_vtable {
  uint32_t struct_size; /**< sizeof(cw_notification_vtable) of the plugin */
  /**
   * Creates an instance from its YAML configuration (borrowed). Reports every problem through
   * host->report and returns CW_INVALID, or stores a new instance in `*out`.
   */
  cw_status (*create)(cw_str yaml, cw_instance** out);
  /**
   * Sends one message (borrowed): the notification's `format` applied by the host to a batch of
   * alerts (the `group_wait` / `group_threshold` keys; one alert by default), by default the
   * JSON array of the Local API's alert objects. Returns CW_OK when delivered, else CW_ERROR
   * after reporting why (the host logs and counts it, and retries it `max_retry` times).
   */
  cw_status (*notify)(cw_instance* instance, cw_str message);
  /** Frees the instance. */
  void (*destroy)(cw_instance* instance);
} cw_notification_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CW_SDK_ABI_H */
