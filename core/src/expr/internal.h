// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/value.h"
#include "cw/core/expr/expr.h"
#include "cw/core/expr/services.h"

// Private to the expr area: the evaluation context, the node interface the compiler builds,
// the function table, and the value operations shared by nodes and helpers.
namespace cw::core::expr::detail {

/// Per-evaluation state. Errors are reported by returning false from eval() after setting
/// `error` (no exceptions on the per-event path).
struct Ctx {
  std::span<const Value> vars;
  const Services* services = nullptr;
  Value* locals = nullptr;  ///< let bindings and closure elements, slots fixed at compile time
  std::string error;
};

inline bool fail(Ctx& c, std::string msg) {
  if (c.error.empty()) {
    c.error = std::move(msg);
  }
  return false;
}

class Node {
 public:
  explicit Node(int pos) : pos_(pos) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual bool eval(Ctx& c, Value& out) const = 0;

  /// Evaluation as a bool; false return = error. Conditions override this to skip building a
  /// Value. Non-bool results are an error.
  virtual bool evalBool(Ctx& c, bool& out) const {
    Value v;
    if (!eval(c, v)) {
      return false;
    }
    if (!v.isBool()) {
      return fail(c, std::string("expected bool, got ") + Value::kindName(v.kind()));
    }
    out = v.asBool();
    return true;
  }

  /// Evaluation for string consumers (==, contains, matches...): sets `is_string` and `s`
  /// (which may point into `scratch`, so the caller keeps scratch alive while using s).
  virtual bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value& scratch) const {
    if (!eval(c, scratch)) {
      return false;
    }
    is_string = scratch.isString();
    if (is_string) {
      s = scratch.asString();
    }
    return true;
  }
  /// A constant node's value (only meaningful when isConst()).
  virtual bool isConst() const { return false; }
  /// True when the node is pure and all its inputs are constant, so the compiler may evaluate
  /// it once at compile time.
  virtual bool foldable() const { return false; }
  int pos() const { return pos_; }

 private:
  int pos_;
};
using NodePtr = std::unique_ptr<Node>;

/// A node that computes a bool: it implements evalBool() and gets eval() from it.
class PredicateNode : public Node {
 public:
  using Node::Node;
  bool eval(Ctx& c, Value& out) const final {
    bool b = false;
    if (!evalBool(c, b)) {
      return false;
    }
    out = Value::boolean(b);
    return true;
  }
  bool evalBool(Ctx& c, bool& out) const override = 0;
};

class ConstNode : public Node {
 public:
  ConstNode(int pos, Value v) : Node(pos), v_(std::move(v)) {}
  bool eval(Ctx&, Value& out) const override {
    out = v_;
    return true;
  }
  bool isConst() const override { return true; }
  const Value& value() const { return v_; }

 private:
  Value v_;
};

/// A native function: builtins and CrowdSec helpers. `args` may be modified (moved from).
using NativeFn = bool (*)(Ctx& c, std::span<Value> args, Value& out);

struct FunctionDef {
  std::string_view name;
  int min_args;
  int max_args;  ///< -1 = variadic
  NativeFn fn;
  bool pure;     ///< may be folded when all arguments are constant
};

/// The two function tables (builtins.cc: expr's builtins; helpers.cc: CrowdSec helpers).
std::span<const FunctionDef> builtinFunctions();
std::span<const FunctionDef> helperFunctions();

/// Looks a function up by its exact (case-sensitive) name; nullptr when unknown.
const FunctionDef* findFunction(std::string_view name);

// Value operations (values.cc).
bool valueEquals(const Value& a, const Value& b);
/// <, >, <=, >= on numbers, strings, durations and times. op: '<' '>' 'l' (<=) 'g' (>=).
bool compareValues(Ctx& c, const Value& a, const Value& b, char op, bool& result);
bool arith(Ctx& c, char op, const Value& a, const Value& b, Value& out);
bool inValue(Ctx& c, const Value& needle, const Value& haystack, bool& result);
/// Member or index access: `obj.name`, `obj[key]`.
bool memberGet(Ctx& c, const Value& obj, const Value& key, Value& out);
bool memberGetName(Ctx& c, const Value& obj, std::string_view name, Value& out);
bool sliceValue(Ctx& c, const Value& obj, const Value* from, const Value* to, Value& out);
bool callMethod(Ctx& c, const Value& obj, std::string_view name, std::span<Value> args,
                Value& out);
bool lengthOf(Ctx& c, const Value& v, std::int64_t& n);
/// Iterates arrays (and host collections by materializing them); false + error otherwise.
bool toArray(Ctx& c, const Value& v, Value& out_array);
std::string kindOf(const Value& v);
/// JSON text of a value (toJSON / ToJsonString).
std::string toJson(const Value& v, bool pretty);
/// Decodes JSON into a Value (numbers become floats, like Go's encoding/json into any).
bool fromJson(std::string_view text, Value& out, std::string& error);

// String primitives shared by expr's builtins (builtins.cc) and CrowdSec's helpers
// (helpers.cc), which name many of the same operations twice (upper/Upper, replace/Replace...).

/// `v` as a string, or a runtime error "<fn>() expects a string, got <kind>".
bool wantString(Ctx& c, std::string_view fn, const Value& v, std::string_view& out);
/// Upper/lower case: ASCII and the Latin-1 supplement.
std::string asciiAndUtf8Case(std::string_view s, bool upper);
/// Go's strings.Split/SplitAfter/SplitN: parts borrow from `sv` (a string value).
ValueArray goSplit(const Value& sv, std::string_view sep, bool after, std::int64_t n);
/// Go's strings.Replace: at most `max` replacements (all when negative).
std::string replaceN(std::string_view s, std::string_view o, std::string_view n,
                     std::int64_t max);
/// Standard base64 with padding; false on invalid input.
bool base64Decode(std::string_view in, std::string& out);
/// XMLGetNodeValue / XMLGetAttributeValue (xml.cc).
bool xmlGetNodeValue(std::string_view xml, std::string_view path, std::string* attr,
                     std::string& out);


// Host types defined in bindings.cc that the value operations need to recognise.
extern const HostType kStrMapType;
extern const HostType kEventType;
extern const HostType kWeekdayType;
extern const HostType kMonthType;

/// Data files and stash held by Services (services.cc).
struct DataFile;
const DataFile* findDataFile(const Services* s, std::string_view name);
const ValueArray* dataFileLines(const DataFile* f);
bool dataFileContains(const DataFile* f, std::string_view s);
/// `fn(line)` for every line of `f` (fn: a pure one-argument function), computed once and
/// kept with the file; nullptr when fn fails on some line (callers then evaluate per element,
/// so the error shows where it would).
const ValueArray* dataFileMapped(const DataFile* f, NativeFn fn, const Services* services);

} // namespace cw::core::expr::detail
