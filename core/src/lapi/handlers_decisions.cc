// SPDX-License-Identifier: Apache-2.0
// /v1/decisions: live bouncers (GET), the stream (GET /v1/decisions/stream), deletion by
// machines (DELETE).
#include <charconv>
#include <memory>

#include "cw/core/lapi/json_models.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

constexpr std::size_t kStreamPage = 30000;  // decisions per chunk (lapi.md §9)

std::string nbDeleted(std::int64_t n) { return "{\"nbDeleted\":\"" + std::to_string(n) + "\"}"; }

// Writes {"deleted": [...] | null, "new": [...] | null} in chunks of kStreamPage decisions. Keys
// in Go's map order; `null` for an empty list as CrowdSec 1.4.6 sends it (lapi-trace.md).
class StreamWriter {
 public:
  StreamWriter(store::DecisionStream stream, TimePoint now)
      : stream_(std::move(stream)), now_(now) {}

  // One chunk; false once everything was written.
  bool next(std::string& out) {
    out.clear();
    switch (stage_) {
      case 0:
        out = "{\"deleted\":";
        stage_ = 1;
        list_ = &stream_.deleted;
        index_ = 0;
        [[fallthrough]];
      case 1:
      case 3:
        if (list_->empty()) {
          out += "null";
        } else {
          out.push_back(index_ == 0 ? '[' : ',');
          const std::size_t end = std::min(list_->size(), index_ + kStreamPage);
          for (std::size_t i = index_; i < end; ++i) {
            if (i > index_) {
              out.push_back(',');
            }
            appendBouncerDecision(out, (*list_)[i], now_);
          }
          index_ = end;
          if (index_ < list_->size()) {
            return true;
          }
          out.push_back(']');
        }
        if (stage_ == 1) {
          out += ",\"new\":";
          stage_ = 3;
          list_ = &stream_.new_decisions;
          index_ = 0;
          return true;
        }
        out.push_back('}');
        stage_ = 4;
        return true;
      default:
        return false;
    }
  }

 private:
  store::DecisionStream stream_;
  TimePoint now_;
  int stage_ = 0;
  const std::vector<store::Decision>* list_ = nullptr;
  std::size_t index_ = 0;
};

}  // namespace

void Server::Impl::getDecisions(Call& call) {
  auto filter = store::DecisionFilter::fromQuery(call.query());
  if (!filter) {
    message(call, 500, filter.error().message);
    return;
  }
  auto decisions = store.listActiveDecisions(*filter, call.now);
  if (!decisions) {
    storeFailure(call, decisions.error());
    return;
  }
  // Last pull is recorded at most once a minute for live bouncers.
  const store::Bouncer& b = *call.bouncer;
  if (!call.head &&
      (b.last_pull.isZero() || call.now.unix_nanos - b.last_pull.unix_nanos >= kMinute)) {
    if (auto up = store.updateBouncerLastPull(b.name, call.now); !up) {
      logger()->warn("Cannot update last pull bouncer={} error={}", b.name, up.error().message);
    }
  }
  reply(call, 200, renderBouncerDecisions(*decisions, call.now));
}

void Server::Impl::streamDecisions(Call& call) {
  auto query = store::StreamQuery::fromQuery(call.query());
  if (!query) {
    message(call, 500, query.error().message);
    return;
  }
  if (call.head) {
    reply(call, 200, "");
    return;
  }
  const store::Bouncer& b = *call.bouncer;
  if (!query->startup) {
    query->since = b.last_pull;
  }
  auto stream = store.streamDecisions(*query, call.now);
  if (!stream) {
    storeFailure(call, stream.error());
    return;
  }
  if (auto up = store.updateBouncerLastPull(b.name, call.now); !up) {
    storeFailure(call, up.error());
    return;
  }
  bump(counters.stream_pulls);
  auto writer = std::make_shared<StreamWriter>(std::move(*stream), call.now);
  call.res.status = 200;
  call.res.set_chunked_content_provider(kJsonContentType,
                                        [writer](std::size_t, httplib::DataSink& sink) {
                                          std::string chunk;
                                          if (writer->next(chunk)) {
                                            return sink.write(chunk.data(), chunk.size());
                                          }
                                          sink.done();
                                          return true;
                                        });
}

void Server::Impl::deleteDecisions(Call& call) {
  auto filter = store::DecisionFilter::fromDeleteQuery(call.query());
  if (!filter) {
    message(call, 500, filter.error().message);
    return;
  }
  auto n = store.expireDecisions(*filter, call.now);
  if (!n) {
    storeFailure(call, n.error());
    return;
  }
  reply(call, 200, nbDeleted(*n));
}

void Server::Impl::deleteDecision(Call& call) {
  const std::string& text = call.params.at(0);
  std::int64_t id = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size()) {
    message(call, 400, "decision_id must be valid integer");
    return;
  }
  auto n = store.expireDecision(id, call.now);
  if (!n) {
    storeFailure(call, n.error());
    return;
  }
  if (*n == 0) {
    message(call, 500, "decision with id '" + text + "' doesn't exist: unable to delete");
    return;
  }
  reply(call, 200, nbDeleted(*n));
}

}  // namespace cw::core::lapi
