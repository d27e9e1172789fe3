// SPDX-License-Identifier: Apache-2.0
// The per-event path must not allocate when no filter matches (STYLE: hot path). Counts heap
// allocations made by pour() through a replaced global operator new, enabled only while the
// measured call runs.
#include <atomic>
#include <cstdlib>
#include <new>

#include <catch2/catch.hpp>

#include "scenario_test_util.h"

// The replacement pair below allocates with malloc and frees with free; g++ 12 cannot see that
// operator new and operator delete are replaced together and warns about a mismatch.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
} // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace cw::core;
using namespace cw::core::scenarios;
using namespace cw::core::scenarios::testing;

TEST_CASE("pouring an event no filter accepts does not allocate", "[scenario][alloc]") {
  Harness h;
  auto m = h.load(R"(
type: leaky
name: test/a
description: d
filter: "evt.Meta.log_type == 'ssh_failed-auth'"
groupby: evt.Meta.source_ip
capacity: 5
leakspeed: 10s
---
type: trigger
name: test/b
description: d
filter: "evt.Meta.log_type == 'http_access-log' && evt.Meta.http_status == '404'"
groupby: evt.Meta.source_ip
)");
  REQUIRE(m.ok());
  auto e = logEvent("10.0.0.1", "2020-01-01T10:00:00Z");
  std::vector<event::Event> out;
  out.reserve(4);
  m->pour(e, out);  // warm-up
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 100; ++i) {
    m->pour(e, out);
  }
  g_counting = false;
  CHECK(g_allocations.load() == 0);
  CHECK(out.empty());
  CHECK(m->stats().poured == 0);

  // The counter does see allocations: a matching event is copied into a new bucket.
  auto ssh = logEvent("10.0.0.1", "2020-01-01T10:00:00Z", {{"log_type", "ssh_failed-auth"}});
  g_allocations = 0;
  g_counting = true;
  m->pour(ssh, out);
  g_counting = false;
  CHECK(g_allocations.load() > 0);
  CHECK(m->liveBuckets() == 1);
}
