// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "db.h"

namespace cw::core::store::detail {

namespace {

const std::string kEmpty;

// A row of a Rows, for Connection::each's default.
class RowsRow final : public RowView {
 public:
  RowsRow(const Rows& rows, std::size_t row) : rows_(rows), row_(row) {}
  bool isNull(int col) const override { return rows_.isNull(row_, static_cast<std::size_t>(col)); }
  std::string_view text(int col) const override {
    return rows_.text(row_, static_cast<std::size_t>(col));
  }
  std::int64_t integer(int col) const override {
    return rows_.integer(row_, static_cast<std::size_t>(col));
  }

 private:
  const Rows& rows_;
  std::size_t row_;
};

}  // namespace

Result<bool> Connection::each(std::string_view sql, const SqlParams& params,
                              const std::function<void(const RowView&)>& row) {
  auto rows = query(sql, params);
  if (!rows) {
    return rows.error();
  }
  for (std::size_t i = 0; i < rows->size(); ++i) {
    row(RowsRow(*rows, i));
  }
  return true;
}

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

std::string checkText(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) {
      return "text contains a NUL byte";
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte: length and the smallest code point that needs that length (no overlongs).
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return "text is not valid UTF-8";
    }
    if (i + len > n) {
      return "text is not valid UTF-8";
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) {
        return "text is not valid UTF-8";
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return "text is not valid UTF-8";
    }
    i += len;
  }
  return "";
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
