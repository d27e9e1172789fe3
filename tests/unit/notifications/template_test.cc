// SPDX-License-Identifier: Apache-2.0
// The `format` of notification files: the subset of Go's text/template CrowdSec users write,
// rendered to exact strings, and every construct outside it refused with its name.
#include "cw/core/notifications/template.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace n = cw::core::notifications;

namespace {

const std::string kBan =
    R"({"scenario":"crowdsecurity/ssh-bf","message":"Ip 192.0.2.7 performed ssh-bf",)"
    R"("events_count":6,"simulated":false,"remediation":true,)"
    R"("source":{"scope":"Ip","value":"192.0.2.7","ip":"192.0.2.7","cn":"FR"},)"
    R"("decisions":[{"origin":"crowdsec","type":"ban","scope":"Ip","value":"192.0.2.7",)"
    R"("duration":"4h0m0s","until":"2026-01-02T07:04:05Z"},{"origin":"crowdsec",)"
    R"("type":"captcha","scope":"Ip","value":"192.0.2.7","duration":"1h0m0s"}]})";
const std::string kRange =
    R"({"scenario":"me/range-scan","events_count":2,"simulated":true,)"
    R"("source":{"scope":"Range","value":"198.51.100.0/24","range":"198.51.100.0/24"}})";

std::string render(const std::string& format, const std::vector<std::string>& alerts) {
  auto t = n::Template::parse(format);
  REQUIRE(t);
  std::string out = "stale";
  auto ok = t->render(alerts, out);
  REQUIRE(ok);
  return out;
}

std::string refusal(const std::string& format) {
  auto t = n::Template::parse(format);
  REQUIRE_FALSE(t);
  return t.error().message;
}

const std::string kSupported =
    " (supported: text, {{.}}, {{.Field}}, {{X | toJson}}, {{toJson X}}, {{len X}}, "
    "{{range X}}...{{end}}, {{- and -}})";

}  // namespace

TEST_CASE("toJson of the list is the JSON array of the alerts, in every spelling",
          "[notifications]") {
  const std::string both = "[" + kBan + "," + kRange + "]";
  CHECK(render("{{.|toJson}}", {kBan, kRange}) == both);
  CHECK(render("{{ . | toJson }}", {kBan, kRange}) == both);
  CHECK(render("{{toJson .}}", {kBan, kRange}) == both);
  CHECK(render("{{.|toJson}}\n", {kBan}) == "[" + kBan + "]\n");  // a YAML `|` block keeps it
  CHECK(render("{{.|toJson}}", {}) == "[]");
  CHECK(n::Template::defaultFormat().readsFields() == false);
  std::string out;
  REQUIRE(n::Template::defaultFormat().render({kRange}, out));
  CHECK(out == "[" + kRange + "]");
}

TEST_CASE("range, fields and len render the alerts' values", "[notifications]") {
  CHECK(render("{{len .}} alerts:{{range .}} {{.Scenario}} from {{.Source.Value}} "
               "({{.Source.Scope}}, ip={{.Source.IP}}) decisions={{len .Decisions}} "
               "events={{.EventsCount}} simulated={{.Simulated}};{{end}}",
               {kBan, kRange}) ==
        "2 alerts: crowdsecurity/ssh-bf from 192.0.2.7 (Ip, ip=192.0.2.7) decisions=2 events=6 "
        "simulated=false; me/range-scan from 198.51.100.0/24 (Range, ip=) decisions=0 events=2 "
        "simulated=true;");
  CHECK(render("{{range .}}{{range .Decisions}}{{.Type}} {{.Value}} for {{.Duration}}|{{end}}"
               "{{end}}",
               {kBan, kRange}) == "ban 192.0.2.7 for 4h0m0s|captcha 192.0.2.7 for 1h0m0s|");
  CHECK(render("{{range .}}{{.Source | toJson}} {{toJson .Decisions}}\n{{end}}", {kRange, kBan}) ==
        R"({"scope":"Range","value":"198.51.100.0/24","range":"198.51.100.0/24"} null)"
        "\n"
        R"({"scope":"Ip","value":"192.0.2.7","ip":"192.0.2.7","cn":"FR"} )"
        R"([{"origin":"crowdsec","type":"ban","scope":"Ip","value":"192.0.2.7",)"
        R"("duration":"4h0m0s","until":"2026-01-02T07:04:05Z"},{"origin":"crowdsec",)"
        R"("type":"captcha","scope":"Ip","value":"192.0.2.7","duration":"1h0m0s"}])"
        "\n");
  CHECK(render("{{range .}}{{.|toJson}};{{end}}", {kRange, kRange}) == kRange + ";" + kRange + ";");
  CHECK(render("{{ range . }}{{ .Decisions | len }}{{ end }}", {kBan, kRange}) == "20");
}

TEST_CASE("{{- and -}} trim the white space beside an action", "[notifications]") {
  CHECK(render("Alerts:\n{{range . -}}\n  - {{.Source.Value}}\n{{- end}}\ndone", {kBan, kRange}) ==
        "Alerts:\n- 192.0.2.7- 198.51.100.0/24\ndone");
  CHECK(render("a  {{- len . -}}  b", {kBan}) == "a1b");
  // Without the space, `-` is not a trim marker: Go reads {{-1}} as a number.
  CHECK(refusal("{{-1}}") ==
        "unsupported template construct '{{-1}}': '-1' is not supported" + kSupported);
}

TEST_CASE("a construct outside the subset is refused with its name", "[notifications]") {
  CHECK(refusal("{{if .}}x{{end}}") ==
        "unsupported template construct '{{if .}}': 'if' is not supported" + kSupported);
  CHECK(refusal("{{range .}}{{with .Source}}{{.IP}}{{end}}{{end}}") ==
        "unsupported template construct '{{with .Source}}': 'with' is not supported" + kSupported);
  CHECK(refusal("{{printf \"%s\" .}}") ==
        "unsupported template construct '{{printf \"%s\" .}}': function 'printf' is not "
        "supported" +
            kSupported);
  CHECK(refusal("{{range .}}{{.Scenario | upper}}{{end}}") ==
        "unsupported template construct '{{.Scenario | upper}}': function 'upper' is not "
        "supported" +
            kSupported);
  CHECK(refusal("{{range $i, $a := .}}{{end}}") ==
        "unsupported template construct '{{range $i, $a := .}}': '$i,' is not supported" +
            kSupported);
  CHECK(refusal("{{/* note */}}") ==
        "unsupported template construct '{{/* note */}}': comments are not supported" + kSupported);
  CHECK(refusal("{{.Scenario}}") ==
        "unsupported template construct '{{.Scenario}}': field 'Scenario' of the alert list is "
        "not supported; the list's alerts are reached with {{range .}}" +
            kSupported);
  CHECK(refusal("{{range .}}{{.Source.Country}}{{end}}") ==
        "unsupported template construct '{{.Source.Country}}': field 'Country' of a source "
        "(.Source) is not supported (known: Scope, Value, IP, Range, AsName, AsNumber, Cn)" +
            kSupported);
  CHECK(refusal("{{.}}") ==
        "unsupported template construct '{{.}}': printing the alert list as a Go value (use '| "
        "toJson')" +
            kSupported);
  CHECK(refusal("{{range .}}{{range .Source}}{{end}}{{end}}") ==
        "unsupported template construct '{{range .Source}}': range of a source (a list is "
        "needed)" +
            kSupported);
  CHECK(refusal("{{range .}}{{.Scenario}}") ==
        "unsupported template construct '{{range .}}': 'range' without 'end'" + kSupported);
  CHECK(refusal("x{{end}}") ==
        "unsupported template construct '{{end}}': 'end' without 'range'" + kSupported);
  CHECK(refusal("{{ }}") == "unsupported template construct '{{ }}': an empty action" + kSupported);
  CHECK(refusal("{{.|toJson") == "unclosed action '{{.|toJson' (no '}}')");
}
