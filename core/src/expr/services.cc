// SPDX-License-Identifier: Apache-2.0
#include "cw/core/expr/services.h"

#include <fstream>

#include "services_impl.h"

namespace cw::core::expr {

Services::Impl::~Impl() {
  if (city_open) {
    MMDB_close(&city);
  }
  if (asn_open) {
    MMDB_close(&asn);
  }
}

Services::Services() : impl_(std::make_unique<Impl>()) {}
Services::~Services() = default;

namespace {

std::string_view trimCr(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<bool> Services::loadDataFile(const std::string& dest_file, const std::string& path,
                                    DataFileType type) {
  if (impl_->files.count(dest_file) != 0) {
    return true;
  }
  std::ifstream in(path);
  if (!in) {
    return makeError(ErrorCode::Io, "cannot open data file " + path);
  }
  auto f = std::make_unique<detail::DataFile>();
  f->type = type;
  f->path = path;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string_view l = trimCr(line);
    if (l.empty() || l.front() == '#') {
      continue;
    }
    switch (type) {
      case DataFileType::String:
        f->lines.emplace_back(l);
        break;
      case DataFileType::Regexp: {
        auto re = std::make_unique<RE2>(l, RE2::Quiet);
        if (!re->ok()) {
          return makeError(ErrorCode::Parse, "data file " + path + " line " +
                                                 std::to_string(lineno) +
                                                 ": invalid regexp: " + re->error());
        }
        f->lines.emplace_back(l);
        f->regexps.push_back(std::move(re));
        break;
      }
      case DataFileType::Map:
      case DataFileType::Bots: {
        Value row;
        std::string err;
        if (!detail::fromJson(l, row, err) || row.kind() != Value::Kind::Map) {
          return makeError(ErrorCode::Parse, "data file " + path + " line " +
                                                 std::to_string(lineno) + ": invalid JSON line" +
                                                 (err.empty() ? "" : ": " + err));
        }
        if (type == DataFileType::Bots) {
          f->bots.push_back(row);
          break;
        }
        detail::MapRow r;
        auto get = [&](const char* k) {
          auto it = row.asMap().find(k);
          return it != row.asMap().end() && it->second.isString()
                     ? std::string(it->second.asString())
                     : std::string();
        };
        r.pattern = get("pattern");
        r.tag = get("tag");
        r.type = get("type");
        if (r.type == "regex") {
          r.re = std::make_unique<RE2>(r.pattern, RE2::Quiet);
          if (!r.re->ok()) {
            return makeError(ErrorCode::Parse, "data file " + path + " line " +
                                                   std::to_string(lineno) +
                                                   ": invalid regexp: " + r.re->error());
          }
        } else if (r.type != "equals" && r.type != "contains") {
          return makeError(ErrorCode::Parse, "data file " + path + " line " +
                                                 std::to_string(lineno) + ": unknown type '" +
                                                 r.type + "'");
        }
        f->rows.push_back(std::move(r));
        f->lines.emplace_back(l);
        break;
      }
    }
  }
  if (type == DataFileType::Regexp && !f->lines.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(256 << 20);
    auto set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    bool ok = true;
    for (const std::string& l : f->lines) {
      ok = ok && set->Add(l, nullptr) >= 0;
    }
    if (ok && set->Compile()) {
      f->regexp_set = std::move(set);
    }
  }
  if (type == DataFileType::String || type == DataFileType::Regexp) {
    for (const std::string& s : f->lines) {
      f->values.push_back(Value::stringView(s));
      f->set.insert(s);
    }
  }
  impl_->files.emplace(dest_file, std::move(f));
  return true;
}

void Services::openGeoIp(const std::string& city_path, const std::string& asn_path) {
  if (impl_->city_open) {
    MMDB_close(&impl_->city);
    impl_->city_open = false;
  }
  if (impl_->asn_open) {
    MMDB_close(&impl_->asn);
    impl_->asn_open = false;
  }
  if (!city_path.empty()) {
    impl_->city_open = MMDB_open(city_path.c_str(), MMDB_MODE_MMAP, &impl_->city) == MMDB_SUCCESS;
  }
  if (!asn_path.empty()) {
    impl_->asn_open = MMDB_open(asn_path.c_str(), MMDB_MODE_MMAP, &impl_->asn) == MMDB_SUCCESS;
  }
}

void Services::setFixedNow(TimePoint now) { impl_->fixed_now = now; }

TimePoint Services::now() const { return impl_->fixed_now ? *impl_->fixed_now : nowUtc(); }

void Services::setCurrentYear(int year) { impl_->current_year = year; }

int Services::currentYear() const {
  if (impl_->current_year != 0) {
    return impl_->current_year;
  }
  // Days since epoch -> civil year (same algorithm as the time helpers).
  std::int64_t z = now().unix_nanos / (86400 * kSecond) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

namespace detail {

const DataFile* findDataFile(const Services* s, std::string_view name) {
  if (s == nullptr) {
    return nullptr;
  }
  auto& files = s->impl().files;
  auto it = files.find(name);
  return it == files.end() ? nullptr : it->second.get();
}

const ValueArray* dataFileLines(const DataFile* f) { return &f->values; }

bool dataFileContains(const DataFile* f, std::string_view s) { return f->set.count(s) != 0; }

const ValueArray* dataFileMapped(const DataFile* f, NativeFn fn, const Services* services) {
  std::lock_guard<std::mutex> lock(f->mapped_mu);
  for (const auto& [g, table] : f->mapped) {
    if (g == fn) {
      return table.get();
    }
  }
  auto table = std::make_unique<ValueArray>();
  table->reserve(f->values.size());
  Ctx c;
  c.services = services;
  for (const Value& line : f->values) {
    Value arg = line;
    Value out;
    if (!fn(c, std::span<Value>(&arg, 1), out)) {
      table.reset();
      break;
    }
    table->push_back(out.detached());
  }
  const ValueArray* result = table.get();
  f->mapped.emplace_back(fn, std::move(table));
  return result;
}

}  // namespace detail

} // namespace cw::core::expr

namespace cw::core::expr {

namespace {
constexpr std::size_t kDefaultStashSize = 10000;
}  // namespace

void Services::configureStash(const std::string& cache, std::size_t max_size) {
  std::lock_guard<std::mutex> lock(impl_->stash_mu);
  impl_->stashes[cache].max_size = max_size;
}

void Services::setStash(const std::string& cache, const std::string& key,
                        const std::string& value, Duration ttl) const {
  const std::int64_t now_ns = now().unix_nanos;
  std::lock_guard<std::mutex> lock(impl_->stash_mu);
  detail::Stash& st = impl_->stashes[cache];
  auto [it, inserted] = st.entries.insert_or_assign(key, detail::StashEntry{});
  it->second.value = value;
  it->second.expires_ns = ttl > 0 ? now_ns + ttl : 0;
  if (inserted) {
    st.order.push_back(key);
  }
  const std::size_t bound = st.max_size > 0 ? st.max_size : kDefaultStashSize;
  while (st.entries.size() > bound && !st.order.empty()) {
    st.entries.erase(st.order.front());
    st.order.pop_front();
  }
  // Keep the order queue from growing without bound when keys are overwritten or erased.
  if (st.order.size() > 2 * bound) {
    std::deque<std::string> kept;
    for (const std::string& k : st.order) {
      if (st.entries.count(k) != 0) {
        kept.push_back(k);
      }
    }
    st.order.swap(kept);
  }
}

std::string Services::getStash(const std::string& cache, const std::string& key) const {
  const std::int64_t now_ns = now().unix_nanos;
  std::lock_guard<std::mutex> lock(impl_->stash_mu);
  auto sit = impl_->stashes.find(cache);
  if (sit == impl_->stashes.end()) {
    return "";
  }
  auto it = sit->second.entries.find(key);
  if (it == sit->second.entries.end()) {
    return "";
  }
  if (it->second.expires_ns != 0 && it->second.expires_ns <= now_ns) {
    sit->second.entries.erase(it);
    return "";
  }
  return it->second.value;
}

} // namespace cw::core::expr
