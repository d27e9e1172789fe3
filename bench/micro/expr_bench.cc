// SPDX-License-Identifier: Apache-2.0
// Evaluation cost of the filter shapes hub content uses most, on a populated Event.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cw/core/expr/bindings.h"
#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"

using namespace cw::core;

namespace {

struct Fixture {
  expr::Services services;
  event::Event event;
  Value evt;

  Fixture() {
    event.meta.set("log_type", "http_access-log");
    event.meta.set("service", "http");
    event.meta.set("source_ip", "192.168.1.10");
    event.meta.set("http_path", "/wp-login.php");
    event.meta.set("http_user_agent", "Mozilla/5.0 (compatible; nikto)");
    event.parsed.set("program", "sshd");
    event.parsed.set("message", "Failed password for root from 1.2.3.4 port 22 ssh2");
    event.line.raw = "Feb 12 10:00:00 host sshd[42]: Failed password for root";
    const auto p = std::filesystem::temp_directory_path() / "cw_expr_bench_ua.txt";
    std::ofstream(p) << "sqlmap\nnikto\nmasscan\nzgrab\nnuclei\n";
    (void)services.loadDataFile("ua.txt", p.string(), expr::DataFileType::String);
    // 36 probe strings (the size of the hub's XSS probe list) and 200 file names.
    event.parsed.set("http_args", "id=42&q=hello%20world&page=3&sort=asc");
    event.parsed.set("file_name", "index.php");
    const auto probes = std::filesystem::temp_directory_path() / "cw_expr_bench_probes.txt";
    {
      std::ofstream out(probes);
      for (int i = 0; i < 36; ++i) {
        out << "<tag" << i << " onevent=\n";
      }
    }
    (void)services.loadDataFile("probes.txt", probes.string(), expr::DataFileType::String);
    const auto names = std::filesystem::temp_directory_path() / "cw_expr_bench_names.txt";
    {
      std::ofstream out(names);
      for (int i = 0; i < 200; ++i) {
        out << "shell" << i << ".php\n";
      }
    }
    (void)services.loadDataFile("names.txt", names.string(), expr::DataFileType::String);
    evt = expr::eventValue(event);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void runShape(benchmark::State& state, const char* src) {
  Fixture& f = fixture();
  auto env = expr::Environment::forEvent(f.services);
  auto p = expr::Program::compile(src, env);
  if (!p.ok()) {
    state.SkipWithError(p.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto r = p->runBool(std::span<const Value>(&f.evt, 1));
    benchmark::DoNotOptimize(r);
  }
}

}  // namespace

BENCHMARK_CAPTURE(runShape, meta_eq, "evt.Meta.log_type == 'http_access-log'");
BENCHMARK_CAPTURE(runShape, parsed_in_list, "evt.Parsed.program in ['sshd', 'sshd-session']");
BENCHMARK_CAPTURE(runShape, meta_and,
                  "evt.Meta.log_type == 'http_access-log' and evt.Meta.service == 'http'");
BENCHMARK_CAPTURE(runShape, contains, "evt.Parsed.message contains 'Failed password'");
BENCHMARK_CAPTURE(runShape, starts_with, "evt.Line.Raw startsWith 'Feb'");
BENCHMARK_CAPTURE(runShape, matches, "evt.Meta.http_path matches '\\\\.php$'");
BENCHMARK_CAPTURE(runShape, len, "len(evt.Meta.source_ip) > 0");
BENCHMARK_CAPTURE(runShape, in_file, "evt.Meta.http_user_agent in File('ua.txt')");
BENCHMARK_CAPTURE(runShape, any_file_contains,
                  "any(File('ua.txt'), {evt.Meta.http_user_agent contains #})");
BENCHMARK_CAPTURE(runShape, get_meta, "evt.GetMeta('service') == 'http'");
BENCHMARK_CAPTURE(runShape, upper_alloc, "Upper(evt.Meta.service) == 'HTTP'");
// Closure over a data file: the first form gets the closure optimisations (the left Upper
// once per run, Upper(#) from the file's table); piped calls take the plain per-element path,
// which is what the first form cost before them.
BENCHMARK_CAPTURE(runShape, any_file_upper_contains,
                  "any(File('probes.txt'), {Upper(evt.Parsed.http_args) contains Upper(#)})");
BENCHMARK_CAPTURE(runShape, any_file_upper_contains_plain,
                  "any(File('probes.txt'), {(evt.Parsed.http_args | Upper()) contains "
                  "(# | Upper())})");
BENCHMARK_CAPTURE(runShape, any_file_eq, "any(File('names.txt'), {evt.Parsed.file_name == #})");
BENCHMARK_CAPTURE(runShape, any_file_eq_plain,
                  "any(File('names.txt'), {evt.Parsed.file_name == # || false})");

BENCHMARK_MAIN();
