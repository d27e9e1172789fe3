// SPDX-License-Identifier: Apache-2.0
#include "cw/core/notifications/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "cw/core/common/log_rate.h"

namespace cw::core::notifications {

Dispatcher::Dispatcher(std::size_t capacity, std::chrono::milliseconds retry_backoff, Clock clock)
    : capacity_(capacity), retry_backoff_(retry_backoff), clock_(std::move(clock)) {
  if (!clock_) {
    clock_ = [] { return std::chrono::steady_clock::now(); };
  }
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::add(std::string name, std::unique_ptr<Notifier> notifier,
                     NotifierOptions options) {
  std::lock_guard lock(mu_);
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    return;
  }
  names_.push_back(std::move(name));
  Target t;
  t.notifier = std::move(notifier);
  t.options = std::move(options);
  targets_.push_back(std::move(t));
}

bool Dispatcher::has(std::string_view name) const {
  std::lock_guard lock(mu_);
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

std::vector<std::string> Dispatcher::names() const {
  std::lock_guard lock(mu_);
  return names_;
}

bool Dispatcher::submit(const std::vector<std::string>& names, std::string alert_json) {
  Item item;
  std::unique_lock lock(mu_);
  for (const std::string& name : names) {
    const auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) {
      continue;
    }
    const auto index = static_cast<std::size_t>(it - names_.begin());
    if (std::find(item.targets.begin(), item.targets.end(), index) == item.targets.end()) {
      item.targets.push_back(index);
    }
  }
  if (item.targets.empty()) {
    return true;
  }
  if (queue_.size() >= capacity_) {
    const std::uint64_t dropped = ++stats_.dropped;
    lock.unlock();
    if (isPowerOfTen(dropped)) {  // driven by the alerts' rate: logged at 1, 10, 100...
      spdlog::warn("Notification queue full: alert dropped capacity={} dropped={}", capacity_,
                   dropped);
    }
    return false;
  }
  item.json = std::move(alert_json);
  queue_.push_back(std::move(item));
  ++stats_.queued;
  lock.unlock();
  cv_work_.notify_one();
  return true;
}

void Dispatcher::start() {
  std::lock_guard lock(mu_);
  if (started_) {
    return;
  }
  started_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) {
      return;
    }
    stopping_ = true;
  }
  cv_work_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  std::lock_guard lock(mu_);
  started_ = false;
}

void Dispatcher::waitIdle() {
  std::unique_lock lock(mu_);
  cv_idle_.wait(lock, [this] { return (queue_.empty() && !busy_ && !woken_) || !started_; });
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_work_.notify_all();
}

DispatcherStats Dispatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Dispatcher::due(const Target& t, std::chrono::steady_clock::time_point now,
                     bool stopping) const {
  if (t.batch.empty()) {
    return false;
  }
  const NotifierOptions& o = t.options;
  if (stopping || (o.group_wait.count() == 0 && o.group_threshold <= 1)) {
    return true;
  }
  if (o.group_threshold > 0 && t.batch.size() >= o.group_threshold) {
    return true;
  }
  return o.group_wait.count() > 0 && now - t.first >= o.group_wait;
}

void Dispatcher::send(std::size_t index) {
  Target& t = targets_[index];
  const std::string& name = names_[index];  // names_ does not change once started
  const NotifierOptions& o = t.options;
  const std::size_t alerts = t.batch.size();
  auto rendered = o.format.render(t.batch, t.message);
  t.batch.clear();
  if (!rendered) {
    std::lock_guard lock(mu_);
    ++stats_.failed;
    if (o.log_level <= spdlog::level::err) {
      spdlog::error("Notification failed name={} alerts={} error={}", name, alerts,
                    rendered.error().message);
    }
    return;
  }
  std::chrono::milliseconds backoff = retry_backoff_;
  for (unsigned attempt = 0;; ++attempt) {
    auto ok = t.notifier->notify(t.message);
    if (ok) {
      std::lock_guard lock(mu_);
      ++stats_.sent;
      if (o.log_level <= spdlog::level::debug) {
        spdlog::debug("Notification sent name={} alerts={} bytes={} attempts={}", name, alerts,
                      t.message.size(), attempt + 1);
      }
      return;
    }
    // No retry once the daemon stops: a dead receiver must not hold the stop for the whole
    // backoff (up to ~34 s a batch with max_retry 10); the batch is counted failed.
    std::unique_lock lock(mu_);
    if (attempt >= o.max_retry || stopping_) {
      ++stats_.failed;
      if (o.log_level <= spdlog::level::err) {
        spdlog::error("Notification failed name={} alerts={} attempts={} error={}{}", name, alerts,
                      attempt + 1, ok.error().message,
                      attempt < o.max_retry ? " (not retried: stopping)" : "");
      }
      return;
    }
    ++stats_.retried;
    if (o.log_level <= spdlog::level::warn) {
      spdlog::warn(
          "Notification attempt failed, retrying name={} attempt={} retry_in={}ms error={}", name,
          attempt + 1, backoff.count(), ok.error().message);
    }
    cv_work_.wait_for(lock, backoff, [this] { return stopping_; });
    lock.unlock();
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void Dispatcher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Sleep until an alert, a stop, a wake() or the earliest group_wait deadline.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    for (const Target& t : targets_) {
      if (!t.batch.empty() && t.options.group_wait.count() > 0) {
        const auto d = t.first + t.options.group_wait;
        deadline = deadline ? std::min(*deadline, d) : d;
      }
    }
    auto ready = [this] { return stopping_ || woken_ || !queue_.empty(); };
    if (deadline) {
      cv_work_.wait_for(lock, *deadline - clock_(), ready);
    } else {
      cv_work_.wait(lock, ready);
    }
    woken_ = false;
    busy_ = true;
    std::optional<Item> item;
    if (!queue_.empty()) {
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    const bool finishing = stopping_ && queue_.empty();
    lock.unlock();

    const auto now = clock_();
    if (item) {
      for (std::size_t k = 0; k < item->targets.size(); ++k) {
        Target& t = targets_[item->targets[k]];
        if (t.batch.empty()) {
          t.first = now;
        }
        if (k + 1 == item->targets.size()) {
          t.batch.push_back(std::move(item->json));
        } else {
          t.batch.push_back(item->json);
        }
      }
    }
    // The alert's notifications first, in the order its profiles named them; then the batches
    // whose group_wait is over (or all, when stopping).
    if (item) {
      for (std::size_t index : item->targets) {
        if (due(targets_[index], now, finishing)) {
          send(index);
        }
      }
    }
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      if (due(targets_[i], now, finishing)) {
        send(i);
      }
    }

    lock.lock();
    busy_ = false;
    if (finishing && queue_.empty()) {
      break;  // stopping, and everything queued or waiting was delivered
    }
    if (queue_.empty()) {
      cv_idle_.notify_all();
    }
  }
  cv_idle_.notify_all();
}

}  // namespace cw::core::notifications
