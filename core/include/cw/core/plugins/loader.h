// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/sdk/abi.h"

// The plugin loader: reads the `plugins` section of an index, checks each declared shared
// object before loading it (platform, ABI, owner and permissions of the file and its folder,
// sha256), loads it with Boost.DLL, calls `cw_plugin_entry` and checks the descriptor it
// returns. Every broken plugin is reported in one error, and then nothing is loaded: a
// healthy plugin next to a broken one is named as not loaded.
namespace cw::core::plugins {

/// One entry of the index's `plugins` section (the key is the id).
struct IndexEntry {
  std::string id;        ///< "author/name"
  std::string version;   ///< plugin version
  std::string kind;      ///< acquisition|parser|scenario|bouncer|notification
  std::string abi;       ///< "MAJOR.MINOR" of the SDK it was built with
  std::string platform;  ///< e.g. "linux-x86_64"
  std::string sha256;    ///< hex digest of the file
  std::string file;      ///< file name, relative to the plugin folder
};

/// Reads the `plugins` section of the JSON index at `path` (hub index shape:
/// {"plugins": {"<id>": {"kind":..., "version":..., "abi":..., "platform":..., "sha256":...,
/// "file":...}}}). A missing section is an empty list; a malformed entry is an error.
Result<std::vector<IndexEntry>> readIndex(const std::string& path);

/// Our installed plugins' folder: $CROWDWALL_PLUGIN_DIR, else the first of
/// <exe dir>/../lib/crowdwall/plugins, <exe dir>/../lib/<multiarch>/crowdwall/plugins and
/// <exe dir>/../plugins (the build tree) holding an index.json, else /usr/lib/crowdwall/plugins.
std::string defaultPluginDir();

/// This host's platform string ("linux-x86_64").
std::string hostPlatform();
/// Kind name used in the index for `kind` ("acquisition"...), "" when unknown.
std::string_view kindName(cw_plugin_kind kind);
/// Hex SHA-256 of a file, or an error "cannot read <path>: <why>".
Result<std::string> sha256OfFile(const std::string& path);

/// What to load.
struct LoadOptions {
  std::string plugin_dir;             ///< folder of the shared objects
  std::string index_path;             ///< JSON index with the `plugins` section
  std::vector<std::string> enabled;   ///< ids; empty = every declared plugin
  std::vector<std::string> disabled;  ///< ids never loaded (wins over enabled)
  std::vector<std::string> kinds;     ///< only these kinds; empty = all
  /// More indexes (the hub's .index.json): each entry's `file` is relative to its index's
  /// folder, and an entry whose file is absent (not installed) is skipped. An id declared in
  /// two indexes is an error. `index_path` may then be empty.
  std::vector<std::string> optional_indexes;
};

/// The options the daemon uses: our built plugins (<dir>/index.json, which must exist when `dir`
/// is given) plus `index` (the plugins `cwcli plugins install` enabled, files relative to its
/// folder; skipped when absent), restricted to `kind`.
LoadOptions installedPluginOptions(const std::string& dir, const std::string& index,
                                   const std::vector<std::string>& enabled,
                                   const std::vector<std::string>& disabled,
                                   const std::string& kind);

class Plugin;

/// The plugins loaded together. Owns the shared objects: keep it alive while any instance
/// created by a plugin exists.
class PluginSet {
 public:
  PluginSet();
  ~PluginSet();
  PluginSet(const PluginSet&) = delete;
  PluginSet& operator=(const PluginSet&) = delete;

  const std::vector<std::unique_ptr<Plugin>>& plugins() const { return plugins_; }
  /// Ids declared in the index but skipped because disabled (or not enabled).
  const std::vector<std::string>& skipped() const { return skipped_; }
  /// The acquisition plugin serving `source:` name `source`, or nullptr.
  const Plugin* findSource(std::string_view source) const;
  /// The acquisition plugin reading DSN scheme `scheme`, or nullptr.
  const Plugin* findDsnScheme(std::string_view scheme) const;
  /// The loaded plugin of id `id`, or nullptr.
  const Plugin* find(std::string_view id) const;
  /// The plugin of `kind` ("parser", "scenario", "notification"...) that `name` designates, as
  /// configuration files name them: its id, or the last part of one ("kv" for crowdwall/kv,
  /// CrowdSec's `type: http`) when exactly one plugin of that kind has it. Errors (no prefix):
  /// "<kind> plugin 'x' is ambiguous (a/x, b/x): name it by its id", "<kind> plugin 'a/x' is
  /// disabled (...)", "no enabled <kind> plugin 'x' (available: ...|none)".
  Result<const Plugin*> resolve(std::string_view kind, std::string_view name) const;

 private:
  friend Result<std::unique_ptr<PluginSet>> load(const LoadOptions& options);
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<std::string> skipped_;
};

/// One loaded plugin: its index entry, descriptor and the host table given to it.
class Plugin {
 public:
  Plugin(IndexEntry entry, std::string path);
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const IndexEntry& entry() const { return entry_; }
  const std::string& path() const { return path_; }
  const cw_plugin_descriptor* descriptor() const { return descriptor_; }
  /// The acquisition table, nullptr for other kinds.
  const cw_acquisition_vtable* acquisition() const;
  /// The notification table, nullptr for other kinds.
  const cw_notification_vtable* notification() const;
  /// The scenario table (checked complete at load), nullptr for other kinds.
  const cw_scenario_vtable* scenario() const;
  /// The parser table, nullptr for other kinds (checked at load: size, every function set).
  const cw_parser_vtable* parser() const;
  /// Errors the plugin reported (cw_host_api::report) since the last call; clears them.
  std::vector<std::string> takeReports() const;
  /// The same, joined with "; " ("" when the plugin reported nothing): the reason of a failed
  /// call, for a log line or an error message.
  std::string takeReason() const;

 private:
  friend Result<std::unique_ptr<PluginSet>> load(const LoadOptions& options);
  struct Impl;
  IndexEntry entry_;
  std::string path_;
  std::unique_ptr<Impl> impl_;
  const cw_plugin_descriptor* descriptor_ = nullptr;
};

/// Reports joined with "; " ("" for none): the reason of a failed call in one line.
std::string joinReports(const std::vector<std::string>& reports);

/// Owns one instance of a parser, scenario or notification plugin (`Vtable` is its kind's
/// table): destroyed with this object, which must not outlive the PluginSet holding the plugin.
template <class Vtable>
class Instance {
 public:
  Instance(const Vtable& vtable, cw_instance* instance) : vtable_(&vtable), instance_(instance) {}
  ~Instance() { vtable_->destroy(instance_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const Vtable& vtable() const { return *vtable_; }
  cw_instance* get() const { return instance_; }

 private:
  const Vtable* vtable_;
  cw_instance* instance_;
};

/// What a plugin's create() gave: an instance, or the problems to report (the plugin's reports,
/// or a reason of ours when it gave none).
template <class Vtable>
struct Created {
  std::unique_ptr<Instance<Vtable>> instance;  ///< null on failure
  std::vector<std::string> problems;           ///< empty on success
};

/// Creates an instance of `plugin` (whose table of its kind is `vtable`) from `config`, the YAML
/// text its create() reads. An instance a failing create() left behind is destroyed; reports
/// made during a successful create() are dropped.
template <class Vtable>
Created<Vtable> createInstance(const Plugin& plugin, const Vtable& vtable,
                               std::string_view config) {
  Created<Vtable> out;
  cw_instance* instance = nullptr;
  const cw_status status = vtable.create(cw_str{config.data(), config.size()}, &instance);
  std::vector<std::string> reports = plugin.takeReports();
  if (status == CW_OK && instance != nullptr) {
    out.instance = std::make_unique<Instance<Vtable>>(vtable, instance);
    return out;
  }
  if (instance != nullptr) {
    vtable.destroy(instance);
  }
  out.problems = std::move(reports);
  if (out.problems.empty()) {
    out.problems.push_back(status == CW_OK ? "create returned no instance"
                                           : "the plugin refused its configuration");
  }
  return out;
}

/// Checks and loads the plugins `options` selects. On any broken plugin the error lists
/// every problem as "<file> (<id>): <what>", one per line, then the healthy plugins not
/// loaded because of them, and nothing stays loaded.
Result<std::unique_ptr<PluginSet>> load(const LoadOptions& options);

/// A set the parser and scenario loaders hold with the instances they make of its plugins.
using SharedSet = std::shared_ptr<const PluginSet>;
/// Gives a SharedSet when first asked (only items naming a plugin ask), then the same set, or
/// the same error, every time after: the parsers and post-overflows of an agent share one load.
std::function<Result<SharedSet>()> lazyLoader(LoadOptions options);

}  // namespace cw::core::plugins
