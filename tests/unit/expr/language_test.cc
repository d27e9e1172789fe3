// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "test_util.h"

using cw::test::ExprRunner;

TEST_CASE("literals and arithmetic", "[expr]") {
  ExprRunner r;
  CHECK(r.show("1 + 2 * 3") == "7");
  CHECK(r.show("(1 + 2) * 3") == "9");
  CHECK(r.show("7 / 2") == "3.500000");
  CHECK(r.show("7 % 3") == "1");
  CHECK(r.show("2 ** 3") == "8.000000");
  CHECK(r.show("2 ^ 3 ^ 2") == "512.000000");
  CHECK(r.show("-2 ** 2") == "-4.000000");
  CHECK(r.show("0x1F + 1_000") == "1031");
  CHECK(r.show("1.5e2") == "150.000000");
  CHECK(r.show("'a' + \"b\" + `c\\n`") == "'abc\\n'");
  CHECK(r.show("\"tab\\there\\u00e9\"") == "'tab\there\xC3\xA9'");
  CHECK(r.show("[1, 'a', true, nil]") == "[1,\"a\",true,null]");
  CHECK(r.show("{a: 1, 'b c': 2}") == "{\"a\":1,\"b c\":2}");
  CHECK(r.show("1..4") == "[1,2,3,4]");
}

TEST_CASE("equality is numeric across int and float, kinds otherwise differ", "[expr]") {
  ExprRunner r;
  CHECK(r.show("1 == 1.0") == "true");
  CHECK(r.show("1 != 1.0") == "false");
  CHECK(r.show("'1' == 1") == "false");
  CHECK(r.show("nil == nil") == "true");
  CHECK(r.show("nil == ''") == "false");
  CHECK(r.show("[1, 2] == [1.0, 2]") == "true");
  CHECK(r.show("2 > 1.5 && 'b' > 'a' && 3 >= 3 && 2 <= 1 == false") == "true");
}

TEST_CASE("not binds tighter than comparisons", "[expr]") {
  ExprRunner r;
  CHECK(r.show("not true == false") == "true");   // (not true) == false
  CHECK(r.show("not (1 == 2)") == "true");
  CHECK(r.show("!false && true") == "true");
  CHECK(r.show("not 1 == 2").rfind("ERR:", 0) == 0);  // (not 1) is a type error
  CHECK(r.show("'a' not in ['b']") == "true");
  CHECK(r.show("'a' not in ['a']") == "false");
  CHECK(r.show("'abc' not contains 'd'") == "true");
  CHECK(r.show("'abc' not startsWith 'a'") == "false");
  CHECK(r.show("'abc' not endsWith 'c'") == "false");
  CHECK(r.show("'abc' not matches '^x'") == "true");
}

TEST_CASE("logical operators short-circuit and need bools", "[expr]") {
  ExprRunner r;
  CHECK(r.show("false && (1 / 0 > 1 || nil.x)") == "false");
  CHECK(r.show("true or nil.x") == "true");
  CHECK(r.show("true and false or true") == "true");
  CHECK(r.show("1 and true") == "ERR:expected bool, got int");
}

TEST_CASE("string operators and matches use RE2 unanchored search", "[expr]") {
  ExprRunner r;
  CHECK(r.show("'foobar' contains 'oba'") == "true");
  CHECK(r.show("'foobar' startsWith 'foo' and 'foobar' endsWith 'bar'") == "true");
  CHECK(r.show("'Foobar' contains 'foo'") == "false");
  CHECK(r.show("'abc123' matches '[0-9]+'") == "true");
  CHECK(r.show("'abc' matches '^b'") == "false");
  CHECK(r.show("'x' matches '('").rfind("ERR:invalid regular expression", 0) == 0);
  r.event.meta.set("p", "/wp-login.php");
  CHECK(r.show("evt.Meta.p matches '\\\\.php$'") == "true");
  CHECK(r.show("evt.Meta.p matches evt.Meta.p") == "true");
}

TEST_CASE("missing keys: '' for string maps, nil for Unmarshaled", "[expr]") {
  ExprRunner r;
  r.event.meta.set("log_type", "http_access-log");
  r.event.parsed.set("program", "sshd");
  CHECK(r.show("evt.Meta.log_type") == "'http_access-log'");
  CHECK(r.show("evt.Meta.missing == ''") == "true");
  CHECK(r.show("evt.Parsed['program']") == "'sshd'");
  CHECK(r.show("evt.Parsed.program in ['sshd', 'sshd-session']") == "true");
  CHECK(r.show("evt.Enriched.x") == "''");
  CHECK(r.show("evt.Unmarshaled.x") == "nil");
  CHECK(r.show("evt.Unmarshaled.x.y") == "ERR:cannot fetch y from nil");
  CHECK(r.show("evt.Unmarshaled.x?.y") == "nil");
  CHECK(r.show("evt.Unmarshaled.x?.y ?? 'dflt'") == "'dflt'");
  CHECK(r.show("evt.Unmarshaled.x ?? 'dflt'") == "'dflt'");
  CHECK(r.show("'set' ?? 'dflt'") == "'set'");
  CHECK(r.show("'k' in evt.Meta") == "false");
  CHECK(r.show("'log_type' in evt.Meta") == "true");
  CHECK(r.show("len(evt.Meta)") == "1");
  CHECK(r.show("x.y") == "ERR:unknown name 'x' (line 1, column 1)");
}

TEST_CASE("index, negative index, slices on strings and arrays", "[expr]") {
  ExprRunner r;
  CHECK(r.show("[1, 2, 3][0]") == "1");
  CHECK(r.show("[1, 2, 3][-1]") == "3");
  CHECK(r.show("[1, 2, 3][3]") == "ERR:index out of range: 3 (array of length 3)");
  CHECK(r.show("'2026-01-02'[4:]") == "'-01-02'");
  CHECK(r.show("'2026-01-02'[:4]") == "'2026'");
  CHECK(r.show("'abc'[1:100]") == "'bc'");
  CHECK(r.show("'abc'[-2:]") == "'bc'");
  CHECK(r.show("[1, 2, 3, 4][1:3]") == "[2,3]");
  CHECK(r.show("[1, 2, 3][2:1]") == "[]");
  CHECK(r.show("'abc'[1]") == "'b'");
  r.event.meta.set("timestamp", "2026-02-12T10:00:00Z");
  CHECK(r.show("evt.Meta['timestamp'][4:]") == "'-02-12T10:00:00Z'");
  CHECK(r.show("upper('abcdef')[2:4]") == "'CD'");
}

TEST_CASE("ternary, let, if/else, pipes", "[expr]") {
  ExprRunner r;
  CHECK(r.show("1 > 2 ? 'a' : 'b'") == "'b'");
  CHECK(r.show("let x = 2; x * 3") == "6");
  CHECK(r.show("let x = 2; let y = x + 1; x * y") == "6");
  CHECK(r.show("if 1 > 2 { 'a' } else { 'b' }") == "'b'");
  CHECK(r.show("if true { 1 } else if false { 2 } else { 3 }") == "1");
  CHECK(r.show("'a,b' | split(',')") == "[\"a\",\"b\"]");
  CHECK(r.show("[3, 1, 2] | filter(# > 1) | map(# * 10)") == "[30,20]");
}

TEST_CASE("closures with # and .field", "[expr]") {
  ExprRunner r;
  CHECK(r.show("any([1, 2, 3], {# > 2})") == "true");
  CHECK(r.show("all([1, 2, 3], # > 0)") == "true");
  CHECK(r.show("none([1, 2, 3], {# > 3})") == "true");
  CHECK(r.show("one([1, 2, 3], {# > 2})") == "true");
  CHECK(r.show("filter([1, 2, 3, 4], {# % 2 == 0})") == "[2,4]");
  CHECK(r.show("map([1, 2], {# + 1})") == "[2,3]");
  CHECK(r.show("count([1, 2, 3], {# >= 2})") == "2");
  CHECK(r.show("find([1, 2, 3], {# > 1})") == "2");
  CHECK(r.show("findIndex([1, 2, 3], {# > 1})") == "1");
  CHECK(r.show("findLast([1, 2, 3], {# > 1})") == "3");
  CHECK(r.show("sum([1, 2, 3])") == "6");
  CHECK(r.show("map([{a: 1}, {a: 2}], {.a})") == "[1,2]");
  CHECK(r.show("filter([{a: 1}, {a: 2}], .a > 1)") == "[{\"a\":2}]");
  CHECK(r.show("any([[1, 2], [3]], {any(#, {# == 3})})") == "true");
  CHECK(r.show("map([5, 6], {#index})") == "[0,1]");
  CHECK(r.show("reduce([1, 2, 3], #acc + #, 10)") == "16");
  CHECK(r.show("sortBy([{n: 2}, {n: 1}], .n)") == "[{\"n\":1},{\"n\":2}]");
  CHECK(r.show("groupBy([1, 2, 3], # % 2)") == "{\"0\":[2],\"1\":[1,3]}");
  CHECK(r.show("# > 1").rfind("ERR:'#' used outside of a closure", 0) == 0);
}

TEST_CASE("builtins", "[expr]") {
  ExprRunner r;
  CHECK(r.show("len('abc') + len([1]) + len({a: 1})") == "5");
  CHECK(r.show("int('42') + int(2.9)") == "44");
  CHECK(r.show("int('x')") == "ERR:int(): invalid syntax: \"x\"");
  CHECK(r.show("float('1.5')") == "1.500000");
  CHECK(r.show("string(12)") == "'12'");
  CHECK(r.show("lower('AbC') + upper('x')") == "'abcX'");
  CHECK(r.show("trim('  a ')") == "'a'");
  CHECK(r.show("trimSuffix('file.log', '.log')") == "'file'");
  CHECK(r.show("trimPrefix('file.log', 'fi')") == "'le.log'");
  CHECK(r.show("hasSuffix('abc', 'bc') && hasPrefix('abc', 'ab')") == "true");
  CHECK(r.show("startsWith('abc', 'b')") == "false");
  CHECK(r.show("lastIndexOf('a/b/c', '/')") == "3");
  CHECK(r.show("indexOf('abc', 'x')") == "-1");
  CHECK(r.show("split('a,b,,c', ',')") == "[\"a\",\"b\",\"\",\"c\"]");
  CHECK(r.show("split('abc', '')") == "[\"a\",\"b\",\"c\"]");
  CHECK(r.show("splitAfter('a,b', ',')") == "[\"a,\",\"b\"]");
  CHECK(r.show("replace('aaa', 'a', 'b')") == "'bbb'");
  CHECK(r.show("repeat('ab', 3)") == "'ababab'");
  CHECK(r.show("abs(-3) + max(1, 5, 2) + min([4, 2])") == "10");
  CHECK(r.show("mean([1, 2, 3, 4])") == "2.500000");
  CHECK(r.show("median([3, 1, 2])") == "2.000000");
  CHECK(r.show("ceil(1.2) + floor(1.8) + round(1.5)") == "5.000000");
  CHECK(r.show("toJSON({a: [1, 'x']})") == "'{\n  \"a\": [\n    1,\n    \"x\"\n  ]\n}'");
  CHECK(r.show("fromJSON('{\"a\": {\"b\": 2}}').a.b") == "2.000000");
  CHECK(r.show("fromJSON('{\"a\": {\"b\": 2}}').a.b == 2") == "true");
  CHECK(r.show("toBase64('hello') + ' ' + fromBase64('aGVsbG8=')") == "'aGVsbG8= hello'");
  CHECK(r.show("duration('1m') > duration('30s')") == "true");
  CHECK(r.show("duration('1h30m')") == "1h30m0s");
  CHECK(r.show("first([1, 2]) + last([1, 2])") == "3");
  CHECK(r.show("keys({b: 1, a: 2})") == "[\"a\",\"b\"]");
  CHECK(r.show("values({b: 1, a: 2})") == "[2,1]");
  CHECK(r.show("concat([1], [2, 3])") == "[1,2,3]");
  CHECK(r.show("flatten([1, [2, [3]]])") == "[1,2,3]");
  CHECK(r.show("uniq([1, 2, 1])") == "[1,2]");
  CHECK(r.show("sort([3, 1, 2])") == "[1,2,3]");
  CHECK(r.show("sort([3, 1, 2], 'desc')") == "[3,2,1]");
  CHECK(r.show("type(1) + type('a') + type(nil)") == "'intstringnil'");
  CHECK(r.show("get([1, 2], 5)") == "nil");
  CHECK(r.show("get({a: 1}, 'a')") == "1");
}

TEST_CASE("event bindings", "[expr]") {
  ExprRunner r;
  auto& e = r.event;
  e.line.raw = "raw line";
  e.line.src = "/var/log/auth.log";
  e.line.module = "file";
  e.line.labels.set("type", "syslog");
  e.str_time = "Feb 12 10:00:00";
  e.time = cw::core::TimePoint::fromUnixNanos(1770890400LL *
                                              cw::core::kSecond);  // Thu 2026-02-12 10:00 UTC
  CHECK(r.show("evt.Line.Raw + '|' + evt.Line.Src + '|' + evt.Line.Module") ==
        "'raw line|/var/log/auth.log|file'");
  CHECK(r.show("evt.Line.Labels.type") == "'syslog'");
  CHECK(r.show("evt.StrTime") == "'Feb 12 10:00:00'");
  CHECK(r.show("evt.Time.Hour()") == "10");
  CHECK(r.show("evt.Time.Weekday().String()") == "'Thursday'");
  CHECK(r.show("evt.Time.Month().String() + ' ' + string(evt.Time.Year())") == "'February 2026'");
  CHECK(r.show("evt.GetType()") == "'log'");
  CHECK(r.show("evt.SetMeta('k', 'v') && evt.Meta.k == 'v'") == "true");
  CHECK(r.show("evt.GetMeta('k')") == "'v'");
  CHECK(r.show("evt.Type") == "0");
  CHECK(r.show("evt.Whitelisted") == "false");
  CHECK(r.show("evt.Nope") == "ERR:type Event has no field Nope");
  CHECK(r.show("evt.Nope()") == "ERR:type Event has no method Nope (line 1, column 4)");
  // Overflow side.
  e.type = cw::core::event::EventType::Overflow;
  cw::core::event::Alert a;
  a.scenario = "crowdsecurity/ssh-bf";
  a.events_count = 6;
  a.source.scope = "Ip";
  a.source.value = "1.2.3.4";
  a.source.ip = "1.2.3.4";
  a.events.push_back({"2026-02-12T10:00:00Z", {{"service", "ssh"}, {"user", "root"}}});
  e.overflow.api_alerts.push_back(a);
  e.overflow.sources["1.2.3.4"] = a.source;
  CHECK(r.show("evt.Overflow.Alert.Source.IP") == "'1.2.3.4'");
  CHECK(
      r.show(
          "evt.Overflow.Alert.GetScenario() + ' ' + string(evt.Overflow.Alert.GetEventsCount())") ==
      "'crowdsecurity/ssh-bf 6'");
  CHECK(r.show("'1.2.3.4' in evt.Overflow.GetSources()") == "true");
  CHECK(r.show("evt.Overflow.Sources['1.2.3.4'].GetScope()") == "'Ip'");
  CHECK(r.show("evt.Overflow.Alert.Events[0].GetMeta('user')") == "'root'");
  CHECK(r.show("evt.GetMeta('service')") == "'ssh'");
  CHECK(r.show("evt.GetType() == 'overflow'") == "true");
}

TEST_CASE("compile errors carry line and column", "[expr]") {
  ExprRunner r;
  CHECK(r.show("foo(1)") == "ERR:unknown name 'foo' (line 1, column 1)");
  CHECK(r.show("1 +\n  bar") == "ERR:unknown name 'bar' (line 2, column 3)");
  CHECK(r.show("1 +") == "ERR:unexpected end of expression (line 1, column 4)");
  CHECK(r.show("(1") == "ERR:expected ')' but found 'end of expression' (line 1, column 3)");
  CHECK(r.show("'abc") == "ERR:unterminated string literal (line 1, column 1)");
  CHECK(r.show("1 @ 2") == "ERR:unexpected character '@' (line 1, column 3)");
  CHECK(r.show("len()") == "ERR:wrong number of arguments for len(): 0 (line 1, column 1)");
  CHECK(r.show("any([1])") == "ERR:missing predicate for any() (line 1, column 8)");
}

TEST_CASE("deep nesting is rejected, not a stack overflow", "[expr]") {
  ExprRunner r;
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  CHECK(r.show(deep).rfind("ERR:expression nested too deeply", 0) == 0);
  std::string nots;
  for (int i = 0; i < 3000; ++i) {
    nots += "not ";
  }
  CHECK(r.show(nots + "true").rfind("ERR:expression nested too deeply", 0) == 0);
  std::string chain = "1";
  for (int i = 0; i < 10000; ++i) {
    chain += " + 1";
  }
  CHECK(r.show(chain).rfind("ERR:expression nested too deeply", 0) == 0);
  std::string arr(3000, '[');
  CHECK(r.show(arr).rfind("ERR:", 0) == 0);
}

TEST_CASE("runtime errors are errors, not exceptions", "[expr]") {
  ExprRunner r;
  CHECK(r.show("[1][5]") == "ERR:index out of range: 5 (array of length 1)");
  CHECK(r.show("'a' + 1") == "ERR:invalid operation: string + int");
  CHECK(r.show("1 % 0") == "ERR:integer divide by zero");
  CHECK(r.show("nil.x") == "ERR:cannot fetch x from nil");
  CHECK(r.show("1 < 'a'") == "ERR:invalid operation: int < string");
  CHECK(r.show("x in 5").rfind("ERR:unknown name", 0) == 0);
  CHECK(r.show("1 in 5") == "ERR:invalid operation: in int");
  CHECK(r.show("1 in nil") == "false");
}

TEST_CASE("calls that do not depend on the closure element give the same results cached",
          "[expr]") {
  ExprRunner r;
  auto& e = r.event;
  e.parsed.set("args", "q=<script>alert(1)</script>");
  // Invariant call on the left, element-dependent call on the right.
  CHECK(r.show("any(['x', 'SCRIPT>', 'y'], {Upper(evt.Parsed.args) contains Upper(#)})") ==
        "true");
  CHECK(r.show("any(['x', 'y'], {Upper(evt.Parsed.args) contains Upper(#)})") == "false");
  CHECK(r.show("count(['Q=', 'q=', 'ALERT'], {Upper(evt.Parsed.args) startsWith #})") == "1");
  CHECK(r.show("map([1, 2], {len(evt.Parsed.args) + #})") == "[28,29]");
  // Nested closures: the inner call depends on the outer element, so it follows it.
  CHECK(
      r.show(
          "map(['a', 'b'], {let u = #; map([1, 2], {Upper(u) + Lower(evt.Parsed.args[0:1])})})") ==
      "[[\"Aq\",\"Aq\"],[\"Bq\",\"Bq\"]]");
  CHECK(
      r.show("map(['a', 'b'], {let u = Upper(#); map([1], {u + Upper(evt.Parsed.args[0:2])})})") ==
      "[[\"AQ=\"],[\"BQ=\"]]");
  // The same program run twice on different events sees each event's value.
  auto env = cw::core::expr::Environment::forEvent(r.services);
  auto p = cw::core::expr::Program::compile("any(['A', 'B'], {Upper(evt.Meta.m) == #})", env);
  REQUIRE(p.ok());
  for (const auto& [meta, want] : {std::pair{"a", true}, {"c", false}, {"b", true}}) {
    cw::core::event::Event ev;
    ev.meta.set("m", meta);
    cw::core::Value v = cw::core::expr::eventValue(ev);
    auto got = p->runBool(std::span<const cw::core::Value>(&v, 1));
    REQUIRE(got.ok());
    CHECK(*got == want);
  }
  // An error in the invariant call stops the predicate at the first element, as before.
  CHECK(r.show("any([1, 2], {Upper(evt.Parsed.args + 1) == 'x'})").rfind("ERR:", 0) == 0);
  // An empty array never evaluates the call.
  CHECK(r.show("any([], {Upper(1) == 'x'})") == "false");
}

TEST_CASE("a closure body with an effect re-evaluates its calls for every element", "[expr]") {
  ExprRunner r;
  // SetMeta changes what Upper(evt.Meta.k) reads from one element to the next.
  CHECK(r.show("map(['a', 'b'], {evt.SetMeta('k', #) && Upper(evt.Meta.k) == Upper(#)})") ==
        "[true,true]");
  // k is 'b' from the line above when this starts; a cached Upper would give "Btrue" twice.
  CHECK(r.show("map(['a', 'b'], {Upper(evt.Meta.k) + string(evt.SetMeta('k', #))})") ==
        "[\"Btrue\",\"Atrue\"]");
}
