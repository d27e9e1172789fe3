// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cw/core/common/result.h"

// The agent's on-disk alert queue: an SQLite file in the data directory. An alert counts as
// accepted once push() returned (the transaction is committed and fsync'd: WAL with
// synchronous=FULL), and leaves the queue only when remove() is called after the LAPI answered
// 201. With the LAPI down alerts wait here; after a crash or restart they are sent then.
namespace cw::core::apiclient {

/// One queued alert: its queue id and the alert's JSON object.
struct QueuedAlert {
  std::int64_t id = 0;
  std::string json;
};

class AlertQueue {
 public:
  /// Opens or creates the queue file (its folder must exist).
  static Result<std::unique_ptr<AlertQueue>> open(const std::string& path);

  /// Appends alerts (JSON objects) in one durable transaction: all or none.
  Result<bool> push(const std::vector<std::string>& alerts_json);

  /// Up to `max` oldest alerts, oldest first.
  Result<std::vector<QueuedAlert>> peek(std::size_t max);

  /// Deletes alerts by id, in one durable transaction.
  Result<bool> remove(const std::vector<std::int64_t>& ids);

  /// Number of alerts waiting.
  Result<std::size_t> size();

  const std::string& path() const;

  ~AlertQueue();
  AlertQueue(const AlertQueue&) = delete;
  AlertQueue& operator=(const AlertQueue&) = delete;

  struct Impl;

 private:
  explicit AlertQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cw::core::apiclient
