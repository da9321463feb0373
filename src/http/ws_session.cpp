#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/chunk_repo.hpp"
#include "cadenza/store/job_repo.hpp"
#include "cadenza/http/views.hpp"
#include "conversions.hpp"
#include "sessions.hpp"
#include "cadenza/core/crypto.hpp"

namespace cadenza::http::detail {

namespace {
// A client's seq: a non-negative integer that fits int64.
std::optional<std::int64_t> seq_field(const nlohmann::json& f) {
  if (f.is_number_unsigned()) {
    if (f.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(f.get<std::uint64_t>());
  }
  if (f.is_number_integer() && f.get<std::int64_t>() >= 0) return f.get<std::int64_t>();
  return std::nullopt;
}
}  // namespace

WsSession::WsSession(beast::tcp_stream&& stream, App& app, Registry& registry, Principal who, std::string remote,
                     std::string resume_socket_id)
    : ws_(std::move(stream)),
      close_timer_(ws_.get_executor()),
      app_(app),
      registry_(registry),
      who_(std::move(who)),
      remote_(std::move(remote)),
      opened_(std::chrono::steady_clock::now()),
      resumed_(!resume_socket_id.empty()) {
  socket_id_ = resumed_ ? std::move(resume_socket_id) : crypto::random_token(12);
  ++app_.metrics.open_websockets;
}

WsSession::~WsSession() {
  if (subscription_) app_.events.unsubscribe(subscription_);
  registry_.remove(registry_id_);
  registry_.socket_closed(socket_id_, now_ms(), std::int64_t{app_.config.ws.resume_window_s} * 1000);
  --app_.metrics.open_websockets;
  if (app_.config.log.access_log)
    spdlog::info("websocket {} {} account {} closed ({}) after {:.1f}s", registry_id_, remote_, who_.account_id,
                 close_reason_,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count());
}

void WsSession::start(bhttp::request<bhttp::string_body> upgrade) {
  registry_id_ = registry_.add(weak_from_this());
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.keep_alive_pings = true;
  timeouts.idle_timeout = std::chrono::seconds(app_.config.ws.ping_interval_s);
  ws_.set_option(timeouts);
  ws_.read_message_max(64 * 1024);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(bhttp::field::server, "cadenza"); }));
  auto req = std::make_shared<bhttp::request<bhttp::string_body>>(std::move(upgrade));
  ws_.async_accept(*req, [self = shared_from_this(), req](beast::error_code ec) {
    if (ec) {
      self->close_reason_ = "handshake failed";
      return;
    }
    if (self->closing_) return;  // revoked or shut down during the handshake
    if (self->app_.config.log.access_log)
      spdlog::info("websocket {} {} account {} open", self->registry_id_, self->remote_, self->who_.account_id);
    std::weak_ptr<WsSession> weak = self;
    self->subscription_ = self->app_.events.subscribe([weak](const jobs::JobEvent& ev) {
      if (auto s = weak.lock()) s->on_event(ev);
    });
    self->enqueue(
        nlohmann::json{{"type", "hello"}, {"accountId", self->who_.account_id}, {"socketId", self->socket_id_}}.dump());
    if (self->resumed_) self->send_missed_messages();
    self->read();
  });
}

void WsSession::shutdown() {
  net::post(ws_.get_executor(),
            [self = shared_from_this()] { self->close(websocket::close_code::going_away, "server shutting down"); });
}

void WsSession::revoke(const std::string& account_id) {
  if (account_id != who_.account_id) return;
  net::post(ws_.get_executor(),
            [self = shared_from_this()] { self->close(websocket::close_code::policy_error, "credentials revoked"); });
}

void WsSession::on_event(const jobs::JobEvent& ev) {
  // Runs on a worker thread: decide, and hand over to the strand; never wait here. The text was serialised
  // once by the EventLog and is shared by every session that sends it.
  if (ev.job.tenant_id != who_.tenant_id) return;
  bool mine = ev.job.owner_id == who_.account_id;
  if (!mine) {
    std::lock_guard lock(subs_mu_);
    if (std::find(subscribed_jobs_.begin(), subscribed_jobs_.end(), ev.job.id) == subscribed_jobs_.end()) return;
  }
  LiveEvent live;
  live.job_id = ev.job.id;
  live.seq = ev.seq;
  live.progress = ev.type == "job.progress";
  live.final = ev.type == "job.state" && (ev.job.state == store::JobState::Succeeded ||
                                          ev.job.state == store::JobState::Failed ||
                                          ev.job.state == store::JobState::Cancelled);
  // A conversion that named this socket (additional_data.socket_id) is told here when it ends.
  if (live.final && mine && ev.job.kind == "convert") {
    try {
      if (auto message = conversion_message(app_, ev.job, socket_id_))
        net::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(*message)]() mutable {
          if (!self->closing_) self->enqueue(std::move(m));
        });
    } catch (const std::exception& e) {
      spdlog::warn("websocket {}: no messageFromServer for job {}: {}", registry_id_, ev.job.id, e.what());
    }
  }
  live.text = ev.text ? ev.text
                      : std::make_shared<const std::string>(
                            nlohmann::json{{"type", ev.type}, {"job", job_json(ev.job)}}.dump());
  net::post(ws_.get_executor(), [self = shared_from_this(), live = std::move(live)]() mutable {
    self->deliver(std::move(live));
  });
}

void WsSession::send_missed_messages() {
  // The events subscription is already live, so a conversion that ends from now on is told by on_event; this
  // sends those that ended while the client was away: since its last connection with this id closed (less a
  // margin for events in flight then), or, when this server never saw it close (a restart), within the
  // resume window. At least once: one that ended just as the old socket closed may come twice (same body).
  const std::int64_t window_ms = std::int64_t{app_.config.ws.resume_window_s} * 1000;
  if (window_ms == 0) return;
  const std::int64_t now = now_ms();
  std::int64_t since = now - window_ms;
  if (auto closed = registry_.socket_closed_at(socket_id_)) since = std::max(since, *closed - 2000);
  net::post(registry_.blocking_pool, [self = shared_from_this(), since] {
    try {
      auto jobs = store::job_repo::finished_since(self->app_.tenants.get(self->who_.tenant_id),
                                                  self->who_.account_id, "convert", since, 100);
      for (const auto& job : jobs) {
        auto message = conversion_message(self->app_, job, self->socket_id_);
        if (!message) continue;
        net::post(self->ws_.get_executor(), [self, m = std::move(*message)]() mutable {
          if (!self->closing_) self->enqueue(std::move(m));
        });
      }
    } catch (const std::exception& e) {
      spdlog::warn("websocket {}: missed messages for socket {}: {}", self->registry_id_, self->socket_id_, e.what());
    }
  });
}

void WsSession::deliver(LiveEvent ev) {
  if (closing_) return;
  auto& w = watches_[ev.job_id];
  if (w.replaying) {  // held until the replay is out; a newer progress replaces a held one (latest wins)
    if (ev.progress && !w.held.empty() && w.held.back().progress) w.held.back() = std::move(ev);
    else w.held.push_back(std::move(ev));
    return;
  }
  if (ev.seq != 0 && ev.seq <= w.last_sent) return;  // sent already (by a replay)
  w.last_sent = ev.seq;
  const bool final = ev.final;
  enqueue(Outgoing{std::move(ev.text), false, ev.job_id, ev.progress});
  if (final) watches_.erase(ev.job_id);  // nothing follows a final state
}

void WsSession::read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void WsSession::on_read(beast::error_code ec) {
  if (ec) {  // closed, timed out or failed: the session ends when the last handler lets go
    if (!closing_) close_reason_ = ec == websocket::error::closed ? "client closed" : "read: " + ec.message();
    return;
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  handle_message(text);
  if (!closing_) read();
}

void WsSession::handle_message(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto error = [&](const std::string& m) { enqueue(nlohmann::json{{"type", "error"}, {"message", m}}.dump()); };
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string())
    return error("messages are JSON objects with a string \"type\"");
  auto type = j["type"].get<std::string>();
  if (type == "ping") return enqueue(R"({"type":"pong"})");
  if (type == "subscribe") {
    if (!j.contains("jobId") || !j["jobId"].is_string()) return error("subscribe needs a string \"jobId\"");
    std::optional<std::int64_t> from_seq;
    if (j.contains("fromSeq")) {
      from_seq = seq_field(j["fromSeq"]);
      if (!from_seq) return error("\"fromSeq\" must be a non-negative integer");
    }
    return subscribe(j["jobId"].get<std::string>(), from_seq);
  }
  if (type == "chunks") {
    if (!j.contains("jobId") || !j["jobId"].is_string()) return error("chunks needs a string \"jobId\"");
    std::int64_t from_seq = 0;
    if (j.contains("fromSeq")) {
      auto from = seq_field(j["fromSeq"]);
      if (!from) return error("\"fromSeq\" must be a non-negative integer");
      from_seq = *from;
    }
    return send_chunks(j["jobId"].get<std::string>(), from_seq);
  }
  error("unknown message type \"" + type + "\"");
}

std::optional<store::JobRecord> WsSession::job_for_client(const std::string& id) {
  auto error = [&](const std::string& m) { enqueue(nlohmann::json{{"type", "error"}, {"message", m}}.dump()); };
  try {
    auto job = app_.jobs.get(who_.tenant_id, id);
    if (job.owner_id == who_.account_id || who_.is_admin()) return job;
    error("job " + id + " belongs to another account");
  } catch (const Error& e) {
    error(e.what());
  } catch (const std::exception& e) {
    spdlog::error("websocket: job {}: {}", id, e.what());
    error("internal error");
  }
  return std::nullopt;
}

// Without fromSeq: "subscribed" and a snapshot of the job, then its live events. With fromSeq: live first
// (the job's events are held from here on), then the stored events after fromSeq are read on the blocking
// pool and sent, then "replayed", then the held live events newer than the last one replayed: each event
// once, in seq order, across the boundary.
void WsSession::subscribe(const std::string& id, std::optional<std::int64_t> from_seq) {
  auto error = [&](const std::string& m) { enqueue(nlohmann::json{{"type", "error"}, {"message", m}}.dump()); };
  auto found = job_for_client(id);
  if (!found) return;
  const auto& job = *found;
  auto& w = watches_[id];
  if (from_seq && w.replaying) return error("job " + id + " is being replayed already");
  if (from_seq) w.replaying = true;  // before the bus can deliver: live events are held from now on
  {
    std::lock_guard lock(subs_mu_);
    if (std::find(subscribed_jobs_.begin(), subscribed_jobs_.end(), id) == subscribed_jobs_.end())
      subscribed_jobs_.push_back(id);
  }
  if (!from_seq) {
    enqueue(nlohmann::json{{"type", "subscribed"}, {"jobId", id}}.dump());
    enqueue(nlohmann::json{{"type", "job.state"}, {"job", job_json(job)}}.dump());
    return;
  }
  enqueue(nlohmann::json{{"type", "subscribed"}, {"jobId", id}, {"fromSeq", *from_seq}}.dump());
  net::post(registry_.blocking_pool, [self = shared_from_this(), id, from = *from_seq] {
    std::vector<store::StoredJobEvent> events;
    bool failed = false;
    try {
      events = self->app_.jobs.events().replay(self->who_.tenant_id, id, from, kReplayLimit);
    } catch (const std::exception& e) {
      spdlog::error("websocket replay of job {}: {}", id, e.what());
      failed = true;
    }
    net::post(self->ws_.get_executor(), [self, id, from, failed, events = std::move(events)]() mutable {
      self->finish_replay(id, failed ? -1 : from, std::move(events));
    });
  });
}

void WsSession::finish_replay(const std::string& id, std::int64_t from_seq, std::vector<store::StoredJobEvent> events) {
  auto it = watches_.find(id);
  if (closing_ || it == watches_.end()) return;
  auto& w = it->second;
  if (from_seq < 0) {
    enqueue(nlohmann::json{{"type", "error"}, {"message", "internal error"}}.dump());
    from_seq = 0;
    events.clear();
  }
  // Events this connection sent already (your own jobs' events come without a subscribe) are not sent again.
  const std::int64_t after = std::max(from_seq, w.last_sent);
  int count = 0;
  for (auto& e : events) {
    if (e.seq <= after) continue;
    w.last_sent = e.seq;
    ++count;
    enqueue(Outgoing{std::make_shared<const std::string>(std::move(e.text)), false, id, e.type == "job.progress"});
  }
  w.last_sent = std::max(w.last_sent, after);
  enqueue(nlohmann::json{{"type", "replayed"}, {"jobId", id}, {"lastSeq", w.last_sent}, {"count", count}}.dump());
  w.replaying = false;
  auto held = std::move(w.held);
  w.held.clear();
  for (auto& ev : held) deliver(std::move(ev));  // only those newer than the replay go out
}

// One page of the job's chunk stream after from_seq, read on the blocking pool: per chunk a text frame
// {"type":"chunk","jobId","seq","size","meta"} and then a binary frame with its bytes; then
// {"type":"chunks.end","jobId","lastSeq","more"}. A page fits the send queue; ask again from lastSeq for more.
void WsSession::send_chunks(const std::string& id, std::int64_t from_seq) {
  if (!job_for_client(id)) return;
  const int page = std::clamp((app_.config.ws.send_queue_limit - 8) / 2, 1, kChunkPage);
  net::post(registry_.blocking_pool, [self = shared_from_this(), id, from_seq, page] {
    std::vector<store::Chunk> rows;
    std::int64_t stored_last = 0;
    bool failed = false;
    try {
      auto& db = self->app_.tenants.get(self->who_.tenant_id);
      rows = store::chunk_repo::read_from(db, id, from_seq, page, kChunkPageBytes);
      stored_last = store::chunk_repo::stats(db, id).last_seq;
    } catch (const std::exception& e) {
      spdlog::error("websocket chunks of job {}: {}", id, e.what());
      failed = true;
    }
    net::post(self->ws_.get_executor(), [self, id, from_seq, failed, stored_last, rows = std::move(rows)]() mutable {
      if (failed) return self->enqueue(nlohmann::json{{"type", "error"}, {"message", "internal error"}}.dump());
      std::int64_t last = from_seq;
      for (auto& c : rows) {
        last = c.seq;
        self->enqueue(nlohmann::json{{"type", "chunk"}, {"jobId", id}, {"seq", c.seq}, {"size", c.bytes.size()},
                                     {"meta", c.meta}}
                          .dump());
        self->enqueue(Outgoing{std::make_shared<const std::string>(std::move(c.bytes)), true, {}, false});
      }
      self->enqueue(
          nlohmann::json{{"type", "chunks.end"}, {"jobId", id}, {"lastSeq", last}, {"more", stored_last > last}}.dump());
    });
  });
}

void WsSession::enqueue(std::string msg) {
  enqueue(Outgoing{std::make_shared<const std::string>(std::move(msg)), false, {}, false});
}

void WsSession::enqueue(Outgoing out) {
  if (closing_) return;
  if (out.progress) {
    // Latest wins: the job's newest queued message, when it is a progress event still waiting, is replaced.
    for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
      if (it->job_id != out.job_id) continue;
      const bool in_flight = writing_ && std::next(it) == queue_.rend();
      if (it->progress && !in_flight) queue_.erase(std::next(it).base());
      break;
    }
  }
  if (queue_.size() >= static_cast<std::size_t>(app_.config.ws.send_queue_limit)) {
    spdlog::warn("websocket {} account {}: too slow ({} messages queued): dropped", registry_id_, who_.account_id,
                 queue_.size());
    return close(websocket::close_code::policy_error, "too slow");
  }
  queue_.push_back(std::move(out));
  if (!writing_) write_next();
}

// One write in flight at a time, always of queue_.front(): the buffer handed to async_write points into its
// bytes, so nothing but this write's completion may remove it. Text or binary frame as the message says.
void WsSession::write_next() {
  if (queue_.empty() || closing_) return;
  writing_ = true;
  ws_.binary(queue_.front().binary);
  ws_.async_write(net::buffer(*queue_.front().data), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->writing_ = false;
    self->queue_.pop_front();
    if (ec) return self->queue_.clear();
    self->write_next();
  });
}

// Sends a close frame (after the write in flight, which Beast lets finish first) and stops taking messages.
// A peer that does not read may never let that frame out: the socket is cut after kCloseGrace either way.
void WsSession::close(websocket::close_code code, const char* why) {
  if (closing_) return;
  closing_ = true;
  if (writing_) queue_.erase(std::next(queue_.begin()), queue_.end());  // keep the message being written
  else queue_.clear();
  if (subscription_) {
    app_.events.unsubscribe(subscription_);
    subscription_ = 0;
  }
  close_reason_ = why;
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (ec) return;  // cancelled: the close handshake finished
    if (auto self = weak.lock()) {
      // Linger 0: a reset that discards what the kernel still holds for the peer (megabytes, for a peer that
      // stopped reading), instead of a FIN queued behind all of it.
      beast::error_code ignored;
      auto& socket = beast::get_lowest_layer(self->ws_).socket();
      socket.set_option(net::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
    }
  });
  ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->close_timer_.cancel(); });
}

}  // namespace cadenza::http::detail
