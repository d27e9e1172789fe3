// SPDX-License-Identifier: Apache-2.0
#include "cw/core/acquisition/sources.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "cw/core/common/file.h"
#include "cw/core/plugins/loader.h"

namespace cw::core::acquisition {
namespace {

namespace fs = std::filesystem;

const char* const kCommonKeys[] = {"source",           "mode",     "labels", "log_level", "name",
                                   "use_time_machine", "transform"};

bool isCommonKey(const std::string& key) {
  return std::any_of(std::begin(kCommonKeys), std::end(kCommonKeys),
                     [&](const char* k) { return key == k; });
}

/// `$VAR` and `${VAR}` replaced by the environment, only when VAR is defined.
std::string expandEnv(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  auto is_name = [](char c, bool first) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (!first && c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    std::size_t start = i + 1;
    bool braced = text[start] == '{';
    if (braced) {
      ++start;
    }
    std::size_t end = start;
    while (end < text.size() && is_name(text[end], end == start)) {
      ++end;
    }
    if (end == start || (braced && (end >= text.size() || text[end] != '}'))) {
      out.push_back(text[i]);
      continue;
    }
    const std::string name = text.substr(start, end - start);
    const char* value = std::getenv(name.c_str());
    const std::size_t stop = braced ? end + 1 : end;
    if (value == nullptr) {
      out.append(text, i, stop - i);
    } else {
      out.append(value);
    }
    i = stop - 1;
  }
  return out;
}

std::string shortHash(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  return out;
}

/// One datasource as read from a document or a DSN.
struct Spec {
  std::string where;   ///< "<file>:<line>" for messages
  std::string module;  ///< `source:`
  std::string name;
  std::string yaml;  ///< module keys
  std::string dsn;
  cw_acquisition_mode mode = CW_MODE_TAIL;
  event::StrMap labels;
  bool time_machine = false;
  std::string state_key;              ///< folder name under state_dir
  std::vector<std::string> problems;  ///< found while reading or creating it, in order
};

/// Host side of one running source: the sink the plugin emits into.
struct Runtime {
  std::string name;
  std::string module;
  event::StrMap labels;
  bool time_machine = false;
  bool cat = false;
  const cw_acquisition_vtable* vtable = nullptr;
  const plugins::Plugin* plugin = nullptr;
  cw_source* instance = nullptr;
  bool started = false;
  cw_line_sink sink{};
  const SourceCallback* callback = nullptr;
  std::atomic<bool> finished{false};
  std::mutex* mu = nullptr;
  std::condition_variable* cv = nullptr;

  static cw_status emit(void* ctx, const cw_line* line) {
    auto* self = static_cast<Runtime*>(ctx);
    SourceLine out;
    out.raw = std::string_view(line->raw.data == nullptr ? "" : line->raw.data, line->raw.size);
    out.src = std::string_view(line->src.data == nullptr ? "" : line->src.data, line->src.size);
    out.module = self->module;
    out.labels = &self->labels;
    out.received = line->time_ns != 0 ? TimePoint::fromUnixNanos(line->time_ns) : nowUtc();
    out.time_machine = self->time_machine;
    try {
      (*self->callback)(out);
      return CW_OK;
    } catch (const std::exception& e) {
      spdlog::error("Line refused by the pipeline source={} error={}", self->name, e.what());
      return CW_ERROR;
    }
  }
  static void done(void* ctx) {
    auto* self = static_cast<Runtime*>(ctx);
    std::lock_guard<std::mutex> lock(*self->mu);
    self->finished = true;
    self->cv->notify_all();
  }
};

class SourcesImpl final : public Sources {
 public:
  SourcesImpl(std::unique_ptr<plugins::PluginSet> plugins, std::string state_dir)
      : plugins_(std::move(plugins)), state_dir_(std::move(state_dir)) {}

  ~SourcesImpl() override {
    stop();
    for (auto& r : runtimes_) {
      if (r->instance != nullptr) {
        r->vtable->destroy(r->instance);
      }
    }
  }

  /// Creates every source without problems so far; adds the plugins' reports to the specs.
  void create(std::vector<Spec>& specs) {
    for (Spec& spec : specs) {
      if (!spec.problems.empty()) {
        continue;
      }
      std::vector<std::string>& problems = spec.problems;
      const plugins::Plugin* plugin = spec.dsn.empty() ? plugins_->findSource(spec.module)
                                                       : plugins_->findDsnScheme(spec.module);
      if (plugin == nullptr) {
        std::string available;
        for (const auto& p : plugins_->plugins()) {
          const cw_acquisition_vtable* v = p->acquisition();
          const char* name = v == nullptr ? nullptr : spec.dsn.empty() ? v->source : v->dsn_scheme;
          if (name != nullptr) {
            available += std::string(available.empty() ? "" : ", ") + name;
          }
        }
        problems.push_back(spec.where + ": " +
                           (spec.dsn.empty() ? "unknown source '" : "unknown DSN scheme '") +
                           spec.module + "': no enabled acquisition plugin serves it (" +
                           (available.empty() ? "none loaded" : "available: " + available) + ")");
        continue;
      }
      std::string state;
      if (!state_dir_.empty()) {
        state = (fs::path(state_dir_) / spec.state_key).string();
        std::error_code ec;
        fs::create_directories(state, ec);
        if (ec) {
          problems.push_back(spec.where + ": cannot create state folder " + state + ": " +
                             ec.message());
          continue;
        }
        ::chmod(state.c_str(), 0700);
      }
      auto r = std::make_unique<Runtime>();
      r->name = spec.name;
      r->module = spec.dsn.empty() ? spec.module : plugin->acquisition()->source;
      r->labels = spec.labels;
      r->time_machine = spec.time_machine;
      r->cat = spec.mode == CW_MODE_CAT;
      r->plugin = plugin;
      r->vtable = plugin->acquisition();
      r->mu = &mu_;
      r->cv = &cv_;
      cw_source_config config{};
      config.struct_size = sizeof(cw_source_config);
      config.name = cw_str{spec.name.data(), spec.name.size()};
      config.yaml = cw_str{spec.yaml.data(), spec.yaml.size()};
      config.dsn = cw_str{spec.dsn.data(), spec.dsn.size()};
      config.mode = spec.mode;
      config.state_dir = cw_str{state.data(), state.size()};
      plugin->takeReports();
      cw_status status = r->vtable->create(&config, &r->instance);
      std::vector<std::string> reports = plugin->takeReports();
      if (status != CW_OK || r->instance == nullptr) {
        r->instance = nullptr;
        if (reports.empty()) {
          reports.push_back("the plugin refused the configuration without saying why");
        }
        for (const std::string& why : reports) {
          problems.push_back(spec.where + ": " + spec.module + ": " + why);
        }
        continue;
      }
      runtimes_.push_back(std::move(r));
    }
  }

  Result<bool> start(SourceCallback on_line) override {
    callback_ = std::move(on_line);
    std::string problems;
    for (auto& r : runtimes_) {
      r->callback = &callback_;
      r->finished = false;
      r->sink.struct_size = sizeof(cw_line_sink);
      r->sink.sink_ctx = r.get();
      r->sink.emit = &Runtime::emit;
      r->sink.finished = &Runtime::done;
      r->plugin->takeReports();
      if (r->vtable->start(r->instance, &r->sink) != CW_OK) {
        problems += "\nsource " + r->name + ": cannot start: " + r->plugin->takeReason();
        continue;
      }
      r->started = true;
      spdlog::info("Source started name={} module={}", r->name, r->module);
    }
    if (!problems.empty()) {
      stop();
      return makeError(ErrorCode::Runtime, problems.substr(1));
    }
    return true;
  }

  void stop() override {
    for (auto& r : runtimes_) {
      if (r->started) {
        r->vtable->stop(r->instance);
        r->started = false;
      }
    }
  }

  std::vector<SourceStats> stats() const override {
    std::vector<SourceStats> out;
    for (const auto& r : runtimes_) {
      cw_source_stats s{};
      s.struct_size = sizeof(cw_source_stats);
      r->vtable->stats(r->instance, &s);
      SourceStats st;
      st.name = r->name;
      st.lines = s.lines;
      st.dropped = s.dropped;
      st.errors = s.errors;
      st.split = s.split;
      out.push_back(std::move(st));
    }
    return out;
  }

  bool oneShot() const override {
    return !runtimes_.empty() &&
           std::all_of(runtimes_.begin(), runtimes_.end(), [](const auto& r) { return r->cat; });
  }

  void waitFinished() override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      return std::all_of(runtimes_.begin(), runtimes_.end(),
                         [](const auto& r) { return !r->cat || !r->started || r->finished; });
    });
  }

 private:
  std::unique_ptr<plugins::PluginSet> plugins_;  // outlives the instances below
  std::string state_dir_;
  std::vector<std::unique_ptr<Runtime>> runtimes_;
  SourceCallback callback_;
  std::mutex mu_;
  std::condition_variable cv_;
};

std::string scalarOr(const YAML::Node& node, const char* key) {
  YAML::Node v = node[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

/// Parses one acquis document into a Spec; problems are appended.
void parseDocument(const YAML::Node& doc, const std::string& where, std::vector<Spec>& specs) {
  specs.emplace_back();
  Spec& spec = specs.back();
  spec.where = where;
  std::vector<std::string>& problems = spec.problems;
  if (!doc.IsMap()) {
    problems.push_back(where + ": a datasource must be a mapping");
    return;
  }
  std::string inferred;
  if (doc["filename"] || doc["filenames"]) {
    inferred = "file";
  } else if (doc["journalctl_filter"]) {
    inferred = "journalctl";
  }
  spec.module = scalarOr(doc, "source");
  if (spec.module.empty()) {
    if (inferred.empty()) {
      problems.push_back(where + ": missing 'source' field");
      return;
    }
    spec.module = inferred;
  } else if (!inferred.empty() && inferred != spec.module) {
    spdlog::warn(
        "Source contradicts its keys, using the inferred one where={} source={} "
        "inferred={}",
        where, spec.module, inferred);
    spec.module = inferred;
  }
  const std::string mode = scalarOr(doc, "mode");
  if (mode == "cat") {
    spec.mode = CW_MODE_CAT;
  } else if (!mode.empty() && mode != "tail" && mode != "server") {
    problems.push_back(where + ": mode '" + mode + "' is not tail, cat or server");
  }
  YAML::Node labels = doc["labels"];
  if (labels && labels.IsMap()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (!it->second.IsScalar()) {
        problems.push_back(where + ": labels." + it->first.Scalar() + " is not a scalar");
        continue;
      }
      spec.labels.set(it->first.Scalar(), it->second.Scalar());
    }
  } else if (labels && !labels.IsNull()) {
    problems.push_back(where + ": labels must be a mapping");
  }
  if (spec.labels.size() == 0 && spec.module != "docker") {
    problems.push_back(where +
                       ": missing labels (at least labels.type, which selects the "
                       "parsers)");
  }
  if (YAML::Node tm = doc["use_time_machine"]) {
    try {
      spec.time_machine = tm.as<bool>();
    } catch (const YAML::Exception&) {
      problems.push_back(where + ": use_time_machine must be true or false");
    }
  }
  // TODO(acquisition): `log_level` is accepted but every source logs at the daemon's level;
  // per-source levels need a logger per source in the host API.
  if (doc["transform"]) {
    // TODO(acquisition): transform expressions need the expr engine on the acquisition
    // thread; refused rather than ignored until the daemon wires it.
    problems.push_back(where + ": transform is not supported yet");
  }
  YAML::Node module_keys(YAML::NodeType::Map);
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (!isCommonKey(key)) {
      module_keys[key] = it->second;
    }
  }
  YAML::Emitter emitter;
  emitter << module_keys;
  spec.yaml = emitter.c_str();
  spec.name = scalarOr(doc, "name");
  if (spec.name.empty()) {
    std::string target = scalarOr(doc, "filename");
    if (target.empty() && doc["filenames"] && doc["filenames"].IsSequence() &&
        doc["filenames"].size() > 0 && doc["filenames"][0].IsScalar()) {
      target = doc["filenames"][0].Scalar();
    }
    if (target.empty() && doc["listen_port"]) {
      target = scalarOr(doc, "listen_addr") + ":" + scalarOr(doc, "listen_port");
    }
    if (target.empty() && doc["journalctl_filter"] && doc["journalctl_filter"].IsSequence()) {
      for (const auto& f : doc["journalctl_filter"]) {
        target += (target.empty() ? "" : " ") + (f.IsScalar() ? f.Scalar() : "");
      }
    }
    spec.name = spec.module + ":" + (target.empty() ? where : target);
    spec.state_key = spec.module + "-" + shortHash(spec.yaml);
  } else {
    spec.state_key = sanitize(spec.name);
  }
}

void fileProblem(std::vector<Spec>& specs, std::string message) {
  specs.emplace_back();
  specs.back().problems.push_back(std::move(message));
}

void parseFile(const std::string& path, std::vector<Spec>& specs) {
  const auto text = readWholeFile(path);
  if (!text) {
    fileProblem(specs, "cannot read " + path + ": " + std::strerror(errno));
    return;
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(expandEnv(*text));
  } catch (const YAML::Exception& e) {
    fileProblem(specs, path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return;
  }
  int n = 0;
  for (const YAML::Node& doc : docs) {
    ++n;
    if (!doc || doc.IsNull() || (doc.IsMap() && doc.size() == 0)) {
      continue;
    }
    parseDocument(doc, path + ":" + std::to_string(doc.Mark().line + 1), specs);
  }
}

/// Our built plugins come with <plugin_dir>/index.json; `index` (the hub's .index.json, whose
/// files are relative to the hub) adds the plugins installed from the hub.
plugins::LoadOptions pluginOptions(const std::string& dir, const std::string& index,
                                   const std::vector<std::string>& enabled,
                                   const std::vector<std::string>& disabled) {
  return plugins::installedPluginOptions(dir, index, enabled, disabled, "acquisition");
}

std::string joinProblems(const std::vector<Spec>& specs) {
  std::string out;
  for (const Spec& spec : specs) {
    for (const std::string& l : spec.problems) {
      out += (out.empty() ? "" : "\n") + l;
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Sources>> Sources::load(const LoadOptions& options) {
  std::vector<Spec> specs;
  if (options.acquis_path.empty() && options.acquis_dir.empty()) {
    return makeError(ErrorCode::Config,
                     "no acquisition configured: set acquisition_path or "
                     "acquisition_dir");
  }
  std::error_code ec;
  if (!options.acquis_path.empty() && fs::exists(options.acquis_path, ec)) {
    parseFile(options.acquis_path, specs);
  }
  if (!options.acquis_dir.empty() && fs::is_directory(options.acquis_dir, ec)) {
    std::vector<std::string> yaml;
    std::vector<std::string> yml;
    for (const auto& entry : fs::directory_iterator(options.acquis_dir, ec)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".yaml") {
        yaml.push_back(entry.path().string());
      } else if (ext == ".yml") {
        yml.push_back(entry.path().string());
      }
    }
    std::sort(yaml.begin(), yaml.end());
    std::sort(yml.begin(), yml.end());
    for (const auto& f : yaml) {
      parseFile(f, specs);
    }
    for (const auto& f : yml) {
      parseFile(f, specs);
    }
  }
  if (specs.empty()) {
    // Say where we looked and what was there: a missing file is the usual cause.
    std::string where;
    for (const std::string* p : {&options.acquis_path, &options.acquis_dir}) {
      if (!p->empty()) {
        where += (where.empty() ? "" : "; ") + *p +
                 (fs::exists(*p, ec) ? " has no datasource" : " does not exist");
      }
    }
    fileProblem(specs, "no datasource configured (" + where + ")");
  }
  auto plugins = plugins::load(pluginOptions(options.plugin_dir, options.index_path,
                                             options.enabled_plugins, options.disabled_plugins));
  if (!plugins) {
    fileProblem(specs, plugins.error().message);
    return makeError(ErrorCode::Config, joinProblems(specs));
  }
  auto sources = std::make_unique<SourcesImpl>(std::move(plugins.value()), options.state_dir);
  sources->create(specs);
  std::string problems = joinProblems(specs);
  if (!problems.empty()) {
    return makeError(ErrorCode::Config, problems);
  }
  return std::unique_ptr<Sources>(std::move(sources));
}

Result<std::unique_ptr<Sources>> Sources::loadDsn(const DsnOptions& options) {
  const std::size_t sep = options.dsn.find("://");
  if (sep == std::string::npos || sep == 0) {
    return makeError(ErrorCode::Invalid,
                     "invalid DSN '" + options.dsn + "': expected <scheme>://<rest>");
  }
  auto plugins = plugins::load(pluginOptions(options.plugin_dir, options.index_path,
                                             options.enabled_plugins, options.disabled_plugins));
  if (!plugins) {
    return plugins.error();
  }
  Spec spec;
  spec.where = "dsn " + options.dsn;
  spec.module = options.dsn.substr(0, sep);
  spec.name = options.dsn;
  spec.dsn = options.dsn;
  spec.mode = CW_MODE_CAT;
  spec.labels = options.labels;
  spec.time_machine = spec.module == "file";  // journalctl:// stays live (acquisition.md §6)
  std::vector<Spec> specs{spec};
  auto sources = std::make_unique<SourcesImpl>(std::move(plugins.value()), "");
  sources->create(specs);
  std::string problems = joinProblems(specs);
  if (!problems.empty()) {
    return makeError(ErrorCode::Config, problems);
  }
  return std::unique_ptr<Sources>(std::move(sources));
}

}  // namespace cw::core::acquisition
