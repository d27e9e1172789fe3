// SPDX-License-Identifier: Apache-2.0
// CrowdSec helper functions (expr.md section 4).
#include "internal.h"
#include "services_impl.h"

namespace cw::core::expr::detail {

std::string asciiAndUtf8Case(std::string_view s, bool upper);

namespace {

bool fnUpper(Ctx& c, std::span<Value> a, Value& out) {
  if (!a[0].isString()) {
    return fail(c, "Upper() expects a string");
  }
  out = Value::string(asciiAndUtf8Case(a[0].asString(), true));
  return true;
}

bool fnLower(Ctx& c, std::span<Value> a, Value& out) {
  if (!a[0].isString()) {
    return fail(c, "Lower() expects a string");
  }
  out = Value::string(asciiAndUtf8Case(a[0].asString(), false));
  return true;
}

bool fnFile(Ctx& c, std::span<Value> a, Value& out) {
  if (!a[0].isString()) {
    return fail(c, "File() expects a file name");
  }
  const DataFile* f = findDataFile(c.services, a[0].asString());
  out = f != nullptr ? Value::arrayRef(const_cast<ValueArray*>(&f->values)) : Value::array({});
  return true;
}

const FunctionDef kHelpers[] = {
    {"Upper", 1, 1, fnUpper, true},
    {"Lower", 1, 1, fnLower, true},
    {"File", 1, 1, fnFile, false},
};

}  // namespace

std::span<const FunctionDef> helperFunctions() { return kHelpers; }

} // namespace cw::core::expr::detail
