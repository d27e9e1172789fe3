// SPDX-License-Identifier: Apache-2.0
// `queue` and `leaky` as expressions see them (scenarios.md section 3): the upstream field
// names (queue.Queue, leaky.Total_count, leaky.First_ts...). Values are built on access only,
// so a condition that never reads queue.Queue costs no allocation.
#include "cw/core/expr/bindings.h"
#include "internal.h"

namespace cw::core::scenarios::detail {
namespace {

Value queueArray(Bucket& b) {
  ValueArray items;
  items.reserve(b.queue.size());
  for (const auto& e : b.queue) {
    items.push_back(expr::eventValue(*e));
  }
  return Value::array(std::move(items));
}

bool queueField(void* object, std::string_view name, Value& out) {
  auto& b = *static_cast<Bucket*>(object);
  if (name == "Queue") {
    out = queueArray(b);
    return true;
  }
  if (name == "L") {
    out = Value::integer(b.scenario->queue_bound);
    return true;
  }
  return false;
}

bool queueMethod(void* object, std::string_view name, const ValueArray& args, Value& out,
                 std::string& error) {
  if (name != "GetQueue") {
    return false;
  }
  if (!args.empty()) {
    error = "GetQueue() takes no argument";
    return true;
  }
  out = queueValue(*static_cast<Bucket*>(object));
  return true;
}

std::size_t queueLength(void* object) { return static_cast<Bucket*>(object)->queue.size(); }

const HostType kQueueType{"Queue", queueField, queueMethod, queueLength};

bool leakyField(void* object, std::string_view name, Value& out) {
  auto& b = *static_cast<Bucket*>(object);
  const Scenario& s = *b.scenario;
  if (name == "Name") {
    out = Value::stringView(s.name);
  } else if (name == "Mapkey") {
    out = Value::stringView(b.mapkey);
  } else if (name == "Uuid") {
    out = Value::stringView(b.uuid);
  } else if (name == "Total_count") {
    out = Value::integer(static_cast<std::int64_t>(b.total_count));
  } else if (name == "First_ts") {
    out = Value::time(b.first_ts);
  } else if (name == "Last_ts") {
    out = Value::time(b.last_ts);
  } else if (name == "Ovflw_ts") {
    out = Value::time(b.ovflw_ts);
  } else if (name == "Capacity") {
    out = Value::integer(s.capacity);
  } else if (name == "CacheSize") {
    out = Value::integer(s.cache_size);
  } else if (name == "Leakspeed") {
    out = Value::duration(s.leakspeed);
  } else if (name == "Duration") {
    out = Value::duration(s.lifetime);
  } else if (name == "Reprocess") {
    out = Value::boolean(s.reprocess);
  } else if (name == "Mode") {
    out = Value::integer(static_cast<int>(b.mode));
  } else if (name == "Queue") {
    out = queueValue(b);
  } else {
    return false;
  }
  return true;
}

bool leakyMethod(void*, std::string_view, const ValueArray&, Value&, std::string&) {
  return false;
}

const HostType kLeakyType{"Leaky", leakyField, leakyMethod, nullptr};

} // namespace

Value queueValue(Bucket& b) { return Value::host(&kQueueType, &b); }
Value leakyValue(Bucket& b) { return Value::host(&kLeakyType, &b); }

} // namespace cw::core::scenarios::detail
