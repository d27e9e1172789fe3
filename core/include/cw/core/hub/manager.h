// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/hub/fetch.h"
#include "cw/core/hub/index.h"

// The hub manager behind `cwcli hub|collections|parsers|...`: installs, removes and upgrades
// items of a hub index into the installed layout of shared/docs/contract/hub.md §3:
//   <hub_dir>/.index.json, <hub_dir>/<path>               downloaded items (and plugins)
//   <config_dir>/<type>/[<stage>/]<file_name> -> <hub_dir>/<path>   enabled items (symlinks)
//   <config_dir>/plugins/<kind>/<file_name> -> <hub_dir>/<file>      enabled plugins
//   <config_dir>/plugins/index.json        the `plugins` section of the enabled plugins, `file`
//                                          relative to <config_dir>/plugins (the plugin loader's
//                                          plugin_dir and index_path)
//   <data_dir>/<dest_file>                                 data files of the items' `data:`
// Every download goes to a temporary file in the destination folder, is checked against the
// index digest, and is renamed into place only when every file of the operation checked out:
// a refused or interrupted download leaves what was installed unchanged.
namespace cw::core::hub {

/// The plugin C ABI this build loads, "MAJOR.MINOR" (CW_PLUGIN_ABI_MAJOR/MINOR).
std::string buildPluginAbi();
/// "<os>-<arch>" of this build, e.g. "linux-x86_64" (what a plugin's `platform` must equal).
std::string buildPlatform();
/// True when a plugin built for `abi` and `platform` can be loaded by this build: same
/// platform, same ABI major, ABI minor not above ours.
bool pluginFits(std::string_view abi, std::string_view platform);

struct ManagerOptions {
  std::string config_dir;  ///< where enabled items are linked
  std::string hub_dir;     ///< downloads and the index copy
  std::string data_dir;    ///< data files
  /// Hub to fetch from: a directory or an http(s) URL of a hub root. "" = the one recorded by
  /// the last `hub update` (<hub_dir>/.source), else our own hub (defaultHubDir()).
  std::string source;
  /// Where data files are looked up by `dest_file` before their `source_url`: a directory or
  /// URL. "" = <source>/data when the source is a directory that has one.
  std::string data_source;
  FetchOptions fetch;
};

/// What `list` and `inspect` show for one item (JSON field names of hub.md §5).
struct ItemState {
  std::string type;  ///< "parsers", ..., "plugins"
  std::string name;
  std::string stage;  ///< parsers/postoverflows; the kind for plugins
  std::string path;   ///< path in the hub ("" for local items)
  std::string file_name;
  std::string version;  ///< latest in the index ("" for local items)
  std::string description;
  std::string author;
  std::string local_path;     ///< the enabled link or local file ("" when not installed)
  std::string local_version;  ///< version of the downloaded file, "?" when tainted
  std::string local_hash;     ///< sha256 of the downloaded (or local) file
  bool installed = false;
  bool downloaded = false;
  bool up_to_date = false;
  bool tainted = false;
  bool local = false;
  std::vector<std::string> belongs_to_collections;  ///< installed collections needing it
  std::string abi;                                  ///< plugins
  std::string platform;                             ///< plugins

  /// "enabled", "disabled", "enabled,tainted", "enabled,update-available", "enabled,local"...
  std::string status() const;
};

/// What an operation did, one line per action, and what it chose not to do.
struct Outcome {
  std::vector<std::string> done;      ///< "downloaded parsers crowdsecurity/sshd-logs 3.1"...
  std::vector<std::string> warnings;  ///< "parsers crowdsecurity/x is tainted: not upgraded"...
};

class Manager {
 public:
  /// Reads <hub_dir>/.index.json when present and scans config_dir. Fails when the index is
  /// malformed or a folder cannot be read.
  static Result<Manager> open(ManagerOptions options);

  /// Fetches <source>/.index.json into <hub_dir> (ETag revalidation for URLs) and records the
  /// source in <hub_dir>/.source. The new index must parse before it replaces the old one.
  Result<Outcome> updateIndex();

  bool hasIndex() const { return has_index_; }
  /// What the last scan of config_dir found odd but could live with (broken links).
  const std::vector<std::string>& scanWarnings() const { return scan_warnings_; }
  const Index& index() const { return index_; }
  const ManagerOptions& options() const { return options_; }
  /// The source actually used (resolved at open()).
  const std::string& source() const { return source_; }

  /// Items of `type` ("parsers", ..., "plugins"): installed ones (hub and local), or every
  /// index item with `all`. Sorted by name.
  std::vector<ItemState> list(std::string_view type, bool all) const;
  Result<ItemState> inspect(std::string_view type, std::string_view name) const;

  /// Installs an item (collections: members first, recursively) at its latest version.
  Result<Outcome> install(std::string_view type, std::string_view name, bool force);
  /// Disables an item; a collection also disables its members that no other installed
  /// collection needs. `purge` also deletes the downloaded files.
  Result<Outcome> remove(std::string_view type, std::string_view name, bool force, bool purge);
  /// Brings an installed item (collections: and their members) to the latest version.
  Result<Outcome> upgrade(std::string_view type, std::string_view name, bool force);
  /// Upgrades every installed item.
  Result<Outcome> upgradeAll(bool force);

  struct Impl;

 private:
  ManagerOptions options_;
  std::string source_;
  std::string data_source_;
  Index index_;
  std::vector<IndexItem>
      plugin_items_;  ///< plugin entries seen as items (path = file, stage = kind)
  bool has_index_ = false;
  std::string hub_root_;     ///< hub_dir, absolute and normalised
  std::string config_root_;  ///< config_dir, absolute and normalised
  /// Enabled links and local files found under config_dir.
  struct Found {
    std::string type;
    std::string name;
    std::string file;     ///< the link or file under config_dir
    std::string hub_rel;  ///< for links into hub_dir: the target relative to it
    bool local = false;
  };
  std::vector<Found> found_;
  std::vector<std::string> scan_warnings_;

  Result<bool> scan();
  /// After a change: rescans, and for plugins rewrites <config_dir>/plugins/index.json.
  Result<bool> finish(std::string_view type);
  friend struct Impl;
};

}  // namespace cw::core::hub
