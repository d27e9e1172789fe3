// SPDX-License-Identifier: Apache-2.0
// acquis.yaml / acquis.d through Sources, with the real plugins built in <build>/plugins.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <thread>

#include "acq_helpers.h"

using namespace cwtest;

TEST_CASE("every acquis problem is listed at once", "[acquisition][sources]") {
  TempDir d;
  d.write("acquis.yaml",
          "filenames: [/tmp/x.log]\n"
          "labels: {type: syslog}\n"
          "---\n"
          "source: file\n"
          "filename: /tmp/y.log\n"
          "---\n"
          "listen_port: 514\n"
          "labels: {type: syslog}\n"
          "---\n"
          "source: file\n"
          "filename: /tmp/z.log\n"
          "labels: {type: syslog}\n"
          "mode: sometimes\n"
          "bogus_key: 1\n");
  d.write("acquis.d/10-a.yaml", "source: nosuch\nlabels: {type: x}\n");
  auto r = acq::Sources::load(options(d));
  REQUIRE_FALSE(r.ok());
  const std::string f = d.path("acquis.yaml");
  CHECK(r.error().message ==
        f + ":4: missing labels (at least labels.type, which selects the parsers)\n" + f +
            ":7: missing 'source' field\n" + f +
            ":10: mode 'sometimes' is not tail, cat or server\n" + d.path("acquis.d/10-a.yaml") +
            ":1: unknown source 'nosuch': no enabled acquisition plugin serves it (available: "
            "file, journalctl, syslog)");
}

TEST_CASE("no datasource: the error says which configured path is missing",
          "[acquisition][sources]") {
  TempDir d;
  auto r = acq::Sources::load(options(d));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "no datasource configured (" + d.path("acquis.yaml") +
                                 " does not exist; " + d.path("acquis.d") + " does not exist)");
  d.write("acquis.d/README", "not a YAML file\n");
  r = acq::Sources::load(options(d));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "no datasource configured (" + d.path("acquis.yaml") +
                                 " does not exist; " + d.path("acquis.d") +
                                 " has no datasource)");
}

TEST_CASE("module errors come from the plugin, with their document", "[acquisition][sources]") {
  TempDir d;
  d.write("acquis.yaml",
          "source: file\n"
          "filename: /tmp/z.log\n"
          "labels: {type: syslog}\n"
          "bogus_key: 1\n"
          "exclude_regexps: ['(']\n"
          "---\n"
          "source: nosuch\n"
          "labels: {type: x}\n");
  auto r = acq::Sources::load(options(d));
  REQUIRE_FALSE(r.ok());
  const std::string f = d.path("acquis.yaml");
  CHECK(r.error().message ==
        f + ":1: file: unknown key 'bogus_key'\n" + f +
            ":1: file: exclude_regexps: invalid regexp '(': missing ): (\n" + f +
            ":7: unknown source 'nosuch': no enabled acquisition plugin serves it (available: "
            "file, journalctl, syslog)");
}

TEST_CASE("a disabled plugin is not loaded and its source is unknown", "[acquisition][sources]") {
  TempDir d;
  d.write("acquis.yaml", "filename: /tmp/z.log\nlabels: {type: syslog}\n");
  acq::LoadOptions o = options(d);
  o.disabled_plugins = {"crowdwall/file"};
  auto r = acq::Sources::load(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == d.path("acquis.yaml") +
                                 ":1: unknown source 'file': no enabled acquisition plugin serves "
                                 "it (available: journalctl, syslog)");
}

TEST_CASE("environment variables are expanded only when defined", "[acquisition][sources]") {
  TempDir d;
  ::setenv("CW_TEST_LOGDIR", d.path().c_str(), 1);
  ::unsetenv("CW_TEST_UNDEFINED");
  d.write("in.log", "one\n\ntwo\n");
  d.write("$CW_TEST_UNDEFINED.log", "three\n");
  d.write("acquis.d/b.yml",
          "filename: ${CW_TEST_LOGDIR}/$CW_TEST_UNDEFINED.log\nmode: cat\n"
          "labels: {type: b}\n");
  d.write("acquis.d/a.yaml", "filename: $CW_TEST_LOGDIR/in.log\nmode: cat\nlabels: {type: a}\n");
  d.write("acquis.d/c.yaml",
          "---\n---\nfilename: $CW_TEST_LOGDIR/in.log\nmode: cat\n"
          "labels: {type: c}\n");
  auto r = acq::Sources::load(options(d));
  REQUIRE(r.ok());
  auto& sources = *r.value();
  CHECK(sources.oneShot());
  Collector c;
  REQUIRE(sources.start(c.callback()).ok());
  sources.waitFinished();
  sources.stop();
  auto got = c.waitFor(5, 1);
  // Sources run in parallel: compare per type, in order within one source.
  std::map<std::string, std::vector<std::string>> by_type;
  for (const auto& g : got) {
    by_type[g.type].push_back(g.raw + "@" + g.src + "@" + g.module);
  }
  CHECK(by_type["a"] == std::vector<std::string>{"one@" + d.path("in.log") + "@file",
                                                 "two@" + d.path("in.log") + "@file"});
  CHECK(by_type["c"] == by_type["a"]);
  CHECK(by_type["b"] ==
        std::vector<std::string>{"three@" + d.path("$CW_TEST_UNDEFINED.log") + "@file"});
  CHECK(got.size() == 5);
  auto stats = sources.stats();
  REQUIRE(stats.size() == 3);
  CHECK(stats[0].name == "file:" + d.path("in.log"));
  CHECK(stats[0].lines == 2);
}

TEST_CASE("built-in plugins load next to a hub index that declares none",
          "[acquisition][sources]") {
  TempDir d;
  d.write("hub/.index.json", "{\"parsers\": {}}");
  d.write("in.log", "x\n");
  d.write("acquis.yaml", "filename: " + d.path("in.log") + "\nmode: cat\nlabels: {type: a}\n");
  acq::LoadOptions o = options(d);
  o.index_path = d.path("hub/.index.json");  // as the daemon passes config_paths.index_path
  auto r = acq::Sources::load(o);
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  Collector c;
  REQUIRE(r.value()->start(c.callback()).ok());
  r.value()->waitFinished();
  r.value()->stop();
  CHECK(c.raws() == std::vector<std::string>{"x"});
}
