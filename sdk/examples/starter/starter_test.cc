// SPDX-License-Identifier: Apache-2.0
// Unit test of the starter plugin with the SDK's fakes: no Crowdwall needed.
#include <chrono>
#include <cstdio>

#include "cw/sdk/testing.h"

extern "C" const cw_plugin_descriptor* cw_plugin_entry(const cw_host_api* host);

namespace {
int failures = 0;
void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}
}  // namespace

int main() {
  cw::sdk::testing::FakeHost host;
  const cw_plugin_descriptor* d = cw_plugin_entry(host.api());
  expect(d != nullptr && d->kind == CW_KIND_ACQUISITION, "entry returns an acquisition plugin");

  {
    cw::sdk::testing::SourceDriver bad(d);
    expect(bad.create("count: 0\ncolour: red\n") == CW_INVALID, "bad configuration refused");
    auto reports = host.reports();
    expect(reports.size() == 2 && reports[0] == "unknown key 'colour'" &&
               reports[1] == "count must be a positive number",
           "every problem reported");
  }

  cw::sdk::testing::SourceDriver source(d);
  expect(source.create("message: hi\ncount: 2\ninterval_ms: 1\n", CW_MODE_CAT) == CW_OK,
         "good configuration accepted");
  cw::sdk::testing::FakeSink sink;
  expect(source.start(sink) == CW_OK, "starts");
  expect(sink.waitFinished(std::chrono::seconds(5)), "finishes in cat mode");
  source.stop();
  auto lines = sink.lines();
  expect(lines.size() == 2 && lines[0].raw == "hi 1" && lines[1].raw == "hi 2",
         "emits the configured lines");
  expect(source.stats().lines == 2, "counts its lines");
  return failures == 0 ? 0 : 1;
}
