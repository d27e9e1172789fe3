// SPDX-License-Identifier: Apache-2.0
#include "cw/core/apiclient/sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "cw/core/apiclient/alert_json.h"
#include "cw/core/alerts/json.h"

namespace cw::core::apiclient {
namespace {

using Clock = std::chrono::steady_clock;

enum class Outcome { Sent, Rejected, Failed };

// The LAPI judged the content itself: sending it again would get the same answer.
bool isRejection(const Response& r) {
  if (r.status == 400 || r.status == 413 || r.status == 422) {
    return true;
  }
  return r.status == 500 && r.body.find("validation failure") != std::string::npos;
}

}  // namespace

struct AlertSender::Impl {
  std::unique_ptr<Client> client;
  std::unique_ptr<AlertQueue> queue;
  SenderOptions options;

  mutable std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  bool wake = false;
  std::size_t since_flush = 0;  // alerts enqueued since the last send
  std::thread thread;

  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> heartbeats{0};

  // Sender thread only.
  std::chrono::milliseconds backoff{0};
  Clock::time_point retry_at{};
  bool lapi_down = false;  // logged once per outage

  Outcome post(const std::vector<QueuedAlert>& batch) {
    std::vector<std::string> objects;
    objects.reserve(batch.size());
    for (const QueuedAlert& q : batch) {
      objects.push_back(q.json);
    }
    auto r = client->postAlerts(jsonArray(objects));
    if (!r) {
      noteFailure(r.error().message);
      return Outcome::Failed;
    }
    if (r->status == 201) {
      return Outcome::Sent;
    }
    if (isRejection(*r)) {
      return Outcome::Rejected;
    }
    noteFailure("POST /v1/alerts answered " + std::to_string(r->status) + ": " +
                errorMessage(r->body));
    return Outcome::Failed;
  }

  void noteFailure(const std::string& what) {
    ++failures;
    if (!lapi_down) {
      spdlog::warn("Cannot send alerts to the LAPI, they wait in {}: {}", queue->path(), what);
      lapi_down = true;
    }
    backoff =
        backoff.count() == 0 ? options.min_backoff : std::min(backoff * 2, options.max_backoff);
    retry_at = Clock::now() + backoff;
  }

  void noteSuccess() {
    if (lapi_down) {
      spdlog::info("LAPI reachable again, sending queued alerts");
      lapi_down = false;
    }
    backoff = std::chrono::milliseconds(0);
  }

  bool drop(const std::vector<std::int64_t>& ids, std::atomic<std::uint64_t>& counter) {
    auto ok = queue->remove(ids);
    if (!ok) {
      spdlog::error("Alert queue: {}", ok.error().message);
      return false;
    }
    counter += ids.size();
    return true;
  }

  // Sends everything that waits; stops at the first failure (the rest waits for a retry).
  void sendAll() {
    for (;;) {
      auto batch = queue->peek(options.batch_size);
      if (!batch) {
        spdlog::error("Alert queue: {}", batch.error().message);
        return;
      }
      if (batch->empty()) {
        return;
      }
      std::vector<std::int64_t> ids;
      for (const QueuedAlert& q : *batch) {
        ids.push_back(q.id);
      }
      const Outcome outcome = post(*batch);
      if (outcome == Outcome::Failed) {
        return;
      }
      noteSuccess();
      if (outcome == Outcome::Sent) {
        if (!drop(ids, sent)) {
          return;
        }
        continue;
      }
      // Rejected: find the culprits one by one, keep sending the others.
      for (const QueuedAlert& q : *batch) {
        const Outcome one = batch->size() == 1 ? outcome : post({q});
        if (one == Outcome::Failed) {
          return;
        }
        if (one == Outcome::Rejected) {
          spdlog::error("LAPI refused an alert as invalid, dropped: {:.200}", q.json);
        }
        if (!drop({q.id}, one == Outcome::Sent ? sent : rejected)) {
          return;
        }
      }
    }
  }

  void run() {
    auto next_heartbeat = Clock::now() + options.heartbeat_interval;
    auto next_flush = Clock::now();
    std::unique_lock lock(mutex);
    for (;;) {
      const auto deadline = std::min(next_heartbeat, next_flush);
      cv.wait_until(lock, deadline,
                    [&] { return stopping || wake || since_flush >= options.batch_size; });
      const bool last = stopping;
      const bool forced = wake;
      wake = false;
      since_flush = 0;
      lock.unlock();

      const auto now = Clock::now();
      if (now >= next_heartbeat && !last) {
        auto ok = client->heartbeat();
        if (ok) {
          ++heartbeats;
        } else {
          spdlog::debug("Heartbeat failed: {}", ok.error().message);
        }
        next_heartbeat = now + options.heartbeat_interval;
      }
      if (last || forced || now >= retry_at) {
        sendAll();
      }
      next_flush = Clock::now() + options.flush_interval;

      lock.lock();
      if (last) {
        return;
      }
    }
  }
};

AlertSender::AlertSender(std::unique_ptr<Client> client, std::unique_ptr<AlertQueue> queue,
                         SenderOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->client = std::move(client);
  impl_->queue = std::move(queue);
  impl_->options = options;
  if (impl_->options.batch_size == 0) {
    impl_->options.batch_size = 1;
  }
}

AlertSender::~AlertSender() { stop(); }

Result<bool> AlertSender::enqueue(const std::vector<event::Alert>& alerts) {
  std::vector<std::string> objects;
  objects.reserve(alerts.size());
  for (const event::Alert& a : alerts) {
    objects.push_back(alerts::alertToJson(a));
  }
  return enqueueJson(objects);
}

Result<bool> AlertSender::enqueueJson(const std::vector<std::string>& alerts_json) {
  if (alerts_json.empty()) {
    return true;
  }
  auto ok = impl_->queue->push(alerts_json);
  if (!ok) {
    return ok;
  }
  impl_->queued += alerts_json.size();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->since_flush += alerts_json.size();
  }
  impl_->cv.notify_one();
  return true;
}

void AlertSender::start() {
  if (impl_->thread.joinable()) {
    return;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = false;
  }
  impl_->thread = std::thread([this] { impl_->run(); });
}

void AlertSender::stop() {
  if (!impl_->thread.joinable()) {
    return;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cv.notify_one();
  impl_->thread.join();
}

void AlertSender::flushNow() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->wake = true;
  }
  impl_->cv.notify_one();
}

SenderStats AlertSender::stats() const {
  SenderStats s;
  s.queued = impl_->queued;
  s.sent = impl_->sent;
  s.rejected = impl_->rejected;
  s.failures = impl_->failures;
  s.heartbeats = impl_->heartbeats;
  auto n = impl_->queue->size();
  s.pending = n ? *n : 0;
  return s;
}

}  // namespace cw::core::apiclient
