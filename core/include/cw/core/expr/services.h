// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cw/core/common/result.h"
#include "cw/core/common/time.h"
#include "cw/core/common/value.h"

namespace cw::core::expr {

/// Type of a data file declared in an item's `data:` list.
enum class DataFileType { String, Regexp, Map, Bots };

/// What expression helpers need from the world: data files (File, RegexpInFile, LookupFile),
/// named stash caches (GetFromStash), GeoIP databases, the clock and the current year (which
/// hub tests fix). One Services object is shared by everything loaded from one hub.
class Services {
 public:
  Services();
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  /// Loads `path` under the name `dest_file` (how items refer to it). Loading the same name
  /// twice is a no-op. A missing or unreadable file is an error naming the path.
  Result<bool> loadDataFile(const std::string& dest_file, const std::string& path,
                            DataFileType type);

  /// Loads one entry of an item's `data:` list (shared by parsers and scenarios). `type_name`
  /// is string, regexp (or regex), map or bots; an entry without a type is only a download
  /// for the hub and is skipped (returns false). The file is `data_dir/dest_file`; when that
  /// is absent, `data_dir/<file name of source_url>` (how hub mirrors store downloads) is
  /// tried. Errors name the file and what is wrong.
  Result<bool> loadDataEntry(const std::string& source_url, const std::string& dest_file,
                             const std::string& type_name, const std::string& data_dir);

  /// Opens GeoLite2-City.mmdb / GeoLite2-ASN.mmdb style databases; absent files are not an
  /// error (lookups then return nothing) but are reported by geoipStatus().
  void openGeoIp(const std::string& city_path, const std::string& asn_path);

  /// Named stash caches (parser `stash:` sections, GetFromStash/SetInStash). `max_size` 0 keeps
  /// the default bound (10000 keys per cache, oldest evicted first); ttl 0 = no expiry.
  void configureStash(const std::string& cache, std::size_t max_size);
  void setStash(const std::string& cache, const std::string& key, const std::string& value,
                Duration ttl) const;
  /// The value, or "" when absent or expired (expiry measured with now()).
  std::string getStash(const std::string& cache, const std::string& key) const;

  /// "Now" for helpers and the dateparse enricher; unset = the wall clock.
  void setFixedNow(TimePoint now);
  TimePoint now() const;

  /// Year given to year-less timestamps (0 = current year of now()).
  void setCurrentYear(int year);
  int currentYear() const;

  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

} // namespace cw::core::expr
