// SPDX-License-Identifier: Apache-2.0
// Notification files (<config_dir>/notifications/*.yaml) and the notification plugins that
// serve them.
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "cw/core/common/file.h"
#include "cw/core/common/time.h"
#include "cw/core/decisions/profiles.h"
#include "cw/core/notifications/dispatcher.h"
#include "cw/core/plugins/loader.h"

namespace cw::core::notifications {
namespace {

namespace fs = std::filesystem;

void appendLine(std::string& all, const std::string& line) {
  all += (all.empty() ? "" : "\n") + line;
}

/// One notification served by a plugin instance.
class PluginNotifier : public Notifier {
 public:
  PluginNotifier(const plugins::Plugin& plugin,
                 std::unique_ptr<plugins::Instance<cw_notification_vtable>> instance)
      : plugin_(plugin), instance_(std::move(instance)) {}

  Result<bool> notify(std::string_view message) override {
    const cw_status status =
        instance_->vtable().notify(instance_->get(), cw_str{message.data(), message.size()});
    std::string why = plugin_.takeReason();  // drained on success too
    if (status == CW_OK) {
      return true;
    }
    return makeError(ErrorCode::Runtime,
                     why.empty() ? "status " + std::to_string(static_cast<int>(status)) : why);
  }

 private:
  const plugins::Plugin& plugin_;
  std::unique_ptr<plugins::Instance<cw_notification_vtable>> instance_;
};

/// Reads one of the keys the host handles into `o`; false after appending why to `why`.
bool hostKey(const std::string& key, const YAML::Node& value, NotifierOptions& o,
             std::string& why) {
  if (value.IsNull()) {
    return true;  // written without a value, as CrowdSec's commented examples are: the default
  }
  if (!value.IsScalar()) {
    why = "must be a single value";
    return false;
  }
  const std::string& text = value.Scalar();
  if (key == "format") {
    auto t = Template::parse(text);
    if (!t) {
      why = t.error().message;
      return false;
    }
    o.format = std::move(*t);
    return true;
  }
  if (key == "group_wait") {
    const auto d = parseGoDuration(text);
    if (!d || *d < 0) {
      why = "'" + text + "' is not a duration (30s, 1m, 500ms)";
      return false;
    }
    o.group_wait = std::chrono::milliseconds(*d / kMillisecond);
    return true;
  }
  if (key == "group_threshold" || key == "max_retry") {
    unsigned long n = 0;
    const bool digits = !text.empty() && text.size() <= 9 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      n = std::stoul(text);
    }
    if (!digits || (key == "max_retry" && n > kMaxRetry)) {
      why = "'" + text + "' is not a whole number" +
            (key == "max_retry" ? " from 0 to " + std::to_string(kMaxRetry) : " (0 or more)");
      return false;
    }
    if (key == "max_retry") {
      o.max_retry = static_cast<unsigned>(n);
    } else {
      o.group_threshold = n;
    }
    return true;
  }
  // log_level: CrowdSec's names, plus ours.
  static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace},    {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},      {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},   {"error", spdlog::level::err},
      {"fatal", spdlog::level::critical}, {"panic", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) {
      o.log_level = level;
      return true;
    }
  }
  why = "'" + text + "' is not a level (trace, debug, info, warn, error, off)";
  return false;
}

bool isHostKey(const std::string& key) {
  return key == "format" || key == "group_wait" || key == "group_threshold" || key == "max_retry" ||
         key == "log_level";
}

void readFile(const std::string& path, std::vector<NotificationConfig>& out,
              std::string& problems) {
  const auto text = readWholeFile(path);
  if (!text) {
    appendLine(problems, path + ": cannot read the notification file");
    return;
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(*text);
  } catch (const YAML::Exception& e) {
    appendLine(problems, path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return;
  }
  for (const YAML::Node& doc : docs) {
    if (!doc || doc.IsNull()) {
      continue;
    }
    NotificationConfig c;
    c.file = path;
    c.line = doc.Mark().line + 1;
    const std::string at = path + ":" + std::to_string(c.line);
    if (!doc.IsMap()) {
      appendLine(problems, at + ": a notification must be a mapping");
      continue;
    }
    YAML::Node rest(YAML::NodeType::Map);
    bool ok = true;
    std::vector<std::pair<int, std::string>> key_problems;  // line, "key: why"
    for (const auto& kv : doc) {
      const std::string key = kv.first.Scalar();
      if (isHostKey(key)) {
        std::string why;
        if (!hostKey(key, kv.second, *c.options, why)) {
          key_problems.emplace_back(kv.first.Mark().line + 1, key + ": " + why);
        }
        continue;
      }
      if (key == "type" || key == "name") {
        if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
          appendLine(problems, at + ": '" + key + "' must be a non-empty string");
          ok = false;
          continue;
        }
        (key == "type" ? c.type : c.name) = kv.second.Scalar();
        continue;
      }
      rest[kv.first] = kv.second;
    }
    if (!ok) {
      continue;
    }
    if (c.name.empty()) {
      appendLine(problems, at + ": notification without 'name'");
      continue;
    }
    if (c.type.empty()) {
      appendLine(problems, at + ": notification '" + c.name + "' without 'type'");
      continue;
    }
    for (const auto& [line, what] : key_problems) {
      appendLine(problems,
                 path + ":" + std::to_string(line) + ": notification '" + c.name + "': " + what);
    }
    if (!key_problems.empty()) {
      continue;
    }
    const auto twice = std::find_if(out.begin(), out.end(),
                                    [&](const NotificationConfig& o) { return o.name == c.name; });
    if (twice != out.end()) {
      appendLine(problems, at + ": notification '" + c.name + "' is already defined at " +
                               twice->file + ":" + std::to_string(twice->line));
      continue;
    }
    if (rest.size() != 0) {
      YAML::Emitter emitter;
      emitter << rest;
      c.yaml = emitter.c_str();
    }
    out.push_back(std::move(c));
  }
}

}  // namespace

Result<std::vector<NotificationConfig>> readConfigs(const std::string& dir) {
  std::vector<NotificationConfig> out;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) {
    return out;
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".yaml" || ext == ".yml") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::string problems;
  for (const std::string& f : files) {
    readFile(f, out, problems);
  }
  if (!problems.empty()) {
    return makeError(ErrorCode::Config, problems);
  }
  return out;
}

Notifications::~Notifications() {
  if (dispatcher_) {
    dispatcher_->stop();
  }
  dispatcher_.reset();  // destroys the instances before their plugins are unloaded
}

Result<std::unique_ptr<Notifications>> Notifications::load(const config::Config& config,
                                                           const decisions::Profiles& profiles) {
  std::unique_ptr<Notifications> out(new Notifications());
  out->dispatcher_ = std::make_unique<Dispatcher>();

  // The names the profiles use, in order of first mention.
  std::vector<std::string> wanted;
  for (const decisions::Profile& p : profiles.profiles()) {
    for (const std::string& n : p.notifications) {
      if (std::find(wanted.begin(), wanted.end(), n) == wanted.end()) {
        wanted.push_back(n);
      }
    }
  }
  if (wanted.empty()) {
    return out;
  }

  const std::string& dir = config.config_paths.notification_dir;
  std::string problems;
  auto configs = readConfigs(dir);
  if (!configs) {
    appendLine(problems, configs.error().message);
  }
  const std::vector<NotificationConfig> none;
  const std::vector<NotificationConfig>& all = configs ? *configs : none;
  auto find = [&](const std::string& name) -> const NotificationConfig* {
    for (const NotificationConfig& c : all) {
      if (c.name == name) {
        return &c;
      }
    }
    return nullptr;
  };
  if (configs) {
    for (const decisions::Profile& p : profiles.profiles()) {
      for (const std::string& n : p.notifications) {
        if (find(n) == nullptr) {
          appendLine(problems, config.server.profiles_path + ": profile '" + p.name +
                                   "' names notification '" + n + "', which no file of " + dir +
                                   " defines");
        }
      }
    }
  }

  const std::string installed =
      (fs::path(config.config_paths.config_dir) / "plugins" / "index.json").string();
  auto set = plugins::load(plugins::installedPluginOptions(
      config.config_paths.plugin_dir, installed, config.plugins.enabled, config.plugins.disabled,
      "notification"));
  if (!set) {
    appendLine(problems, set.error().message);
    return makeError(ErrorCode::Config, problems);
  }
  out->plugins_ = std::move(*set);

  for (const std::string& name : wanted) {
    const NotificationConfig* c = find(name);
    if (c == nullptr) {
      continue;  // reported above
    }
    const std::string at = c->file + ":" + std::to_string(c->line);
    // `type` is a plugin id, or (CrowdSec's files: `type: http`) the last part of one.
    auto resolved = out->plugins_->resolve("notification", c->type);
    if (!resolved) {
      appendLine(problems, at + ": notification '" + name + "': " + resolved.error().message);
      continue;
    }
    const plugins::Plugin* plugin = *resolved;
    const std::string& id = plugin->entry().id;
    auto created = plugins::createInstance(*plugin, *plugin->notification(), c->yaml);
    if (!created.instance) {
      for (const std::string& r : created.problems) {
        appendLine(problems, at + ": notification '" + name + "' (" + id + "): " + r);
      }
      continue;
    }
    // Each wanted name is created once, so its options can move into the dispatcher.
    const NotifierOptions& o = *c->options;
    spdlog::info("Notification ready name={} type={} file={}", name, id, c->file);
    spdlog::debug("Notification options name={} group_wait={}ms group_threshold={} max_retry={}",
                  name, o.group_wait.count(), o.group_threshold, o.max_retry);
    out->dispatcher_->add(name,
                          std::make_unique<PluginNotifier>(*plugin, std::move(created.instance)),
                          std::move(*c->options));
  }
  if (!problems.empty()) {
    return makeError(ErrorCode::Config, problems);
  }
  return out;
}

}  // namespace cw::core::notifications
