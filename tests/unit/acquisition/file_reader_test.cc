// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cw/core/acquisition/file_reader.h"

namespace acq = cw::core::acquisition;

namespace {

struct Collected {
  std::vector<std::string> lines;
  acq::ReadStats stats;
};

// Feeds `input` in chunks of `chunk` bytes, to exercise lines split across reads.
Collected split(const std::string& input, std::size_t chunk, acq::ReadOptions options = {}) {
  Collected c;
  acq::LineSplitter splitter(options);
  auto on_line = [&](std::string_view line) { c.lines.emplace_back(line); };
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    splitter.feed(std::string_view(input).substr(pos, chunk), on_line);
  }
  splitter.finish(on_line);
  c.stats = splitter.stats();
  return c;
}

std::string tempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("cw_acq_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

}  // namespace

TEST_CASE("lines are split on LF with a trailing CR stripped", "[acquisition]") {
  for (std::size_t chunk : {1, 2, 3, 7, 1000}) {
    const Collected c = split("alpha\r\nbeta\ngamma\r\n", chunk);
    CHECK(c.lines == std::vector<std::string>{"alpha", "beta", "gamma"});
    CHECK(c.stats.lines == 3);
    CHECK(c.stats.empty == 0);
    CHECK(c.stats.bytes == 19);
  }
}

TEST_CASE("empty lines are skipped and counted", "[acquisition]") {
  const Collected c = split("\n\na\n\r\n\nb\n", 2);
  CHECK(c.lines == std::vector<std::string>{"a", "b"});
  CHECK(c.stats.empty == 4);
  CHECK(c.stats.total() == 6);
}

TEST_CASE("a last line without newline is delivered", "[acquisition]") {
  for (std::size_t chunk : {1, 4, 100}) {
    const Collected c = split("first\nlast", chunk);
    CHECK(c.lines == std::vector<std::string>{"first", "last"});
  }
  CHECK(split("", 10).stats.total() == 0);
  CHECK(split("only\r", 10).lines == std::vector<std::string>{"only"});
}

TEST_CASE("lines longer than the limit are dropped whole and counted", "[acquisition]") {
  acq::ReadOptions options;
  options.max_line_bytes = 8;
  for (std::size_t chunk : {1, 3, 5, 64}) {
    const Collected c = split("12345678\n123456789\nok\n" + std::string(40, 'x') + "\nend\r\n" +
                                  std::string(9, 'y'),
                              chunk, options);
    CHECK(c.lines == std::vector<std::string>{"12345678", "ok", "end"});
    CHECK(c.stats.too_long == 3);
    CHECK(c.stats.total() == 6);
  }
  // The CR of a CRLF line does not count towards the limit.
  CHECK(split("12345678\r\n", 3, options).lines == std::vector<std::string>{"12345678"});
}

TEST_CASE("binary garbage and invalid UTF-8 pass through unchanged", "[acquisition]") {
  const std::string garbage("\xff\xfe\x00\x01\xc3\x28\x80", 7);
  const Collected c = split(garbage + "\n" + garbage, 3);
  REQUIRE(c.lines.size() == 2);
  CHECK(c.lines[0] == garbage);
  CHECK(c.lines[1] == garbage);
}

TEST_CASE("readFileLines reads a file in chunks", "[acquisition]") {
  const std::string path = tempPath("read.log");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 1000; ++i) {
      out << "line " << i << "\r\n";
    }
    out << "\n" << std::string(100, 'z') << "\ntail";
  }
  acq::ReadOptions options;
  options.chunk_bytes = 7;
  options.max_line_bytes = 50;
  std::vector<std::string> lines;
  auto stats =
      acq::readFileLines(path, options, [&](std::string_view l) { lines.emplace_back(l); });
  std::filesystem::remove(path);
  REQUIRE(stats.ok());
  CHECK(stats->lines == 1001);
  CHECK(stats->empty == 1);
  CHECK(stats->too_long == 1);
  CHECK(lines.front() == "line 0");
  CHECK(lines[999] == "line 999");
  CHECK(lines.back() == "tail");
}

TEST_CASE("readFileLines names the path and the system error", "[acquisition]") {
  auto missing = acq::readFileLines("/nonexistent/cw.log", {}, [](std::string_view) {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "cannot open /nonexistent/cw.log: No such file or directory");

  const std::string dir = std::filesystem::temp_directory_path().string();
  auto directory = acq::readFileLines(dir, {}, [](std::string_view) {});
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().message == "cannot read " + dir + ": Is a directory");
}
