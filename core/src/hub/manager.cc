// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/file.h"
#include "cw/core/hub/manager.h"

#include <fcntl.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "cw/core/hub/hub.h"
#if __has_include("cw/sdk/abi.h")
#include "cw/sdk/abi.h"
#endif
#ifndef CW_ABI_MAJOR  // the SDK header is the one place these are defined; fallback only
#define CW_ABI_MAJOR 1
#define CW_ABI_MINOR 0
#endif

namespace cw::core::hub {
namespace {

namespace fs = std::filesystem;

using Key = std::pair<std::string, std::string>;  // (type, name)

// Data files younger than this are kept without --force (hub.md §5).
constexpr auto kDataFreshFor = std::chrono::hours(24 * 7);

std::string readText(const std::string& path, bool& ok) {
  auto text = readWholeFile(path);
  ok = text.has_value();
  return ok ? std::move(*text) : std::string();
}

bool writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string absNormal(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  if (fs::exists(p, ec)) {
    p = fs::canonical(p, ec);
  }
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

// `rel` when `path` is inside `root`, else "".
std::string relativeInside(const fs::path& path, const std::string& root) {
  const fs::path rel = path.lexically_normal().lexically_relative(root);
  const std::string s = rel.generic_string();
  if (s.empty() || s == "." || s.rfind("..", 0) == 0) {
    return {};
  }
  return s;
}

// The first document's top-level `name:`, "" when absent or not YAML.
std::string yamlName(const std::string& path) {
  try {
    const YAML::Node doc = YAML::LoadFile(path);
    if (doc.IsMap() && doc["name"] && doc["name"].IsScalar()) {
      return doc["name"].as<std::string>();
    }
  } catch (const YAML::Exception&) {
  }
  return {};
}

struct DataEntry {
  std::string source_url;
  std::string dest_file;
};

// The `data:` entries of every document of an item file. Broken YAML yields none: the loaders
// report it with its line when the item is used.
std::vector<DataEntry> dataEntries(const std::string& path) {
  std::vector<DataEntry> out;
  try {
    for (const YAML::Node& doc : YAML::LoadAllFromFile(path)) {
      if (!doc.IsMap() || !doc["data"] || !doc["data"].IsSequence()) {
        continue;
      }
      for (const YAML::Node& d : doc["data"]) {
        if (!d.IsMap() || !d["dest_file"] || !d["dest_file"].IsScalar()) {
          continue;
        }
        DataEntry e;
        e.dest_file = d["dest_file"].as<std::string>();
        if (d["source_url"] && d["source_url"].IsScalar()) {
          e.source_url = d["source_url"].as<std::string>();
        }
        out.push_back(std::move(e));
      }
    }
  } catch (const YAML::Exception&) {
  }
  return out;
}

// Members of a collection file by type; nullopt-like empty map with ok=false when unreadable.
bool collectionFileMembers(const std::string& path,
                           std::map<std::string, std::vector<std::string>>& out) {
  try {
    const YAML::Node doc = YAML::LoadFile(path);
    if (!doc.IsMap()) {
      return false;
    }
    for (const char* type : kItemTypes) {
      const YAML::Node list = doc[type];
      if (!list || !list.IsSequence()) {
        continue;
      }
      for (const YAML::Node& n : list) {
        if (n.IsScalar()) {
          out[type].push_back(n.as<std::string>());
        }
      }
    }
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string tmpName(const std::string& dest) {
  static int counter = 0;
  return dest + ".cw-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// One change at a time per hub dir: an exclusive flock on <hub_dir>/.lock, held by the
// outermost operation of this process (hub upgrade runs item upgrades inside it).
class HubLock {
 public:
  static Result<HubLock> take(const std::string& hub_root) {
    HubLock lock;
    if (depth_ > 0) {
      ++depth_;
      lock.owner_ = true;
      return lock;
    }
    std::error_code ec;
    fs::create_directories(hub_root, ec);
    const std::string path = hub_root + "/.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return makeError(ErrorCode::Io, "cannot open the hub lock " + path);
    }
    for (int i = 0; ::flock(fd, LOCK_EX | LOCK_NB) != 0; ++i) {
      if (i == 300) {  // 30 s
        ::close(fd);
        return makeError(ErrorCode::Runtime,
                         "another process is changing " + hub_root + " (lock " + path + ")");
      }
      ::usleep(100000);
    }
    fd_ = fd;
    depth_ = 1;
    lock.owner_ = true;
    return lock;
  }
  HubLock(HubLock&& o) noexcept : owner_(o.owner_) { o.owner_ = false; }
  HubLock& operator=(HubLock&&) = delete;
  HubLock(const HubLock&) = delete;
  ~HubLock() {
    if (owner_ && --depth_ == 0) {
      ::close(fd_);  // releases the flock
      fd_ = -1;
    }
  }

 private:
  HubLock() = default;
  bool owner_ = false;
  static inline int fd_ = -1;
  static inline int depth_ = 0;
};

}  // namespace

std::string buildPluginAbi() {
  return std::to_string(CW_ABI_MAJOR) + "." + std::to_string(CW_ABI_MINOR);
}

std::string buildPlatform() {
#if defined(__linux__)
  std::string os = "linux";
#elif defined(__FreeBSD__)
  std::string os = "freebsd";
#else
  std::string os = "unknown";
#endif
#if defined(__x86_64__)
  return os + "-x86_64";
#elif defined(__aarch64__)
  return os + "-aarch64";
#elif defined(__arm__)
  return os + "-arm";
#elif defined(__i386__)
  return os + "-i386";
#else
  return os + "-unknown";
#endif
}

bool pluginFits(std::string_view abi, std::string_view platform) {
  if (platform != buildPlatform()) {
    return false;
  }
  const auto dot = abi.find('.');
  const std::string_view major = abi.substr(0, dot);
  const std::string_view minor = dot == std::string_view::npos ? "0" : abi.substr(dot + 1);
  if (major.empty() || minor.empty() || !std::all_of(major.begin(), major.end(), ::isdigit) ||
      !std::all_of(minor.begin(), minor.end(), ::isdigit) || major.size() > 6 || minor.size() > 6) {
    return false;
  }
  return std::stoi(std::string(major)) == CW_ABI_MAJOR &&
         std::stoi(std::string(minor)) <= CW_ABI_MINOR;
}

std::string ItemState::status() const {
  std::string s = installed ? "enabled" : "disabled";
  if (local) {
    s += ",local";
  } else if (tainted) {
    s += ",tainted";
  } else if (installed && !up_to_date) {
    s += ",update-available";
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Internals shared by the operations.
struct Manager::Impl {
  explicit Impl(Manager& mgr) : m(mgr) {}
  Manager& m;

  const IndexItem* lookup(std::string_view type, std::string_view name) const {
    if (type == kPluginsKey) {
      for (const IndexItem& p : m.plugin_items_) {
        if (p.name == name) {
          return &p;
        }
      }
      return nullptr;
    }
    return m.index_.find(type, name);
  }

  std::vector<const IndexItem*> itemsOf(std::string_view type) const {
    std::vector<const IndexItem*> out;
    if (type == kPluginsKey) {
      for (const IndexItem& p : m.plugin_items_) {
        out.push_back(&p);
      }
    } else {
      for (const IndexItem& i : m.index_.items()) {
        if (i.type == type) {
          out.push_back(&i);
        }
      }
    }
    return out;
  }

  std::string hubFile(const IndexItem& item) const { return m.hub_root_ + "/" + item.path; }

  std::string linkPath(const IndexItem& item) const {
    fs::path p = fs::path(m.config_root_) / item.type;
    if (!item.stage.empty()) {
      p /= item.stage;
    }
    return (p / item.fileName()).string();
  }

  const Found* enabledLink(const IndexItem& item) const {
    for (const Found& f : m.found_) {
      if (!f.local && f.type == item.type && f.hub_rel == item.path) {
        return &f;
      }
    }
    return nullptr;
  }

  const Found* localItem(std::string_view type, std::string_view name) const {
    for (const Found& f : m.found_) {
      if (f.local && f.type == type && f.name == name) {
        return &f;
      }
    }
    return nullptr;
  }

  // Collection members: from the downloaded file (the installed version) when there is one,
  // else from the index (the latest version).
  std::map<std::string, std::vector<std::string>> members(const IndexItem& c, bool latest) const {
    std::map<std::string, std::vector<std::string>> out;
    std::error_code ec;
    if (!latest && fs::exists(hubFile(c), ec) && collectionFileMembers(hubFile(c), out)) {
      return out;
    }
    return c.members;
  }

  // Every (type, name) a set of collections reaches, the collections themselves included.
  std::set<Key> closure(const std::vector<const IndexItem*>& roots, bool latest) const {
    std::set<Key> seen;
    std::vector<const IndexItem*> todo(roots.begin(), roots.end());
    while (!todo.empty()) {
      const IndexItem* c = todo.back();
      todo.pop_back();
      if (!seen.insert({c->type, c->name}).second || c->type != "collections") {
        continue;
      }
      for (const auto& [type, names] : members(*c, latest)) {
        for (const std::string& n : names) {
          if (const IndexItem* sub = lookup(type, n)) {
            todo.push_back(sub);
          } else {
            seen.insert({type, n});
          }
        }
      }
    }
    return seen;
  }

  std::vector<const IndexItem*> installedCollections() const {
    std::vector<const IndexItem*> out;
    for (const IndexItem* c : itemsOf("collections")) {
      if (enabledLink(*c) != nullptr) {
        out.push_back(c);
      }
    }
    return out;
  }

  // Installed collections with what each reaches, computed once per operation.
  mutable bool closures_ready = false;
  mutable std::vector<std::pair<const IndexItem*, std::set<Key>>> installed_closures;

  const std::vector<std::pair<const IndexItem*, std::set<Key>>>& installedClosures() const {
    if (!closures_ready) {
      for (const IndexItem* c : installedCollections()) {
        installed_closures.emplace_back(c, closure({c}, false));
      }
      closures_ready = true;
    }
    return installed_closures;
  }

  struct FileState {
    bool downloaded = false;
    std::string hash;
    std::string version;  // "?" when tainted
    bool tainted = false;
  };

  FileState fileState(const IndexItem& item) const {
    FileState f;
    const std::string file = hubFile(item);
    std::error_code ec;
    f.downloaded = fs::is_regular_file(file, ec);
    if (f.downloaded) {
      f.hash = sha256File(file).value_or("");
      f.version = item.versionOf(f.hash);
      if (f.version.empty()) {
        f.version = "?";
        f.tainted = true;
      }
    }
    return f;
  }

  ItemState state(const IndexItem& item) const {
    ItemState s;
    s.type = item.type;
    s.name = item.name;
    s.stage = item.stage;
    s.path = item.path;
    s.file_name = item.fileName();
    s.version = item.version;
    s.description = item.description;
    s.author = item.author;
    std::error_code ec;
    const FileState fstate = fileState(item);
    s.downloaded = fstate.downloaded;
    if (s.downloaded) {
      s.local_hash = fstate.hash;
      s.local_version = fstate.version;
      s.tainted = fstate.tainted;
      s.up_to_date = s.local_version == item.version;
    }
    if (const Found* f = enabledLink(item)) {
      s.installed = true;
      s.local_path = f->file;
    }
    if (item.type == kPluginsKey) {
      for (const PluginEntry& p : m.index_.plugins()) {
        if (p.id == item.name) {
          s.abi = p.abi;
          s.platform = p.platform;
        }
      }
    }
    // Installed collections needing the item, and a collection's own state from its members.
    for (const auto& [c, reach] : installedClosures()) {
      if (c != &item && reach.count({item.type, item.name}) != 0) {
        s.belongs_to_collections.push_back(c->name);
      }
    }
    std::sort(s.belongs_to_collections.begin(), s.belongs_to_collections.end(),
              [](const std::string& a, const std::string& b) { return lower(a) < lower(b); });
    if (item.type == "collections" && s.installed) {
      // Direct members only, as cscli does: a sub-collection counts by its own file and
      // link; its members' state shows on the sub-collection.
      std::vector<Key> direct;
      for (const auto& [type, names] : members(item, false)) {
        for (const std::string& n : names) {
          direct.emplace_back(type, n);
        }
      }
      for (const Key& k : direct) {
        const IndexItem* sub = lookup(k.first, k.second);
        if (sub == nullptr) {
          if (localItem(k.first, k.second) == nullptr) {
            s.tainted = true;  // a required member is missing
          }
          continue;
        }
        if (enabledLink(*sub) == nullptr && localItem(k.first, k.second) == nullptr) {
          s.tainted = true;
        }
        const FileState sub_state = fileState(*sub);
        if (sub_state.tainted) {
          s.tainted = true;
        } else if (sub_state.downloaded && sub_state.version != sub->version) {
          s.up_to_date = false;
        }
      }
    }
    return s;
  }

  ItemState localState(const Found& f) const {
    ItemState s;
    s.type = f.type;
    s.name = f.name;
    s.file_name = fs::path(f.file).filename().string();
    s.local_path = f.file;
    s.local_hash = sha256File(f.file).value_or("");
    s.installed = true;
    s.local = true;
    s.up_to_date = true;
    return s;
  }

  // ------------------------------------------------------------------ planning and commit
  struct Step {
    const IndexItem* item = nullptr;
    bool download = false;
    bool enable = true;
    std::string tmp;  // downloaded, checked file waiting for its rename
  };
  struct DataStep {
    std::string dest;
    std::string tmp;
  };
  struct Plan {
    std::vector<Step> steps;
    std::set<Key> planned;
    std::vector<DataStep> data;
    std::vector<const IndexItem*> disable;  // stale collection members (upgrade)
    // Upgrade: a member downloaded but not enabled was removed by hand (remove --force) and
    // stays removed, as cscli does; a member new to the collection is installed.
    bool keep_removed = false;
    Outcome out;
  };

  // Adds `item` (members first for collections) to the plan: downloaded when missing or not
  // at the latest version (tainted files only with `force`), then enabled. Every refusal
  // (local item in the way, plugin that does not fit, unknown member) happens here, before
  // anything is fetched.
  Result<bool> planItem(const IndexItem& item, bool force, Plan& plan, std::set<Key>& visiting) {
    const Key key{item.type, item.name};
    if (plan.planned.count(key) != 0) {
      return true;
    }
    if (!visiting.insert(key).second) {
      return makeError(ErrorCode::Config, "collection cycle through " + item.name);
    }
    if (item.type == "collections") {
      for (const auto& [type, names] : item.members) {
        for (const std::string& n : names) {
          const IndexItem* sub = lookup(type, n);
          if (sub == nullptr) {
            if (localItem(type, n) != nullptr) {
              plan.out.warnings.push_back(type + " " + n + " (needed by " + item.name +
                                          ") is a local item: kept as it is");
              continue;
            }
            return makeError(ErrorCode::NotFound, "collection " + item.name + ": " + type + " " +
                                                      n + " is not in the hub index");
          }
          if (plan.keep_removed && enabledLink(*sub) == nullptr && fileState(*sub).downloaded) {
            if (plan.planned.insert({sub->type, sub->name}).second) {
              plan.out.warnings.push_back(sub->type + " " + sub->name + " (in " + item.name +
                                          ") was removed: not upgraded, install it to bring "
                                          "it back");
            }
            continue;
          }
          auto r = planItem(*sub, force, plan, visiting);
          if (!r) {
            return r;
          }
        }
      }
    }
    if (item.type == kPluginsKey) {
      for (const PluginEntry& p : m.index_.plugins()) {
        if (p.id == item.name && !pluginFits(p.abi, p.platform)) {
          return makeError(ErrorCode::Unsupported, "plugin " + p.id + " " + p.version +
                                                       " is built for abi " + p.abi + " on " +
                                                       p.platform + "; this build loads abi " +
                                                       buildPluginAbi() + " on " + buildPlatform());
        }
      }
    }
    const FileState f = fileState(item);
    Step step;
    step.item = &item;
    if (f.tainted) {
      if (force) {
        step.download = true;
      } else {
        plan.out.warnings.push_back(item.type + " " + item.name +
                                    " is tainted (its file differs from every published "
                                    "version): not overwritten, use --force");
      }
    } else if (!f.downloaded || f.version != item.version) {
      step.download = true;
    }
    // A local item already answers to this name: the hub item would load beside it.
    if (const Found* local = localItem(item.type, item.name); local != nullptr) {
      if (!force) {
        return makeError(ErrorCode::Config, item.type + " " + item.name + " is a local item (" +
                                                local->file +
                                                "): the hub version is not installed, use "
                                                "--force to install it beside");
      }
      plan.out.warnings.push_back(item.type + " " + item.name + " is also a local item (" +
                                  local->file + "): both are enabled");
    }
    // Something other than our link at the link's place: a local item or a foreign link.
    const std::string link = linkPath(item);
    std::error_code ec;
    if (fs::symlink_status(link, ec).type() != fs::file_type::not_found &&
        enabledLink(item) == nullptr && !force) {
      for (const Found& other : m.found_) {
        if (other.file == link && !other.local) {
          // Enabled items are grouped by stage, not by author (hub.md §3): same file name.
          return makeError(ErrorCode::Config, link + " is taken by " + other.type + " " +
                                                  other.name + " (same file name): " + item.name +
                                                  " not enabled, use --force");
        }
      }
      return makeError(ErrorCode::Config, link + " exists and is not this hub item (a local " +
                                              "item?): not overwritten, use --force");
    }
    visiting.erase(key);
    plan.planned.insert(key);
    plan.steps.push_back(step);
    return true;
  }

  void dropTemps(Plan& plan) {
    std::error_code ec;
    for (Step& s : plan.steps) {
      if (!s.tmp.empty()) {
        fs::remove(s.tmp, ec);
      }
    }
    for (DataStep& d : plan.data) {
      if (!d.tmp.empty()) {
        fs::remove(d.tmp, ec);
      }
    }
  }

  // Plans the data files of one item file (`label` names the item in messages).
  Result<bool> fetchData(const std::string& item_file, const std::string& label, bool force,
                         Plan& plan) {
    std::error_code ec;
    const std::string data_root = absNormal(m.options_.data_dir);
    for (const DataEntry& e : dataEntries(item_file)) {
      const fs::path dest = fs::path(data_root) / e.dest_file;
      if (e.dest_file.empty() || relativeInside(dest, data_root).empty()) {
        return makeError(ErrorCode::Config, label + ": data file '" + e.dest_file +
                                                "' would be written outside " + data_root);
      }
      bool already = false;
      for (const DataStep& d : plan.data) {
        already = already || d.dest == dest.string();
      }
      if (already) {
        continue;
      }
      const bool exists = fs::is_regular_file(dest, ec);
      if (exists && !force) {
        const auto age = fs::file_time_type::clock::now() - fs::last_write_time(dest, ec);
        if (!ec && age < kDataFreshFor) {
          continue;  // fresh enough
        }
      }
      fs::create_directories(dest.parent_path(), ec);
      DataStep d;
      d.dest = dest.string();
      d.tmp = tmpName(d.dest);
      std::vector<std::string> tries;
      if (!m.data_source_.empty()) {
        // A mirror holds the file under its own name or under the name of its source_url.
        tries.push_back(joinLocation(m.data_source_, e.dest_file));
        const std::string url_name = fs::path(e.source_url).filename().string();
        if (!url_name.empty() && url_name != fs::path(e.dest_file).filename().string()) {
          tries.push_back(joinLocation(m.data_source_, url_name));
        }
      }
      if (!e.source_url.empty()) {
        tries.push_back(e.source_url);
      }
      if (tries.empty()) {
        return makeError(ErrorCode::Config,
                         label + ": data file " + e.dest_file + " has no source_url");
      }
      // A copy we hold is revalidated (If-Modified-Since) unless --force.
      FetchOptions fetch = m.options_.fetch;
      struct stat st {};
      if (exists && !force && ::stat(d.dest.c_str(), &st) == 0) {
        fetch.if_modified_since = st.st_mtime;
      }
      std::string errors;
      bool got = false;
      bool not_modified = false;
      for (const std::string& from : tries) {
        auto r = fetchTo(from, d.tmp, fetch);
        if (r) {
          got = true;
          not_modified = r->not_modified;
          break;
        }
        errors += (errors.empty() ? "" : "; ") + r.error().message;
      }
      if (!got) {
        if (exists) {
          // A copy is there: an unreachable mirror must not block the operation.
          plan.out.warnings.push_back("data file " + e.dest_file + " could not be refreshed (" +
                                      errors + "): the current copy is kept");
          continue;
        }
        return makeError(ErrorCode::Io, "data file " + e.dest_file + ": " + errors);
      }
      if (not_modified) {
        fs::last_write_time(d.dest, fs::file_time_type::clock::now(), ec);  // checked now
        plan.out.done.push_back("data " + e.dest_file + " unchanged");
        continue;
      }
      if (exists && sha256File(d.tmp) == sha256File(d.dest)) {
        fs::remove(d.tmp, ec);
        fs::last_write_time(d.dest, fs::file_time_type::clock::now(), ec);  // checked now
        plan.out.done.push_back("data " + e.dest_file + " unchanged");
        continue;
      }
      plan.data.push_back(std::move(d));
    }
    return true;
  }

  // Downloads and checks every file of the plan, then renames them into place and links the
  // enabled items. Nothing installed changes unless every download checked out.
  Result<Outcome> execute(Plan& plan, bool force) {
    std::error_code ec;
    for (Step& s : plan.steps) {
      if (!s.download) {
        continue;
      }
      const IndexItem& item = *s.item;
      const std::string dest = hubFile(item);
      fs::create_directories(fs::path(dest).parent_path(), ec);
      s.tmp = tmpName(dest);
      const std::string from = joinLocation(m.source_, item.path);
      auto got = fetchTo(from, s.tmp, m.options_.fetch);
      if (!got) {
        dropTemps(plan);
        return makeError(ErrorCode::Io, "download of " + item.type + " " + item.name + " failed: " +
                                            got.error().message + "; nothing was changed");
      }
      const std::string expected = item.latestDigest();
      const std::string actual = sha256File(s.tmp).value_or("");
      if (expected.empty() || actual != expected) {
        dropTemps(plan);
        return makeError(ErrorCode::Invalid, item.type + " " + item.name + " " + item.version +
                                                 " from " + from + ": sha256 " + actual +
                                                 " does not match the index (" +
                                                 (expected.empty() ? "no digest" : expected) +
                                                 "); refused, nothing was changed");
      }
    }
    for (Step& s : plan.steps) {
      if (s.item->type == kPluginsKey || s.item->type == "collections") {
        continue;
      }
      auto d = fetchData(s.tmp.empty() ? hubFile(*s.item) : s.tmp,
                         s.item->type + " " + s.item->name, force, plan);
      if (!d) {
        dropTemps(plan);
        return makeError(d.error().code, d.error().message + "; nothing was changed");
      }
    }
    // Commit: renames within one folder are atomic; links are made aside then renamed.
    for (Step& s : plan.steps) {
      if (!s.tmp.empty()) {
        fs::rename(s.tmp, hubFile(*s.item), ec);
        if (ec) {
          return makeError(ErrorCode::Io,
                           "cannot install " + hubFile(*s.item) + ": " + ec.message());
        }
        s.tmp.clear();
        plan.out.done.push_back("downloaded " + s.item->type + " " + s.item->name + " " +
                                s.item->version);
      }
    }
    for (DataStep& d : plan.data) {
      fs::rename(d.tmp, d.dest, ec);
      if (ec) {
        return makeError(ErrorCode::Io, "cannot install " + d.dest + ": " + ec.message());
      }
      d.tmp.clear();
      plan.out.done.push_back(
          "data " + fs::path(d.dest).lexically_relative(absNormal(m.options_.data_dir)).string() +
          " downloaded");
    }
    for (Step& s : plan.steps) {
      if (!s.enable || enabledLink(*s.item) != nullptr) {
        continue;
      }
      const std::string link = linkPath(*s.item);
      fs::create_directories(fs::path(link).parent_path(), ec);
      const std::string tmp = tmpName(link);
      fs::create_symlink(hubFile(*s.item), tmp, ec);
      if (!ec) {
        fs::rename(tmp, link, ec);
      }
      if (ec) {
        fs::remove(tmp, ec);
        return makeError(ErrorCode::Io, "cannot link " + link + ": " + ec.message());
      }
      plan.out.done.push_back("enabled " + s.item->type + " " + s.item->name);
    }
    for (const IndexItem* stale : plan.disable) {
      if (const Found* f = enabledLink(*stale)) {
        fs::remove(f->file, ec);
        plan.out.done.push_back("disabled " + stale->type + " " + stale->name +
                                " (no longer in its collection)");
      }
    }
    return plan.out;
  }

  void disable(const IndexItem& item, bool purge, Outcome& out) {
    std::error_code ec;
    if (const Found* f = enabledLink(item)) {
      fs::remove(f->file, ec);
      out.done.push_back("disabled " + item.type + " " + item.name);
    }
    if (purge && fs::remove(hubFile(item), ec)) {
      out.done.push_back("purged " + item.type + " " + item.name);
    }
  }
};

// ---------------------------------------------------------------------------------------------

Result<Manager> Manager::open(ManagerOptions options) {
  Manager m;
  if (options.config_dir.empty() || options.hub_dir.empty()) {
    return makeError(ErrorCode::Config, "the hub manager needs a config dir and a hub dir");
  }
  if (options.data_dir.empty()) {
    options.data_dir = (fs::path(options.config_dir) / "data").string();
  }
  m.options_ = std::move(options);
  m.hub_root_ = absNormal(m.options_.hub_dir);
  m.config_root_ = absNormal(m.options_.config_dir);

  m.source_ = m.options_.source;
  bool ok = false;
  if (m.source_.empty()) {
    std::string recorded = readText(m.hub_root_ + "/.source", ok);
    while (!recorded.empty() && (recorded.back() == '\n' || recorded.back() == ' ')) {
      recorded.pop_back();
    }
    m.source_ = ok && !recorded.empty() ? recorded : defaultHubDir();
  }
  if (!isUrl(m.source_)) {
    m.source_ = absNormal(m.source_);
  }
  m.data_source_ = m.options_.data_source;
  std::error_code ec;
  // A hub mirror serves its data files under data/ (our hub's items name no source_url);
  // a URL source is tried there first, then at the source_url.
  if (m.data_source_.empty() &&
      (isUrl(m.source_) || fs::is_directory(fs::path(m.source_) / "data", ec))) {
    m.data_source_ = joinLocation(m.source_, "data");
  }

  const std::string index_path = m.hub_root_ + "/.index.json";
  if (fs::exists(index_path, ec)) {
    auto index = Index::load(index_path);
    if (!index) {
      return index.error();
    }
    m.index_ = std::move(*index);
    m.has_index_ = true;
  }
  for (const PluginEntry& p : m.index_.plugins()) {
    IndexItem item;
    item.type = kPluginsKey;
    item.name = p.id;
    item.path = p.file;
    item.stage = p.kind;
    item.version = p.version;
    item.versions = p.versions;
    item.versions[p.version] = VersionInfo{p.sha256, false};
    item.author = p.author;
    item.description = p.description;
    m.plugin_items_.push_back(std::move(item));
  }
  auto scanned = m.scan();
  if (!scanned) {
    return scanned.error();
  }
  return m;
}

Result<bool> Manager::scan() {
  found_.clear();
  scan_warnings_.clear();
  std::error_code ec;
  std::vector<std::string> problems;
  std::vector<std::string> types(std::begin(kItemTypes), std::end(kItemTypes));
  types.emplace_back(kPluginsKey);
  for (const std::string& type : types) {
    const fs::path root = fs::path(config_root_) / type;
    if (!fs::is_directory(root, ec)) {
      continue;
    }
    std::vector<fs::path> files;
    std::error_code walk;
    auto it = fs::recursive_directory_iterator(root, walk);
    for (; !walk && it != fs::recursive_directory_iterator(); it.increment(walk)) {
      const fs::path& p = it->path();
      const std::string fn = p.filename().string();
      if (fn.front() == '.' || fn.find(".cw-tmp-") != std::string::npos ||
          (type == kPluginsKey && p.parent_path() == root && fn == "index.json")) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
          it.disable_recursion_pending();
        }
        continue;
      }
      if (it->is_directory(ec)) {
        continue;
      }
      const std::string ext = p.extension().string();
      if (type != kPluginsKey && ext != ".yaml" && ext != ".yml") {
        continue;
      }
      files.push_back(p);
    }
    if (walk) {
      problems.push_back(root.string() + ": cannot read the folder: " + walk.message());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
      Found f;
      f.type = type;
      f.file = p.string();
      if (fs::is_symlink(p, ec)) {
        fs::path target = fs::read_symlink(p, ec);
        if (target.is_relative()) {
          target = p.parent_path() / target;
        }
        std::string rel = relativeInside(target, hub_root_);
        if (rel.empty()) {
          // The hub dir may be reached through another path (a link): compare real paths.
          const fs::path real = fs::weakly_canonical(target, ec);
          rel = relativeInside(real, hub_root_);
        }
        const IndexItem* item = nullptr;
        if (!rel.empty()) {
          item = type == kPluginsKey ? nullptr : index_.findByPath(rel);
          if (type == kPluginsKey) {
            for (const IndexItem& pi : plugin_items_) {
              item = pi.path == rel ? &pi : item;
            }
          }
        }
        if (item != nullptr && item->type == type) {
          f.hub_rel = rel;
          f.name = item->name;
          found_.push_back(std::move(f));
          continue;
        }
        if (!fs::exists(p, ec)) {
          // Not fatal: the manager must stay usable to repair what it finds.
          scan_warnings_.push_back(p.string() + ": broken symbolic link (not a known hub " +
                                   "item; ignored)");
          continue;
        }
      }
      // A local item: named by its `name:` (upstream does so), else its relative path.
      f.local = true;
      f.name = type == kPluginsKey ? std::string() : yamlName(f.file);
      if (f.name.empty()) {
        f.name = p.lexically_relative(root).replace_extension().generic_string();
      }
      found_.push_back(std::move(f));
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const std::string& s : problems) {
      all += (all.empty() ? "" : "\n") + s;
    }
    return makeError(ErrorCode::Io, all);
  }
  return true;
}

Result<bool> Manager::finish(std::string_view type) {
  auto rescanned = scan();
  if (!rescanned || type != kPluginsKey) {
    return rescanned;
  }
  // The plugin loader's view of what is enabled: one entry per enabled hub plugin, its file
  // relative to <config_dir>/plugins. The digest is the published one of the installed version
  // (of the latest when the file is tainted, so that the loader refuses a modified plugin).
  Impl impl(*this);
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key(kPluginsKey);
  w.StartObject();
  for (const IndexItem& item : plugin_items_) {
    const Found* link = impl.enabledLink(item);
    if (link == nullptr) {
      continue;
    }
    const PluginEntry* entry = index_.findPlugin(item.name);
    const Impl::FileState fs_state = impl.fileState(item);
    const std::string version = fs_state.tainted ? item.version : fs_state.version;
    auto v = item.versions.find(version);
    const std::string digest = v == item.versions.end() ? std::string() : v->second.digest;
    const std::string rel =
        fs::path(link->file).lexically_relative(config_root_ + "/plugins").generic_string();
    w.Key(item.name.c_str());
    w.StartObject();
    for (const auto& [k, val] : {std::pair<const char*, std::string>{"id", item.name},
                                 {"version", version},
                                 {"kind", item.stage},
                                 {"abi", entry != nullptr ? entry->abi : ""},
                                 {"platform", entry != nullptr ? entry->platform : ""},
                                 {"sha256", digest},
                                 {"file", rel}}) {
      w.Key(k);
      w.String(val.c_str());
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  const std::string dir = config_root_ + "/plugins";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = dir + "/index.json";
  const std::string tmp = tmpName(path);
  if (!writeText(tmp, std::string(buf.GetString(), buf.GetSize()) + "\n")) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::Io, path + ": cannot write");
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::Io, path + ": cannot write: " + ec.message());
  }
  return true;
}

namespace {

// Grok patterns travel with a source folder: CrowdSec's parsers name patterns (SYSLOGBASE2,
// SSHD_FAIL...) that its engine ships beside the hub, and our packaged hub carries its own. A
// source folder with a patterns/ folder is mirrored into <hub_dir>/patterns (files replaced one
// by one through a temporary name, files the source no longer has removed); the daemon reads
// them there when config_paths.patterns_dir does not exist. A source without one (a URL: an
// index names no pattern files) leaves no mirror behind, so patterns never outlive their source.
Result<std::string> mirrorPatterns(const std::string& source, const std::string& hub_root) {
  std::error_code ec;
  const fs::path dest = fs::path(hub_root) / "patterns";
  const fs::path from = fs::path(source) / "patterns";
  if (isUrl(source) || !fs::is_directory(from, ec)) {
    const bool had = fs::exists(dest, ec);
    fs::remove_all(dest, ec);
    if (ec) {
      return makeError(ErrorCode::Io, "cannot remove " + dest.string() + ": " + ec.message());
    }
    return std::string(had ? "grok patterns removed from " + dest.string() +
                                 " (the source has no patterns/ folder)"
                           : "");
  }
  fs::create_directories(dest, ec);
  if (ec) {
    return makeError(ErrorCode::Io, "cannot create " + dest.string() + ": " + ec.message());
  }
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (!entry.is_regular_file(ec) || entry.path().filename().string().front() == '.') {
      continue;
    }
    const std::string name = entry.path().filename().string();
    const std::string target = (dest / name).string();
    const std::string tmp = tmpName(target);
    fs::copy_file(entry.path(), tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) {
      fs::rename(tmp, target, ec);
    }
    if (ec) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return makeError(ErrorCode::Io, "cannot copy " + entry.path().string() + " to " + target +
                                          ": " + ec.message());
    }
    names.insert(name);
  }
  if (ec) {
    return makeError(ErrorCode::Io, "cannot read " + from.string() + ": " + ec.message());
  }
  for (const auto& entry : fs::directory_iterator(dest, ec)) {
    if (names.count(entry.path().filename().string()) == 0) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
  return "grok patterns updated from " + from.string() + ": " + std::to_string(names.size()) +
         " files";
}

}  // namespace

Result<Outcome> Manager::updateIndex() {
  auto lock = HubLock::take(hub_root_);
  if (!lock) {
    return lock.error();
  }
  std::error_code ec;
  fs::create_directories(hub_root_, ec);
  if (ec) {
    return makeError(ErrorCode::Io, "cannot create " + hub_root_ + ": " + ec.message());
  }
  const std::string dest = hub_root_ + "/.index.json";
  const std::string etag_path = hub_root_ + "/.index.json.etag";
  const std::string source_path = hub_root_ + "/.source";
  bool ok = false;
  const std::string recorded = readText(source_path, ok);
  FetchOptions fetch = options_.fetch;
  // Revalidate only a copy that came from the same source.
  if (isUrl(source_) && fs::exists(dest, ec) && ok && recorded == source_ + "\n") {
    fetch.if_none_match = readText(etag_path, ok);
    if (!ok) {
      fetch.if_none_match.clear();
    }
  }
  const std::string tmp = tmpName(dest);
  const std::string from = joinLocation(source_, ".index.json");
  auto got = fetchTo(from, tmp, fetch);
  if (!got) {
    return makeError(got.error().code, "hub update: " + got.error().message);
  }
  Outcome out;
  if (got->not_modified) {
    out.done.push_back("hub index not modified (" + from + ")");
    return out;
  }
  auto parsed = Index::load(tmp);
  if (!parsed) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::Parse, "hub update: " + from +
                                           " is not a valid hub index: " + parsed.error().message);
  }
  fs::rename(tmp, dest, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::Io, "hub update: cannot write " + dest + ": " + ec.message());
  }
  auto patterns = mirrorPatterns(source_, hub_root_);
  if (!patterns) {
    return makeError(patterns.error().code, "hub update: " + patterns.error().message);
  }
  if (got->etag.empty()) {
    fs::remove(etag_path, ec);
  } else {
    writeText(etag_path, got->etag);
  }
  writeText(source_path, source_ + "\n");
  out.done.push_back("hub index updated from " + from + ": " +
                     std::to_string(parsed->items().size()) + " items, " +
                     std::to_string(parsed->plugins().size()) + " plugins");
  if (!patterns->empty()) {
    out.done.push_back(*patterns);
  }
  index_ = std::move(*parsed);
  has_index_ = true;
  return out;
}

std::vector<ItemState> Manager::list(std::string_view type, bool all) const {
  Impl impl(const_cast<Manager&>(*this));
  std::vector<ItemState> out;
  for (const IndexItem* item : impl.itemsOf(type)) {
    ItemState s = impl.state(*item);
    if (all || s.installed) {
      out.push_back(std::move(s));
    }
  }
  for (const Found& f : found_) {
    if (f.local && f.type == type) {
      out.push_back(impl.localState(f));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ItemState& a, const ItemState& b) { return a.name < b.name; });
  return out;
}

Result<ItemState> Manager::inspect(std::string_view type, std::string_view name) const {
  Impl impl(const_cast<Manager&>(*this));
  if (const IndexItem* item = impl.lookup(type, name)) {
    return impl.state(*item);
  }
  if (const Found* f = impl.localItem(type, name)) {
    return impl.localState(*f);
  }
  return makeError(ErrorCode::NotFound,
                   std::string(type) + " " + std::string(name) + " is not in the hub index" +
                       (has_index_ ? "" : " (no index: run cwcli hub update)") +
                       " and not installed");
}

Result<Outcome> Manager::install(std::string_view type, std::string_view name, bool force) {
  auto lock = HubLock::take(hub_root_);
  if (!lock) {
    return lock.error();
  }
  Impl impl(*this);
  const IndexItem* item = impl.lookup(type, name);
  if (item == nullptr) {
    if (impl.localItem(type, name) != nullptr) {
      Outcome out;
      out.warnings.push_back(std::string(type) + " " + std::string(name) +
                             " is a local item: nothing to install");
      return out;
    }
    return inspect(type, name).error();
  }
  Impl::Plan plan;
  std::set<Key> visiting;
  auto planned = impl.planItem(*item, force, plan, visiting);
  if (!planned) {
    return planned.error();
  }
  auto out = impl.execute(plan, force);
  if (out) {
    if (out->done.empty()) {
      out->done.push_back(std::string(type) + " " + std::string(name) + " is already installed");
    }
    auto rescanned = finish(type);
    if (!rescanned) {
      return rescanned.error();
    }
  }
  return out;
}

Result<Outcome> Manager::remove(std::string_view type, std::string_view name, bool force,
                                bool purge) {
  auto lock = HubLock::take(hub_root_);
  if (!lock) {
    return lock.error();
  }
  Impl impl(*this);
  Outcome out;
  const IndexItem* item = impl.lookup(type, name);
  if (item == nullptr || impl.enabledLink(*item) == nullptr) {
    if (impl.localItem(type, name) != nullptr) {
      out.warnings.push_back(std::string(type) + " " + std::string(name) +
                             " is a local item: not removed (delete the file yourself)");
      return out;
    }
    if (item == nullptr) {
      return inspect(type, name).error();
    }
    if (purge) {
      impl.disable(*item, true, out);
    } else {
      out.warnings.push_back(std::string(type) + " " + std::string(name) + " is not installed");
    }
    return out;
  }
  const ItemState s = impl.state(*item);
  // A member of an installed collection (a sub-collection too) goes only with --force.
  if (!s.belongs_to_collections.empty() && !force) {
    std::string cs;
    for (const std::string& c : s.belongs_to_collections) {
      cs += (cs.empty() ? "" : ", ") + c;
    }
    return makeError(ErrorCode::Config, item->type + " " + item->name +
                                            " belongs to the installed collection(s) " + cs +
                                            ": not removed without --force");
  }
  if (item->type != "collections") {
    if (s.tainted && !force) {
      return makeError(ErrorCode::Config, item->type + " " + item->name +
                                              " is tainted (local changes): not removed "
                                              "without --force");
    }
    impl.disable(*item, purge, out);
  } else {
    // Remove the collection's closure minus what the other installed collections reach.
    const std::set<Key> mine = impl.closure({item}, false);
    std::vector<const IndexItem*> others;
    for (const IndexItem* c : impl.installedCollections()) {
      if (mine.count({c->type, c->name}) == 0) {
        others.push_back(c);
      }
    }
    const std::set<Key> kept = impl.closure(others, false);
    for (const Key& k : mine) {
      const IndexItem* sub = impl.lookup(k.first, k.second);
      if (sub == nullptr || sub == item) {
        continue;
      }
      if (kept.count(k) != 0) {
        if (impl.enabledLink(*sub) != nullptr) {
          out.done.push_back("kept " + k.first + " " + k.second +
                             " (needed by another installed collection)");
        }
        continue;
      }
      if (impl.enabledLink(*sub) == nullptr) {
        continue;
      }
      if (impl.state(*sub).tainted && !force) {
        out.warnings.push_back(k.first + " " + k.second +
                               " is tainted (local changes): left enabled, use --force");
        continue;
      }
      impl.disable(*sub, purge, out);
    }
    impl.disable(*item, purge, out);
  }
  auto rescanned = finish(type);
  if (!rescanned) {
    return rescanned.error();
  }
  return out;
}

Result<Outcome> Manager::upgrade(std::string_view type, std::string_view name, bool force) {
  auto lock = HubLock::take(hub_root_);
  if (!lock) {
    return lock.error();
  }
  Impl impl(*this);
  const IndexItem* item = impl.lookup(type, name);
  if (item == nullptr || impl.enabledLink(*item) == nullptr) {
    if (impl.localItem(type, name) != nullptr) {
      Outcome out;
      out.warnings.push_back(std::string(type) + " " + std::string(name) +
                             " is a local item: never upgraded");
      return out;
    }
    if (item == nullptr) {
      return inspect(type, name).error();
    }
    return makeError(ErrorCode::Config, std::string(type) + " " + std::string(name) +
                                            " is not installed (use install)");
  }
  Impl::Plan plan;
  if (item->type == "collections") {
    // Members the installed version lists and the latest no longer does are disabled,
    // unless another installed collection still needs them.
    const std::set<Key> before = impl.closure({item}, false);
    const std::set<Key> after = impl.closure({item}, true);
    std::vector<const IndexItem*> others;
    for (const IndexItem* c : impl.installedCollections()) {
      if (before.count({c->type, c->name}) == 0) {
        others.push_back(c);
      }
    }
    const std::set<Key> kept = impl.closure(others, false);
    for (const Key& k : before) {
      if (after.count(k) == 0 && kept.count(k) == 0) {
        if (const IndexItem* stale = impl.lookup(k.first, k.second)) {
          plan.disable.push_back(stale);
        }
      }
    }
  }
  plan.keep_removed = true;
  std::set<Key> visiting;
  auto planned = impl.planItem(*item, force, plan, visiting);
  if (!planned) {
    return planned.error();
  }
  auto out = impl.execute(plan, force);
  if (out) {
    if (out->done.empty() && out->warnings.empty()) {
      out->done.push_back(item->type + " " + item->name + " is up to date (" + item->version + ")");
    }
    auto rescanned = finish(type);
    if (!rescanned) {
      return rescanned.error();
    }
  }
  return out;
}

Result<Outcome> Manager::upgradeAll(bool force) {
  auto lock = HubLock::take(hub_root_);
  if (!lock) {
    return lock.error();
  }
  Outcome all;
  std::vector<std::string> types(std::begin(kItemTypes), std::end(kItemTypes));
  types.emplace_back(kPluginsKey);
  // Collections first: upgrading them upgrades their members too.
  std::rotate(types.begin(), types.begin() + 3, types.begin() + 4);
  for (const std::string& type : types) {
    for (const ItemState& s : list(type, false)) {
      if (s.local || (s.up_to_date && !s.tainted)) {
        continue;
      }
      auto r = upgrade(type, s.name, force);
      if (!r) {
        return r;
      }
      all.done.insert(all.done.end(), r->done.begin(), r->done.end());
      all.warnings.insert(all.warnings.end(), r->warnings.begin(), r->warnings.end());
    }
  }
  if (all.done.empty() && all.warnings.empty()) {
    all.done.push_back("every installed item is up to date");
  }
  return all;
}

}  // namespace cw::core::hub
