// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "cw/core/expr/bindings.h"
#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"

using namespace cw::core;

TEST_CASE("smoke", "[expr]") {
  expr::Services s;
  auto env = expr::Environment::forEvent(s);
  event::Event e;
  e.meta.set("log_type", "ssh_failed-auth");
  auto p = expr::Program::compile("evt.Meta.log_type == 'ssh_failed-auth' && 1 + 2 == 3", env);
  REQUIRE(p.ok());
  Value v = expr::eventValue(e);
  auto r = p->runBool(std::span<const Value>(&v, 1));
  REQUIRE(r.ok());
  CHECK(*r);
}
