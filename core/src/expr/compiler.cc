// SPDX-License-Identifier: Apache-2.0
// Pratt parser that builds the evaluation tree directly: names, functions, regexes and event
// field paths are resolved while parsing; pure sub-trees with constant inputs are folded.
#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "cw/core/event/event.h"
#include "cw/core/expr/bindings.h"
#include "cw/core/expr/expr.h"
#include "internal.h"
#include "lexer.h"

namespace cw::core::expr {

using detail::Ctx;
using detail::fail;
using detail::Node;
using detail::NodePtr;
using detail::PredicateNode;
using detail::NativeFn;

struct Program::Impl {
  std::string source;
  NodePtr root;
  int num_locals = 0;
  const Services* services = nullptr;
  std::vector<std::pair<std::string, ExtraFunction>> extra_functions;
};

namespace {

/// Regexes built at run time (`x matches Upper(#)` over a data file) are compiled once per
/// distinct pattern and kept; the cache is bounded so hostile input cannot grow it forever.
const RE2* dynamicRegex(std::string_view pattern, std::string& error) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  constexpr std::size_t kMaxEntries = 4096;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(std::string(pattern));
  if (it == cache.end()) {
    if (cache.size() >= kMaxEntries) {
      cache.clear();
    }
    auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
    it = cache.emplace(std::string(pattern), std::move(re)).first;
  }
  if (!it->second->ok()) {
    error = it->second->error();
    return nullptr;
  }
  return it->second.get();
}


using K = Value::Kind;
constexpr int kMaxDepth = 256;
// Operator chains (`a || b || c ...`) grow the tree without parser recursion; bound them too,
// since evaluating and destroying the tree recurses once per link.
constexpr int kMaxChain = 4096;

// ---------------------------------------------------------------------------------------------
// Nodes

class VarNode : public Node {
 public:
  VarNode(int pos, int index) : Node(pos), index_(index) {}
  bool eval(Ctx& c, Value& out) const override {
    out = c.vars[static_cast<std::size_t>(index_)];
    return true;
  }
  int index() const { return index_; }

 private:
  int index_;
};

class LocalNode : public Node {
 public:
  LocalNode(int pos, int slot) : Node(pos), slot_(slot) {}
  bool eval(Ctx& c, Value& out) const override {
    out = c.locals[slot_];
    return true;
  }
  // The slot outlives the consumer's use of `s`: no copy (and no reference count) needed.
  bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value&) const override {
    const Value& v = c.locals[slot_];
    is_string = v.isString();
    if (is_string) {
      s = v.asString();
    }
    return true;
  }
  int slot() const { return slot_; }

 private:
  int slot_;
};

/// `F(#)` in a closure over `File('name')`, F a pure one-argument function (`Upper(#)` in
/// {Upper(evt.Parsed.http_args) contains Upper(#)}): F of every line is computed once and kept
/// with the data file (dataFileMapped), so each element reads its entry instead of calling F
/// (which allocates). The predicate puts the table in table slot, or nil when it cannot be
/// used (another array, F failed on a line): then F runs as usual. Disabled (pass-through)
/// unless the enclosing predicate iterates a File('const') call.
class FileElementNode : public Node {
 public:
  FileElementNode(int pos, NodePtr call, NativeFn fn, int elem_slot, int table_slot)
      : Node(pos), call_(std::move(call)), fn_(fn), elem_slot_(elem_slot),
        table_slot_(table_slot) {}
  bool eval(Ctx& c, Value& out) const override {
    if (const Value* v = entry(c)) {
      out = *v;
      return true;
    }
    return call_->eval(c, out);
  }
  bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value& scratch) const override {
    if (const Value* v = entry(c)) {
      is_string = v->isString();
      if (is_string) {
        s = v->asString();  // the table lives as long as the data file
      }
      return true;
    }
    return call_->evalString(c, s, is_string, scratch);
  }
  void enable() { enabled_ = true; }
  NativeFn fn() const { return fn_; }
  int tableSlot() const { return table_slot_; }

 private:
  const Value* entry(Ctx& c) const {
    if (!enabled_) {
      return nullptr;
    }
    const Value& t = c.locals[table_slot_];
    if (t.kind() != K::Array) {
      return nullptr;
    }
    const auto i = static_cast<std::size_t>(c.locals[elem_slot_ + 1].asInt());
    return i < t.asArray().size() ? &t.asArray()[i] : nullptr;
  }

  NodePtr call_;
  NativeFn fn_;
  int elem_slot_;
  int table_slot_;
  bool enabled_ = false;
};

/// A pure call inside a closure body that reads no closure element, index, accumulator or
/// let binding (`Upper(evt.Parsed.http_args)` in `any(File(...), {Upper(evt.Parsed.http_args)
/// contains Upper(#)})`): evaluated the first time the body reaches it in one run of the
/// enclosing predicate, then reused for the remaining elements. Exact: the body calls nothing
/// impure (the parser checks, else the node is disabled), so its inputs cannot change between
/// elements, and the first evaluation happens where it would without caching (an error stops
/// the predicate there either way). Slot holds the value, slot + 1 is true while it is valid;
/// the predicate clears slot + 1 when it starts.
class CachedNode : public Node {
 public:
  CachedNode(int pos, int slot, NodePtr inner)
      : Node(pos), slot_(slot), inner_(std::move(inner)) {}
  bool eval(Ctx& c, Value& out) const override {
    if (!fill(c)) {
      return false;
    }
    out = c.locals[slot_];
    return true;
  }
  bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value&) const override {
    if (!fill(c)) {
      return false;
    }
    const Value& v = c.locals[slot_];
    is_string = v.isString();
    if (is_string) {
      s = v.asString();
    }
    return true;
  }
  /// Turns caching off: the closure body turned out to call something impure.
  void disable() { enabled_ = false; }
  int slot() const { return slot_; }

 private:
  bool fill(Ctx& c) const {
    Value& valid = c.locals[slot_ + 1];
    if (enabled_ && valid.isBool()) {
      return true;
    }
    if (!inner_->eval(c, c.locals[slot_])) {
      return false;
    }
    if (enabled_) {
      valid = Value::boolean(true);
    }
    return true;
  }

  int slot_;
  NodePtr inner_;
  bool enabled_ = true;
};

event::Event* eventOf(Ctx& c, int var) {
  const Value& v = c.vars[static_cast<std::size_t>(var)];
  if (v.kind() != K::Host || v.hostType() != &detail::kEventType) {
    return nullptr;
  }
  return static_cast<event::Event*>(v.hostObject());
}

enum class EvMap { Meta, Parsed, Enriched, Labels };

event::StrMap& pickMap(event::Event& e, EvMap m) {
  switch (m) {
    case EvMap::Meta:
      return e.meta;
    case EvMap::Parsed:
      return e.parsed;
    case EvMap::Enriched:
      return e.enriched;
    case EvMap::Labels:
      return e.line.labels;
  }
  return e.meta;
}

bool noEvent(Ctx& c) { return fail(c, "variable is not an event"); }

/// evt.Meta (the whole map).
class EventMapNode : public Node {
 public:
  EventMapNode(int pos, int var, EvMap which) : Node(pos), var_(var), which_(which) {}
  bool eval(Ctx& c, Value& out) const override {
    event::Event* e = eventOf(c, var_);
    if (e == nullptr) {
      return noEvent(c);
    }
    out = strMapValue(pickMap(*e, which_));
    return true;
  }
  int var() const { return var_; }
  EvMap which() const { return which_; }

 private:
  int var_;
  EvMap which_;
};

/// evt.Meta.key / evt.Parsed["key"]: a view into the event, "" when absent.
class EventMapKeyNode : public Node {
 public:
  EventMapKeyNode(int pos, int var, EvMap which, std::string key)
      : Node(pos), var_(var), which_(which), key_(std::move(key)) {}
  bool eval(Ctx& c, Value& out) const override {
    event::Event* e = eventOf(c, var_);
    if (e == nullptr) {
      return noEvent(c);
    }
    out = Value::stringView(pickMap(*e, which_).get(key_));
    return true;
  }
  bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value&) const override {
    event::Event* e = eventOf(c, var_);
    if (e == nullptr) {
      return noEvent(c);
    }
    s = pickMap(*e, which_).get(key_);
    is_string = true;
    return true;
  }

 private:
  int var_;
  EvMap which_;
  std::string key_;
};

using StrGetter = const std::string& (*)(const event::Event&);

/// evt.Line.Raw, evt.StrTime ...: a view into the event.
class EventStrNode : public Node {
 public:
  EventStrNode(int pos, int var, StrGetter get) : Node(pos), var_(var), get_(get) {}
  bool eval(Ctx& c, Value& out) const override {
    event::Event* e = eventOf(c, var_);
    if (e == nullptr) {
      return noEvent(c);
    }
    out = Value::stringView(get_(*e));
    return true;
  }
  bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value&) const override {
    event::Event* e = eventOf(c, var_);
    if (e == nullptr) {
      return noEvent(c);
    }
    s = get_(*e);
    is_string = true;
    return true;
  }

 private:
  int var_;
  StrGetter get_;
};

/// The `evt.Line` struct as a path prefix (resolved further by the parser).
class EventLineNode : public Node {
 public:
  EventLineNode(int pos, NodePtr generic, int var)
      : Node(pos), generic_(std::move(generic)), var_(var) {}
  bool eval(Ctx& c, Value& out) const override { return generic_->eval(c, out); }
  int var() const { return var_; }

 private:
  NodePtr generic_;
  int var_;
};

/// evt.GetMeta(key).
class EventGetMetaNode : public Node {
 public:
  EventGetMetaNode(int pos, int var, NodePtr key) : Node(pos), var_(var), key_(std::move(key)) {}
  bool eval(Ctx& c, Value& out) const override {
    std::string_view s;
    bool is_string = false;
    Value scratch;
    if (!evalString(c, s, is_string, scratch)) {
      return false;
    }
    out = Value::stringView(s);
    return true;
  }
  bool evalString(Ctx& c, std::string_view& s, bool& is_string, Value& scratch) const override {
    event::Event* e = eventOf(c, var_);
    if (e == nullptr) {
      return noEvent(c);
    }
    std::string_view k;
    bool ks = false;
    if (!key_->evalString(c, k, ks, scratch)) {
      return false;
    }
    if (!ks) {
      return fail(c, "GetMeta() expects a string key");
    }
    s = e->getMeta(k);
    is_string = true;
    return true;
  }

 private:
  int var_;
  NodePtr key_;
};

class ArrayNode : public Node {
 public:
  ArrayNode(int pos, std::vector<NodePtr> elems) : Node(pos), elems_(std::move(elems)) {}
  bool eval(Ctx& c, Value& out) const override {
    ValueArray a;
    a.reserve(elems_.size());
    for (const NodePtr& e : elems_) {
      Value v;
      if (!e->eval(c, v)) {
        return false;
      }
      a.push_back(v.detached());
    }
    out = Value::array(std::move(a));
    return true;
  }
  bool foldable() const override {
    return std::all_of(elems_.begin(), elems_.end(), [](const NodePtr& n) { return n->isConst(); });
  }

 private:
  std::vector<NodePtr> elems_;
};

class MapNode : public Node {
 public:
  MapNode(int pos, std::vector<NodePtr> keys, std::vector<NodePtr> vals)
      : Node(pos), keys_(std::move(keys)), vals_(std::move(vals)) {}
  bool eval(Ctx& c, Value& out) const override {
    ValueMap m;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      Value k;
      Value v;
      if (!keys_[i]->eval(c, k) || !vals_[i]->eval(c, v)) {
        return false;
      }
      m.insert_or_assign(k.isString() ? std::string(k.asString()) : k.toString(), v.detached());
    }
    out = Value::map(std::move(m));
    return true;
  }
  bool foldable() const override {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (!keys_[i]->isConst() || !vals_[i]->isConst()) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<NodePtr> keys_;
  std::vector<NodePtr> vals_;
};

class NotNode : public PredicateNode {
 public:
  NotNode(int pos, NodePtr x) : PredicateNode(pos), x_(std::move(x)) {}
  bool evalBool(Ctx& c, bool& out) const override {
    if (!x_->evalBool(c, out)) {
      return false;
    }
    out = !out;
    return true;
  }
  bool foldable() const override { return x_->isConst(); }

 private:
  NodePtr x_;
};

class NegNode : public Node {
 public:
  NegNode(int pos, NodePtr x, bool minus) : Node(pos), x_(std::move(x)), minus_(minus) {}
  bool eval(Ctx& c, Value& out) const override {
    Value v;
    if (!x_->eval(c, v)) {
      return false;
    }
    if (v.isInt()) {
      out = minus_ ? Value::integer(-v.asInt()) : v;
    } else if (v.isFloat()) {
      out = minus_ ? Value::real(-v.asFloat()) : v;
    } else if (v.kind() == K::Duration) {
      out = minus_ ? Value::duration(-v.asDuration()) : v;
    } else {
      return fail(c, std::string("invalid operation: unary minus on ") + Value::kindName(v.kind()));
    }
    return true;
  }
  bool foldable() const override { return x_->isConst(); }

 private:
  NodePtr x_;
  bool minus_;
};

class AndOrNode : public PredicateNode {
 public:
  AndOrNode(int pos, NodePtr l, NodePtr r, bool is_and)
      : PredicateNode(pos), l_(std::move(l)), r_(std::move(r)), and_(is_and) {}
  bool evalBool(Ctx& c, bool& out) const override {
    if (!l_->evalBool(c, out)) {
      return false;
    }
    if (out != and_) {
      return true;  // false && x, true || x
    }
    return r_->evalBool(c, out);
  }
  bool foldable() const override { return l_->isConst() && r_->isConst(); }

 private:
  NodePtr l_;
  NodePtr r_;
  bool and_;
};

enum class Op {
  Eq, Ne, Lt, Gt, Le, Ge, Add, Sub, Mul, Div, Mod, Pow, In, Contains, StartsWith, EndsWith,
  Matches, Range
};

bool isBoolOp(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Lt || op == Op::Gt || op == Op::Le ||
         op == Op::Ge || op == Op::In || op == Op::Contains || op == Op::StartsWith ||
         op == Op::EndsWith || op == Op::Matches;
}

bool stringOp(Ctx& c, Op op, std::string_view a, std::string_view b, bool& out) {
  switch (op) {
    case Op::Eq:
      out = a == b;
      return true;
    case Op::Ne:
      out = a != b;
      return true;
    case Op::Contains:
      out = a.find(b) != std::string_view::npos;
      return true;
    case Op::StartsWith:
      out = a.substr(0, b.size()) == b;
      return true;
    case Op::EndsWith:
      out = a.size() >= b.size() && a.substr(a.size() - b.size()) == b;
      return true;
    default:
      return fail(c, "internal: bad string operator");
  }
}

const char* opName(Op op) {
  switch (op) {
    case Op::Contains:
      return "contains";
    case Op::StartsWith:
      return "startsWith";
    case Op::EndsWith:
      return "endsWith";
    case Op::Matches:
      return "matches";
    default:
      return "operator";
  }
}

class BinaryNode : public Node {
 public:
  BinaryNode(int pos, Op op, NodePtr l, NodePtr r, bool negate)
      : Node(pos), op_(op), l_(std::move(l)), r_(std::move(r)), negate_(negate) {}

  bool eval(Ctx& c, Value& out) const override {
    if (isBoolOp(op_)) {
      bool b = false;
      if (!evalBool(c, b)) {
        return false;
      }
      out = Value::boolean(b);
      return true;
    }
    Value a;
    Value b;
    if (!l_->eval(c, a) || !r_->eval(c, b)) {
      return false;
    }
    switch (op_) {
      case Op::Add:
        return detail::arith(c, '+', a, b, out);
      case Op::Sub:
        return detail::arith(c, '-', a, b, out);
      case Op::Mul:
        return detail::arith(c, '*', a, b, out);
      case Op::Div:
        return detail::arith(c, '/', a, b, out);
      case Op::Mod:
        return detail::arith(c, '%', a, b, out);
      case Op::Pow:
        return detail::arith(c, '^', a, b, out);
      case Op::Range: {
        if (!a.isInt() || !b.isInt()) {
          return fail(c, "range bounds must be ints");
        }
        if (b.asInt() - a.asInt() > 10'000'000) {
          return fail(c, "range too large");
        }
        ValueArray r;
        for (std::int64_t i = a.asInt(); i <= b.asInt(); ++i) {
          r.push_back(Value::integer(i));
        }
        out = Value::array(std::move(r));
        return true;
      }
      default:
        return fail(c, "internal: bad operator");
    }
  }

  bool evalBool(Ctx& c, bool& out) const override {
    if (!isBoolOp(op_)) {
      return Node::evalBool(c, out);
    }
    if (!evalBoolRaw(c, out)) {
      return false;
    }
    if (negate_) {
      out = !out;
    }
    return true;
  }

  bool foldable() const override { return l_->isConst() && r_->isConst(); }
  Op op() const { return op_; }
  bool negated() const { return negate_; }
  NodePtr& left() { return l_; }
  NodePtr& right() { return r_; }

 private:
  bool evalBoolRaw(Ctx& c, bool& out) const {
    if (op_ == Op::Contains || op_ == Op::StartsWith || op_ == Op::EndsWith ||
        op_ == Op::Matches) {
      Value sa;
      Value sb;
      std::string_view a;
      std::string_view b;
      bool as = false;
      bool bs = false;
      if (!l_->evalString(c, a, as, sa) || !r_->evalString(c, b, bs, sb)) {
        return false;
      }
      if (!as || !bs) {
        return fail(c, std::string("invalid operation: ") + opName(op_) + " on " +
                           Value::kindName(as ? K::String : sa.kind()) + " and " +
                           Value::kindName(bs ? K::String : sb.kind()));
      }
      if (op_ == Op::Matches) {
        std::string error;
        const RE2* re = dynamicRegex(b, error);
        if (re == nullptr) {
          return fail(c, "invalid regular expression: " + error);
        }
        out = RE2::PartialMatch(a, *re);
        return true;
      }
      return stringOp(c, op_, a, b, out);
    }
    Value a;
    Value b;
    if (!l_->eval(c, a) || !r_->eval(c, b)) {
      return false;
    }
    switch (op_) {
      case Op::Eq:
        out = a == b;
        return true;
      case Op::Ne:
        out = !(a == b);
        return true;
      case Op::Lt:
        return detail::compareValues(c, a, b, '<', out);
      case Op::Gt:
        return detail::compareValues(c, a, b, '>', out);
      case Op::Le:
        return detail::compareValues(c, a, b, 'l', out);
      case Op::Ge:
        return detail::compareValues(c, a, b, 'g', out);
      case Op::In:
        return detail::inValue(c, a, b, out);
      default:
        return fail(c, "internal: bad operator");
    }
  }

  Op op_;
  NodePtr l_;
  NodePtr r_;
  bool negate_;
};

/// `x == 'lit'`, `x contains 'lit'`... with a constant string: no Value is built for x when it
/// is an event field.
class StrConstOpNode : public PredicateNode {
 public:
  StrConstOpNode(int pos, Op op, NodePtr x, std::string lit, bool negate)
      : PredicateNode(pos), op_(op), x_(std::move(x)), lit_(std::move(lit)), negate_(negate) {}
  bool evalBool(Ctx& c, bool& out) const override {
    Value scratch;
    std::string_view s;
    bool is_string = false;
    if (!x_->evalString(c, s, is_string, scratch)) {
      return false;
    }
    if (!is_string) {
      if (op_ == Op::Eq || op_ == Op::Ne) {
        out = (op_ == Op::Ne) != negate_;  // different kinds are unequal
        return true;
      }
      return fail(c, std::string("invalid operation: ") + opName(op_) + " on " +
                         Value::kindName(scratch.kind()) + " and string");
    }
    if (!stringOp(c, op_, s, lit_, out)) {
      return false;
    }
    if (negate_) {
      out = !out;
    }
    return true;
  }

 private:
  Op op_;
  NodePtr x_;
  std::string lit_;
  bool negate_;
};

/// `x matches 'const'`: the regex is compiled once.
class RegexNode : public PredicateNode {
 public:
  RegexNode(int pos, NodePtr x, std::unique_ptr<RE2> re, bool negate)
      : PredicateNode(pos), x_(std::move(x)), re_(std::move(re)), negate_(negate) {}
  bool evalBool(Ctx& c, bool& out) const override {
    Value scratch;
    std::string_view s;
    bool is_string = false;
    if (!x_->evalString(c, s, is_string, scratch)) {
      return false;
    }
    if (!is_string) {
      return fail(c, std::string("invalid operation: ") + Value::kindName(scratch.kind()) +
                         " matches string");
    }
    out = RE2::PartialMatch(s, *re_) != negate_;
    return true;
  }

 private:
  NodePtr x_;
  std::unique_ptr<RE2> re_;
  bool negate_;
};

/// `x in [const, ...]`: strings checked through a hash set, other kinds by `==`.
class InConstNode : public PredicateNode {
 public:
  InConstNode(int pos, NodePtr x, Value arr, bool negate)
      : PredicateNode(pos), x_(std::move(x)), arr_(std::move(arr)), negate_(negate) {
    for (const Value& v : arr_.asArray()) {
      if (v.isString()) {
        strings_.insert(v.asString());
      } else {
        others_.push_back(v);
      }
    }
  }
  bool evalBool(Ctx& c, bool& out) const override {
    Value scratch;
    std::string_view s;
    bool is_string = false;
    if (!x_->evalString(c, s, is_string, scratch)) {
      return false;
    }
    if (is_string) {
      out = strings_.count(s) != 0;
    } else {
      out = std::any_of(others_.begin(), others_.end(),
                        [&](const Value& v) { return v == scratch; });
    }
    out = out != negate_;
    return true;
  }

 private:
  NodePtr x_;
  Value arr_;  // owns the strings the set points into
  std::unordered_set<std::string_view> strings_;
  ValueArray others_;
  bool negate_;
};

/// `x in File('name')`: hash lookup in the loaded data file.
class InFileNode : public PredicateNode {
 public:
  InFileNode(int pos, NodePtr x, std::string file, bool negate)
      : PredicateNode(pos), x_(std::move(x)), file_(std::move(file)), negate_(negate) {}
  bool evalBool(Ctx& c, bool& out) const override {
    Value scratch;
    std::string_view s;
    bool is_string = false;
    if (!x_->evalString(c, s, is_string, scratch)) {
      return false;
    }
    const detail::DataFile* f = detail::findDataFile(c.services, file_);
    out = is_string && f != nullptr && detail::dataFileContains(f, s);
    out = out != negate_;
    return true;
  }

 private:
  NodePtr x_;
  std::string file_;
  bool negate_;
};

class CoalesceNode : public Node {
 public:
  CoalesceNode(int pos, NodePtr l, NodePtr r) : Node(pos), l_(std::move(l)), r_(std::move(r)) {}
  bool eval(Ctx& c, Value& out) const override {
    // A failed left side (nil dereference along a path) also falls back, like `?.` would.
    if (l_->eval(c, out) && !out.isNil()) {
      return true;
    }
    c.error.clear();
    return r_->eval(c, out);
  }
  bool foldable() const override { return l_->isConst() && r_->isConst(); }

 private:
  NodePtr l_;
  NodePtr r_;
};

class CondNode : public Node {
 public:
  CondNode(int pos, NodePtr cond, NodePtr a, NodePtr b)
      : Node(pos), cond_(std::move(cond)), a_(std::move(a)), b_(std::move(b)) {}
  bool eval(Ctx& c, Value& out) const override {
    bool b = false;
    if (!cond_->evalBool(c, b)) {
      return false;
    }
    return (b ? a_ : b_)->eval(c, out);
  }
  bool evalBool(Ctx& c, bool& out) const override {
    bool b = false;
    if (!cond_->evalBool(c, b)) {
      return false;
    }
    return (b ? a_ : b_)->evalBool(c, out);
  }
  bool foldable() const override {
    return cond_->isConst() && a_->isConst() && b_->isConst();
  }

 private:
  NodePtr cond_;
  NodePtr a_;
  NodePtr b_;
};

class MemberNode : public Node {
 public:
  MemberNode(int pos, NodePtr obj, std::string name, bool optional)
      : Node(pos), obj_(std::move(obj)), name_(std::move(name)), optional_(optional) {}
  bool eval(Ctx& c, Value& out) const override {
    Value o;
    if (!obj_->eval(c, o)) {
      return false;
    }
    if (o.isNil() && optional_) {
      out = Value();
      return true;
    }
    return detail::memberGetName(c, o, name_, out);
  }
  bool foldable() const override { return obj_->isConst(); }
  const Node* object() const { return obj_.get(); }
  const std::string& name() const { return name_; }
  bool optional() const { return optional_; }

 private:
  NodePtr obj_;
  std::string name_;
  bool optional_;
};

class IndexNode : public Node {
 public:
  IndexNode(int pos, NodePtr obj, NodePtr key, bool optional)
      : Node(pos), obj_(std::move(obj)), key_(std::move(key)), optional_(optional) {}
  bool eval(Ctx& c, Value& out) const override {
    Value o;
    Value k;
    if (!obj_->eval(c, o)) {
      return false;
    }
    if (o.isNil() && optional_) {
      out = Value();
      return true;
    }
    if (!key_->eval(c, k)) {
      return false;
    }
    return detail::memberGet(c, o, k, out);
  }
  bool foldable() const override { return obj_->isConst() && key_->isConst(); }

 private:
  NodePtr obj_;
  NodePtr key_;
  bool optional_;
};

class SliceNode : public Node {
 public:
  SliceNode(int pos, NodePtr obj, NodePtr from, NodePtr to)
      : Node(pos), obj_(std::move(obj)), from_(std::move(from)), to_(std::move(to)) {}
  bool eval(Ctx& c, Value& out) const override {
    Value o;
    Value f;
    Value t;
    if (!obj_->eval(c, o)) {
      return false;
    }
    if (from_ && !from_->eval(c, f)) {
      return false;
    }
    if (to_ && !to_->eval(c, t)) {
      return false;
    }
    return detail::sliceValue(c, o, from_ ? &f : nullptr, to_ ? &t : nullptr, out);
  }
  bool foldable() const override {
    return obj_->isConst() && (!from_ || from_->isConst()) && (!to_ || to_->isConst());
  }

 private:
  NodePtr obj_;
  NodePtr from_;
  NodePtr to_;
};

/// Evaluates argument nodes into a small on-stack buffer (no allocation up to 6 arguments).
template <typename F>
bool withArgs(Ctx& c, const std::vector<NodePtr>& nodes, F&& f) {
  constexpr std::size_t kInline = 6;
  if (nodes.size() <= kInline) {
    Value buf[kInline];
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i]->eval(c, buf[i])) {
        return false;
      }
    }
    return f(std::span<Value>(buf, nodes.size()));
  }
  ValueArray buf(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i]->eval(c, buf[i])) {
      return false;
    }
  }
  return f(std::span<Value>(buf));
}

class MethodNode : public Node {
 public:
  MethodNode(int pos, NodePtr obj, std::string name, std::vector<NodePtr> args, bool optional)
      : Node(pos), obj_(std::move(obj)), name_(std::move(name)), args_(std::move(args)),
        optional_(optional) {}
  bool eval(Ctx& c, Value& out) const override {
    Value o;
    if (!obj_->eval(c, o)) {
      return false;
    }
    if (o.isNil() && optional_) {
      out = Value();
      return true;
    }
    return withArgs(c, args_, [&](std::span<Value> a) {
      return detail::callMethod(c, o, name_, a, out);
    });
  }

 private:
  NodePtr obj_;
  std::string name_;
  std::vector<NodePtr> args_;
  bool optional_;
};

class CallNode : public Node {
 public:
  CallNode(int pos, const detail::FunctionDef* def, std::vector<NodePtr> args)
      : Node(pos), def_(def), args_(std::move(args)) {}
  bool eval(Ctx& c, Value& out) const override {
    return withArgs(c, args_, [&](std::span<Value> a) { return def_->fn(c, a, out); });
  }
  bool foldable() const override {
    return def_->pure &&
           std::all_of(args_.begin(), args_.end(), [](const NodePtr& n) { return n->isConst(); });
  }
  const detail::FunctionDef* def() const { return def_; }
  const std::vector<NodePtr>& args() const { return args_; }

 private:
  const detail::FunctionDef* def_;
  std::vector<NodePtr> args_;
};

class ExtraCallNode : public Node {
 public:
  ExtraCallNode(int pos, const ExtraFunction* fn, std::string name, std::vector<NodePtr> args)
      : Node(pos), fn_(fn), name_(std::move(name)), args_(std::move(args)) {}
  bool eval(Ctx& c, Value& out) const override {
    return withArgs(c, args_, [&](std::span<Value> a) {
      Result<Value> r = (*fn_)(std::span<const Value>(a.data(), a.size()));
      if (!r.ok()) {
        return fail(c, name_ + "(): " + r.error().message);
      }
      out = std::move(r.value());
      return true;
    });
  }

 private:
  const ExtraFunction* fn_;  // points into Program::Impl::extra_functions
  std::string name_;
  std::vector<NodePtr> args_;
};

class LetNode : public Node {
 public:
  LetNode(int pos, int slot, NodePtr value, NodePtr body)
      : Node(pos), slot_(slot), value_(std::move(value)), body_(std::move(body)) {}
  bool eval(Ctx& c, Value& out) const override {
    if (!value_->eval(c, c.locals[slot_])) {
      return false;
    }
    return body_->eval(c, out);
  }

 private:
  int slot_;
  NodePtr value_;
  NodePtr body_;
};

/// `any(File('name'), {X == #})` with X the same for every element (reads no closure local,
/// body without effects): X is evaluated once, when the array has a first element (where the
/// loop would evaluate it first), and looked up in the file's hash set instead of compared
/// with every line. String lines equal only strings, so a non-string X is never found.
class AnyEqFileNode : public PredicateNode {
 public:
  AnyEqFileNode(int pos, NodePtr arr, NodePtr x, std::string file)
      : PredicateNode(pos), arr_(std::move(arr)), x_(std::move(x)), file_(std::move(file)) {}
  bool evalBool(Ctx& c, bool& out) const override {
    Value src;
    Value arr;
    if (!arr_->eval(c, src) || !detail::toArray(c, src, arr)) {
      return false;
    }
    const ValueArray& items = arr.asArray();
    out = false;
    if (items.empty()) {
      return true;
    }
    Value x;
    if (!x_->eval(c, x)) {
      return false;
    }
    const detail::DataFile* f = detail::findDataFile(c.services, file_);
    if (f != nullptr && &items == detail::dataFileLines(f)) {
      out = x.isString() && detail::dataFileContains(f, x.asString());
      return true;
    }
    out = std::any_of(items.begin(), items.end(), [&](const Value& v) { return x == v; });
    return true;
  }

 private:
  NodePtr arr_;
  NodePtr x_;
  std::string file_;
};

enum class Pred {
  All, Any, None, One, Filter, Map, Count, Find, FindIndex, FindLast, FindLastIndex, Sum,
  GroupBy, SortBy, Reduce, CountBy
};

/// Builtins taking a closure: the element goes to slot, its index to slot+1, reduce's
/// accumulator to slot+2.
class PredNode : public Node {
 public:
  PredNode(int pos, Pred kind, NodePtr arr, NodePtr body, NodePtr extra, int slot,
           std::vector<int> cache_slots = {}, std::string file = {},
           std::vector<std::pair<NativeFn, int>> file_tables = {})
      : Node(pos), kind_(kind), arr_(std::move(arr)), body_(std::move(body)),
        extra_(std::move(extra)), slot_(slot), cache_slots_(std::move(cache_slots)),
        file_(std::move(file)), file_tables_(std::move(file_tables)) {}

  bool eval(Ctx& c, Value& out) const override {
    Value src;
    Value arr;
    if (!arr_->eval(c, src) || !detail::toArray(c, src, arr)) {
      return false;
    }
    for (int s : cache_slots_) {
      c.locals[s + 1] = Value();  // CachedNode values of an earlier run are stale
    }
    if (!file_tables_.empty()) {
      const detail::DataFile* f = detail::findDataFile(c.services, file_);
      const bool lines = f != nullptr && &arr.asArray() == detail::dataFileLines(f);
      for (const auto& [fn, table_slot] : file_tables_) {
        const ValueArray* t = lines ? detail::dataFileMapped(f, fn, c.services) : nullptr;
        c.locals[table_slot] = t != nullptr ? Value::arrayRef(const_cast<ValueArray*>(t)) : Value();
      }
    }
    const ValueArray& items = arr.asArray();
    Value* elem = &c.locals[slot_];
    Value* index = &c.locals[slot_ + 1];
    Value* acc = &c.locals[slot_ + 2];
    auto test = [&](std::size_t i, bool& b) {
      *elem = items[i];
      *index = Value::integer(static_cast<std::int64_t>(i));
      return body_ ? body_->evalBool(c, b) : (b = items[i].isBool() && items[i].asBool(), true);
    };
    auto value = [&](std::size_t i, Value& v) {
      *elem = items[i];
      *index = Value::integer(static_cast<std::int64_t>(i));
      return body_->eval(c, v);
    };
    const std::size_t n = items.size();
    switch (kind_) {
      case Pred::All:
      case Pred::Any:
      case Pred::None: {
        for (std::size_t i = 0; i < n; ++i) {
          bool b = false;
          if (!test(i, b)) {
            return false;
          }
          if (kind_ == Pred::All && !b) {
            out = Value::boolean(false);
            return true;
          }
          if (kind_ != Pred::All && b) {
            out = Value::boolean(kind_ == Pred::Any);
            return true;
          }
        }
        out = Value::boolean(kind_ != Pred::Any);
        return true;
      }
      case Pred::One:
      case Pred::Count: {
        std::int64_t count = 0;
        for (std::size_t i = 0; i < n; ++i) {
          bool b = false;
          if (!test(i, b)) {
            return false;
          }
          count += b ? 1 : 0;
        }
        out = kind_ == Pred::One ? Value::boolean(count == 1) : Value::integer(count);
        return true;
      }
      case Pred::Filter: {
        ValueArray r;
        for (std::size_t i = 0; i < n; ++i) {
          bool b = false;
          if (!test(i, b)) {
            return false;
          }
          if (b) {
            r.push_back(items[i]);
          }
        }
        out = Value::array(std::move(r));
        return true;
      }
      case Pred::Map: {
        ValueArray r;
        r.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          Value v;
          if (!value(i, v)) {
            return false;
          }
          r.push_back(std::move(v));
        }
        out = Value::array(std::move(r));
        return true;
      }
      case Pred::Find:
      case Pred::FindIndex: {
        for (std::size_t i = 0; i < n; ++i) {
          bool b = false;
          if (!test(i, b)) {
            return false;
          }
          if (b) {
            out = kind_ == Pred::Find ? items[i] : Value::integer(static_cast<std::int64_t>(i));
            return true;
          }
        }
        out = kind_ == Pred::Find ? Value() : Value::integer(-1);
        return true;
      }
      case Pred::FindLast:
      case Pred::FindLastIndex: {
        for (std::size_t i = n; i-- > 0;) {
          bool b = false;
          if (!test(i, b)) {
            return false;
          }
          if (b) {
            out = kind_ == Pred::FindLast ? items[i]
                                          : Value::integer(static_cast<std::int64_t>(i));
            return true;
          }
        }
        out = kind_ == Pred::FindLast ? Value() : Value::integer(-1);
        return true;
      }
      case Pred::Sum: {
        Value total = Value::integer(0);
        for (std::size_t i = 0; i < n; ++i) {
          Value v;
          if (body_) {
            if (!value(i, v)) {
              return false;
            }
          } else {
            v = items[i];
          }
          if (!detail::arith(c, '+', total, v, total)) {
            return false;
          }
        }
        out = total;
        return true;
      }
      case Pred::GroupBy:
      case Pred::CountBy: {
        ValueMap groups;
        for (std::size_t i = 0; i < n; ++i) {
          Value k;
          if (!value(i, k)) {
            return false;
          }
          const std::string key = k.isString() ? std::string(k.asString()) : k.toString();
          auto it = groups.find(key);
          if (kind_ == Pred::CountBy) {
            if (it == groups.end()) {
              groups.emplace(key, Value::integer(1));
            } else {
              it->second = Value::integer(it->second.asInt() + 1);
            }
            continue;
          }
          if (it == groups.end()) {
            it = groups.emplace(key, Value::array({})).first;
          }
          it->second.asArray().push_back(items[i]);
        }
        out = Value::map(std::move(groups));
        return true;
      }
      case Pred::SortBy: {
        std::vector<std::pair<Value, std::size_t>> keyed;
        for (std::size_t i = 0; i < n; ++i) {
          Value k;
          if (!value(i, k)) {
            return false;
          }
          keyed.emplace_back(k.detached(), i);
        }
        bool desc = false;
        if (extra_) {
          Value o;
          if (!extra_->eval(c, o)) {
            return false;
          }
          desc = o.isString() && o.asString() == "desc";
        }
        bool ok = true;
        std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
          bool lt = false;
          if (!detail::compareValues(c, desc ? y.first : x.first, desc ? x.first : y.first, '<',
                                     lt)) {
            ok = false;
          }
          return lt;
        });
        if (!ok) {
          return false;
        }
        ValueArray r;
        for (const auto& kv : keyed) {
          r.push_back(items[kv.second]);
        }
        out = Value::array(std::move(r));
        return true;
      }
      case Pred::Reduce: {
        std::size_t start = 0;
        if (extra_) {
          if (!extra_->eval(c, *acc)) {
            return false;
          }
        } else {
          if (n == 0) {
            return fail(c, "reduce of empty array with no initial value");
          }
          *acc = items[0];
          start = 1;
        }
        for (std::size_t i = start; i < n; ++i) {
          Value v;
          if (!value(i, v)) {
            return false;
          }
          *acc = std::move(v);
        }
        out = *acc;
        return true;
      }
    }
    return fail(c, "internal: bad predicate");
  }

 private:
  Pred kind_;
  NodePtr arr_;
  NodePtr body_;
  NodePtr extra_;
  int slot_;
  std::vector<int> cache_slots_;
  std::string file_;  ///< data file name when arr_ is File('const')
  std::vector<std::pair<NativeFn, int>> file_tables_;  ///< FileElementNode fn and table slot
};

// ---------------------------------------------------------------------------------------------
// Parser

struct CompileError {
  std::string message;
  int pos;
};

const std::pair<std::string_view, Pred> kPreds[] = {
    {"all", Pred::All},         {"any", Pred::Any},
    {"none", Pred::None},       {"one", Pred::One},
    {"filter", Pred::Filter},   {"map", Pred::Map},
    {"count", Pred::Count},     {"find", Pred::Find},
    {"findIndex", Pred::FindIndex}, {"findLast", Pred::FindLast},
    {"findLastIndex", Pred::FindLastIndex}, {"sum", Pred::Sum},
    {"groupBy", Pred::GroupBy}, {"sortBy", Pred::SortBy},
    {"reduce", Pred::Reduce},   {"countBy", Pred::CountBy},
};

class Parser {
 public:
  Parser(std::string_view src, const Environment& env, Program::Impl& impl)
      : src_(src), env_(env), impl_(impl) {}

  bool run(std::string& error) {
    int epos = 0;
    if (!detail::tokenize(src_, toks_, error, epos)) {
      error += " (" + detail::positionText(src_, epos) + ")";
      return false;
    }
    NodePtr root = parseExpression(0);
    if (!err_ && cur().kind != detail::Tok::End) {
      setError("unexpected token '" + tokenText(cur()) + "'", cur().pos);
    }
    if (err_) {
      error = err_->message + " (" + detail::positionText(src_, err_->pos) + ")";
      return false;
    }
    impl_.root = std::move(root);
    impl_.num_locals = next_slot_;
    return true;
  }

 private:
  // --- token helpers
  const detail::Token& cur() const { return toks_[pos_]; }
  const detail::Token& peek(std::size_t k = 1) const {
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  bool isOp(std::string_view op) const {
    return cur().kind == detail::Tok::Op && cur().text == op;
  }
  bool isWord(std::string_view w) const {
    return cur().kind == detail::Tok::Ident && cur().text == w;
  }
  void advance() {
    if (pos_ + 1 < toks_.size()) {
      ++pos_;
    }
  }
  static std::string tokenText(const detail::Token& t) {
    return t.kind == detail::Tok::End      ? "end of expression"
           : t.kind == detail::Tok::String ? "\"" + t.text + "\""
                                           : t.text;
  }
  /// Every read of a closure element or let binding bumps variant_marks_: a call parsed
  /// without a bump in between reads nothing that changes from one element to the next.
  NodePtr makeLocal(int pos, int slot) {
    ++variant_marks_;
    return std::make_unique<LocalNode>(pos, slot);
  }
  /// Calls that may have effects (or read state other than their arguments).
  void markImpure() {
    ++variant_marks_;
    ++impure_marks_;
  }

  NodePtr setError(std::string msg, int pos) {
    if (!err_) {
      err_ = CompileError{std::move(msg), pos};
    }
    // Jump to the end so every caller unwinds quickly.
    pos_ = toks_.size() - 1;
    return std::make_unique<detail::ConstNode>(pos, Value());
  }
  bool expectOp(std::string_view op) {
    if (!isOp(op)) {
      setError("expected '" + std::string(op) + "' but found '" + tokenText(cur()) + "'",
               cur().pos);
      return false;
    }
    advance();
    return true;
  }

  // --- folding
  NodePtr fold(NodePtr n) {
    if (err_ || !n->foldable()) {
      return n;
    }
    Ctx c;
    c.services = env_.services;
    Value v;
    if (!n->eval(c, v)) {
      return n;  // keep: the error shows at run time, as upstream does for e.g. 1 % 0
    }
    return std::make_unique<detail::ConstNode>(n->pos(), v.detached());
  }

  // --- grammar
  struct Binary {
    int prec;
    Op op;
    bool right;
  };

  bool binaryOp(const detail::Token& t, Binary& b) const {
    static const std::pair<std::string_view, Binary> kOps[] = {
        {"==", {20, Op::Eq, false}},   {"!=", {20, Op::Ne, false}},
        {"<", {20, Op::Lt, false}},    {">", {20, Op::Gt, false}},
        {"<=", {20, Op::Le, false}},   {">=", {20, Op::Ge, false}},
        {"in", {20, Op::In, false}},   {"matches", {20, Op::Matches, false}},
        {"contains", {20, Op::Contains, false}},
        {"startsWith", {20, Op::StartsWith, false}},
        {"endsWith", {20, Op::EndsWith, false}},
        {"..", {25, Op::Range, false}}, {"+", {30, Op::Add, false}},
        {"-", {30, Op::Sub, false}},   {"*", {60, Op::Mul, false}},
        {"/", {60, Op::Div, false}},   {"%", {60, Op::Mod, false}},
        {"**", {100, Op::Pow, true}},  {"^", {100, Op::Pow, true}},
    };
    if (t.kind != detail::Tok::Op && t.kind != detail::Tok::Ident) {
      return false;
    }
    for (const auto& [name, def] : kOps) {
      if (t.text == name) {
        b = def;
        return true;
      }
    }
    return false;
  }

  NodePtr parseExpression(int min_prec) {
    if (++depth_ > kMaxDepth) {
      return setError("expression nested too deeply", cur().pos);
    }
    NodePtr n = parseExpressionInner(min_prec);
    --depth_;
    return n;
  }

  NodePtr parseExpressionInner(int min_prec) {
    if (isWord("let")) {
      return parseLet();
    }
    if (isWord("if") && min_prec == 0) {
      return parseIf();
    }
    NodePtr lhs = parseUnary();
    int chain = 0;
    while (!err_) {
      if (++chain > kMaxChain) {
        return setError("expression nested too deeply", cur().pos);
      }
      const detail::Token& t = cur();
      int start = t.pos;
      // Logical operators.
      if ((t.kind == detail::Tok::Op && t.text == "||") ||
          (t.kind == detail::Tok::Ident && t.text == "or")) {
        if (min_prec > 10) {
          break;
        }
        advance();
        NodePtr rhs = parseExpression(11);
        lhs = fold(std::make_unique<AndOrNode>(start, std::move(lhs), std::move(rhs), false));
        continue;
      }
      if ((t.kind == detail::Tok::Op && t.text == "&&") ||
          (t.kind == detail::Tok::Ident && t.text == "and")) {
        if (min_prec > 15) {
          break;
        }
        advance();
        NodePtr rhs = parseExpression(16);
        lhs = fold(std::make_unique<AndOrNode>(start, std::move(lhs), std::move(rhs), true));
        continue;
      }
      if (t.kind == detail::Tok::Op && t.text == "??") {
        if (min_prec > 500) {
          break;
        }
        advance();
        NodePtr rhs = parseExpression(501);
        lhs = fold(std::make_unique<CoalesceNode>(start, std::move(lhs), std::move(rhs)));
        continue;
      }
      // `not in`, `not contains`, ... (negated comparison operators).
      bool negate = false;
      Binary b{};
      if (t.kind == detail::Tok::Ident && t.text == "not") {
        Binary nb{};
        if (binaryOp(peek(), nb) && nb.prec == 20 && peek().kind == detail::Tok::Ident) {
          if (min_prec > 20) {
            break;
          }
          advance();
          negate = true;
          b = nb;
        } else {
          break;
        }
      } else if (!binaryOp(t, b)) {
        break;
      } else if (b.prec < min_prec) {
        break;
      }
      advance();
      NodePtr rhs = parseExpression(b.right ? b.prec : b.prec + 1);
      lhs = makeBinary(start, b.op, std::move(lhs), std::move(rhs), negate);
    }
    if (err_ || min_prec > 0) {
      return lhs;
    }
    // Lowest level: ternary and pipes.
    while (!err_) {
      if (isOp("?")) {
        const int start = cur().pos;
        advance();
        NodePtr a = parseExpression(0);
        if (!expectOp(":")) {
          return lhs;
        }
        NodePtr b = parseExpression(0);
        lhs = fold(std::make_unique<CondNode>(start, std::move(lhs), std::move(a), std::move(b)));
        continue;
      }
      if (isOp("|")) {
        advance();
        if (cur().kind != detail::Tok::Ident || peek().kind != detail::Tok::Op ||
            peek().text != "(") {
          return setError("expected a function call after '|'", cur().pos);
        }
        const std::string name = cur().text;
        const int start = cur().pos;
        advance();
        lhs = parseCall(name, start, std::move(lhs));
        lhs = parsePostfix(std::move(lhs));
        continue;
      }
      break;
    }
    return lhs;
  }

  NodePtr makeBinary(int pos, Op op, NodePtr l, NodePtr r, bool negate) {
    if (err_) {
      return l;
    }
    const bool r_const_str = r->isConst() &&
                             static_cast<detail::ConstNode*>(r.get())->value().isString();
    const bool l_const_str = l->isConst() &&
                             static_cast<detail::ConstNode*>(l.get())->value().isString();
    if (!l->isConst() && r_const_str &&
        (op == Op::Eq || op == Op::Ne || op == Op::Contains || op == Op::StartsWith ||
         op == Op::EndsWith)) {
      std::string lit(static_cast<detail::ConstNode*>(r.get())->value().asString());
      return std::make_unique<StrConstOpNode>(pos, op, std::move(l), std::move(lit), negate);
    }
    if (!r->isConst() && l_const_str && (op == Op::Eq || op == Op::Ne)) {
      std::string lit(static_cast<detail::ConstNode*>(l.get())->value().asString());
      return std::make_unique<StrConstOpNode>(pos, op, std::move(r), std::move(lit), negate);
    }
    if (op == Op::Matches && r_const_str) {
      auto re = std::make_unique<RE2>(static_cast<detail::ConstNode*>(r.get())->value().asString(),
                                      RE2::Quiet);
      if (!re->ok()) {
        return setError("invalid regular expression: " + re->error(), r->pos());
      }
      if (l->isConst()) {
        Ctx c;
        bool b = false;
        RegexNode tmp(pos, std::move(l), std::move(re), negate);
        if (tmp.evalBool(c, b)) {
          return std::make_unique<detail::ConstNode>(pos, Value::boolean(b));
        }
        return setError(c.error, pos);
      }
      return std::make_unique<RegexNode>(pos, std::move(l), std::move(re), negate);
    }
    if (op == Op::In && !l->isConst() && r->isConst() &&
        static_cast<detail::ConstNode*>(r.get())->value().kind() == K::Array) {
      return std::make_unique<InConstNode>(pos, std::move(l),
                                           static_cast<detail::ConstNode*>(r.get())->value(),
                                           negate);
    }
    if (op == Op::In) {
      if (auto* call = dynamic_cast<CallNode*>(r.get());
          call != nullptr && call->def()->name == "File" && call->args().size() == 1 &&
          call->args()[0]->isConst() &&
          static_cast<detail::ConstNode*>(call->args()[0].get())->value().isString()) {
        std::string name(
            static_cast<detail::ConstNode*>(call->args()[0].get())->value().asString());
        return std::make_unique<InFileNode>(pos, std::move(l), std::move(name), negate);
      }
    }
    return fold(std::make_unique<BinaryNode>(pos, op, std::move(l), std::move(r), negate));
  }

  NodePtr parseUnary() {
    const detail::Token& t = cur();
    const int start = t.pos;
    if ((t.kind == detail::Tok::Ident && t.text == "not") ||
        (t.kind == detail::Tok::Op && t.text == "!")) {
      advance();
      NodePtr x = parseExpression(50);
      return fold(std::make_unique<NotNode>(start, std::move(x)));
    }
    if (t.kind == detail::Tok::Op && (t.text == "-" || t.text == "+")) {
      const bool minus = t.text == "-";
      advance();
      NodePtr x = parseExpression(90);
      return fold(std::make_unique<NegNode>(start, std::move(x), minus));
    }
    return parsePostfix(parsePrimary());
  }

  NodePtr parseLet() {
    const int start = cur().pos;
    advance();
    if (cur().kind != detail::Tok::Ident) {
      return setError("expected a variable name after let", cur().pos);
    }
    std::string name = cur().text;
    advance();
    if (!expectOp("=")) {
      return nullptr;
    }
    NodePtr value = parseExpression(0);
    if (!expectOp(";")) {
      return value;
    }
    const int slot = next_slot_++;
    scopes_.emplace_back(name, slot);
    NodePtr body = parseExpression(0);
    scopes_.pop_back();
    return std::make_unique<LetNode>(start, slot, std::move(value), std::move(body));
  }

  NodePtr parseIf() {
    const int start = cur().pos;
    advance();
    NodePtr cond = parseExpression(0);
    if (!expectOp("{")) {
      return cond;
    }
    NodePtr a = parseExpression(0);
    if (!expectOp("}")) {
      return a;
    }
    if (!isWord("else")) {
      return setError("expected else", cur().pos);
    }
    advance();
    NodePtr b;
    if (isWord("if")) {
      b = parseIf();
    } else {
      if (!expectOp("{")) {
        return a;
      }
      b = parseExpression(0);
      if (!expectOp("}")) {
        return b;
      }
    }
    return fold(std::make_unique<CondNode>(start, std::move(cond), std::move(a), std::move(b)));
  }

  NodePtr parsePrimary() {
    const detail::Token t = cur();
    switch (t.kind) {
      case detail::Tok::Int:
        advance();
        return std::make_unique<detail::ConstNode>(t.pos, Value::integer(t.i));
      case detail::Tok::Float:
        advance();
        return std::make_unique<detail::ConstNode>(t.pos, Value::real(t.f));
      case detail::Tok::String:
        advance();
        return std::make_unique<detail::ConstNode>(t.pos, Value::string(t.text));
      case detail::Tok::Hash: {
        if (closure_slots_.empty()) {
          return setError("'" + t.text + "' used outside of a closure", t.pos);
        }
        const int slot = closure_slots_.back();
        advance();
        if (t.text == "#") {
          return makeLocal(t.pos, slot);
        }
        if (t.text == "#index") {
          return makeLocal(t.pos, slot + 1);
        }
        if (t.text == "#acc") {
          return makeLocal(t.pos, slot + 2);
        }
        return setError("unknown name '" + t.text + "'", t.pos);
      }
      case detail::Tok::Ident:
        return parseIdentifier();
      case detail::Tok::Op:
        break;
      case detail::Tok::End:
        return setError("unexpected end of expression", t.pos);
    }
    if (t.text == "(") {
      advance();
      NodePtr n = parseExpression(0);
      expectOp(")");
      return n;
    }
    if (t.text == "[") {
      advance();
      std::vector<NodePtr> elems;
      while (!err_ && !isOp("]")) {
        elems.push_back(parseExpression(0));
        if (!isOp(",")) {
          break;
        }
        advance();
      }
      expectOp("]");
      return fold(std::make_unique<ArrayNode>(t.pos, std::move(elems)));
    }
    if (t.text == "{") {
      return parseMapLiteral();
    }
    if (t.text == ".") {
      // `.field` inside a closure is `#.field`.
      if (closure_slots_.empty()) {
        return setError("unexpected token '.'", t.pos);
      }
      advance();
      if (cur().kind != detail::Tok::Ident) {
        return setError("expected a field name after '.'", cur().pos);
      }
      std::string name = cur().text;
      advance();
      auto elem = makeLocal(t.pos, closure_slots_.back());
      if (isOp("(")) {
        return parseMethod(std::move(elem), std::move(name), t.pos, false);
      }
      return std::make_unique<MemberNode>(t.pos, std::move(elem), std::move(name), false);
    }
    return setError("unexpected token '" + tokenText(t) + "'", t.pos);
  }

  NodePtr parseMapLiteral() {
    const int start = cur().pos;
    advance();
    std::vector<NodePtr> keys;
    std::vector<NodePtr> vals;
    while (!err_ && !isOp("}")) {
      const detail::Token& k = cur();
      if (k.kind == detail::Tok::Ident || k.kind == detail::Tok::String) {
        keys.push_back(std::make_unique<detail::ConstNode>(k.pos, Value::string(k.text)));
        advance();
      } else if (k.kind == detail::Tok::Int) {
        keys.push_back(std::make_unique<detail::ConstNode>(k.pos, Value::string(k.text)));
        advance();
      } else if (isOp("(")) {
        advance();
        keys.push_back(parseExpression(0));
        expectOp(")");
      } else {
        return setError("expected a map key but found '" + tokenText(k) + "'", k.pos);
      }
      if (!expectOp(":")) {
        break;
      }
      vals.push_back(parseExpression(0));
      if (!isOp(",")) {
        break;
      }
      advance();
    }
    expectOp("}");
    return fold(std::make_unique<MapNode>(start, std::move(keys), std::move(vals)));
  }

  NodePtr parseIdentifier() {
    const detail::Token t = cur();
    advance();
    if (t.text == "true" || t.text == "false") {
      return std::make_unique<detail::ConstNode>(t.pos, Value::boolean(t.text == "true"));
    }
    if (t.text == "nil") {
      return std::make_unique<detail::ConstNode>(t.pos, Value());
    }
    if (isOp("(")) {
      return parseCall(t.text, t.pos, nullptr);
    }
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->first == t.text) {
        return makeLocal(t.pos, it->second);
      }
    }
    for (std::size_t i = 0; i < env_.variables.size(); ++i) {
      if (env_.variables[i].name == t.text) {
        return std::make_unique<VarNode>(t.pos, static_cast<int>(i));
      }
    }
    return setError("unknown name '" + t.text + "'", t.pos);
  }

  /// Parses `(args)` of a call to `name`; `piped` is the left side of `x | name(...)`.
  NodePtr parseCall(const std::string& name, int start, NodePtr piped) {
    advance();  // (
    for (const auto& [pname, kind] : kPreds) {
      if (pname == name) {
        return parsePredicate(kind, start, std::move(piped));
      }
    }
    const int marks = variant_marks_;
    const bool was_piped = piped != nullptr;
    std::vector<NodePtr> args;
    if (piped) {
      args.push_back(std::move(piped));
    }
    auto isElement = [&](const NodePtr& n) {
      const auto* local = dynamic_cast<const LocalNode*>(n.get());
      return local != nullptr && !closure_slots_.empty() &&
             local->slot() == closure_slots_.back();
    };
    while (!err_ && !isOp(")")) {
      args.push_back(parseExpression(0));
      if (!isOp(",")) {
        break;
      }
      advance();
    }
    if (!expectOp(")")) {
      return nullptr;
    }
    for (const auto& [ename, fn] : impl_.extra_functions) {
      if (ename == name) {
        markImpure();
        return std::make_unique<ExtraCallNode>(start, &fn, name, std::move(args));
      }
    }
    const detail::FunctionDef* def = detail::findFunction(name);
    if (def == nullptr) {
      return setError("unknown name '" + name + "'", start);
    }
    const int n = static_cast<int>(args.size());
    if (n < def->min_args || (def->max_args >= 0 && n > def->max_args)) {
      return setError("wrong number of arguments for " + name + "(): " + std::to_string(n),
                      start);
    }
    if (!def->pure) {
      markImpure();
    }
    const bool of_element = def->pure && args.size() == 1 && isElement(args[0]);
    NodePtr call = fold(std::make_unique<CallNode>(start, def, std::move(args)));
    if (of_element) {
      const int table_slot = next_slot_++;
      auto node = std::make_unique<FileElementNode>(start, std::move(call), def->fn,
                                                    closure_slots_.back(), table_slot);
      closure_file_elems_.back().push_back(node.get());
      return node;
    }
    if (def->pure && !call->isConst() && !was_piped && !closure_caches_.empty() &&
        variant_marks_ == marks) {
      const int slot = next_slot_;
      next_slot_ += 2;
      auto cached = std::make_unique<CachedNode>(start, slot, std::move(call));
      closure_caches_.back().push_back(cached.get());
      return cached;
    }
    return call;
  }

  NodePtr parsePredicate(Pred kind, int start, NodePtr piped) {
    const bool was_piped = piped != nullptr;
    NodePtr arr = was_piped ? std::move(piped) : parseExpression(0);
    const bool body_optional = kind == Pred::Count || kind == Pred::Sum;
    const int slot = next_slot_;
    next_slot_ += 3;
    if (isOp(")")) {
      if (!body_optional) {
        return setError("missing predicate for " + std::string(predName(kind)) + "()", cur().pos);
      }
      advance();
      return std::make_unique<PredNode>(start, kind, std::move(arr), nullptr, nullptr, slot);
    }
    if (!was_piped && !expectOp(",")) {
      return arr;
    }
    NodePtr body;
    NodePtr extra;
    closure_slots_.push_back(slot);
    closure_caches_.emplace_back();
    closure_file_elems_.emplace_back();
    const int impure_before = impure_marks_;
    const int variant_before = variant_marks_;
    if (isOp("{")) {
      advance();
      body = parseExpression(0);
      expectOp("}");
    } else {
      body = parseExpression(0);
    }
    closure_slots_.pop_back();
    std::vector<int> cache_slots;
    for (CachedNode* n : closure_caches_.back()) {
      if (impure_marks_ != impure_before) {
        n->disable();  // an effect in the body could change what the call reads
      } else {
        cache_slots.push_back(n->slot());
      }
    }
    closure_caches_.pop_back();
    std::string file;
    std::vector<std::pair<NativeFn, int>> file_tables;
    if (auto* call = dynamic_cast<CallNode*>(arr.get());
        call != nullptr && call->def()->name == "File" && call->args().size() == 1 &&
        call->args()[0]->isConst() &&
        static_cast<detail::ConstNode*>(call->args()[0].get())->value().isString()) {
      file = static_cast<detail::ConstNode*>(call->args()[0].get())->value().asString();
      for (FileElementNode* n : closure_file_elems_.back()) {
        n->enable();
        file_tables.emplace_back(n->fn(), n->tableSlot());
      }
    }
    closure_file_elems_.pop_back();
    // any(File('name'), {X == #}): one local read (the element), no effect.
    // (No CachedNode inside X: nothing would clear it between runs of an enclosing closure.)
    if (kind == Pred::Any && !file.empty() && !err_ && variant_marks_ - variant_before == 1 &&
        impure_marks_ == impure_before && cache_slots.empty()) {
      if (auto* eq = dynamic_cast<BinaryNode*>(body.get());
          eq != nullptr && eq->op() == Op::Eq && !eq->negated()) {
        auto isElem = [&](const NodePtr& n) {
          const auto* local = dynamic_cast<const LocalNode*>(n.get());
          return local != nullptr && local->slot() == slot;
        };
        NodePtr* x = isElem(eq->right()) ? &eq->left() : isElem(eq->left()) ? &eq->right()
                                                                             : nullptr;
        if (x != nullptr && isOp(")")) {
          advance();
          return std::make_unique<AnyEqFileNode>(start, std::move(arr), std::move(*x),
                                                 std::move(file));
        }
      }
    }
    if (isOp(",") && (kind == Pred::SortBy || kind == Pred::Reduce)) {
      advance();
      extra = parseExpression(0);
    }
    if (!expectOp(")")) {
      return arr;
    }
    return std::make_unique<PredNode>(start, kind, std::move(arr), std::move(body),
                                      std::move(extra), slot, std::move(cache_slots),
                                      std::move(file), std::move(file_tables));
  }

  static std::string_view predName(Pred kind) {
    for (const auto& [name, k] : kPreds) {
      if (k == kind) {
        return name;
      }
    }
    return "?";
  }

  NodePtr parsePostfix(NodePtr n) {
    while (!err_) {
      const detail::Token& t = cur();
      if (t.kind != detail::Tok::Op) {
        break;
      }
      const int start = t.pos;
      if (t.text == "." || t.text == "?.") {
        const bool optional = t.text == "?.";
        advance();
        if (optional && isOp("[")) {
          n = parseIndex(std::move(n), true);
          continue;
        }
        if (cur().kind != detail::Tok::Ident) {
          return setError("expected a field name after '" + t.text + "'", cur().pos);
        }
        std::string name = cur().text;
        advance();
        if (isOp("(")) {
          n = parseMethod(std::move(n), std::move(name), start, optional);
        } else {
          n = makeMember(start, std::move(n), std::move(name), optional);
        }
        continue;
      }
      if (t.text == "[") {
        n = parseIndex(std::move(n), false);
        continue;
      }
      break;
    }
    return n;
  }

  NodePtr parseIndex(NodePtr obj, bool optional) {
    const int start = cur().pos;
    advance();  // [
    if (isOp(":")) {
      advance();
      NodePtr to = isOp("]") ? nullptr : parseExpression(0);
      expectOp("]");
      return fold(std::make_unique<SliceNode>(start, std::move(obj), nullptr, std::move(to)));
    }
    NodePtr key = parseExpression(0);
    if (isOp(":")) {
      advance();
      NodePtr to = isOp("]") ? nullptr : parseExpression(0);
      expectOp("]");
      return fold(
          std::make_unique<SliceNode>(start, std::move(obj), std::move(key), std::move(to)));
    }
    if (!expectOp("]")) {
      return obj;
    }
    if (key->isConst() && static_cast<detail::ConstNode*>(key.get())->value().isString()) {
      std::string name(static_cast<detail::ConstNode*>(key.get())->value().asString());
      if (auto fast = eventPath(start, obj.get(), name)) {
        return fast;
      }
    }
    return fold(std::make_unique<IndexNode>(start, std::move(obj), std::move(key), optional));
  }

  int eventVar(const Node* n) const {
    const auto* v = dynamic_cast<const VarNode*>(n);
    if (v == nullptr ||
        env_.variables[static_cast<std::size_t>(v->index())].type != VarType::Event) {
      return -1;
    }
    return v->index();
  }

  /// Resolves `evt.Meta`, `evt.Meta.x`, `evt.Line.Raw`... to direct accessors.
  NodePtr eventPath(int pos, const Node* obj, const std::string& name) {
    if (const int var = eventVar(obj); var >= 0) {
      if (name == "Meta") {
        return std::make_unique<EventMapNode>(pos, var, EvMap::Meta);
      }
      if (name == "Parsed") {
        return std::make_unique<EventMapNode>(pos, var, EvMap::Parsed);
      }
      if (name == "Enriched") {
        return std::make_unique<EventMapNode>(pos, var, EvMap::Enriched);
      }
      if (name == "StrTime") {
        return std::make_unique<EventStrNode>(
            pos, var, [](const event::Event& e) -> const std::string& { return e.str_time; });
      }
      if (name == "StrTimeFormat") {
        return std::make_unique<EventStrNode>(
            pos, var,
            [](const event::Event& e) -> const std::string& { return e.str_time_format; });
      }
      if (name == "MarshaledTime") {
        return std::make_unique<EventStrNode>(
            pos, var,
            [](const event::Event& e) -> const std::string& { return e.marshaled_time; });
      }
      if (name == "WhitelistReason") {
        return std::make_unique<EventStrNode>(
            pos, var,
            [](const event::Event& e) -> const std::string& { return e.whitelist_reason; });
      }
      if (name == "Stage") {
        return std::make_unique<EventStrNode>(
            pos, var, [](const event::Event& e) -> const std::string& { return e.stage; });
      }
      if (name == "Line") {
        auto generic = std::make_unique<MemberNode>(pos, std::make_unique<VarNode>(pos, var),
                                                    "Line", false);
        return std::make_unique<EventLineNode>(pos, std::move(generic), var);
      }
      return nullptr;
    }
    if (const auto* line = dynamic_cast<const EventLineNode*>(obj)) {
      const int var = line->var();
      if (name == "Raw") {
        return std::make_unique<EventStrNode>(
            pos, var, [](const event::Event& e) -> const std::string& { return e.line.raw; });
      }
      if (name == "Src") {
        return std::make_unique<EventStrNode>(
            pos, var, [](const event::Event& e) -> const std::string& { return e.line.src; });
      }
      if (name == "Module") {
        return std::make_unique<EventStrNode>(
            pos, var, [](const event::Event& e) -> const std::string& { return e.line.module; });
      }
      if (name == "Labels") {
        return std::make_unique<EventMapNode>(pos, var, EvMap::Labels);
      }
      return nullptr;
    }
    if (const auto* m = dynamic_cast<const EventMapNode*>(obj)) {
      return std::make_unique<EventMapKeyNode>(pos, m->var(), m->which(), name);
    }
    return nullptr;
  }

  NodePtr makeMember(int pos, NodePtr obj, std::string name, bool optional) {
    if (!optional) {
      if (auto fast = eventPath(pos, obj.get(), name)) {
        return fast;
      }
    }
    return fold(std::make_unique<MemberNode>(pos, std::move(obj), std::move(name), optional));
  }

  NodePtr parseMethod(NodePtr obj, std::string name, int start, bool optional) {
    advance();  // (
    std::vector<NodePtr> args;
    while (!err_ && !isOp(")")) {
      args.push_back(parseExpression(0));
      if (!isOp(",")) {
        break;
      }
      advance();
    }
    if (!expectOp(")")) {
      return obj;
    }
    if (const int var = eventVar(obj.get()); var >= 0) {
      if (name == "GetMeta" && args.size() == 1) {
        return std::make_unique<EventGetMetaNode>(start, var, std::move(args[0]));
      }
      static const char* kEventMethods[] = {"GetMeta", "SetMeta", "SetParsed", "GetType",
                                            "ParseIPSources", "GetParsed"};
      if (std::none_of(std::begin(kEventMethods), std::end(kEventMethods),
                       [&](const char* m) { return name == m; })) {
        return setError("type Event has no method " + name, start);
      }
    }
    markImpure();  // SetMeta, SetParsed, host methods: may write
    return std::make_unique<MethodNode>(start, std::move(obj), std::move(name), std::move(args),
                                        optional);
  }

  std::string_view src_;
  const Environment& env_;
  Program::Impl& impl_;
  std::vector<detail::Token> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int next_slot_ = 0;
  std::vector<std::pair<std::string, int>> scopes_;
  std::vector<int> closure_slots_;
  /// Per open closure: its CachedNodes (see parseCall).
  std::vector<std::vector<CachedNode*>> closure_caches_;
  /// Per open closure: its FileElementNodes (see parseCall).
  std::vector<std::vector<FileElementNode*>> closure_file_elems_;
  int variant_marks_ = 0;
  int impure_marks_ = 0;
  std::optional<CompileError> err_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Program

Program::Program() = default;
Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

Result<Program> Program::compile(std::string_view source, const Environment& env) {
  auto impl = std::make_shared<Impl>();
  impl->source = std::string(source);
  impl->services = env.services;
  impl->extra_functions = env.extra_functions;
  Parser parser(impl->source, env, *impl);
  std::string error;
  if (!parser.run(error)) {
    return makeError(ErrorCode::Parse, error);
  }
  Program p;
  p.impl_ = std::move(impl);
  return p;
}

namespace {

template <typename F>
auto withContext(const Program::Impl& impl, std::span<const Value> vars, F&& f) {
  Ctx c;
  c.vars = vars;
  c.services = impl.services;
  constexpr int kInline = 8;
  if (impl.num_locals == 0) {
    return f(c);
  }
  if (impl.num_locals <= kInline) {
    Value locals[kInline];
    c.locals = locals;
    return f(c);
  }
  // Closures with cached calls (CachedNode) take two slots per call: still no allocation.
  if (impl.num_locals <= 2 * kInline) {
    Value locals[2 * kInline];
    c.locals = locals;
    return f(c);
  }
  ValueArray locals(static_cast<std::size_t>(impl.num_locals));
  c.locals = locals.data();
  return f(c);
}

}  // namespace

Result<Value> Program::run(std::span<const Value> vars) const {
  if (!impl_ || !impl_->root) {
    return makeError(ErrorCode::Invalid, "empty program");
  }
  return withContext(*impl_, vars, [&](Ctx& c) -> Result<Value> {
    Value out;
    if (!impl_->root->eval(c, out)) {
      return makeError(ErrorCode::Runtime, c.error.empty() ? "evaluation failed" : c.error);
    }
    return out;
  });
}

Result<bool> Program::runBool(std::span<const Value> vars) const {
  if (!impl_ || !impl_->root) {
    return makeError(ErrorCode::Invalid, "empty program");
  }
  return withContext(*impl_, vars, [&](Ctx& c) -> Result<bool> {
    bool out = false;
    if (!impl_->root->evalBool(c, out)) {
      return makeError(ErrorCode::Runtime, c.error.empty() ? "evaluation failed" : c.error);
    }
    return out;
  });
}

const std::string& Program::source() const {
  static const std::string kEmpty;
  return impl_ ? impl_->source : kEmpty;
}

Environment Environment::forEvent(const Services& s) {
  Environment e;
  e.services = &s;
  e.variables = {{"evt", VarType::Event}};
  return e;
}

Environment Environment::forBucket(const Services& s) {
  Environment e;
  e.services = &s;
  e.variables = {{"evt", VarType::Event}, {"queue", VarType::Any}, {"leaky", VarType::Any}};
  return e;
}

Environment Environment::forOverflowFilter(const Services& s) {
  Environment e;
  e.services = &s;
  e.variables = {{"queue", VarType::Any}, {"signal", VarType::Any}, {"leaky", VarType::Any}};
  return e;
}

Environment Environment::forProfile(const Services& s) {
  Environment e;
  e.services = &s;
  e.variables = {{"Alert", VarType::Any}};
  return e;
}

} // namespace cw::core::expr
