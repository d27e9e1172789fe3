// SPDX-License-Identifier: Apache-2.0
#include "cw/core/notifications/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace cw::core::notifications {
namespace {

// Drops are driven by the alerts' rate: logged at the 1st, 10th, 100th... only.
bool isPowerOfTen(std::uint64_t n) {
  while (n >= 10 && n % 10 == 0) {
    n /= 10;
  }
  return n == 1;
}

}  // namespace

Dispatcher::Dispatcher(std::size_t capacity) : capacity_(capacity) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::add(std::string name, std::unique_ptr<Notifier> notifier) {
  std::lock_guard lock(mu_);
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    return;
  }
  names_.push_back(std::move(name));
  notifiers_.push_back(std::move(notifier));
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
    if (isPowerOfTen(dropped)) {
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
  cv_idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || !started_; });
}

DispatcherStats Dispatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Dispatcher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      break;  // stopping, and everything queued was delivered
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();

    for (std::size_t index : item.targets) {
      auto ok = notifiers_[index]->notify(item.json);
      lock.lock();
      if (ok) {
        ++stats_.sent;
      } else {
        ++stats_.failed;
      }
      lock.unlock();
      if (!ok) {
        spdlog::error("Notification failed name={} error={}", names_[index], ok.error().message);
      }
    }

    lock.lock();
    busy_ = false;
    if (queue_.empty()) {
      cv_idle_.notify_all();
    }
  }
  busy_ = false;
  cv_idle_.notify_all();
}

}  // namespace cw::core::notifications
