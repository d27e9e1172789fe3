// SPDX-License-Identifier: Apache-2.0
// Node evaluation and the stage driver: parsers.md sections 4-6.
#include <catch2/catch.hpp>

#include <ostream>

#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

std::ostream& operator<<(std::ostream& os, const Record& r) {
  return os << "{" << r.stage << ", " << r.node << ", " << (r.success ? "ok" : "fail") << "}";
}

namespace {

const char* kRawNextStage = R"(
name: test/raw
onsuccess: next_stage
statics:
  - parsed: raw_seen
    value: "yes"
)";

} // namespace

TEST_CASE("a continue success in a non-final stage drops the event", "[parsers][stages]") {
  Fixture f;
  auto raw = f.write("s00-raw", "raw.yaml", R"(
name: test/raw-continue
statics:
  - parsed: raw_seen
    value: "yes"
)");
  auto parse = f.write("s01-parse", "parse.yaml", R"(
name: test/parse
statics:
  - meta: parsed
    value: "yes"
)");
  auto p = f.load({raw, parse});
  REQUIRE(p.ok());
  REQUIRE(p->stages() == std::vector<std::string>{"s00-raw", "s01-parse"});

  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto e = logEvent("hello");
  CHECK_FALSE(p->process(e, &r));
  CHECK_FALSE(e.process);
  CHECK(e.parsed.get("raw_seen") == "yes");
  CHECK_FALSE(e.meta.contains("parsed"));
  CHECK(rec == std::vector<Record>{{"s00-raw", "test/raw-continue", true}});
  CHECK(p->stats().events == 1);
  CHECK(p->stats().unparsed == 1);
  CHECK(p->stats().parsed == 0);
}

TEST_CASE("the last stage accepts a continue success", "[parsers][stages]") {
  Fixture f;
  auto raw = f.write("s00-raw", "raw.yaml", kRawNextStage);
  auto parse = f.write("s01-parse", "parse.yaml", R"(
name: test/parse
statics:
  - meta: parsed
    value: "yes"
)");
  auto p = f.load({parse, raw});
  REQUIRE(p.ok());

  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto e = logEvent("hello");
  CHECK(p->process(e, &r));
  CHECK(e.process);
  CHECK(e.stage == "s01-parse");
  CHECK(e.meta.get("parsed") == "yes");
  CHECK(rec ==
        std::vector<Record>{{"s00-raw", "test/raw", true}, {"s01-parse", "test/parse", true}});
  CHECK(p->stats().parsed == 1);
}

TEST_CASE("a stage where no node succeeds drops the event", "[parsers][stages]") {
  Fixture f;
  auto raw = f.write("s00-raw", "raw.yaml", kRawNextStage);
  auto parse = f.write("s01-parse", "parse.yaml", R"(
name: test/only-ssh
filter: evt.Parsed.program == 'sshd'
statics:
  - meta: service
    value: ssh
---
name: test/only-nginx
filter: evt.Parsed.program == 'nginx'
statics:
  - meta: service
    value: http
)");
  auto p = f.load({raw, parse});
  REQUIRE(p.ok());
  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto e = logEvent("hello");
  CHECK_FALSE(p->process(e, &r));
  CHECK(rec == std::vector<Record>{{"s00-raw", "test/raw", true},
                                   {"s01-parse", "test/only-ssh", false},
                                   {"s01-parse", "test/only-nginx", false}});
  CHECK(e.stage == "s01-parse");
}

TEST_CASE("nodes of a stage stop after a next_stage success and see earlier effects",
          "[parsers][stages]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/first
statics:
  - parsed: a
    value: "1"
---
name: test/second
filter: evt.Parsed.a == '1'
onsuccess: next_stage
statics:
  - parsed: b
    value: "2"
---
name: test/third
statics:
  - parsed: c
    value: "3"
)");
  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto e = logEvent("x");
  CHECK(p.process(e, &r));
  CHECK(rec == std::vector<Record>{{"s00-raw", "test/first", true},
                                   {"s00-raw", "test/second", true}});
  CHECK(e.parsed.get("b") == "2");
  CHECK_FALSE(e.parsed.contains("c"));
}

TEST_CASE("an event already in a later stage skips the earlier ones", "[parsers][stages]") {
  Fixture f;
  auto a = f.write("s00-enrich", "a.yaml", R"(
name: test/enrich
onsuccess: next_stage
statics:
  - meta: enriched
    value: "yes"
)");
  auto b = f.write("s01-whitelist", "b.yaml", R"(
name: test/wl
statics:
  - meta: wl
    value: "yes"
)");
  auto p = f.load({a, b});
  REQUIRE(p.ok());
  auto e = logEvent("x");
  e.stage = "s01-whitelist";
  CHECK(p->process(e));
  CHECK_FALSE(e.meta.contains("enriched"));
  CHECK(e.meta.get("wl") == "yes");
}

TEST_CASE("a grok-less continue parent takes the result of its last child",
          "[parsers][children]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/last-fails
nodes:
  - statics:
      - parsed: first
        value: ran
  - filter: "false"
    statics:
      - parsed: second
        value: ran
statics:
  - meta: parent
    value: ran
---
name: test/last-succeeds
nodes:
  - filter: "false"
    statics:
      - parsed: third
        value: ran
  - statics:
      - parsed: fourth
        value: ran
statics:
  - meta: parent2
    value: ran
)");
  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto e = logEvent("x");
  CHECK(p.process(e, &r));
  CHECK(rec == std::vector<Record>{{"s00-raw", "test/last-fails", false},
                                   {"s00-raw", "test/last-succeeds", true}});
  CHECK(e.parsed.get("first") == "ran");  // child statics stay even if the parent fails
  CHECK_FALSE(e.parsed.contains("second"));
  CHECK_FALSE(e.meta.contains("parent"));
  CHECK_FALSE(e.parsed.contains("third"));
  CHECK(e.parsed.get("fourth") == "ran");
  CHECK(e.meta.get("parent2") == "ran");
}

TEST_CASE("a next_stage parent stops at its first successful child", "[parsers][children]") {
  Fixture f;
  auto a = f.write("s00-raw", "a.yaml", R"(
name: test/parent
onsuccess: next_stage
nodes:
  - filter: "false"
    statics:
      - parsed: c1
        value: ran
  - statics:
      - parsed: c2
        value: ran
  - statics:
      - parsed: c3
        value: ran
)");
  auto b = f.write("s01-parse", "b.yaml", R"(
name: test/end
statics:
  - meta: end
    value: "yes"
)");
  auto p = f.load({a, b});
  REQUIRE(p.ok());
  auto e = logEvent("x");
  CHECK(p->process(e));
  CHECK_FALSE(e.parsed.contains("c1"));
  CHECK(e.parsed.get("c2") == "ran");
  CHECK_FALSE(e.parsed.contains("c3"));
  CHECK(e.meta.get("end") == "yes");
}

TEST_CASE("a matched parent grok survives failing children", "[parsers][children]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/grok-parent
grok:
  pattern: '^user %{WORD:user}$'
  apply_on: Line.Raw
nodes:
  - filter: evt.Parsed.user == 'root'
    statics:
      - meta: is_root
        value: "true"
statics:
  - meta: user
    expression: evt.Parsed.user
)");
  auto e = logEvent("user alice");
  CHECK(p.process(e));
  CHECK(e.meta.get("user") == "alice");
  CHECK_FALSE(e.meta.contains("is_root"));

  auto root = logEvent("user root");
  CHECK(p.process(root));
  CHECK(root.meta.get("is_root") == "true");
  CHECK(root.meta.get("user") == "root");
}

TEST_CASE("children run after a failed parent grok and can make the node succeed",
          "[parsers][children]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/fallback
grok:
  pattern: '^never %{WORD:w}$'
  apply_on: Line.Raw
nodes:
  - grok:
      pattern: '^hello %{WORD:who}$'
      apply_on: Line.Raw
statics:
  - meta: who
    expression: evt.Parsed.who
)");
  auto e = logEvent("hello bob");
  CHECK(p.process(e));
  CHECK(e.meta.get("who") == "bob");
  CHECK_FALSE(e.parsed.contains("w"));

  auto miss = logEvent("nothing here");
  CHECK_FALSE(p.process(miss));
}

TEST_CASE("unnamed children are called child-<parent> and a child next_stage moves the stage",
          "[parsers][children]") {
  Fixture f;
  auto a = f.write("s00-raw", "a.yaml", R"(
name: test/p
nodes:
  - onsuccess: next_stage
    statics:
      - parsed: moved
        value: "1"
)");
  auto b = f.write("s01-parse", "b.yaml", R"(
name: test/q
statics:
  - meta: stage_seen
    expression: evt.Stage
)");
  auto p = f.load({a, b});
  REQUIRE(p.ok());
  auto e = logEvent("x");
  CHECK(p->process(e));
  CHECK(e.meta.get("stage_seen") == "s01-parse");
}

TEST_CASE("grok exports nested field names and keeps empty captures", "[parsers][grok]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/nested
pattern_syntax:
  INNER_KV: '%{WORD:key}=%{INT:num}'
  OUTER_LINE: '%{WORD:opt}?-%{INNER_KV:kv}'
grok:
  pattern: '^%{OUTER_LINE}$'
  apply_on: Line.Raw
)");
  auto e = logEvent("-a=12");
  REQUIRE(p.process(e));
  CHECK(e.parsed.get("kv") == "a=12");
  CHECK(e.parsed.get("key") == "a");
  CHECK(e.parsed.get("num") == "12");
  REQUIRE(e.parsed.contains("opt"));
  CHECK(e.parsed.get("opt") == "");
  CHECK(e.parsed.size() == 4);
}

TEST_CASE("grok apply_on a missing Parsed key fails", "[parsers][grok]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/on-message
grok:
  pattern: '%{GREEDYDATA:copy}'
  apply_on: message
)");
  auto without = logEvent("text");
  CHECK_FALSE(p.process(without));
  CHECK_FALSE(without.parsed.contains("copy"));

  auto with = logEvent("text");
  with.parsed.set("message", "from parsed");
  CHECK(p.process(with));
  CHECK(with.parsed.get("copy") == "from parsed");
}

TEST_CASE("grok on a capture that overwrites its own source", "[parsers][grok]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/self
grok:
  pattern: '^%{WORD:program}: %{GREEDYDATA:message}$'
  apply_on: message
)");
  auto e = logEvent("x");
  e.parsed.set("message", "sshd: Accepted password for root from 10.0.0.1");
  REQUIRE(p.process(e));
  CHECK(e.parsed.get("program") == "sshd");
  CHECK(e.parsed.get("message") == "Accepted password for root from 10.0.0.1");
}

TEST_CASE("grok on an expression, with grok statics", "[parsers][grok]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/expr
grok:
  pattern: '^%{INT:n}$'
  expression: len(evt.Line.Raw) * 100
  statics:
    - meta: n_seen
      expression: evt.Parsed.n
)");
  auto e = logEvent("abc");
  REQUIRE(p.process(e));
  CHECK(e.parsed.get("n") == "300");
  CHECK(e.meta.get("n_seen") == "300");
}

TEST_CASE("a typed reference is literal text and a field-less pattern never succeeds",
          "[parsers][grok]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/typed
grok:
  pattern: '^%{WORD:w} %{INT:n:int}$'
  apply_on: Line.Raw
---
name: test/no-fields
grok:
  pattern: '^hello'
  apply_on: Line.Raw
)");
  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto number = logEvent("abc 12");
  CHECK_FALSE(p.process(number, &r));

  auto literal = logEvent("abc %{INT:n:int}");
  CHECK(p.process(literal));
  CHECK(literal.parsed.get("w") == "abc");
  CHECK_FALSE(literal.parsed.contains("n"));

  rec.clear();
  auto hello = logEvent("hello");
  CHECK_FALSE(p.process(hello, &r));
  CHECK(rec == std::vector<Record>{{"s00-raw", "test/typed", false},
                                   {"s00-raw", "test/no-fields", false}});
}

TEST_CASE("named grok patterns come from the library", "[parsers][grok]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/named
pattern_syntax:
  MY_LINE: 'id=%{INT:id}'
grok:
  name: MY_LINE
  apply_on: Line.Raw
)");
  auto e = logEvent("x id=42 y");
  REQUIRE(p.process(e));
  CHECK(e.parsed.get("id") == "42");
}

TEST_CASE("statics skip empty values and format numbers", "[parsers][statics]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/statics
statics:
  - meta: empty_value
    expression: "''"
  - meta: missing
    expression: evt.Parsed.nothing
  - meta: nil_value
    expression: evt.Unmarshaled.nothing
  - meta: int_value
    expression: 40 + 2
  - meta: float_value
    expression: 1.5
  - meta: division
    expression: 7 / 2
  - meta: list_value
    expression: "[1, 2]"
  - parsed: first
    value: one
  - meta: second
    expression: evt.Parsed.first + "-two"
)");
  auto e = logEvent("x");
  REQUIRE(p.process(e));
  CHECK_FALSE(e.meta.contains("empty_value"));
  CHECK_FALSE(e.meta.contains("missing"));
  CHECK_FALSE(e.meta.contains("nil_value"));
  CHECK_FALSE(e.meta.contains("list_value"));
  CHECK(e.meta.get("int_value") == "42");
  CHECK(e.meta.get("float_value") == "1.500000");
  CHECK(e.meta.get("division") == "3.500000");
  CHECK(e.meta.get("second") == "one-two");
}

TEST_CASE("static targets by path, with or without the evt. prefix", "[parsers][statics]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/targets
statics:
  - target: evt.StrTime
    value: "2021-09-29 14:11:34"
  - target: StrTimeFormat
    value: "2006-01-02 15:04:05"
  - target: evt.Meta.via_path
    value: m
  - target: Parsed.via_path
    value: p
  - target: evt.Enriched.via_path
    value: e
  - target: evt.Unmarshaled.via_path
    value: u
  - target: evt.Line.Module
    value: journalctl
  - target: MarshaledTime
    value: "2021-09-29T14:11:34Z"
  - target: evt.Meta.a.b
    value: first-map-takes-the-key
  - target: evt.NoSuchField
    value: ignored
  - enriched: direct
    value: d
)");
  auto e = logEvent("x");
  REQUIRE(p.process(e));
  CHECK(e.str_time == "2021-09-29 14:11:34");
  CHECK(e.str_time_format == "2006-01-02 15:04:05");
  CHECK(e.meta.get("via_path") == "m");
  CHECK(e.parsed.get("via_path") == "p");
  CHECK(e.enriched.get("via_path") == "e");
  REQUIRE(e.unmarshaled.count("via_path") == 1);
  CHECK(e.unmarshaled["via_path"].asString() == "u");
  CHECK(e.line.module == "journalctl");
  CHECK(e.marshaled_time == "2021-09-29T14:11:34Z");
  CHECK(e.meta.get("a") == "first-map-takes-the-key");
  CHECK(e.enriched.get("direct") == "d");
  CHECK(p.stats().bad_targets == 1);
}

TEST_CASE("a static returning a bool aborts the parse of the event", "[parsers][statics]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/bool-static
statics:
  - meta: before
    value: "yes"
  - meta: flag
    expression: 1 == 1
  - meta: after
    value: "yes"
)");
  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  auto e = logEvent("x");
  CHECK_FALSE(p.process(e, &r));
  CHECK_FALSE(e.process);
  CHECK(e.meta.get("before") == "yes");
  CHECK_FALSE(e.meta.contains("after"));
  CHECK(rec.empty());
  CHECK(p.stats().aborted == 1);
}

TEST_CASE("filter errors and non-bool filters fail the node", "[parsers][filter]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/non-bool
filter: evt.Line.Raw
statics:
  - meta: a
    value: "1"
---
name: test/runtime-error
filter: evt.Unmarshaled.missing.deeper == 'x'
statics:
  - meta: b
    value: "1"
)");
  auto e = logEvent("x");
  CHECK_FALSE(p.process(e));
  CHECK(e.meta.empty());
  CHECK(p.stats().filter_errors == 2);
}

TEST_CASE("a node sets evt.Time to now when unset and keeps a set time", "[parsers][time]") {
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/t
statics:
  - meta: a
    value: "1"
)");
  auto e = logEvent("x");
  REQUIRE(p.process(e));
  CHECK(e.time.unix_nanos == kFixedNowNanos);
  CHECK_FALSE(e.time.isZero());

  auto set = logEvent("x");
  set.time = TimePoint::fromUnixNanos(5);
  REQUIRE(p.process(set));
  CHECK(set.time.unix_nanos == 5);
}

} // namespace cw::core::parsers::testing
