// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"

// The `format` of a notification file: a small subset of Go's text/template, applied to the
// list of alerts of one batch (each alert the Local API's JSON object). What CrowdSec's own
// notification files use is covered; anything else is refused when the file is read, naming
// the construct, so that a template is never rendered differently from what its author meant.
//
// Supported:
//   text between actions, `{{- ` and ` -}}` (trim the white space before / after)
//   {{.}} {{.Field}} {{.Field.Sub}}   a value; `.` is the alert list, or the element in a range
//   {{X | toJson}} {{toJson X}}        X as JSON (the list: a JSON array of the alerts)
//   {{len X}} {{X | len}}              the number of alerts, or of an alert's decisions
//   {{range X}}...{{end}}              over the alert list or an alert's `.Decisions`
// Fields (Go name -> JSON key of the alert model): an alert's Scenario, ScenarioHash,
// ScenarioVersion, Message, EventsCount, StartAt, StopAt, Capacity, Leakspeed, Simulated,
// Remediation, Source, Decisions; a source's Scope, Value, IP, Range, AsName, AsNumber, Cn; a
// decision's Origin, Type, Scope, Value, Duration, Scenario, Until, Simulated. A field the
// alert does not carry prints as nothing.
namespace cw::core::notifications {

/// The format CrowdSec's notification files use by default: the JSON array of the alerts.
inline constexpr std::string_view kDefaultFormat = "{{.|toJson}}";

/// A parsed `format`. Immutable once parsed; render() may be called from one thread at a time.
class Template {
 public:
  /// Parses `text`; the error names the first unsupported construct (or syntax problem).
  static Result<Template> parse(std::string_view text);
  /// The default format, `{{.|toJson}}`.
  static Template defaultFormat();

  Template();
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  /// Renders the template for `alerts` (JSON objects) into `out` (cleared first, its capacity
  /// reused). The alerts are parsed only when the template reads their fields.
  Result<bool> render(const std::vector<std::string>& alerts, std::string& out) const;

  /// True when rendering needs the alerts' fields (not only their JSON text).
  bool readsFields() const;

  struct Node;

 private:
  std::vector<Node> nodes_;
  bool reads_fields_ = false;
};

}  // namespace cw::core::notifications
