// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "cw/core/expr/bindings.h"
#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"

namespace cw::test {

/// Compiles and runs `src` against `e` (as `evt`); returns the result or the error text
/// prefixed by "ERR:" so tests can assert exact messages.
struct ExprRunner {
  core::expr::Services services;
  core::event::Event event;

  core::Result<core::Value> run(const std::string& src) {
    auto env = core::expr::Environment::forEvent(services);
    auto p = core::expr::Program::compile(src, env);
    if (!p.ok()) {
      return p.error();
    }
    core::Value v = core::expr::eventValue(event);
    auto r = p->run(std::span<const core::Value>(&v, 1));
    if (!r.ok()) {
      return r.error();
    }
    return r->detached();
  }
  /// Result as text: toString() of the value, with a type tag for non-strings.
  std::string show(const std::string& src) {
    auto r = run(src);
    if (!r.ok()) {
      return "ERR:" + r.error().message;
    }
    const core::Value& v = *r;
    if (v.isString()) {
      return "'" + std::string(v.asString()) + "'";
    }
    if (v.isNil()) {
      return "nil";
    }
    return v.toString();
  }
};

}  // namespace cw::test
