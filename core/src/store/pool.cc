// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "db.h"

namespace cw::core::store::detail {

namespace {

const std::string kEmpty;

}  // namespace

const std::string& Rows::text(std::size_t row, std::size_t col) const {
  const auto& c = at(row, col);
  return c ? *c : kEmpty;
}

std::int64_t Rows::integer(std::size_t row, std::size_t col) const {
  const auto& c = at(row, col);
  if (!c) {
    return 0;
  }
  std::int64_t v = 0;
  std::from_chars(c->data(), c->data() + c->size(), v);
  return v;
}

double Rows::real(std::size_t row, std::size_t col) const {
  const auto& c = at(row, col);
  return c ? std::strtod(c->c_str(), nullptr) : 0.0;
}

Result<std::unique_ptr<Pool>> Pool::create(Factory factory, int size) {
  auto pool = std::make_unique<Pool>();
  for (int i = 0; i < std::max(size, 1); ++i) {
    auto c = factory();
    if (!c) {
      return c.error();
    }
    pool->idle_.push_back(c->get());
    pool->all_.push_back(std::move(*c));
  }
  return pool;
}

Pool::Lease Pool::acquire() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return !idle_.empty(); });
  Connection* c = idle_.back();
  idle_.pop_back();
  return Lease(this, c);
}

void Pool::release(Connection* c) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(c);
  }
  cv_.notify_one();
}

}  // namespace cw::core::store::detail
