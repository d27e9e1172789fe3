// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/common/value.h"

// The expression language of filters, groupby, statics, conditions, profiles and hub-test
// asserts: shared/docs/contract/expr.md. Source text is compiled once, at load time, into a
// tree of nodes with names, constants, regexes and field paths resolved; evaluation walks that
// tree per event. A syntax error or an unknown name fails compile() with the column.

namespace cw::core::expr {

class Services;

/// What a variable holds, so the compiler can resolve field paths on it ahead of time.
enum class VarType {
  Any,     ///< a plain Value, resolved at run time
  Event,   ///< cw::core::event::Event (host), e.g. `evt`
};

struct Variable {
  std::string name;
  VarType type = VarType::Any;
};

/// A caller-provided function (e.g. hub tests' `basename`). Arguments may borrow from the
/// evaluation's variables; the result must own its data (or borrow from the arguments).
using ExtraFunction = std::function<Result<Value>(std::span<const Value> args)>;

/// The names an expression may use: variables in a fixed order (the order of the values passed
/// to Program::run) plus the built-in helpers and `extra_functions`.
struct Environment {
  std::vector<Variable> variables;
  const Services* services = nullptr;  ///< helpers, data files, stash; required
  /// Functions added by the caller, looked up before the built-in helpers. Copied into each
  /// compiled Program, so the Environment need not outlive it.
  std::vector<std::pair<std::string, ExtraFunction>> extra_functions;

  Environment& addFunction(std::string name, ExtraFunction fn) {
    extra_functions.emplace_back(std::move(name), std::move(fn));
    return *this;
  }

  static Environment forEvent(const Services& s);           ///< evt
  static Environment forBucket(const Services& s);          ///< evt, queue, leaky
  static Environment forOverflowFilter(const Services& s);  ///< queue, signal, leaky
  static Environment forProfile(const Services& s);         ///< Alert
};

/// A compiled expression. Cheap to move; shareable across threads for evaluation.
class Program {
 public:
  /// Compiles `source`. Errors read "<message> (line L, column C)" with 1-based positions;
  /// callers prefix the file, item and field.
  static Result<Program> compile(std::string_view source, const Environment& env);

  /// Evaluates with `vars` in the Environment's order. A runtime error (nil dereference, bad
  /// index, helper failure, wrong operand types) is returned as an Error, never thrown.
  /// The result may borrow from the variables (a string view into the Event): copy it with
  /// Value::detached() before the variables change.
  Result<Value> run(std::span<const Value> vars) const;

  /// run() that must produce a bool; anything else is an error.
  Result<bool> runBool(std::span<const Value> vars) const;

  const std::string& source() const;

  Program();
  ~Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

} // namespace cw::core::expr
