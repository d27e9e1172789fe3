// SPDX-License-Identifier: Apache-2.0
// /v1/decisions: live bouncers (GET), the stream (GET /v1/decisions/stream), deletion by
// machines (DELETE).
#include <malloc.h>

#include <charconv>
#include <memory>

#include "cw/core/lapi/json_models.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

constexpr std::size_t kStreamPage = 30000;  // decisions per chunk (lapi.md §9)

std::string nbDeleted(std::int64_t n) { return "{\"nbDeleted\":\"" + std::to_string(n) + "\"}"; }

// Decisions read from the store at a time while a chunk is written: bounds the rows held.
constexpr std::size_t kStreamFetch = 500;

// Writes {"deleted": [...] | null, "new": [...] | null} in chunks of kStreamPage decisions,
// read from the store kStreamFetch at a time (by id, after the last one read), so memory holds
// one chunk's text whatever the number of decisions. Keys in Go's map order; `null` for an
// empty list as CrowdSec 1.4.6 sends it (lapi-trace.md).
class StreamWriter {
 public:
  StreamWriter(store::Store& store, store::StreamQuery query, TimePoint now)
      : store_(store), query_(std::move(query)), now_(now) {}

  // True once a list needed more than one read: the chunks were large.
  bool large() const { return large_; }

  // Reads the first decisions of `deleted`; called before the status is sent, so that a store
  // failure still gets its 500.
  // When `deleted` fits one read (a delta, as a rule), the first decisions of `new` are read
  // too, so that a small answer is read whole before it is sent.
  Result<bool> start() {
    auto r = ready();
    if (!r || !list_done_) {
      return r;
    }
    auto first_new = read(store::StreamList::New, 0);
    if (!first_new) {
      return first_new.error();
    }
    new_first_ = std::move(*first_new);
    have_new_first_ = true;
    return true;
  }

  // One chunk into `out`; false once everything was written; an error when the store failed
  // mid-way (the connection is then cut: the status was sent).
  Result<bool> next(std::string& out) {
    out.clear();
    if (stage_ == Stage::Done) {
      return false;
    }
    if (stage_ == Stage::Start) {
      out = "{\"deleted\":";
      stage_ = Stage::Deleted;
    }
    auto any = ready();
    if (!any) {
      return any.error();
    }
    if (!*any) {
      out += first_ ? "null" : "]";
    } else {
      out.push_back(first_ ? '[' : ',');
      first_ = false;
      std::size_t written = 0;
      while (written < kStreamPage) {
        auto more = ready();
        if (!more) {
          return more.error();
        }
        if (!*more) {
          break;
        }
        if (pos_ > 0 || written > 0) {
          out.push_back(',');
        }
        const std::size_t n = std::min(page_.size() - pos_, kStreamPage - written);
        appendBouncerDecisions(out, page_.data() + pos_, n, now_);
        pos_ += n;
        written += n;
      }
      auto more = ready();
      if (!more) {
        return more.error();
      }
      if (*more) {
        return true;  // the list goes on in the next chunk
      }
      out.push_back(']');
    }
    if (stage_ == Stage::Deleted) {
      out += ",\"new\":";
      stage_ = Stage::New;
      list_ = store::StreamList::New;
      after_id_ = 0;
      page_.clear();
      pos_ = 0;
      list_done_ = false;
      first_ = true;
      if (have_new_first_) {
        take(std::move(new_first_));
      }
      return true;
    }
    out.push_back('}');
    stage_ = Stage::Done;
    return true;
  }

 private:
  enum class Stage { Start, Deleted, New, Done };

  // True when an unwritten decision of the current list is in page_ (read from the store when
  // page_ is used up); false at the list's end.
  Result<bool> ready() {
    if (pos_ < page_.size()) {
      return true;
    }
    if (list_done_) {
      return false;
    }
    auto page = read(list_, after_id_);
    if (!page) {
      return page.error();
    }
    return take(std::move(*page));
  }

  // Makes `page` the current read of the current list; true when it holds a decision.
  bool take(std::vector<store::Decision> page) {
    page_ = std::move(page);
    pos_ = 0;
    list_done_ = page_.size() < kStreamFetch;
    large_ = large_ || !list_done_;
    if (page_.empty()) {
      return false;
    }
    after_id_ = page_.back().id;
    return true;
  }

  Result<std::vector<store::Decision>> read(store::StreamList list, std::int64_t after) {
    return store_.streamDecisionsPage(query_, now_, list, after, kStreamFetch);
  }

  store::Store& store_;
  store::StreamQuery query_;
  TimePoint now_;
  Stage stage_ = Stage::Start;
  store::StreamList list_ = store::StreamList::Deleted;
  std::int64_t after_id_ = 0;
  std::vector<store::Decision> page_;
  std::size_t pos_ = 0;
  bool list_done_ = false;
  bool first_ = true;
  bool large_ = false;
  std::vector<store::Decision> new_first_;  // see start()
  bool have_new_first_ = false;
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
  auto writer = std::make_shared<StreamWriter>(store, std::move(*query), call.now);
  if (auto first = writer->start(); !first) {
    storeFailure(call, first.error());
    return;
  }
  if (auto up = store.updateBouncerLastPull(b.name, call.now); !up) {
    storeFailure(call, up.error());
    return;
  }
  bump(counters.stream_pulls);
  call.res.status = 200;
  call.res.set_chunked_content_provider(
      kJsonContentType,
      [writer, chunk = std::string()](std::size_t, httplib::DataSink& sink) mutable {
        auto more = writer->next(chunk);
        if (!more) {
          logger()->error("Store failure path=/v1/decisions/stream error={}", more.error().message);
          return false;
        }
        if (*more) {
          return sink.write(chunk.data(), chunk.size());
        }
        sink.done();
        if (writer->large()) {
          // The chunks' buffers (ours and httplib's copies) are free now: returned to the
          // system rather than kept in this thread's malloc arena.
          chunk = std::string();
          ::malloc_trim(0);
        }
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
