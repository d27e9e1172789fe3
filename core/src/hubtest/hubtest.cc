// SPDX-License-Identifier: Apache-2.0
#include "cw/core/hubtest/hubtest.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <deque>
#include <optional>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "cw/core/agent/agent.h"
#include "cw/core/common/time.h"
#include "cw/core/event/event.h"
#include "cw/core/expr/bindings.h"
#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"
#include "cw/core/hub/hub.h"
#include "cw/core/parsers/pipeline.h"
#include "cw/core/plugins/loader.h"
#include "cw/core/scenarios/buckets.h"

namespace fs = std::filesystem;

namespace cw::core::hubtest {
namespace {

using event::Event;

/// config.yaml of one case (hub.md 6.1). Unknown keys are ignored, as upstream does.
struct CaseConfig {
  std::vector<std::string> parsers;
  std::vector<std::string> scenarios;
  std::vector<std::string> postoverflows;
  std::string log_file;
  std::string log_type;
  std::vector<std::pair<std::string, std::string>> labels;
  bool ignore_parsers = false;
  YAML::Node override_statics;
};

std::vector<std::string> stringList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (!node || !node.IsSequence()) {
    return out;
  }
  for (const YAML::Node& item : node) {
    if (item.IsScalar() && !item.Scalar().empty()) {
      out.push_back(item.Scalar());
    }
  }
  return out;
}

Result<CaseConfig> loadConfig(const fs::path& path) {
  CaseConfig cfg;
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    cfg.parsers = stringList(root["parsers"]);
    cfg.scenarios = stringList(root["scenarios"]);
    cfg.postoverflows = stringList(root["postoverflows"]);
    if (root["log_file"]) {
      cfg.log_file = root["log_file"].as<std::string>();
    }
    if (root["log_type"]) {
      cfg.log_type = root["log_type"].as<std::string>();
    }
    if (root["labels"] && root["labels"].IsMap()) {
      for (const auto& kv : root["labels"]) {
        cfg.labels.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
      }
    }
    if (root["ignore_parsers"]) {
      cfg.ignore_parsers = root["ignore_parsers"].as<bool>();
    }
    cfg.override_statics = root["override_statics"];
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Config, path.string() + ": " + e.what());
  }
  if (cfg.log_file.empty()) {
    return makeError(ErrorCode::Config, path.string() + ": log_file is missing");
  }
  return cfg;
}

/// One entry of results[stage][node] (hub.md 6.3).
struct ParserResult {
  std::int64_t idx = 0;
  bool success = false;
  Event evt;
};

bool parserResultField(void* object, std::string_view name, Value& out) {
  auto* r = static_cast<ParserResult*>(object);
  if (name == "Idx") {
    out = Value::integer(r->idx);
  } else if (name == "Success") {
    out = Value::boolean(r->success);
  } else if (name == "Evt") {
    out = expr::eventValue(r->evt);
  } else {
    return false;
  }
  return true;
}

bool noMethod(void*, std::string_view, const ValueArray&, Value&, std::string&) { return false; }

const HostType kParserResultType{"ParserResult", parserResultField, noMethod, nullptr};

/// Everything one case produces; the Values in `parser_results` point into this object.
struct CaseRun {
  std::deque<ParserResult> records;  // stable addresses
  std::map<std::string, std::map<std::string, std::vector<ParserResult*>>> by_stage;
  std::vector<Event> overflows;

  Value parserResults() {
    ValueMap stages;
    stages["success"] = Value::map(ValueMap{{"", Value::array({})}});
    for (auto& [stage, nodes] : by_stage) {
      ValueMap node_map;
      for (auto& [node, list] : nodes) {
        ValueArray entries;
        entries.reserve(list.size());
        for (ParserResult* r : list) {
          entries.push_back(Value::host(&kParserResultType, r));
        }
        node_map[node] = Value::array(std::move(entries));
      }
      stages[stage] = Value::map(std::move(node_map));
    }
    return Value::map(std::move(stages));
  }

  Value scenarioResults() {
    ValueArray list;
    list.reserve(overflows.size());
    for (Event& e : overflows) {
      list.push_back(expr::eventValue(e));
    }
    return Value::array(std::move(list));
  }
};

/// Sort key of scenario results: scenario name + source keys joined by "@" (descending).
std::string overflowSortKey(const Event& e) {
  std::string key = e.overflow.scenario;
  bool first = true;
  for (const auto& [k, source] : e.overflow.sources) {
    key += first ? "" : "@";
    key += k;
    first = false;
  }
  return key;
}

Result<Value> basenameHelper(std::span<const Value> args) {
  if (args.size() != 1 || !args[0].isString()) {
    return makeError(ErrorCode::Runtime, "basename() takes one string");
  }
  return Value::string(fs::path(std::string(args[0].asString())).filename().string());
}

struct ResolvedItem {
  std::string path;
  std::string stage;
  std::string hash;
  std::string version;
};

/// A config.yaml item entry: a hub name ("crowdsecurity/sshd-logs") or a path relative to the
/// hub root or to the test folder, whose stage is the third-from-last path component.
Result<ResolvedItem> resolveItem(const hub::Hub& hub, hub::ItemType type, const std::string& name,
                                 const fs::path& case_dir) {
  if (const hub::Item* item = hub.find(type, name)) {
    return ResolvedItem{item->path, item->stage, item->hash, item->version};
  }
  const bool looks_like_path = name.find(".yaml") != std::string::npos ||
                               name.find(".yml") != std::string::npos;
  if (looks_like_path) {
    // Hub tests write "./parsers/...", "/scenarios/..." (hub root) or "./.tests/<case>/..."
    // (the hub's test folder, wherever --tests puts it).
    std::string rel = name;
    while (rel.starts_with("./") || rel.starts_with("/")) {
      rel.erase(0, rel.starts_with("/") ? 1 : 2);
    }
    std::vector<fs::path> candidates = {fs::path(hub.dir()) / rel, case_dir / rel};
    if (rel.starts_with(".tests/")) {
      candidates.push_back(case_dir.parent_path() / rel.substr(7));
    }
    for (const fs::path& raw : candidates) {
      const fs::path candidate = raw.lexically_normal();
      if (!fs::is_regular_file(candidate)) {
        continue;
      }
      ResolvedItem r;
      r.path = candidate.string();
      std::vector<std::string> parts;
      for (const auto& part : candidate) {
        parts.push_back(part.string());
      }
      if (parts.size() >= 3) {
        r.stage = parts[parts.size() - 3];
      }
      r.hash = hub::sha256File(r.path).value_or("");
      return r;
    }
  }
  return makeError(ErrorCode::NotFound,
                   std::string(hub::itemTypeName(type)) + " item '" + name + "' not found");
}

/// Runs the log of a case through the items; fills `run`.
Result<bool> runEngine(const Options& opt, const hub::Hub& hub, const fs::path& case_dir,
                       const CaseConfig& cfg, CaseRun& run) {
  agent::ItemFiles files;
  auto& parser_files = files.parsers;
  auto& postoverflow_files = files.postoverflows;
  auto& scenario_files = files.scenarios;
  std::vector<std::string> errors;
  for (const std::string& name : cfg.parsers) {
    auto item = resolveItem(hub, hub::ItemType::Parser, name, case_dir);
    item ? parser_files.push_back({item->path, item->stage})
         : errors.push_back(item.error().message);
  }
  for (const std::string& name : cfg.postoverflows) {
    auto item = resolveItem(hub, hub::ItemType::PostOverflow, name, case_dir);
    item ? postoverflow_files.push_back({item->path, item->stage})
         : errors.push_back(item.error().message);
  }
  for (const std::string& name : cfg.scenarios) {
    auto item = resolveItem(hub, hub::ItemType::Scenario, name, case_dir);
    item ? scenario_files.push_back({item->path, item->hash, item->version})
         : errors.push_back(item.error().message);
  }
  if (!errors.empty()) {
    std::string all;
    for (const std::string& e : errors) {
      all += (all.empty() ? "" : "; ") + e;
    }
    return makeError(ErrorCode::NotFound, all);
  }

  // override_statics: a first node in s00-raw that always succeeds and continues.
  fs::path overrides;
  if (cfg.override_statics && cfg.override_statics.IsSequence() &&
      cfg.override_statics.size() > 0) {
    // Named like upstream's, so that it sorts before every other file of s00-raw.
    const fs::path dir =
        fs::temp_directory_path() / ("cw-hubtest-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    overrides = dir / "00_overrides.yaml";
    YAML::Emitter out;
    YAML::Node node;
    node["name"] = "overrides";
    node["description"] = "override_statics of the hub test";
    node["author"] = "hubtest";
    node["filter"] = "1==1";
    node["statics"] = cfg.override_statics;
    out << node;
    std::ofstream(overrides) << out.c_str() << "\n";
    parser_files.insert(parser_files.begin(), {overrides.string(), "s00-raw"});
  }

  agent::AgentConfig config;
  config.hub_dir = opt.hub_dir;
  config.data_dir = opt.data_dir;
  config.patterns_dir = opt.patterns_dir;
  config.year = opt.current_year;
  config.plugin_dir = plugins::defaultPluginDir();  // parser nodes naming a parser plugin
  auto loaded = agent::Agent::create(config, files);
  if (!overrides.empty()) {
    fs::remove_all(overrides.parent_path());
  }
  if (!loaded) {
    return loaded.error();
  }
  agent::Agent& engine = **loaded;

  agent::Observer observer;
  observer.parser_node = [&run](std::string_view stage, std::string_view node, const Event& evt,
                                bool success) {
    auto& list = run.by_stage[std::string(stage)][std::string(node)];
    ParserResult& r = run.records.emplace_back();
    r.idx = static_cast<std::int64_t>(list.size());
    r.success = success;
    r.evt = evt;
    list.push_back(&r);
  };
  observer.overflow = [&run](const Event& overflow) { run.overflows.push_back(overflow); };
  engine.setObserver(std::move(observer));

  agent::ReplayInput input;
  input.files = {fs::absolute(case_dir / cfg.log_file).string()};
  input.type = cfg.log_type;
  input.labels = cfg.labels;
  auto replayed = engine.replay(input);
  if (!replayed) {
    return replayed.error();
  }
  // Descending by key; equal keys keep the order the overflows were emitted in.
  std::stable_sort(run.overflows.begin(), run.overflows.end(),
                   [](const Event& a, const Event& b) {
                     return overflowSortKey(a) > overflowSortKey(b);
                   });
  return true;
}

/// Text left of the first top-level `==`, for reporting the actual value of a failed line.
std::string leftOfEquals(const std::string& line) {
  char quote = 0;
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'' || c == '`') {
      quote = c;
    } else if (c == '=' && line[i + 1] == '=') {
      return line.substr(0, i);
    }
  }
  return {};
}

/// hub.md 6.2: a line about datasource_path without basename() compares file names.
std::string rewriteAssert(const std::string& line) {
  if (line.find("datasource_path") == std::string::npos ||
      line.find("basename(") != std::string::npos) {
    return line;
  }
  const std::string lhs = leftOfEquals(line);
  if (lhs.empty()) {
    return line;
  }
  return "basename(" + lhs + ") == " + line.substr(lhs.size() + 2);
}

/// Evaluates an assert file. Returns false and sets `message` at the first failing line.
Result<bool> checkAsserts(const fs::path& file, const Value& results, expr::Services& services,
                          int& count, std::string& message) {
  std::ifstream in(file);
  if (!in) {
    return makeError(ErrorCode::NotFound, file.filename().string() + " is missing");
  }
  expr::Environment env;
  env.services = &services;
  env.variables = {{"results", expr::VarType::Any}};
  env.addFunction("basename", basenameHelper);
  const Value vars[] = {results};
  std::string line;
  int lineno = 0;
  int evaluated = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    const std::string text = rewriteAssert(line);
    auto program = expr::Program::compile(text, env);
    if (!program) {
      return makeError(ErrorCode::Parse, file.filename().string() + ":" +
                                             std::to_string(lineno) + ": " +
                                             program.error().message);
    }
    auto value = program->run(vars);
    ++count;
    ++evaluated;
    if (!value) {
      return makeError(ErrorCode::Runtime, file.filename().string() + ":" +
                                               std::to_string(lineno) + ": " + text + ": " +
                                               value.error().message);
    }
    if (!value->isBool()) {
      return makeError(ErrorCode::Runtime, file.filename().string() + ":" +
                                               std::to_string(lineno) + ": " + text +
                                               ": not a boolean");
    }
    if (!value->asBool()) {
      message = file.filename().string() + ":" + std::to_string(lineno) + ": " + text;
      const std::string lhs = leftOfEquals(text);
      if (!lhs.empty()) {
        auto actual = expr::Program::compile(lhs, env);
        if (actual) {
          auto v = actual->run(vars);
          message +=
              v ? " (actual: " + v->toString() + ")" : " (actual: " + v.error().message + ")";
        }
      }
      return false;
    }
  }
  if (evaluated == 0) {
    return makeError(ErrorCode::Invalid,
                     file.filename().string() + " is empty: assertions need writing and review");
  }
  return true;
}

CaseResult runCaseInProcess(const Options& opt, const hub::Hub& hub, const std::string& name) {
  CaseResult result;
  result.name = name;
  const fs::path case_dir = fs::path(opt.tests_dir) / name;
  if (!fs::exists(case_dir / "config.yaml")) {
    result.message = "no test case '" + name + "' in " + opt.tests_dir;
    return result;
  }
  auto cfg = loadConfig(case_dir / "config.yaml");
  if (!cfg) {
    result.message = cfg.error().message;
    return result;
  }
  expr::Services services;  // for compiling the assert lines
  services.setCurrentYear(opt.current_year);

  CaseRun run;
  auto ran = runEngine(opt, hub, case_dir, *cfg, run);
  if (!ran) {
    result.message = ran.error().message;
    return result;
  }
  // Parser asserts unless ignored, scenario asserts when the case lists scenarios.
  struct AssertFile {
    const char* name;
    bool wanted;
    Value (CaseRun::*results)();
  };
  const AssertFile files[] = {{"parser.assert", !cfg->ignore_parsers, &CaseRun::parserResults},
                              {"scenario.assert", !cfg->scenarios.empty(),
                               &CaseRun::scenarioResults}};
  for (const AssertFile& f : files) {
    if (!f.wanted) {
      continue;
    }
    auto ok = checkAsserts(case_dir / f.name, (run.*f.results)(), services, result.asserts,
                           result.message);
    if (!ok) {
      result.message = ok.error().message;
      return result;
    }
    if (!*ok) {
      result.outcome = Outcome::Failed;
      return result;
    }
  }
  result.outcome = Outcome::Passed;
  return result;
}

/// A case running in a child process, so that a crash or a hang fails only that case.
struct Child {
  std::size_t index = 0;
  std::string name;
  pid_t pid = -1;
  int fd = -1;
  std::string out;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point deadline;
};

/// Forks a child that runs the case and writes "<outcome>\n<asserts>\n<message>" to a pipe.
std::optional<Child> spawnCase(const Options& opt, const hub::Hub& hub, const std::string& name) {
  int fds[2];
  if (::pipe(fds) != 0) {
    return std::nullopt;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::close(fds[0]);
    CaseResult r = runCaseInProcess(opt, hub, name);
    std::string out = std::to_string(static_cast<int>(r.outcome)) + "\n" +
                      std::to_string(r.asserts) + "\n" + r.message;
    std::size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = ::write(fds[1], out.data() + off, out.size() - off);
      if (n <= 0) {
        break;
      }
      off += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  Child c;
  c.name = name;
  c.pid = pid;
  c.fd = fds[0];
  c.start = std::chrono::steady_clock::now();
  c.deadline = c.start + std::chrono::seconds(opt.timeout_s);
  return c;
}

/// Reaps a child whose pipe closed (or whose time ran out) and decodes its result.
CaseResult finishChild(const Options& opt, Child& c, bool timed_out) {
  ::close(c.fd);
  if (timed_out) {
    ::kill(c.pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  CaseResult result;
  result.name = c.name;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - c.start).count();
  if (timed_out) {
    result.message = "timed out after " + std::to_string(opt.timeout_s) + " s";
    return result;
  }
  if (WIFSIGNALED(status)) {
    result.message = std::string("crashed: ") + ::strsignal(WTERMSIG(status));
    return result;
  }
  std::istringstream in(c.out);
  int outcome = static_cast<int>(Outcome::Error);
  in >> outcome >> result.asserts;
  in.get();
  std::getline(in, result.message, '\0');
  result.outcome = static_cast<Outcome>(outcome);
  return result;
}

} // namespace

struct Runner::Impl {
  Options options;
  hub::Hub hub;
};

Runner::Runner() = default;
Runner::Runner(Runner&&) noexcept = default;
Runner& Runner::operator=(Runner&&) noexcept = default;
Runner::~Runner() = default;

Result<Runner> Runner::create(const Options& options) {
  auto hub = hub::Hub::open(options.hub_dir);
  if (!hub) {
    return hub.error();
  }
  Runner runner;
  runner.impl_ = std::make_unique<Impl>(Impl{options, std::move(*hub)});
  return runner;
}

CaseResult Runner::run(const std::string& name) const {
  CaseResult result;
  runAll({name}, 1, [&](const CaseResult& r) { result = r; });
  return result;
}

void Runner::runAll(const std::vector<std::string>& names, int jobs,
                    const std::function<void(const CaseResult&)>& report) const {
  const Options& opt = impl_->options;
  std::vector<std::optional<CaseResult>> done(names.size());
  std::size_t next_report = 0;
  auto complete = [&](std::size_t index, CaseResult r) {
    done[index] = std::move(r);
    while (next_report < done.size() && done[next_report]) {
      report(*done[next_report]);
      ++next_report;
    }
  };
  auto inProcess = [&](std::size_t index) {
    const auto start = std::chrono::steady_clock::now();
    CaseResult r = runCaseInProcess(opt, impl_->hub, names[index]);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    complete(index, std::move(r));
  };
  if (!opt.isolate) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      inProcess(i);
    }
    return;
  }

  std::vector<Child> running;
  std::size_t next = 0;
  const std::size_t max_running = static_cast<std::size_t>(std::max(1, jobs));
  while (next < names.size() || !running.empty()) {
    while (next < names.size() && running.size() < max_running) {
      auto child = spawnCase(opt, impl_->hub, names[next]);
      if (child) {
        child->index = next;
        running.push_back(std::move(*child));
      } else {
        inProcess(next);  // no process to spare: run it here, unprotected
      }
      ++next;
    }
    if (running.empty()) {
      continue;
    }
    // Wait for output from any child, at most until the nearest deadline.
    auto nearest = running.front().deadline;
    std::vector<pollfd> fds;
    for (const Child& c : running) {
      nearest = std::min(nearest, c.deadline);
      fds.push_back(pollfd{c.fd, POLLIN, 0});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        nearest - std::chrono::steady_clock::now());
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, wait.count())));
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = running.size(); i-- > 0;) {
      Child& c = running[i];
      bool finished = false;
      bool timed_out = false;
      if (fds[i].revents != 0) {
        char chunk[4096];
        const ssize_t n = ::read(c.fd, chunk, sizeof chunk);
        if (n > 0) {
          c.out.append(chunk, static_cast<std::size_t>(n));
        } else {
          finished = true;
        }
      }
      if (!finished && now >= c.deadline) {
        finished = true;
        timed_out = true;
      }
      if (finished) {
        CaseResult r = finishChild(opt, c, timed_out);
        const std::size_t index = c.index;
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        complete(index, std::move(r));
      }
    }
  }
}

std::vector<std::string> listCases(const std::string& tests_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tests_dir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "config.yaml")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace cw::core::hubtest
