// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/time.h"

namespace cw::core {

class Value;
using ValueArray = std::vector<Value>;
using ValueMap = std::map<std::string, Value, std::less<>>;

struct HostType;

/// A dynamically typed value: what expressions compute and what Event.Unmarshaled holds
/// (decoded JSON: nil, bool, float64 numbers, strings, arrays, maps).
///
/// Strings, arrays and maps are either owned (shared, immutable once built) or borrowed:
/// a borrowed value points into an Event or another object that outlives the evaluation,
/// which lets `evt.Meta.log_type == 'x'` run without copying a byte. Host values expose C++
/// objects (the Event, its Overflow, a Source, hub-test results) through a HostType table.
class Value {
 public:
  enum class Kind : std::uint8_t {
    Nil,
    Bool,
    Int,
    Float,
    String,
    Duration,
    Time,
    Array,
    Map,
    Host
  };

  Value() = default;

  static Value boolean(bool b) {
    Value v(Kind::Bool);
    v.i_ = b ? 1 : 0;
    return v;
  }
  static Value integer(std::int64_t i) {
    Value v(Kind::Int);
    v.i_ = i;
    return v;
  }
  static Value real(double f) {
    Value v(Kind::Float);
    v.f_ = f;
    return v;
  }
  static Value duration(Duration d) {
    Value v(Kind::Duration);
    v.i_ = d;
    return v;
  }
  static Value time(TimePoint t) {
    Value v(Kind::Time);
    v.t_ = t;
    return v;
  }
  /// An owned string.
  static Value string(std::string s) {
    auto owned = std::make_shared<const std::string>(std::move(s));
    Value v(Kind::String);
    v.str_ = *owned;
    v.owner_ = std::move(owned);
    return v;
  }
  /// A borrowed string: the caller keeps the bytes alive while the Value is used.
  static Value stringView(std::string_view s) {
    Value v(Kind::String);
    v.str_ = s;
    return v;
  }
  static Value array(ValueArray a) {
    auto owned = std::make_shared<ValueArray>(std::move(a));
    Value v(Kind::Array);
    v.ptr_ = owned.get();
    v.owner_ = std::move(owned);
    return v;
  }
  static Value arrayRef(ValueArray* a) {
    Value v(Kind::Array);
    v.ptr_ = a;
    return v;
  }
  static Value map(ValueMap m) {
    auto owned = std::make_shared<ValueMap>(std::move(m));
    Value v(Kind::Map);
    v.ptr_ = owned.get();
    v.owner_ = std::move(owned);
    return v;
  }
  /// A borrowed, mutable map (e.g. evt.Unmarshaled, which UnmarshalJSON() writes into).
  static Value mapRef(ValueMap* m) {
    Value v(Kind::Map);
    v.ptr_ = m;
    return v;
  }
  static Value host(const HostType* type, void* object) {
    Value v(Kind::Host);
    v.host_type_ = type;
    v.ptr_ = object;
    return v;
  }
  /// A host object whose lifetime the Value shares.
  static Value hostOwned(const HostType* type, std::shared_ptr<void> object) {
    Value v(Kind::Host);
    v.host_type_ = type;
    v.ptr_ = object.get();
    v.owner_ = std::move(object);
    return v;
  }

  Kind kind() const { return kind_; }
  bool isNil() const { return kind_ == Kind::Nil; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isInt() const { return kind_ == Kind::Int; }
  bool isFloat() const { return kind_ == Kind::Float; }
  bool isNumber() const { return kind_ == Kind::Int || kind_ == Kind::Float; }
  bool isString() const { return kind_ == Kind::String; }

  bool asBool() const { return i_ != 0; }
  std::int64_t asInt() const { return i_; }
  double asFloat() const { return f_; }
  /// Int or Float as double.
  double asNumber() const { return kind_ == Kind::Int ? static_cast<double>(i_) : f_; }
  Duration asDuration() const { return i_; }
  const TimePoint& asTime() const { return t_; }
  std::string_view asString() const { return str_; }
  ValueArray& asArray() const { return *static_cast<ValueArray*>(ptr_); }
  ValueMap& asMap() const { return *static_cast<ValueMap*>(ptr_); }
  const HostType* hostType() const { return host_type_; }
  void* hostObject() const { return ptr_; }

  /// Substring [pos, pos+n) of a String value that keeps the original's owner alive, so slicing
  /// an owned string yields a valid value without copying bytes. Bounds must be valid.
  Value substr(std::size_t pos, std::size_t n) const {
    Value v = *this;
    v.str_ = str_.substr(pos, n);
    return v;
  }

  /// A copy that owns everything it refers to (strings, arrays and maps deep-copied);
  /// host values stay references. Use before storing a value beyond the evaluation.
  Value detached() const;

  /// expr's `==`: numbers by value across Int/Float, other kinds must match.
  friend bool operator==(const Value& a, const Value& b);

  /// Text used by statics and printing: strings as is, ints in decimal, floats with "%f"
  /// (6 decimals), bools "true"/"false", nil "", durations and times in Go notation,
  /// arrays and maps as JSON.
  std::string toString() const;

  /// Name of the kind for error messages ("string", "int", "map"...).
  static const char* kindName(Kind k);

 private:
  explicit Value(Kind k) : kind_(k) {}

  Kind kind_ = Kind::Nil;
  union {
    std::int64_t i_ = 0;
    double f_;
  };
  TimePoint t_{};
  std::string_view str_;
  void* ptr_ = nullptr;
  const HostType* host_type_ = nullptr;
  std::shared_ptr<const void> owner_;
};

/// How the expression language sees a C++ object: fields by name, methods by name.
/// Implementations live next to the object model (event bindings in expr/).
struct HostType {
  const char* name;
  /// Field access `obj.name` / `obj["name"]`; returns false when there is no such field.
  bool (*get_field)(void* object, std::string_view name, Value& out);
  /// Method call `obj.name(args)`; returns false when there is no such method, sets `error`
  /// on a runtime failure.
  bool (*call_method)(void* object, std::string_view name, const ValueArray& args, Value& out,
                      std::string& error);
  /// Optional: `len(obj)` and iteration of keys (nullptr when not a collection).
  std::size_t (*length)(void* object);
};

} // namespace cw::core
