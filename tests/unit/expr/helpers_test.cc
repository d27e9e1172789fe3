// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_util.h"

using cw::test::ExprRunner;
namespace fs = std::filesystem;

namespace {

fs::path writeTemp(const std::string& name, const std::string& content) {
  const fs::path p = fs::temp_directory_path() / ("cw_expr_test_" + name);
  std::ofstream(p) << content;
  return p;
}

}  // namespace

TEST_CASE("JsonExtract returns raw token text", "[expr][helpers]") {
  ExprRunner r;
  r.event.parsed.set("j",
                     R"({"a":{"b":"x\"y","n":12.50,"t":true,"arr":[1,{"c":"d"}],"o":{"k":1}}})");
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.b')") == "'x\\\"y'");  // quotes kept escaped
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.n')") == "'12.50'");
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.t')") == "'true'");
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.arr[1].c')") == "'d'");
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.arr.[0]')") == "'1'");
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.o')") == "'{\"k\":1}'");
  CHECK(r.show("JsonExtract(evt.Parsed.j, 'a.missing')") == "''");
  CHECK(r.show("JsonExtract('not json', 'a')") == "''");
  CHECK(r.show("JsonExtractUnescape(evt.Parsed.j, 'a', 'b')") == "'x\"y'");
  CHECK(r.show("JsonExtractSlice(evt.Parsed.j, 'a.arr')") == "[1,{\"c\":\"d\"}]");
  CHECK(r.show("JsonExtractSlice(evt.Parsed.j, 'a.o')") == "nil");
  CHECK(r.show("JsonExtractObject(evt.Parsed.j, 'a.o').k") == "1.000000");
}

TEST_CASE("UnmarshalJSON writes into the target map, errors on bad JSON", "[expr][helpers]") {
  ExprRunner r;
  r.event.parsed.set("message", R"({"user":{"name":"bob"},"n":3})");
  CHECK(r.show("UnmarshalJSON(evt.Parsed.message, evt.Unmarshaled, 'x') in ['', nil]") == "true");
  CHECK(r.show("evt.Unmarshaled.x.user.name") == "'bob'");
  CHECK(r.show("evt.Unmarshaled.x.n == 3") == "true");
  CHECK(r.show("evt.Unmarshaled.x.missing") == "nil");
  r.event.parsed.set("message", "{oops");
  CHECK(r.show("UnmarshalJSON(evt.Parsed.message, evt.Unmarshaled, 'y')")
            .rfind("ERR:UnmarshalJSON(): ", 0) == 0);
}

TEST_CASE("ParseKV and ParseKVLax", "[expr][helpers]") {
  ExprRunner r;
  r.event.line.raw = R"(type=USER_LOGIN msg="op=login acct=root" res=failed)";
  CHECK(r.show("ParseKV(evt.Line.Raw, evt.Unmarshaled, 'kv')") == "nil");
  CHECK(r.show("evt.Unmarshaled.kv") ==
        "{\"msg\":\"op=login acct=root\",\"res\":\"failed\",\"type\":\"USER_LOGIN\"}");
  CHECK(r.show("ParseKV('no pairs here', evt.Unmarshaled, 'z')") ==
        "ERR:ParseKV(): no key=value pair found");
  // A key logged without a value (iptables `OUT=`, grafana `uname=`) is kept as "".
  r.event.line.raw = "IN=eth0 OUT= MAC=aa:bb uname= x=\"\" last=";
  CHECK(r.show("ParseKV(evt.Line.Raw, evt.Unmarshaled, 'e')") == "nil");
  CHECK(r.show("evt.Unmarshaled.e") ==
        "{\"IN\":\"eth0\",\"MAC\":\"aa:bb\",\"OUT\":\"\",\"last\":\"\",\"uname\":\"\","
        "\"x\":\"\"}");
  CHECK(r.show("evt.Unmarshaled.e.OUT == ''") == "true");
  r.event.line.raw = R"(a=1 b=two words c="q \"x\" y" d.e-f=)";
  CHECK(r.show("ParseKVLax(evt.Line.Raw, evt.Unmarshaled, 'lax')") == "nil");
  CHECK(r.show("evt.Unmarshaled.lax") ==
        "{\"a\":\"1\",\"b\":\"two words\",\"c\":\"q \\\"x\\\" y\",\"d.e-f\":\"\"}");
}

TEST_CASE("Match globbing", "[expr][helpers]") {
  ExprRunner r;
  CHECK(r.show("Match('*.exe', 'C:\\\\x\\\\cmd.exe')") == "true");
  CHECK(r.show("Match('a?c', 'abc') && !Match('a?c', 'abbc')") == "true");
  CHECK(r.show("Match('abc', 'abcd')") == "false");
  CHECK(r.show("Match('*', '')") == "true");
  CHECK(r.show("Match('a*b*c', 'aXXbYYc')") == "true");
}

TEST_CASE("IP helpers", "[expr][helpers]") {
  ExprRunner r;
  CHECK(r.show("IpToRange('192.168.12.34', '/16')") == "'192.168.0.0/16'");
  CHECK(r.show("IpToRange('192.168.12.34', '24')") == "'192.168.12.0/24'");
  CHECK(r.show("IpToRange('2001:db8:85a3::8a2e:370:7334', '/64')") == "'2001:db8:85a3::/64'");
  CHECK(r.show("IpToRange('x', '/8')") == "''");
  CHECK(r.show("IpToRange('1.2.3.4', '/33')") == "''");
  CHECK(r.show("IpInRange('10.1.2.3', '10.0.0.0/8')") == "true");
  CHECK(r.show("IpInRange('11.1.2.3', '10.0.0.0/8')") == "false");
  CHECK(r.show("IpInRange('2001:db8::1', '2001:db8::/32')") == "true");
  CHECK(r.show("IpInRange('bad', '10.0.0.0/8') || IpInRange('10.0.0.1', 'bad')") == "false");
  CHECK(r.show("IsIPV4('1.2.3.4') && IsIPV4('::ffff:1.2.3.4') && !IsIPV4('::1')") == "true");
  CHECK(r.show("IsIPV6('::1') && !IsIPV6('1.2.3.4') && IsIP('::1') && !IsIP('1.2.3')") == "true");
}

TEST_CASE("string and misc helpers", "[expr][helpers]") {
  ExprRunner r;
  CHECK(r.show("Upper('abc') + Lower('DÉF')") == "'ABCdéf'");
  CHECK(r.show("Split('a b', ' ')") == "[\"a\",\"b\"]");
  CHECK(r.show("Split('abc', ',')") == "[\"abc\"]");
  CHECK(r.show("SplitN('a,b,c', ',', 2)") == "[\"a\",\"b,c\"]");
  CHECK(r.show("TrimSpace('  x \\n') + TrimPrefix('abc', 'a') + TrimSuffix('abc', 'c')") ==
        "'xbcab'");
  CHECK(r.show("Trim('xxaxx', 'x') + TrimLeft('xxa', 'x') + TrimRight('axx', 'x')") == "'aaa'");
  CHECK(r.show("Fields('  a  b\\tc ')") == "[\"a\",\"b\",\"c\"]");
  CHECK(r.show("Get(['a', 'b'], 1) + Get(['a'], 5)") == "'b'");
  CHECK(r.show("ToString(1) + ToString('s')") == "'s'");
  CHECK(r.show("Sprintf('%s-%d-%v-%.2f-%q', 'a', 3, true, 1.5, 'x')") == "'a-3-true-1.50-\"x\"'");
  CHECK(r.show("Atof('1.5') + Atof('nope')") == "1.500000");
  CHECK(r.show("FloatApproxEqual(0.1 + 0.2, 0.3)") == "true");
  CHECK(r.show("FloatApproxEqual(1.0, 1.1)") == "false");
  CHECK(r.show("B64Decode('aGk=')") == "'hi'");
  CHECK(r.show("B64Decode('aGk')") == "ERR:B64Decode(): illegal base64 data");
  CHECK(r.show("KeyExists('a', {a: 1}) && !KeyExists('b', {a: 1})") == "true");
  CHECK(r.show("Distinct(['a', 'b', 'a'])") == "[\"a\",\"b\"]");
  CHECK(r.show("Flatten([1, [2]], 3)") == "[1,2,3]");
  CHECK(r.show("ParseUnix('1770890400.5')") == "'2026-02-12T10:00:00Z'");
  CHECK(r.show("ParseUnix('abc')") == "''");
  CHECK(r.show("Replace('aaa', 'a', 'b', 2) + ReplaceAll('aa', 'a', 'c')") == "'bbacc'");
  CHECK(r.show("Index('abc', 'c') + IndexAny('abc', 'xb')") == "3");
  CHECK(r.show("Join(['a', 'b'], '-')") == "'a-b'");
}

TEST_CASE("URL helpers", "[expr][helpers]") {
  ExprRunner r;
  CHECK(r.show("ParseUri('/p?a=1&b=x%20y&a=2')") == "{\"a\":[\"1\",\"2\"],\"b\":[\"x y\"]}");
  CHECK(r.show("ExtractQueryParam('/p?q=1', 'q')") == "[\"1\"]");
  CHECK(r.show("ExtractQueryParam('/p?q=1', 'z')") == "[]");
  CHECK(r.show("PathUnescape('%2Fetc%2Fpasswd') + ' ' + PathUnescape('%zz')") ==
        "'/etc/passwd %zz'");
  CHECK(r.show("QueryUnescape('a+b%21')") == "'a b!'");
  CHECK(r.show("QueryEscape('a b/c') + ' ' + PathEscape('a b/c')") == "'a+b%2Fc a%20b%2Fc'");
}

TEST_CASE("XML helpers", "[expr][helpers]") {
  ExprRunner r;
  r.event.line.raw =
      "<Event xmlns='x'><System><Provider Name='P'/><EventID>4625</EventID></System>"
      "<EventData><Data Name='TargetUserName'>bob</Data><Data Name='IpAddress'>1.2.3.4</Data>"
      "</EventData></Event>";
  CHECK(r.show("XMLGetNodeValue(evt.Line.Raw, '/Event/System[1]/EventID')") == "'4625'");
  CHECK(r.show("XMLGetNodeValue(evt.Line.Raw, \"/Event/EventData/Data[@Name='IpAddress']\")") ==
        "'1.2.3.4'");
  CHECK(r.show("XMLGetNodeValue(evt.Line.Raw, '/Event/Nope')") == "''");
  CHECK(r.show("XMLGetAttributeValue(evt.Line.Raw, '/Event/System/Provider', 'Name')") == "'P'");
  CHECK(r.show("XMLGetNodeValue('<a><b>', '/a/b')") == "''");
}

TEST_CASE("Distance and intervals", "[expr][helpers]") {
  ExprRunner r;
  CHECK(r.show("int(Distance('48.8566', '2.3522', '51.5074', '-0.1278'))") == "343");
  CHECK(r.show("Distance('0', '0', '51.5', '0')") == "0.000000");
  CHECK(r.show("Distance('x', '0', '1', '1')") == "ERR:Distance(): invalid coordinate \"x\"");
  CHECK(r.show("MedianInterval([evt.Time])") ==
        "ERR:need at least two times to compute an interval");
}

TEST_CASE("data files: string, regexp, map with comment skipping", "[expr][helpers]") {
  ExprRunner r;
  const auto s = writeTemp("ua.txt", "# comment\n\nsqlmap\nnikto\r\n");
  const auto re = writeTemp("re.txt", "#c\n^/admin\n\\.php$\n");
  const auto map = writeTemp(
      "map.json",
      "{\"pattern\":\"curl\",\"tag\":\"eq\",\"type\":\"equals\"}\n"
      "{\"pattern\":\"bot\",\"tag\":\"bot\",\"type\":\"contains\"}\n"
      "{\"pattern\":\"go\",\"tag\":\"go\",\"type\":\"contains\"}\n"
      "{\"pattern\":\"^py\",\"tag\":\"py\",\"type\":\"regex\"}\n");
  using cw::core::expr::DataFileType;
  REQUIRE(r.services.loadDataFile("ua.txt", s.string(), DataFileType::String).ok());
  REQUIRE(r.services.loadDataFile("re.txt", re.string(), DataFileType::Regexp).ok());
  REQUIRE(r.services.loadDataFile("map.json", map.string(), DataFileType::Map).ok());
  const auto bad = writeTemp("bad.txt", "ok\n(unclosed\n");
  auto br = r.services.loadDataFile("bad.txt", bad.string(), DataFileType::Regexp);
  REQUIRE(!br.ok());
  CHECK(br.error().message.find("line 2") != std::string::npos);
  CHECK(!r.services.loadDataFile("nope", "/nonexistent/x", DataFileType::String).ok());
  r.event.meta.set("ua", "nikto");
  CHECK(r.show("File('ua.txt')") == "[\"sqlmap\",\"nikto\"]");
  CHECK(r.show("evt.Meta.ua in File('ua.txt')") == "true");
  CHECK(r.show("'# comment' in File('ua.txt')") == "false");
  CHECK(r.show("evt.Meta.ua not in File('ua.txt')") == "false");
  CHECK(r.show("any(File('ua.txt'), {evt.Meta.ua contains #})") == "true");
  CHECK(r.show("File('unknown')") == "[]");
  CHECK(r.show("RegexpInFile('/x/a.php', 're.txt') && !RegexpInFile('/x', 're.txt')") == "true");
  CHECK(r.show("LookupFile('curl', 'map.json')") == "'eq'");
  CHECK(r.show("LookupFile('googlebot', 'map.json')") == "'go'");  // leftmost substring wins
  CHECK(r.show("LookupFile('python', 'map.json')") == "'py'");
  CHECK(r.show("LookupFile('zzz', 'map.json')") == "''");
  CHECK(r.show("len(FileMap('map.json'))") == "4");
}

TEST_CASE("stash with ttl", "[expr][helpers]") {
  ExprRunner r;
  r.services.setFixedNow(cw::core::TimePoint::fromUnixNanos(1000 * cw::core::kSecond));
  CHECK(r.show("GetFromStash('c', 'k')") == "''");
  CHECK(r.show("SetInStash('c', 'k', 'v', '10s')") == "nil");
  CHECK(r.show("GetFromStash('c', 'k')") == "'v'");
  r.services.setFixedNow(cw::core::TimePoint::fromUnixNanos(1011 * cw::core::kSecond));
  CHECK(r.show("GetFromStash('c', 'k')") == "''");
}

TEST_CASE("MedianInterval on queue times", "[expr][helpers]") {
  cw::core::expr::Services s;
  auto env = cw::core::expr::Environment::forBucket(s);
  auto p = cw::core::expr::Program::compile(
      "MedianInterval(map(queue.Queue, {#.Time})) > duration('10m')", env);
  REQUIRE(p.ok());
  auto avg = cw::core::expr::Program::compile("AverageInterval(map(queue.Queue, {#.Time}))", env);
  REQUIRE(avg.ok());
  std::vector<cw::core::event::Event> evs(4);
  const std::int64_t mins[] = {0, 11, 30, 33};  // gaps 11, 19, 3 -> median 11m, mean 11m
  cw::core::ValueArray q;
  for (int i = 0; i < 4; ++i) {
    evs[static_cast<std::size_t>(i)].time =
        cw::core::TimePoint::fromUnixNanos(mins[i] * cw::core::kMinute);
    q.push_back(cw::core::expr::eventValue(evs[static_cast<std::size_t>(i)]));
  }
  cw::core::Value queue = cw::core::Value::map({{"Queue", cw::core::Value::array(q)}});
  cw::core::Value vars[] = {cw::core::expr::eventValue(evs[3]), queue, cw::core::Value()};
  auto res = p->runBool(vars);
  REQUIRE(res.ok());
  CHECK(*res);
  auto a = avg->run(vars);
  REQUIRE(a.ok());
  CHECK(a->toString() == "11m0s");
}

TEST_CASE("extra functions registered by the caller", "[expr]") {
  cw::core::expr::Services s;
  cw::core::expr::Environment env;
  env.services = &s;
  env.variables = {{"results", cw::core::expr::VarType::Any}};
  env.addFunction("basename",
                  [](std::span<const cw::core::Value> a) -> cw::core::Result<cw::core::Value> {
                    const std::string_view p = a[0].asString();
                    return cw::core::Value::string(std::string(p.substr(p.rfind('/') + 1)));
                  });
  auto p = cw::core::expr::Program::compile("basename(results[0]) == 'auth.log'", env);
  REQUIRE(p.ok());
  cw::core::Value results = cw::core::Value::array({cw::core::Value::string("/var/log/auth.log")});
  auto r = p->runBool(std::span<const cw::core::Value>(&results, 1));
  REQUIRE(r.ok());
  CHECK(*r);
}

TEST_CASE("calls of the element over a data file give the same results from the file's table",
          "[expr][helpers]") {
  ExprRunner r;
  const auto f = writeTemp("probe.txt", "<Script\nunion select\n\xC3\xA9t\xC3\xA9\n");
  using cw::core::expr::DataFileType;
  REQUIRE(r.services.loadDataFile("probe.txt", f.string(), DataFileType::String).ok());
  r.event.parsed.set("args", "q=1 UNION SELECT 2");
  const std::string probe =
      "any(File('probe.txt'), {Upper(evt.Parsed.args) contains Upper(#)})";
  CHECK(r.show(probe) == "true");
  r.event.parsed.set("args", "x=<script>");
  CHECK(r.show(probe) == "true");
  r.event.parsed.set("args", "x=\xC3\x89T\xC3\x89");  // ÉTÉ: Latin-1 supplement mapping
  CHECK(r.show(probe) == "true");
  r.event.parsed.set("args", "x=scrip");
  CHECK(r.show(probe) == "false");
  // Every element form reads the same values as a direct call.
  CHECK(r.show("map(File('probe.txt'), {Lower(#)})") ==
        "[\"\\u003cscript\",\"union select\",\"\xC3\xA9t\xC3\xA9\"]");
  CHECK(r.show("findLastIndex(File('probe.txt'), {Upper(#) startsWith 'UNION'})") == "1");
  CHECK(r.show("map(File('probe.txt'), {len(Upper(#)) + #index})") == "[7,13,7]");
  // A function that fails on an element fails at that element, as without the table.
  CHECK(r.show("map(File('probe.txt'), {int(#)})").rfind("ERR:", 0) == 0);
  // Not a data file: computed per element.
  CHECK(r.show("map(['a', 'b'], {Upper(#)})") == "[\"A\",\"B\"]");
}

TEST_CASE("any(File(...), {x == #}) is a lookup with the loop's results", "[expr][helpers]") {
  ExprRunner r;
  const auto f = writeTemp("backdoors.txt", "c99.php\nr57.php\n");
  const auto empty = writeTemp("empty.txt", "# nothing\n");
  using cw::core::expr::DataFileType;
  REQUIRE(r.services.loadDataFile("backdoors.txt", f.string(), DataFileType::String).ok());
  REQUIRE(r.services.loadDataFile("empty.txt", empty.string(), DataFileType::String).ok());
  r.event.parsed.set("file_name", "r57.php");
  CHECK(r.show("any(File('backdoors.txt'), {evt.Parsed.file_name == #})") == "true");
  CHECK(r.show("any(File('backdoors.txt'), {# == evt.Parsed.file_name})") == "true");
  r.event.parsed.set("file_name", "R57.php");
  CHECK(r.show("any(File('backdoors.txt'), {evt.Parsed.file_name == #})") == "false");
  CHECK(r.show("any(File('backdoors.txt'), {Lower(evt.Parsed.file_name) == #})") == "true");
  // Non-string left side: never equal to a line.
  CHECK(r.show("any(File('backdoors.txt'), {len(evt.Parsed.file_name) == #})") == "false");
  // The left side is not evaluated over an empty file, and is over a non-empty one.
  CHECK(r.show("any(File('empty.txt'), {Upper(1) == #})") == "false");
  CHECK(r.show("any(File('backdoors.txt'), {Upper(1) == #})").rfind("ERR:", 0) == 0);
  CHECK(r.show("any(File('missing.txt'), {evt.Parsed.file_name == #})") == "false");
}
