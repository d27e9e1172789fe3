// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cw/core/apiclient/client.h"
#include "cw/core/apiclient/queue.h"
#include "cw/core/common/result.h"
#include "cw/core/event/event.h"

// Ships queued alerts to the Local API from one background thread: a batch each `flush_interval`
// or as soon as `batch_size` alerts wait, a heartbeat each `heartbeat_interval`. Alerts leave the
// queue only when the LAPI answered 201; when it is down, the sender retries with a growing
// delay (up to `max_backoff`) and the alerts wait on disk.
namespace cw::core::apiclient {

struct SenderOptions {
  std::size_t batch_size = 50;
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::milliseconds heartbeat_interval{60000};
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
};

struct SenderStats {
  std::uint64_t queued = 0;    ///< alerts accepted by enqueue()
  std::uint64_t sent = 0;      ///< alerts the LAPI acknowledged with 201
  std::uint64_t rejected = 0;  ///< alerts the LAPI refused as invalid (400/422/validation 500)
  std::uint64_t failures = 0;  ///< failed attempts (transport errors, 5xx, 401 after login)
  std::uint64_t heartbeats = 0;
  std::size_t pending = 0;  ///< in the queue when stats() was called
};

class AlertSender {
 public:
  /// The sender uses `client` and `queue` from its own thread only, once start() was called.
  AlertSender(std::unique_ptr<Client> client, std::unique_ptr<AlertQueue> queue,
              SenderOptions options = {});
  ~AlertSender();  ///< stop()
  AlertSender(const AlertSender&) = delete;
  AlertSender& operator=(const AlertSender&) = delete;

  /// Converts the alerts to LAPI JSON and stores them durably; they are accepted once this
  /// returns true. Thread-safe.
  Result<bool> enqueue(const std::vector<event::Alert>& alerts);
  /// Same with alerts already in LAPI JSON (one object each).
  Result<bool> enqueueJson(const std::vector<std::string>& alerts_json);

  void start();
  /// Stops the thread after one last attempt to send what waits (bounded by the client's
  /// timeout); unsent alerts stay in the queue file for the next start.
  void stop();

  /// Wakes the thread to send now (tests, shutdown).
  void flushNow();

  SenderStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cw::core::apiclient
