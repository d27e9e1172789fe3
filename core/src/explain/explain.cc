// SPDX-License-Identifier: Apache-2.0
#include "cw/core/explain/explain.h"

#include <functional>
#include <map>

#include "cw/core/acquisition/file_reader.h"

namespace cw::core::explain {
namespace {

using event::Event;

/// The string fields a parser node can change, flattened as "Parsed.program" -> value.
using Snapshot = std::map<std::string, std::string>;

Snapshot snapshot(const Event& e) {
  Snapshot s;
  const std::pair<const char*, const event::StrMap*> maps[] = {
      {"Parsed.", &e.parsed}, {"Meta.", &e.meta}, {"Enriched.", &e.enriched}};
  for (const auto& [prefix, map] : maps) {
    for (const auto& entry : *map) {
      s[prefix + entry.key] = entry.value;
    }
  }
  for (const auto& [k, v] : e.unmarshaled) {
    s["Unmarshaled." + k] = v.toString();
  }
  if (!e.str_time.empty()) {
    s["StrTime"] = e.str_time;
  }
  if (!e.marshaled_time.empty()) {
    s["MarshaledTime"] = e.marshaled_time;
  }
  if (e.whitelisted) {
    s["Whitelisted"] = "true (" + e.whitelist_reason + ")";
  }
  return s;
}

/// Writes "+ key = value" for new fields, "~ key: old -> new" for changed, "- key" for removed.
void writeChanges(const Snapshot& before, const Snapshot& after, std::ostream& out) {
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end()) {
      out << "        + " << k << " = " << v << "\n";
    } else if (it->second != v) {
      out << "        ~ " << k << ": " << it->second << " -> " << v << "\n";
    }
  }
  for (const auto& [k, v] : before) {
    if (after.find(k) == after.end()) {
      out << "        - " << k << "\n";
    }
  }
}

/// Prints one line's story as the agent processes it.
class Explainer {
 public:
  Explainer(agent::Agent& agent, const Options& options, std::ostream& out)
      : agent_(agent), options_(options), out_(out) {
    agent::Observer observer;
    observer.parser_node = [this](std::string_view stage, std::string_view node, const Event& e,
                                  bool success) { onNode(stage, node, e, success); };
    observer.pour = [this](const std::string& scenario, const Event&) {
      scenarios_.push_back(scenario);
    };
    agent_.setObserver(std::move(observer));
    input_.type = options.type;
    input_.labels = options.labels;
  }

  void line(std::string_view text, const std::string& src) {
    ++count_;
    out_ << "line " << count_ << ": " << text << "\n";
    stage_.clear();
    scenarios_.clear();
    before_.clear();
    alerts_.clear();
    agent_.processLine(evt_, text, src, input_, alerts_);
    if (!evt_.process) {
      out_ << "    => not parsed" << (stage_.empty() ? "" : " (dropped in " + stage_ + ")") << "\n";
    } else if (evt_.whitelisted) {
      out_ << "    => parsed, whitelisted: " << evt_.whitelist_reason << "\n";
    } else {
      out_ << "    => parsed\n";
    }
    if (!scenarios_.empty()) {
      out_ << "  scenarios\n";
      for (const std::string& s : scenarios_) {
        out_ << "    poured into " << s << "\n";
      }
    }
    for (const event::Alert& a : alerts_) {
      out_ << "    => alert " << a.scenario << " " << a.source.scope << ":" << a.source.value
           << " (" << a.events_count << " events)\n";
    }
    out_ << "\n";
  }

 private:
  void onNode(std::string_view stage, std::string_view node, const Event& e, bool success) {
    if (e.type != event::EventType::Log) {
      return;  // post-overflow nodes: the alert line above says what came out
    }
    if (stage != stage_) {
      stage_ = std::string(stage);
      out_ << "  " << stage_ << "\n";
    }
    Snapshot after = snapshot(e);
    out_ << "    " << (success ? "ok  " : "--  ") << node << "\n";
    if (success) {
      writeChanges(before_, after, out_);
    }
    before_ = std::move(after);
  }

  agent::Agent& agent_;
  const Options& options_;
  std::ostream& out_;
  agent::ReplayInput input_;
  Event evt_;
  std::vector<event::Alert> alerts_;
  std::vector<std::string> scenarios_;
  std::string stage_;
  Snapshot before_;
  int count_ = 0;
};

} // namespace

Result<bool> explainFile(const Options& options, const std::string& file, std::ostream& out) {
  auto agent = agent::Agent::create(options.agent);
  if (!agent) {
    return agent.error();
  }
  Explainer explainer(**agent, options, out);
  auto read = acquisition::readFileLines(file, {}, [&](std::string_view line) {
    explainer.line(line, file);
  });
  if (!read) {
    return read.error();
  }
  return true;
}

Result<bool> explainLines(const Options& options, const std::vector<std::string>& lines,
                          std::ostream& out) {
  auto agent = agent::Agent::create(options.agent);
  if (!agent) {
    return agent.error();
  }
  Explainer explainer(**agent, options, out);
  for (const std::string& line : lines) {
    explainer.line(line, "explain");
  }
  return true;
}

} // namespace cw::core::explain
