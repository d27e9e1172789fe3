// SPDX-License-Identifier: Apache-2.0
// Loading: strict decoding, skipped documents, validation, and error messages that name the
// file, the document, the node, the field and the line (parsers.md sections 2-3).
#include <catch2/catch.hpp>

#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

namespace {

/// Loads one file expected to fail and returns the error text.
std::string loadError(Fixture& f, const std::string& yaml, const std::string& file = "p.yaml") {
  auto r = f.load({f.write("s01-parse", file, yaml)});
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

} // namespace

TEST_CASE("an unknown key is a load error naming file, document, node, key and line",
          "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/ok
statics:
  - meta: a
    value: "1"
---
name: test/typo
filtre: "true"
statics:
  - meta: a
    value: "1"
)");
  const std::string file = (f.dir() / "s01-parse" / "p.yaml").string();
  CHECK_THAT(err, Catch::Contains(file +
                                  ": document 2, node 'test/typo': filtre: unknown key 'filtre', "
                                  "at line 7"));
  CHECK_THAT(err, Catch::StartsWith("1 error(s) loading parsers:"));
}

TEST_CASE("unknown keys inside grok, statics and whitelist are load errors", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/nested
grok:
  pattern: '%{WORD:w}'
  apply_on: Line.Raw
  aply_on: message
statics:
  - meta: a
    valeu: "1"
whitelist:
  reason: r
  ips: ["1.2.3.4"]
)");
  CHECK_THAT(err, Catch::Contains("node 'test/nested': grok.aply_on: unknown key 'aply_on', at "
                                  "line 5"));
  CHECK_THAT(err, Catch::Contains("statics[0].valeu: unknown key 'valeu', at line 8"));
  CHECK_THAT(err, Catch::Contains("whitelist.ips: unknown key 'ips', at line 11"));
  CHECK_THAT(err, Catch::StartsWith("3 error(s)"));
}

TEST_CASE("a duplicate key is a load error", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/dup
filter: "true"
filter: "false"
statics:
  - meta: a
    value: "1"
)");
  CHECK_THAT(err, Catch::Contains("document 1, node 'test/dup': filter: duplicate key 'filter', "
                                  "at line 3"));
}

TEST_CASE("a node without grok, children, statics or whitelist is empty", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/empty
filter: "true"
onsuccess: next_stage
stash:
  - name: s
    key: evt.Line.Raw
    value: evt.Line.Raw
    ttl: 1m
)");
  CHECK_THAT(err, Catch::Contains("node 'test/empty': node is empty"));
}

TEST_CASE("onsuccess must be next_stage or continue", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/onsuccess
onsuccess: next-stage
statics:
  - meta: a
    value: "1"
)");
  CHECK_THAT(err, Catch::Contains("node 'test/onsuccess': onsuccess: must be 'next_stage' or "
                                  "'continue', not 'next-stage', at line 2"));
}

TEST_CASE("an unknown grok pattern is a load error naming the pattern", "[parsers][load]") {
  Fixture f;
  const std::string inline_err = loadError(f, R"(name: test/inline
grok:
  pattern: '^%{NO_SUCH_PATTERN:x}$'
  apply_on: Line.Raw
)");
  CHECK_THAT(inline_err, Catch::Contains("node 'test/inline': grok.pattern: "));
  CHECK_THAT(inline_err, Catch::Contains("NO_SUCH_PATTERN"));

  const std::string named_err = loadError(f, R"(name: test/named
grok:
  name: NOT_DEFINED_EITHER
  apply_on: Line.Raw
)", "q.yaml");
  CHECK_THAT(named_err, Catch::Contains("node 'test/named': grok.name: unknown grok pattern "
                                        "'NOT_DEFINED_EITHER', at line 3"));
}

TEST_CASE("broken YAML is an error with the file and line", "[parsers][load]") {
  Fixture f;
  const std::string err =
      loadError(f, "name: test/broken\nstatics:\n  - meta: a\n    value: [1, 2\n");
  const std::string file = (f.dir() / "s01-parse" / "p.yaml").string();
  CHECK_THAT(err, Catch::Contains(file + ": invalid YAML at line "));
}

TEST_CASE("load errors of every file are collected together", "[parsers][load]") {
  Fixture f;
  auto a = f.write("s00-raw", "a.yaml", "name: test/a\nbogus: 1\nstatics: [{meta: a, value: x}]\n");
  auto b = f.write("s01-parse", "b.yaml", "name: test/b\nfilter: \"true\"\n");
  auto c = f.write("s01-parse", "c.yaml", R"(name: test/c
statics:
  - meta: a
    value: "1"
)");
  auto r = f.load({a, b, c});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith("2 error(s)"));
  CHECK_THAT(r.error().message, Catch::Contains("a.yaml: document 1, node 'test/a': bogus: "
                                                "unknown key 'bogus'"));
  CHECK_THAT(r.error().message, Catch::Contains("b.yaml: document 1, node 'test/b': node is "
                                                "empty"));
}

TEST_CASE("expression compile errors name the field", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/expr
filter: evt.Line.Raw ==
statics:
  - meta: a
    expression: nosuchname
)");
  CHECK_THAT(err, Catch::Contains("node 'test/expr': filter: "));
  CHECK_THAT(err, Catch::Contains("node 'test/expr': statics[0].expression: "));
  CHECK_THAT(err, Catch::StartsWith("2 error(s)"));
}

TEST_CASE("static validation: a target and a source, a method needs an input",
          "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/statics
statics:
  - meta: no_source
  - value: no_target
  - method: GeoIpCity
  - meta: empty_literal
    value: ""
)");
  CHECK_THAT(err, Catch::Contains("statics[0]: needs a value or an expression"));
  CHECK_THAT(err, Catch::Contains("statics[1]: needs a target"));
  CHECK_THAT(err, Catch::Contains("statics[2]: method 'GeoIpCity' needs a value or an "
                                  "expression"));
  // Upstream rejects an empty literal as "no source" too.
  CHECK_THAT(err, Catch::Contains("statics[3]: needs a value or an expression"));
}

TEST_CASE("errors inside children name the child", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/parent
nodes:
  - grok:
      pattern: '%{WORD:w}'
      apply_on: Line.Raw
    oops: 1
  - name: test/named-child
    statics:
      - meta: a
        value: "1"
    nope: 2
)");
  CHECK_THAT(err, Catch::Contains("node 'child-test/parent': oops: unknown key 'oops', at line 6"));
  CHECK_THAT(err, Catch::Contains("node 'test/named-child': nope: unknown key 'nope', at line 11"));
}

TEST_CASE("invalid whitelist addresses are load errors", "[parsers][load]") {
  Fixture f;
  const std::string err = loadError(f, R"(name: test/wl
whitelist:
  reason: bad
  ip: ["1.2.3.256"]
  cidr: ["10.0.0.0/33", "fe80::/129", "10.0.0.0"]
)");
  CHECK_THAT(err, Catch::Contains("whitelist.ip: invalid IP address '1.2.3.256'"));
  CHECK_THAT(err, Catch::Contains("whitelist.cidr: invalid CIDR '10.0.0.0/33'"));
  CHECK_THAT(err, Catch::Contains("whitelist.cidr: invalid CIDR 'fe80::/129'"));
  CHECK_THAT(err, Catch::Contains("whitelist.cidr: invalid CIDR '10.0.0.0'"));
}

TEST_CASE("documents without name, description and author are skipped", "[parsers][load]") {
  Fixture f;
  auto p = f.loadOne("s01-parse", R"(name: test/one
statics:
  - meta: a
    value: "1"
---
# only a comment, a trailing separator upstream allows
---
filter: "true"
statics:
  - meta: b
    value: "1"
---
)");
  CHECK(p.nodeCount() == 1);
  CHECK(p.nodeNames("s01-parse") == std::vector<std::string>{"test/one"});
}

TEST_CASE("documents with a format outside 1.0..3.0 are skipped", "[parsers][load]") {
  Fixture f;
  auto p = f.loadOne("s01-parse", R"(name: test/v1
format: 1.0
statics: [{meta: a, value: "1"}]
---
name: test/v3
format: 3.0
statics: [{meta: a, value: "1"}]
---
name: test/v4
format: 4.0
statics: [{meta: a, value: "1"}]
---
name: test/v0
format: 0.9
statics: [{meta: a, value: "1"}]
)");
  CHECK(p.nodeNames("s01-parse") == std::vector<std::string>{"test/v1", "test/v3"});
  CHECK(p.skippedDocuments() == 2);
}

TEST_CASE("stages are the sorted set of directories that have nodes, files load by path",
          "[parsers][load]") {
  Fixture f;
  auto c = f.write("s02-enrich", "z.yaml", "name: test/z\nstatics: [{meta: a, value: x}]\n");
  auto a = f.write("s00-raw", "b.yaml", "name: test/b\nstatics: [{meta: a, value: x}]\n");
  auto b = f.write("s00-raw", "a.yaml", "name: test/a\nstatics: [{meta: a, value: x}]\n");
  auto p = f.load({c, a, b});
  REQUIRE(p.ok());
  CHECK(p->stages() == std::vector<std::string>{"s00-raw", "s02-enrich"});
  CHECK(p->nodeNames("s00-raw") == std::vector<std::string>{"test/a", "test/b"});
  CHECK(p->nodeCount() == 3);
}

TEST_CASE("pattern_syntax keeps the first definition and is shared with later files",
          "[parsers][load]") {
  Fixture f;
  auto a = f.write("s00-raw", "a.yaml", R"(name: test/a
pattern_syntax:
  SHARED_PAT: 'first=%{INT:first}'
grok:
  name: SHARED_PAT
  apply_on: Line.Raw
)");
  auto b = f.write("s00-raw", "b.yaml", R"(name: test/b
pattern_syntax:
  SHARED_PAT: 'second=%{INT:second}'
grok:
  pattern: '%{SHARED_PAT}'
  apply_on: Line.Raw
)");
  auto p = f.load({a, b});
  REQUIRE(p.ok());
  auto e = logEvent("first=7");
  std::vector<Record> rec;
  Recorder r = recordInto(rec);
  CHECK(p->process(e, &r));
  CHECK(rec == std::vector<Record>{{"s00-raw", "test/a", true}, {"s00-raw", "test/b", true}});
  CHECK(e.parsed.get("first") == "7");
  CHECK_FALSE(e.parsed.contains("second"));
}

TEST_CASE("data files are registered and a missing one is a load error", "[parsers][load]") {
  Fixture f;
  {
    std::ofstream(f.dir() / "bad_words.txt") << "alpha\nbeta\n";
  }
  auto p = f.loadOne("s01-parse", R"(name: test/data
data:
  - source_url: https://example.invalid/bad_words.txt
    dest_file: bad_words.txt
    type: string
  - source_url: https://example.invalid/GeoLite2-City.mmdb
    dest_file: GeoLite2-City.mmdb
filter: evt.Line.Raw in File('bad_words.txt')
statics:
  - meta: bad
    value: "yes"
)");
  auto hit = logEvent("beta");
  CHECK(p.process(hit));
  CHECK(hit.meta.get("bad") == "yes");
  auto miss = logEvent("gamma");
  CHECK_FALSE(p.process(miss));

  const std::string err = loadError(f, R"(name: test/missing-data
data:
  - source_url: https://example.invalid/absent.txt
    dest_file: absent.txt
    type: string
statics:
  - meta: a
    value: "1"
)", "q.yaml");
  CHECK_THAT(err, Catch::Contains("node 'test/missing-data': data[0]: cannot open data file "));
  CHECK_THAT(err, Catch::Contains("absent.txt"));
}

} // namespace cw::core::parsers::testing
