// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cw/core/grok/grok.h"

using cw::core::grok::Pattern;
using cw::core::grok::PatternLibrary;

namespace {

// Compiles against `lib` and matches; returns field -> value, or {"<nomatch>": ""}.
std::map<std::string, std::string> grok(const PatternLibrary& lib, std::string_view pattern,
                                        std::string_view text) {
  auto p = Pattern::compile(lib, pattern);
  REQUIRE(p.ok());
  std::vector<std::string_view> out;
  if (!p->match(text, out)) {
    return {{"<nomatch>", ""}};
  }
  REQUIRE(out.size() == p->fieldNames().size());
  std::map<std::string, std::string> m;
  for (std::size_t i = 0; i < out.size(); ++i) {
    m[p->fieldNames()[i]] = std::string(out[i]);
  }
  return m;
}

using Fields = std::map<std::string, std::string>;

const PatternLibrary& base() {
  static const PatternLibrary kLib = PatternLibrary::withBase();
  return kLib;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("cw-grok-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

} // namespace

TEST_CASE("nested pattern fields are exported", "[grok]") {
  const Fields f = grok(base(), "%{SYSLOGBASE} %{GREEDYDATA:message}",
                        "Dec 10 06:55:46 myhost sshd[1234]: Failed password for root");
  CHECK(f.at("timestamp") == "Dec 10 06:55:46");
  CHECK(f.at("logsource") == "myhost");
  CHECK(f.at("program") == "sshd");
  CHECK(f.at("pid") == "1234");
  CHECK(f.at("message") == "Failed password for root");
  // The facility group did not take part: present, empty.
  CHECK(f.at("facility").empty());
  CHECK(f.at("priority").empty());
  CHECK(f.size() == 7);
}

TEST_CASE("outer field names hide nested ones; later duplicates win", "[grok]") {
  PatternLibrary lib = PatternLibrary::withBase();
  REQUIRE(lib.add("PAIR", "%{WORD:a}=%{INT:value}").ok());
  // The outer 'value' hides PAIR's nested 'value'.
  CHECK(grok(lib, "%{PAIR} %{NOTSPACE:value}", "x=1 tail") ==
        Fields{{"a", "x"}, {"value", "tail"}});
  // Two nested patterns export 'a': the later one wins.
  CHECK(grok(lib, "%{PAIR};%{PAIR}", "x=1;y=2") == Fields{{"a", "y"}, {"value", "2"}});
  // The same outer name twice: the later capture wins.
  CHECK(grok(lib, "%{WORD:w} %{WORD:w}", "first second") == Fields{{"w", "second"}});
  // URIHOST brings 'port' along.
  CHECK(grok(lib, "%{URIHOST:host}", "example.org:8080") ==
        Fields{{"host", "example.org:8080"}, {"port", "8080"}});
  CHECK(grok(lib, "%{URIHOST:host}", "example.org") ==
        Fields{{"host", "example.org"}, {"port", ""}});
}

TEST_CASE("fields are listed in first-definition order", "[grok]") {
  auto p = Pattern::compile(base(), "%{IP:ip} %{WORD:user} %{IP:ip}");
  REQUIRE(p.ok());
  CHECK(p->fieldNames() == std::vector<std::string>{"ip", "user"});
}

TEST_CASE("only %{NAME} and %{NAME:field} are references", "[grok]") {
  // A type suffix is not grok syntax here: the text stays literal regex.
  CHECK(grok(base(), "n=%{INT:n:int} %{WORD:w}", "n=%{INT:n:int} ok") == Fields{{"w", "ok"}});
  CHECK(grok(base(), "n=%{INT:n:int} %{WORD:w}", "n=5 ok") == Fields{{"<nomatch>", ""}});
  // Raw named groups are not exported.
  CHECK(grok(base(), "(?P<raw>[a-z]+) %{INT:n}", "abc 42") == Fields{{"n", "42"}});
}

TEST_CASE("a pattern without fields never matches", "[grok]") {
  auto p = Pattern::compile(base(), "%{IP} %{WORD}");
  REQUIRE(p.ok());
  CHECK(p->fieldNames().empty());
  std::vector<std::string_view> out;
  CHECK_FALSE(p->match("10.0.0.1 hello", out));
  auto raw = Pattern::compile(base(), "(?P<x>hello)");
  REQUIRE(raw.ok());
  CHECK_FALSE(raw->match("hello", out));
}

TEST_CASE("search is unanchored unless the pattern anchors", "[grok]") {
  CHECK(grok(base(), "user %{USERNAME:u} from", "Invalid user admin from 1.2.3.4") ==
        Fields{{"u", "admin"}});
  CHECK(grok(base(), "^user %{USERNAME:u}", "Invalid user admin") ==
        Fields{{"<nomatch>", ""}});
}

TEST_CASE("base patterns match what the classic grok set matches", "[grok]") {
  CHECK(grok(base(), "%{IPV4:ip}", "from 192.168.1.254 port") == Fields{{"ip", "192.168.1.254"}});
  CHECK(grok(base(), "%{IPV4:ip}", "192.168.1.254") == Fields{{"ip", "192.168.1.254"}});
  // Leftmost-first: "1" alone is a valid last octet, so "10.0.0.1x" still yields 10.0.0.1.
  CHECK(grok(base(), "%{IPV4:ip}", "10.0.0.1x") == Fields{{"ip", "10.0.0.1"}});
  CHECK(grok(base(), "%{IP:ip} ", "2001:db8::8a2e:370:7334 x") ==
        Fields{{"ip", "2001:db8::8a2e:370:7334"}});
  CHECK(grok(base(), "%{IP:ip} ", "::ffff:192.0.2.1 x") == Fields{{"ip", "::ffff:192.0.2.1"}});
  CHECK(grok(base(), "%{HTTPDATE:ts}", "[10/Oct/2023:13:55:36 +0200]") ==
        Fields{{"ts", "10/Oct/2023:13:55:36 +0200"}});
  CHECK(grok(base(), "%{TIMESTAMP_ISO8601:ts}", "at 2021-09-29T14:11:34.123+02:00 ok") ==
        Fields{{"ts", "2021-09-29T14:11:34.123+02:00"}});
  CHECK(grok(base(), "%{QS:q}", R"(say "he said \"hi\"" now)") ==
        Fields{{"q", R"("he said \"hi\"")"}});
  CHECK(grok(base(), "%{MONTH:m}", "März") == Fields{{"m", "März"}});
  CHECK(grok(base(), "%{NUMBER:n}", "v=-12.5") == Fields{{"n", "-12.5"}});
  CHECK(grok(base(), "%{EMAILADDRESS:e}", "to bob.smith+x@mail.example.org;") ==
        Fields{{"e", "bob.smith+x@mail.example.org"}});
  CHECK(grok(base(), "%{UUID:u}", "id=123e4567-e89b-12d3-a456-426614174000") ==
        Fields{{"u", "123e4567-e89b-12d3-a456-426614174000"}});
  CHECK(grok(base(), "%{MAC:m}", "hw 00:1A:2b:3C:4d:5E") == Fields{{"m", "00:1A:2b:3C:4d:5E"}});
  CHECK(grok(base(), "%{URIPATHPARAM:p} ", "GET /a/b.php?x=1&y=[2] HTTP") ==
        Fields{{"p", "/a/b.php?x=1&y=[2]"}});
  CHECK(grok(base(), "%{LOGLEVEL:l}:", "[warning: disk") == Fields{{"l", "warning"}});
  const Fields apache = grok(base(), "%{COMBINEDAPACHELOG}",
                             R"(1.2.3.4 - - [10/Oct/2023:13:55:36 +0200] "GET /index.html )"
                             R"(HTTP/1.1" 200 512 "-" "curl/8.0")");
  CHECK(apache.at("clientip") == "1.2.3.4");
  CHECK(apache.at("verb") == "GET");
  CHECK(apache.at("request") == "/index.html");
  CHECK(apache.at("httpversion") == "1.1");
  CHECK(apache.at("response") == "200");
  CHECK(apache.at("bytes") == "512");
  CHECK(apache.at("referrer") == "\"-\"");
  CHECK(apache.at("agent") == "\"curl/8.0\"");
  CHECK(apache.at("rawrequest").empty());
}

TEST_CASE("every base pattern compiles and its group count is what grokky computes",
          "[grok]") {
  // Fields are placed with grokky's approximate group count; for our own base it must be
  // exact, so that nested fields land on the right group.
  for (const auto& [name, regex] : cw::core::grok::basePatterns()) {
    INFO(name);
    // Only the literal text before each reference is counted by grokky.
    std::string literal_only;
    std::size_t pos = 0;
    for (std::size_t b = regex.find("%{"); b != std::string::npos; b = regex.find("%{", pos)) {
      const std::size_t e = regex.find('}', b);
      literal_only += regex.substr(pos, b - pos);
      pos = e + 1;
    }
    CHECK(cw::core::grok::grokkyCapCount(literal_only) ==
          cw::core::grok::countCapturingGroups(literal_only));
    CHECK(Pattern::compile(base(), "%{" + name + ":x}").ok());
  }
  CHECK(base().size() == cw::core::grok::basePatterns().size());
}

TEST_CASE("group counting", "[grok]") {
  using cw::core::grok::countCapturingGroups;
  using cw::core::grok::grokkyCapCount;
  CHECK(countCapturingGroups("(a)(?:b)(?P<n>c)(?i)[(]\\(x\\)") == 2);
  CHECK(countCapturingGroups("[[:alpha:](](d)") == 1);
  CHECK(countCapturingGroups("[]()](e)") == 1);
  CHECK(countCapturingGroups("\\Q(((\\E(f)") == 1);
  // grokky's approximation: "ms)" is taken for a flag group, "[(]" for a group.
  CHECK(grokkyCapCount("(?:\\d+ms)") == -1);
  CHECK(grokkyCapCount("[(]") == 1);
  CHECK(grokkyCapCount("(a)(?:b)(?i)\\(") == 1);
}

TEST_CASE("errors name the culprit", "[grok]") {
  auto p = Pattern::compile(base(), "%{IP:ip} %{NO_SUCH_PATTERN:x}");
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message == "grok pattern 'NO_SUCH_PATTERN' is not defined");

  PatternLibrary lib = PatternLibrary::withBase();
  auto dup = lib.add("IP", "x");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().message == "grok pattern 'IP' is already defined");
  CHECK(lib.add("IP", "%{IPV4}", true).ok()); // explicit redefinition
  CHECK(grok(lib, "%{IP:ip}", "2001:db8::1 10.1.1.1 ") == Fields{{"ip", "10.1.1.1"}});

  auto undefined = lib.add("NEEDS_LATER", "%{LATER:x}");
  REQUIRE_FALSE(undefined.ok());
  CHECK(undefined.error().message ==
        "grok pattern 'NEEDS_LATER': grok pattern 'LATER' is not defined");

  auto look = lib.add("LOOK", "foo(?=bar)");
  REQUIRE_FALSE(look.ok());
  CHECK(look.error().message ==
        "grok pattern 'LOOK': RE2 rejects the expanded regex: invalid perl operator: (?= "
        "(at '(?=')");
  auto inl = Pattern::compile(lib, "%{WORD:w}++");
  REQUIRE_FALSE(inl.ok());
  CHECK(inl.error().message.find("bad repetition operator: ++") != std::string::npos);
  CHECK_FALSE(lib.add("bad name", "x").ok());
  CHECK_FALSE(lib.add("EMPTY", "").ok());
  CHECK_FALSE(lib.contains("LOOK"));
}

TEST_CASE("pattern files and directories", "[grok]") {
  TempDir dir;
  dir.write("b_second", "# comment\n\nSECOND_P %{FIRST_P:first} and %{INT:n}\r\n");
  dir.write("a_first", "FIRST_P\t\t[a-z]+\n  INDENTED ignored\n");
  dir.write("skipped.txt", "SKIPPED x\n");
  std::filesystem::create_directories(dir.path / "subdir");
  PatternLibrary lib = PatternLibrary::withBase();
  REQUIRE(lib.addFromDirectory(dir.path.string()).ok());
  CHECK(lib.contains("FIRST_P"));
  CHECK(lib.contains("SECOND_P"));
  CHECK_FALSE(lib.contains("SKIPPED"));
  CHECK_FALSE(lib.contains("INDENTED"));
  CHECK(lib.raw("SECOND_P") == std::optional<std::string_view>("%{FIRST_P:first} and %{INT:n}"));
  CHECK(grok(lib, "%{SECOND_P}", "abc and 7") == Fields{{"first", "abc"}, {"n", "7"}});

  // A file may replace a built-in base pattern, but not a pattern from another file.
  TempDir over;
  over.write("base", "INT [0-9]\n");
  PatternLibrary lib2 = PatternLibrary::withBase();
  REQUIRE(lib2.addFromDirectory(over.path.string()).ok());
  CHECK(grok(lib2, "%{INT:n}", "x 123") == Fields{{"n", "1"}});
  // NUMBER-like users of INT see the new definition too.
  CHECK(grok(lib2, "%{SYSLOGFACILITY}", "<12.3>") == Fields{{"facility", "12"},
                                                            {"priority", "3"}});

  TempDir dup;
  dup.write("one", "MINE a+\n");
  dup.write("two", "\nMINE b+\n");
  PatternLibrary lib3 = PatternLibrary::withBase();
  auto st = lib3.addFromDirectory(dup.path.string());
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message ==
        (dup.path / "two").string() + ":2: grok pattern 'MINE' is already defined");

  auto missing = lib3.addFromDirectory((dup.path / "nope").string());
  CHECK_FALSE(missing.ok());
}

TEST_CASE("invalid UTF-8 and large input do not break matching", "[grok]") {
  // Go's regexp reads each invalid byte as one character; so do we.
  const std::string line = "user \xff\xfe\x80zz from 10.0.0.1";
  const Fields f = grok(base(), "user %{DATA:u} from %{IP:ip}", line);
  CHECK(f.at("u") == "\xff\xfe\x80zz");
  CHECK(f.at("ip") == "10.0.0.1");
  CHECK(grok(base(), "^%{NOTSPACE:a} %{GREEDYDATA:b}$", "\xc3(" " \xed\xa0\x80" "end") ==
        Fields{{"a", "\xc3("}, {"b", "\xed\xa0\x80" "end"}});
  // \w does not match an invalid byte.
  CHECK(grok(base(), "^%{WORD:w}$", "ab\xff") == Fields{{"<nomatch>", ""}});
  // Valid multi-byte text is untouched.
  CHECK(grok(base(), "^%{GREEDYDATA:all}$", "h\xc3\xa9llo") == Fields{{"all", "h\xc3\xa9llo"}});
  const std::string big = std::string(1 << 20, 'a') + " 1.2.3.4 ";
  CHECK(grok(base(), "%{IP:ip} ", big) == Fields{{"ip", "1.2.3.4"}});
  CHECK(grok(base(), "%{IP:ip} ", std::string(1 << 20, '\xff')) == Fields{{"<nomatch>", ""}});
}

TEST_CASE("a copy of a library is independent", "[grok]") {
  PatternLibrary a = PatternLibrary::withBase();
  PatternLibrary b = a;
  REQUIRE(b.add("ONLY_B", "%{INT:n}").ok());
  CHECK(b.contains("ONLY_B"));
  CHECK_FALSE(a.contains("ONLY_B"));
}
