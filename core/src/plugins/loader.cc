// SPDX-License-Identifier: Apache-2.0
#include "cw/core/plugins/loader.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "cw/core/common/file.h"

namespace cw::core::plugins {
namespace {

namespace fs = std::filesystem;

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string hex(const unsigned char* bytes, unsigned int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

std::string modeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

/// Owner and permission checks of the file and its folder ("" when fine).
void checkTrust(const std::string& path, std::vector<std::string>& problems) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) {
    problems.push_back("cannot read: " + ec.message());
    return;
  }
  const uid_t me = geteuid();
  auto check = [&](const fs::path& p, const char* what) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      problems.push_back(std::string("cannot stat ") + what + " " + p.string() + ": " +
                         std::strerror(errno));
      return;
    }
    if (st.st_uid != 0 && st.st_uid != me) {
      problems.push_back(std::string(what) + " " + p.string() + " is owned by uid " +
                         std::to_string(st.st_uid) + ", neither root nor this process (uid " +
                         std::to_string(me) + "); refusing to load");
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      problems.push_back(std::string(what) + " " + p.string() +
                         " is writable by group or others (mode " + modeText(st.st_mode) +
                         "); refusing to load");
    }
  };
  struct stat st {};
  if (::stat(real.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    problems.push_back("not a regular file");
    return;
  }
  check(real, "file");
  check(real.parent_path(), "folder");
}

/// "MAJOR.MINOR" -> numbers.
bool parseAbi(std::string_view text, unsigned& major, unsigned& minor) {
  unsigned a = 0;
  unsigned b = 0;
  int used = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%u.%u%n", &a, &b, &used) != 2 ||
      static_cast<std::size_t>(used) != s.size()) {
    return false;
  }
  major = a;
  minor = b;
  return true;
}

std::string abiProblem(unsigned major, unsigned minor, const char* who) {
  if (major == CW_ABI_MAJOR && minor <= CW_ABI_MINOR) {
    return "";
  }
  return std::string(who) + " plugin ABI " + std::to_string(major) + "." + std::to_string(minor) +
         "; this host supports ABI " + std::to_string(CW_ABI_MAJOR) + ".0 to " +
         std::to_string(CW_ABI_MAJOR) + "." + std::to_string(CW_ABI_MINOR);
}

}  // namespace

// ---- host side of the ABI ------------------------------------------------------------------

namespace {

/// The host table one shared object gets, and the reports it made. One per file for the life
/// of the process (never freed): the plugin keeps the table's address in a static, and a file
/// loaded again while still loaded (a parser reload that fails while the running parsers keep
/// using it) is the same library, so a table freed with one PluginSet would leave the other's
/// instances reporting into freed memory.
struct HostSlot {
  cw_host_api host{};
  std::string id;
  std::mutex mu;
  std::vector<std::string> reports;

  static void log(void* ctx, cw_log_level level, cw_str message) {
    auto* self = static_cast<HostSlot*>(ctx);
    std::string_view text(message.data == nullptr ? "" : message.data, message.size);
    spdlog::level::level_enum lvl = spdlog::level::info;
    switch (level) {
      case CW_LOG_TRACE:
        lvl = spdlog::level::trace;
        break;
      case CW_LOG_DEBUG:
        lvl = spdlog::level::debug;
        break;
      case CW_LOG_INFO:
        lvl = spdlog::level::info;
        break;
      case CW_LOG_WARN:
        lvl = spdlog::level::warn;
        break;
      default:
        lvl = spdlog::level::err;
        break;
    }
    spdlog::log(lvl, "{} plugin={}", text, self->id);
  }
  static void report(void* ctx, cw_str message) {
    auto* self = static_cast<HostSlot*>(ctx);
    std::lock_guard<std::mutex> lock(self->mu);
    // Reports are taken after a failed call; a plugin that also reports on success would grow
    // the list without end, so only the latest kReportsKept stay.
    constexpr std::size_t kReportsKept = 64;
    if (self->reports.size() >= kReportsKept) {
      self->reports.erase(self->reports.begin());
    }
    self->reports.emplace_back(message.data == nullptr ? "" : message.data, message.size);
  }
};

HostSlot& hostSlot(const std::string& path, const std::string& id) {
  static std::mutex mu;
  static auto* slots = new std::map<std::string, std::unique_ptr<HostSlot>>();  // never freed
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  const std::string key = (ec ? path : real.string()) + '\n' + id;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<HostSlot>& slot = (*slots)[key];
  if (!slot) {
    slot = std::make_unique<HostSlot>();
    slot->id = id;
    slot->host.struct_size = sizeof(cw_host_api);
    slot->host.abi_major = CW_ABI_MAJOR;
    slot->host.abi_minor = CW_ABI_MINOR;
    slot->host.host_ctx = slot.get();
    slot->host.log = &HostSlot::log;
    slot->host.report = &HostSlot::report;
  }
  return *slot;
}

}  // namespace

struct Plugin::Impl {
  boost::dll::shared_library library;
  HostSlot* slot = nullptr;
};

Plugin::Plugin(IndexEntry entry, std::string path)
    : entry_(std::move(entry)), path_(std::move(path)), impl_(std::make_unique<Impl>()) {
  impl_->slot = &hostSlot(path_, entry_.id);
}

Plugin::~Plugin() = default;

const cw_acquisition_vtable* Plugin::acquisition() const {
  if (descriptor_ == nullptr || descriptor_->kind != CW_KIND_ACQUISITION) {
    return nullptr;
  }
  return static_cast<const cw_acquisition_vtable*>(descriptor_->vtable);
}

const cw_notification_vtable* Plugin::notification() const {
  if (descriptor_ == nullptr || descriptor_->kind != CW_KIND_NOTIFICATION) {
    return nullptr;
  }
  return static_cast<const cw_notification_vtable*>(descriptor_->vtable);
}

const cw_scenario_vtable* Plugin::scenario() const {
  if (descriptor_ == nullptr || descriptor_->kind != CW_KIND_SCENARIO) {
    return nullptr;
  }
  return static_cast<const cw_scenario_vtable*>(descriptor_->vtable);
}

const cw_parser_vtable* Plugin::parser() const {
  if (descriptor_ == nullptr || descriptor_->kind != CW_KIND_PARSER) {
    return nullptr;
  }
  return static_cast<const cw_parser_vtable*>(descriptor_->vtable);
}

std::vector<std::string> Plugin::takeReports() const {
  std::lock_guard<std::mutex> lock(impl_->slot->mu);
  std::vector<std::string> out;
  out.swap(impl_->slot->reports);
  return out;
}

std::function<Result<SharedSet>()> lazyLoader(LoadOptions options) {
  auto cache = std::make_shared<std::optional<Result<SharedSet>>>();
  return [options = std::move(options), cache]() -> Result<SharedSet> {
    if (!cache->has_value()) {
      auto set = load(options);
      *cache = set ? Result<SharedSet>(SharedSet(std::move(*set))) : Result<SharedSet>(set.error());
    }
    return **cache;
  };
}

std::string joinReports(const std::vector<std::string>& reports) {
  std::string out;
  for (const std::string& r : reports) {
    out += (out.empty() ? "" : "; ") + r;
  }
  return out;
}

std::string Plugin::takeReason() const { return joinReports(takeReports()); }

PluginSet::PluginSet() = default;
PluginSet::~PluginSet() = default;

const Plugin* PluginSet::findSource(std::string_view source) const {
  for (const auto& p : plugins_) {
    const cw_acquisition_vtable* v = p->acquisition();
    if (v != nullptr && v->source != nullptr && source == v->source) {
      return p.get();
    }
  }
  return nullptr;
}

const Plugin* PluginSet::find(std::string_view id) const {
  for (const auto& p : plugins_) {
    if (p->entry().id == id) {
      return p.get();
    }
  }
  return nullptr;
}

Result<const Plugin*> PluginSet::resolve(std::string_view kind, std::string_view name) const {
  auto lastPart = [](std::string_view id) {
    const std::size_t slash = id.rfind('/');
    return slash == std::string_view::npos ? id : id.substr(slash + 1);
  };
  const std::string what = std::string(kind) + " plugin '" + std::string(name) + "'";
  std::vector<const Plugin*> by_last_part;
  std::string available;
  for (const auto& p : plugins_) {
    if (p->entry().kind != kind) {
      continue;
    }
    if (p->entry().id == name) {
      return p.get();  // an exact id wins
    }
    if (lastPart(p->entry().id) == name) {
      by_last_part.push_back(p.get());
    }
    available += (available.empty() ? "" : ", ") + p->entry().id;
  }
  if (by_last_part.size() == 1) {
    return by_last_part.front();
  }
  if (by_last_part.size() > 1) {
    std::string ids;
    for (const Plugin* p : by_last_part) {
      ids += (ids.empty() ? "" : ", ") + p->entry().id;
    }
    return makeError(ErrorCode::NotFound, what + " is ambiguous (" + ids + "): name it by its id");
  }
  for (const std::string& id : skipped_) {
    if (id == name || lastPart(id) == name) {
      return makeError(ErrorCode::NotFound,
                       std::string(kind) + " plugin '" + id +
                           "' is disabled (plugins.disabled, or missing from plugins.enabled)");
    }
  }
  return makeError(ErrorCode::NotFound, "no enabled " + what + " (available: " +
                                            (available.empty() ? "none" : available) + ")");
}

const Plugin* PluginSet::findDsnScheme(std::string_view scheme) const {
  for (const auto& p : plugins_) {
    const cw_acquisition_vtable* v = p->acquisition();
    if (v != nullptr && v->dsn_scheme != nullptr && scheme == v->dsn_scheme) {
      return p.get();
    }
  }
  return nullptr;
}

// ---- index ---------------------------------------------------------------------------------

std::string defaultPluginDir() {
  if (const char* env = std::getenv("CROWDWALL_PLUGIN_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path up = exe.parent_path().parent_path();
  std::vector<fs::path> candidates{up / "lib/crowdwall/plugins"};
  for (const auto& entry : fs::directory_iterator(up / "lib", ec)) {
    candidates.push_back(entry.path() / "crowdwall/plugins");  // lib/<multiarch>/
  }
  candidates.push_back(up / "plugins");  // the build tree
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate / "index.json", ec)) {
      return candidate.string();
    }
  }
  return "/usr/lib/crowdwall/plugins";
}

std::string hostPlatform() {
  struct utsname u {};
  std::string machine = ::uname(&u) == 0 ? u.machine : "unknown";
  return "linux-" + machine;
}

std::string_view kindName(cw_plugin_kind kind) {
  switch (kind) {
    case CW_KIND_ACQUISITION:
      return "acquisition";
    case CW_KIND_PARSER:
      return "parser";
    case CW_KIND_SCENARIO:
      return "scenario";
    case CW_KIND_BOUNCER:
      return "bouncer";
    case CW_KIND_NOTIFICATION:
      return "notification";
  }
  return "";
}

Result<std::string> sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(ErrorCode::Io, "cannot read " + path + ": " + std::strerror(errno));
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    EVP_DigestUpdate(ctx, buf, static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return hex(digest, len);
}

Result<std::vector<IndexEntry>> readIndex(const std::string& path) {
  const auto text = readWholeFile(path);
  if (!text) {
    return makeError(ErrorCode::NotFound,
                     "cannot read plugin index " + path + ": " + std::strerror(errno));
  }
  const std::string& json = *text;
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError()) {
    return makeError(ErrorCode::Parse, "plugin index " + path + ": invalid JSON at offset " +
                                           std::to_string(doc.GetErrorOffset()) + ": " +
                                           rapidjson::GetParseError_En(doc.GetParseError()));
  }
  std::vector<IndexEntry> entries;
  if (!doc.IsObject() || !doc.HasMember("plugins")) {
    return entries;
  }
  const rapidjson::Value& section = doc["plugins"];
  if (!section.IsObject()) {
    return makeError(ErrorCode::Parse, "plugin index " + path + ": 'plugins' is not an object");
  }
  std::string problems;
  for (auto it = section.MemberBegin(); it != section.MemberEnd(); ++it) {
    IndexEntry e;
    e.id = it->name.GetString();
    if (!it->value.IsObject()) {
      problems += "\nplugin index " + path + ": plugins." + e.id + " is not an object";
      continue;
    }
    const std::pair<const char*, std::string*> fields[] = {
        {"version", &e.version},   {"kind", &e.kind},     {"abi", &e.abi},
        {"platform", &e.platform}, {"sha256", &e.sha256}, {"file", &e.file}};
    for (const auto& [key, out] : fields) {
      auto m = it->value.FindMember(key);
      if (m == it->value.MemberEnd() || !m->value.IsString() || m->value.GetStringLength() == 0) {
        problems += "\nplugin index " + path + ": plugins." + e.id + "." + key +
                    " is missing or not a string";
        continue;
      }
      *out = m->value.GetString();
    }
    entries.push_back(std::move(e));
  }
  if (!problems.empty()) {
    return makeError(ErrorCode::Parse, problems.substr(1));
  }
  return entries;
}

// ---- loading -------------------------------------------------------------------------------

LoadOptions installedPluginOptions(const std::string& dir, const std::string& index,
                                   const std::vector<std::string>& enabled,
                                   const std::vector<std::string>& disabled,
                                   const std::string& kind) {
  LoadOptions o;
  const std::string builtin = dir.empty() ? "" : (fs::path(dir) / "index.json").string();
  std::error_code ec;
  // A plugin dir is always read: when its index.json is missing the error names it (a wrong
  // --plugin-dir or plugin_dir), not the optional index of installed plugins.
  if (!builtin.empty()) {
    o.plugin_dir = dir;
    o.index_path = builtin;
  }
  if (!index.empty() && (o.index_path.empty() || !fs::equivalent(index, builtin, ec))) {
    if (o.index_path.empty() && !fs::exists(index, ec)) {
      o.plugin_dir = fs::path(index).parent_path().string();
      o.index_path = index;  // nothing else to load: its absence is the error reported
    } else {
      o.optional_indexes.push_back(index);
    }
  }
  o.enabled = enabled;
  o.disabled = disabled;
  o.kinds = {kind};
  return o;
}

Result<std::unique_ptr<PluginSet>> load(const LoadOptions& options) {
  // Every declared entry, with the folder its file is relative to.
  std::vector<IndexEntry> all;
  std::vector<std::string> dirs;
  std::vector<std::string> broken;  // "<file> (<id>): <what>"
  std::vector<std::string> broken_ids;
  std::string indexes;  // for messages
  if (!options.index_path.empty()) {
    auto index = readIndex(options.index_path);
    if (!index) {
      return index.error();
    }
    indexes = options.index_path;
    for (IndexEntry& e : *index) {
      all.push_back(std::move(e));
      dirs.push_back(options.plugin_dir);
    }
  }
  for (const std::string& extra : options.optional_indexes) {
    std::error_code ec;
    if (!fs::exists(extra, ec)) {
      continue;
    }
    auto index = readIndex(extra);
    if (!index) {
      return index.error();
    }
    indexes += (indexes.empty() ? "" : " or ") + extra;
    const std::string dir = fs::path(extra).parent_path().string();
    for (IndexEntry& e : *index) {
      if (!fs::exists(fs::path(dir) / e.file, ec)) {
        continue;  // declared by the hub, not installed
      }
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].id == e.id) {
          broken.push_back("plugin " + e.id +
                           " is declared twice: " + (fs::path(dirs[i]) / all[i].file).string() +
                           " and " + (fs::path(dir) / e.file).string());
          broken_ids.push_back(e.id);
        }
      }
      all.push_back(std::move(e));
      dirs.push_back(dir);
    }
  }
  auto set = std::make_unique<PluginSet>();

  for (const std::string& id : options.enabled) {
    bool declared =
        std::any_of(all.begin(), all.end(), [&](const IndexEntry& e) { return e.id == id; });
    if (!declared) {
      broken.push_back("plugin " + id + " is enabled but not declared in " + indexes);
      broken_ids.push_back(id);
    }
  }

  const std::string platform = hostPlatform();
  for (std::size_t n = 0; n < all.size(); ++n) {
    IndexEntry& entry = all[n];
    if (contains(broken_ids, entry.id)) {
      continue;  // declared twice: reported above
    }
    if (contains(options.disabled, entry.id) ||
        (!options.enabled.empty() && !contains(options.enabled, entry.id))) {
      set->skipped_.push_back(entry.id);
      continue;
    }
    if (!options.kinds.empty() && !contains(options.kinds, entry.kind)) {
      continue;
    }
    const std::string path = (fs::path(dirs[n]) / entry.file).string();
    std::vector<std::string> problems;

    // Before dlopen: what the index says, then the file's trust and digest.
    unsigned major = 0;
    unsigned minor = 0;
    if (!parseAbi(entry.abi, major, minor)) {
      problems.push_back("index abi '" + entry.abi + "' is not MAJOR.MINOR");
    } else if (std::string p = abiProblem(major, minor, "index declares"); !p.empty()) {
      problems.push_back(p);
    }
    if (entry.platform != platform) {
      problems.push_back("index declares platform " + entry.platform + "; this host is " +
                         platform);
    }
    bool known_kind = false;
    for (int k = CW_KIND_ACQUISITION; k <= CW_KIND_NOTIFICATION; ++k) {
      known_kind = known_kind || kindName(static_cast<cw_plugin_kind>(k)) == entry.kind;
    }
    if (!known_kind) {
      problems.push_back("index declares unknown kind '" + entry.kind + "'");
    }
    checkTrust(path, problems);
    if (problems.empty()) {
      auto digest = sha256OfFile(path);
      if (!digest) {
        problems.push_back(digest.error().message);
      } else if (*digest != entry.sha256) {
        problems.push_back("sha256 mismatch: index says " + entry.sha256 + ", file is " + *digest);
      }
    }

    auto plugin = std::make_unique<Plugin>(entry, path);
    if (problems.empty()) {
      boost::system::error_code ec;
      plugin->impl_->library.load(
          boost::dll::fs::path(path), ec,
          boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
      if (ec) {
        const char* why = ::dlerror();
        problems.push_back("cannot load: " + std::string(why != nullptr ? why : ec.message()));
      } else if (!plugin->impl_->library.has(CW_PLUGIN_ENTRY_SYMBOL)) {
        problems.push_back("no entry point " CW_PLUGIN_ENTRY_SYMBOL " (not a Crowdwall plugin)");
      }
    }
    if (problems.empty()) {
      auto& entry_fn = plugin->impl_->library.get<const cw_plugin_descriptor*(const cw_host_api*)>(
          CW_PLUGIN_ENTRY_SYMBOL);
      const cw_plugin_descriptor* d = nullptr;
      try {
        d = entry_fn(&plugin->impl_->slot->host);
      } catch (const std::exception& e) {
        plugin->takeReports();
        problems.push_back(std::string("the entry point threw: ") + e.what());
      } catch (...) {
        plugin->takeReports();
        problems.push_back("the entry point threw an unknown exception");
      }
      const std::string why = plugin->takeReason();
      if (d == nullptr && problems.empty()) {
        problems.push_back("the entry point failed: " + (why.empty() ? "no reason given" : why));
      }
      if (d != nullptr) {
        if (d->struct_size < sizeof(cw_plugin_descriptor)) {
          problems.push_back("descriptor is " + std::to_string(d->struct_size) +
                             " bytes, smaller than ABI 1.0's " +
                             std::to_string(sizeof(cw_plugin_descriptor)));
        } else if (std::string p = abiProblem(d->abi_major, d->abi_minor, "built for");
                   !p.empty()) {
          problems.push_back(p);
        } else {
          if (kindName(d->kind) != entry.kind) {
            problems.push_back("declares kind '" + std::string(kindName(d->kind)) +
                               "' but the index says '" + entry.kind + "'");
          }
          if (d->id == nullptr || entry.id != d->id) {
            problems.push_back("declares id '" + std::string(d->id ? d->id : "") +
                               "' but the index says '" + entry.id + "'");
          }
          if (d->vtable == nullptr) {
            problems.push_back("descriptor has no operations table");
          } else if (d->kind == CW_KIND_ACQUISITION) {
            const auto* v = static_cast<const cw_acquisition_vtable*>(d->vtable);
            if (v->struct_size < sizeof(cw_acquisition_vtable) || v->source == nullptr ||
                v->create == nullptr || v->start == nullptr || v->stop == nullptr ||
                v->stats == nullptr || v->destroy == nullptr) {
              problems.push_back("acquisition table is incomplete");
            }
          } else if (d->kind == CW_KIND_NOTIFICATION) {
            const auto* v = static_cast<const cw_notification_vtable*>(d->vtable);
            if (v->struct_size < sizeof(cw_notification_vtable) || v->create == nullptr ||
                v->notify == nullptr || v->destroy == nullptr) {
              problems.push_back("notification table is incomplete");
            }
          } else if (d->kind == CW_KIND_SCENARIO) {
            const auto* v = static_cast<const cw_scenario_vtable*>(d->vtable);
            if (v->struct_size < sizeof(cw_scenario_vtable) || v->create == nullptr ||
                v->pour == nullptr || v->destroy == nullptr) {
              problems.push_back("scenario table is incomplete");
            }
          } else if (d->kind == CW_KIND_PARSER) {
            const auto* v = static_cast<const cw_parser_vtable*>(d->vtable);
            if (v->struct_size < sizeof(cw_parser_vtable) || v->create == nullptr ||
                v->process == nullptr || v->destroy == nullptr) {
              problems.push_back("parser table is incomplete");
            }
          }
        }
        if (problems.empty()) {
          plugin->descriptor_ = d;
        }
      }
    }

    if (problems.empty()) {
      set->plugins_.push_back(std::move(plugin));
    } else {
      broken_ids.push_back(entry.id);
      for (const std::string& p : problems) {
        broken.push_back(path + " (" + entry.id + "): " + p);
      }
    }
  }

  if (!broken.empty()) {
    std::string message =
        "plugins: " + std::to_string(broken_ids.size()) + " broken, so none is loaded:";
    for (const std::string& b : broken) {
      message += "\n  " + b;
    }
    if (!set->plugins_.empty()) {
      message += "\nnot loaded because of the errors above:";
      for (const auto& p : set->plugins_) {
        message += "\n  " + p->path() + " (" + p->entry().id + ")";
      }
    }
    return makeError(ErrorCode::Config, message);
  }
  for (const auto& p : set->plugins_) {
    spdlog::info("Plugin loaded id={} version={} kind={} file={}", p->entry().id,
                 p->entry().version, p->entry().kind, p->path());
  }
  return set;
}

}  // namespace cw::core::plugins
