// SPDX-License-Identifier: Apache-2.0
// The subset of Go's text/template that notification files use (see template.h). Types are
// checked when the template is parsed, so rendering only walks JSON.
#include "cw/core/notifications/template.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <optional>
#include <span>
#include <utility>

namespace cw::core::notifications {
namespace {

/// What `.` or a field is, statically.
enum class Kind { AlertList, Alert, Source, Decision, DecisionList, String, Int, Bool };

struct Field {
  std::string_view go;
  const char* json;
  Kind kind;
};

constexpr std::array kAlertFields{
    Field{"Scenario", "scenario", Kind::String},
    Field{"ScenarioHash", "scenario_hash", Kind::String},
    Field{"ScenarioVersion", "scenario_version", Kind::String},
    Field{"Message", "message", Kind::String},
    Field{"EventsCount", "events_count", Kind::Int},
    Field{"StartAt", "start_at", Kind::String},
    Field{"StopAt", "stop_at", Kind::String},
    Field{"Capacity", "capacity", Kind::Int},
    Field{"Leakspeed", "leakspeed", Kind::String},
    Field{"Simulated", "simulated", Kind::Bool},
    Field{"Remediation", "remediation", Kind::Bool},
    Field{"Source", "source", Kind::Source},
    Field{"Decisions", "decisions", Kind::DecisionList},
};
constexpr std::array kSourceFields{
    Field{"Scope", "scope", Kind::String},    Field{"Value", "value", Kind::String},
    Field{"IP", "ip", Kind::String},          Field{"Range", "range", Kind::String},
    Field{"AsName", "as_name", Kind::String}, Field{"AsNumber", "as_number", Kind::String},
    Field{"Cn", "cn", Kind::String},
};
constexpr std::array kDecisionFields{
    Field{"Origin", "origin", Kind::String},     Field{"Type", "type", Kind::String},
    Field{"Scope", "scope", Kind::String},       Field{"Value", "value", Kind::String},
    Field{"Duration", "duration", Kind::String}, Field{"Scenario", "scenario", Kind::String},
    Field{"Until", "until", Kind::String},       Field{"Simulated", "simulated", Kind::Bool},
};

std::span<const Field> fieldsOf(Kind k) {
  switch (k) {
    case Kind::Alert:
      return kAlertFields;
    case Kind::Source:
      return kSourceFields;
    case Kind::Decision:
      return kDecisionFields;
    default:
      return {};
  }
}

const char* kindName(Kind k) {
  switch (k) {
    case Kind::AlertList:
      return "the alert list";
    case Kind::Alert:
      return "an alert";
    case Kind::Source:
      return "a source";
    case Kind::Decision:
      return "a decision";
    case Kind::DecisionList:
      return "a decision list";
    default:
      return "a value";
  }
}

constexpr std::string_view kSupported =
    "supported: text, {{.}}, {{.Field}}, {{X | toJson}}, {{toJson X}}, {{len X}}, "
    "{{range X}}...{{end}}, {{- and -}}";

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

/// One piece of a template.
struct Template::Node {
  enum class Op { Text, Value, Json, Len, Range };
  Op op = Op::Text;
  std::string text;                  // Text
  std::vector<const char*> keys;     // JSON keys from `.` (Value, Json, Len, Range)
  Kind kind = Kind::AlertList;       // what the keys lead to
  std::vector<Template::Node> body;  // Range
};

namespace {

using Node = Template::Node;

/// Where `.` is while rendering: the alert list (value null), or a JSON value; `raw` is the
/// alert's own text when `.` is an alert of the list.
struct Dot {
  Kind kind;
  const rapidjson::Value* value;
  const std::string* raw;
};

struct Parser {
  std::string_view text;
  std::vector<Node> top;

  Error fail(std::string_view action, const std::string& why) const {
    return makeError(ErrorCode::Config, "unsupported template construct '" + std::string(action) +
                                            "': " + why + " (" + std::string(kSupported) + ")");
  }

  // A path: `.` or `.A.B`, typed from `dot`.
  std::optional<std::string> path(std::string_view token, Kind dot, Node& node) const {
    node.kind = dot;
    if (token == ".") {
      return std::nullopt;
    }
    std::string_view rest = token.substr(1);
    std::string walked;
    while (!rest.empty()) {
      const std::size_t next = rest.find('.');
      const std::string_view name = rest.substr(0, next);
      const auto fields = fieldsOf(node.kind);
      const Field* found = nullptr;
      for (const Field& f : fields) {
        if (f.go == name) {
          found = &f;
        }
      }
      if (found == nullptr) {
        std::string known;
        for (const Field& f : fields) {
          known += (known.empty() ? "" : ", ") + std::string(f.go);
        }
        std::string why = "field '" + std::string(name) + "' of " + kindName(node.kind) +
                          (walked.empty() ? "" : " (" + walked + ")") + " is not supported";
        if (node.kind == Kind::AlertList) {
          why += "; the list's alerts are reached with {{range .}}";
        } else if (!known.empty()) {
          why += " (known: " + known + ")";
        }
        return why;
      }
      walked += "." + std::string(name);
      node.keys.push_back(found->json);
      node.kind = found->kind;
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    }
    return std::nullopt;
  }

  Result<bool> parse() {
    std::vector<std::pair<std::vector<Node>*, Kind>> stack{{&top, Kind::AlertList}};
    std::vector<std::string_view> opened;
    bool trim_next = false;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      const std::size_t open = text.find("{{", pos);
      std::string_view lit =
          text.substr(pos, open == std::string_view::npos ? text.npos : open - pos);
      if (trim_next) {
        while (!lit.empty() && isSpace(lit.front())) {
          lit.remove_prefix(1);
        }
      }
      std::string_view inner;
      std::string_view action;
      if (open != std::string_view::npos) {
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
          return makeError(
              ErrorCode::Config,
              "unclosed action '" + std::string(text.substr(open, 40)) + "' (no '}}')");
        }
        action = text.substr(open, close + 2 - open);
        inner = text.substr(open + 2, close - open - 2);
        pos = close + 2;
        if (inner.size() >= 2 && inner[0] == '-' && isSpace(inner[1])) {
          while (!lit.empty() && isSpace(lit.back())) {
            lit.remove_suffix(1);
          }
          inner.remove_prefix(1);
        }
        trim_next = inner.size() >= 2 && inner.back() == '-' && isSpace(inner[inner.size() - 2]);
        if (trim_next) {
          inner.remove_suffix(1);
        }
      } else {
        pos = text.size() + 1;
      }
      std::vector<Node>& out = *stack.back().first;
      if (!lit.empty()) {
        if (!out.empty() && out.back().op == Node::Op::Text) {
          out.back().text += lit;
        } else {
          out.push_back(Node{Node::Op::Text, std::string(lit), {}, Kind::String, {}});
        }
      }
      if (action.empty()) {
        break;
      }

      // Tokens: words separated by white space, '|' on its own.
      std::vector<std::string_view> tokens;
      for (std::size_t i = 0; i < inner.size();) {
        if (isSpace(inner[i])) {
          ++i;
          continue;
        }
        if (inner[i] == '|') {
          tokens.push_back(inner.substr(i, 1));
          ++i;
          continue;
        }
        std::size_t j = i;
        while (j < inner.size() && !isSpace(inner[j]) && inner[j] != '|') {
          ++j;
        }
        tokens.push_back(inner.substr(i, j - i));
        i = j;
      }
      if (tokens.empty()) {
        return fail(action, "an empty action");
      }
      for (std::string_view t : tokens) {
        if (t.starts_with("/*")) {
          return fail(action, "comments are not supported");
        }
        if (t != "|" && t[0] != '.' && t != "range" && t != "end" && t != "len" && t != "toJson") {
          const bool word = (t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z');
          static constexpr std::array<std::string_view, 8> kKeywords{
              "if", "else", "with", "define", "template", "block", "break", "continue"};
          for (std::string_view k : kKeywords) {
            if (t == k) {
              return fail(action, "'" + std::string(t) + "' is not supported");
            }
          }
          return fail(action, word ? "function '" + std::string(t) + "' is not supported"
                                   : "'" + std::string(t) + "' is not supported");
        }
      }
      const Kind dot = stack.back().second;
      if (tokens[0] == "end") {
        if (tokens.size() != 1 || stack.size() == 1) {
          return fail(action, stack.size() == 1 ? "'end' without 'range'" : "'end' with arguments");
        }
        stack.pop_back();
        opened.pop_back();
        continue;
      }
      Node node;
      std::string_view target;
      if (tokens[0] == "range") {
        if (tokens.size() != 2 || tokens[1][0] != '.') {
          return fail(action, "range takes one field ({{range .}}, {{range .Decisions}})");
        }
        node.op = Node::Op::Range;
        target = tokens[1];
      } else if (tokens.size() == 1 && tokens[0][0] == '.') {
        node.op = Node::Op::Value;
        target = tokens[0];
      } else if (tokens.size() == 2 && (tokens[0] == "toJson" || tokens[0] == "len") &&
                 tokens[1][0] == '.') {
        node.op = tokens[0] == "toJson" ? Node::Op::Json : Node::Op::Len;
        target = tokens[1];
      } else if (tokens.size() == 3 && tokens[0][0] == '.' && tokens[1] == "|" &&
                 (tokens[2] == "toJson" || tokens[2] == "len")) {
        node.op = tokens[2] == "toJson" ? Node::Op::Json : Node::Op::Len;
        target = tokens[0];
      } else {
        return fail(action, "this pipeline is not supported");
      }
      if (auto why = path(target, dot, node)) {
        return fail(action, *why);
      }
      const bool list = node.kind == Kind::AlertList || node.kind == Kind::DecisionList;
      if ((node.op == Node::Op::Range || node.op == Node::Op::Len) && !list) {
        return fail(action, std::string(node.op == Node::Op::Range ? "range" : "len") + " of " +
                                kindName(node.kind) + " (a list is needed)");
      }
      if (node.op == Node::Op::Value && node.kind != Kind::String && node.kind != Kind::Int &&
          node.kind != Kind::Bool) {
        return fail(action, std::string("printing ") + kindName(node.kind) +
                                " as a Go value (use '| toJson')");
      }
      out.push_back(std::move(node));
      if (out.back().op == Node::Op::Range) {
        const Kind element = out.back().kind == Kind::AlertList ? Kind::Alert : Kind::Decision;
        stack.emplace_back(&out.back().body, element);
        opened.push_back(action);
      }
    }
    if (stack.size() > 1) {
      return fail(opened.back(), "'range' without 'end'");
    }
    return true;
  }
};

bool anyFields(const std::vector<Node>& nodes) {
  for (const Node& n : nodes) {
    if (!n.keys.empty() || anyFields(n.body)) {
      return true;
    }
  }
  return false;
}

const rapidjson::Value* walk(const Dot& dot, const std::vector<const char*>& keys) {
  const rapidjson::Value* v = dot.value;
  for (const char* k : keys) {
    if (v == nullptr || !v->IsObject()) {
      return nullptr;
    }
    const auto it = v->FindMember(k);
    v = it == v->MemberEnd() ? nullptr : &it->value;
  }
  return v;
}

void renderNodes(const std::vector<Node>& nodes, const Dot& dot,
                 const std::vector<std::string>& alerts,
                 const std::vector<rapidjson::Document>& docs, std::string& out) {
  for (const Node& n : nodes) {
    if (n.op == Node::Op::Text) {
      out += n.text;
      continue;
    }
    const bool at_list = n.kind == Kind::AlertList;  // only `.` at the top
    const rapidjson::Value* v = at_list ? nullptr : walk(dot, n.keys);
    switch (n.op) {
      case Node::Op::Value:
        if (v == nullptr) {
          break;
        }
        if (v->IsString()) {
          out.append(v->GetString(), v->GetStringLength());
        } else if (v->IsBool()) {
          out += v->GetBool() ? "true" : "false";
        } else if (v->IsInt64()) {
          out += std::to_string(v->GetInt64());
        }
        break;
      case Node::Op::Json:
        if (at_list) {
          out += '[';
          for (std::size_t i = 0; i < alerts.size(); ++i) {
            out.append(i == 0 ? "" : ",").append(alerts[i]);
          }
          out += ']';
        } else if (n.keys.empty() && dot.raw != nullptr) {
          out += *dot.raw;
        } else if (v == nullptr) {
          out += "null";
        } else {
          rapidjson::StringBuffer buffer;
          rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
          v->Accept(writer);
          out.append(buffer.GetString(), buffer.GetSize());
        }
        break;
      case Node::Op::Len:
        out += std::to_string(at_list ? alerts.size()
                                      : (v != nullptr && v->IsArray() ? v->Size() : 0));
        break;
      case Node::Op::Range:
        if (at_list) {
          for (std::size_t i = 0; i < alerts.size(); ++i) {
            const Dot element{Kind::Alert, docs.empty() ? nullptr : &docs[i], &alerts[i]};
            renderNodes(n.body, element, alerts, docs, out);
          }
        } else if (v != nullptr && v->IsArray()) {
          for (const rapidjson::Value& e : v->GetArray()) {
            renderNodes(n.body, Dot{Kind::Decision, &e, nullptr}, alerts, docs, out);
          }
        }
        break;
      case Node::Op::Text:
        break;
    }
  }
}

}  // namespace

Template::Template() = default;
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

Result<Template> Template::parse(std::string_view text) {
  Parser p{text, {}};
  if (auto ok = p.parse(); !ok) {
    return ok.error();
  }
  Template t;
  t.nodes_ = std::move(p.top);
  t.reads_fields_ = anyFields(t.nodes_);
  return t;
}

Template Template::defaultFormat() { return std::move(*parse(kDefaultFormat)); }

bool Template::readsFields() const { return reads_fields_; }

Result<bool> Template::render(const std::vector<std::string>& alerts, std::string& out) const {
  out.clear();
  std::vector<rapidjson::Document> docs;
  if (reads_fields_) {
    docs.resize(alerts.size());
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      docs[i].Parse(alerts[i].data(), alerts[i].size());
      if (docs[i].HasParseError() || !docs[i].IsObject()) {
        return makeError(ErrorCode::Invalid,
                         "alert " + std::to_string(i) + " is not a JSON object");
      }
    }
  }
  renderNodes(nodes_, Dot{Kind::AlertList, nullptr, nullptr}, alerts, docs, out);
  return true;
}

}  // namespace cw::core::notifications
