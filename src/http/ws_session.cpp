#include <spdlog/spdlog.h>

#include <algorithm>

#include "cadenza/core/error.hpp"
#include "cadenza/http/views.hpp"
#include "sessions.hpp"

namespace cadenza::http::detail {

WsSession::WsSession(beast::tcp_stream&& stream, App& app, Registry& registry, Principal who, std::string remote)
    : ws_(std::move(stream)),
      close_timer_(ws_.get_executor()),
      app_(app),
      registry_(registry),
      who_(std::move(who)),
      remote_(std::move(remote)),
      opened_(std::chrono::steady_clock::now()) {
  ++app_.metrics.open_websockets;
}

WsSession::~WsSession() {
  if (subscription_) app_.events.unsubscribe(subscription_);
  registry_.remove(registry_id_);
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
    self->enqueue(nlohmann::json{{"type", "hello"}, {"accountId", self->who_.account_id}}.dump());
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
  // Runs on a worker thread: decide, serialise, and hand over to the strand; never wait here.
  if (ev.job.tenant_id != who_.tenant_id) return;
  bool mine = ev.job.owner_id == who_.account_id;
  if (!mine) {
    std::lock_guard lock(subs_mu_);
    if (std::find(subscribed_jobs_.begin(), subscribed_jobs_.end(), ev.job.id) == subscribed_jobs_.end()) return;
  }
  auto msg = nlohmann::json{{"type", ev.type}, {"job", job_json(ev.job)}}.dump();
  net::post(ws_.get_executor(), [self = shared_from_this(), msg = std::move(msg)]() mutable { self->enqueue(std::move(msg)); });
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
    auto id = j["jobId"].get<std::string>();
    try {
      auto job = app_.jobs.get(who_.tenant_id, id);
      if (job.owner_id != who_.account_id && !who_.is_admin()) return error("job " + id + " belongs to another account");
      {
        std::lock_guard lock(subs_mu_);
        if (std::find(subscribed_jobs_.begin(), subscribed_jobs_.end(), id) == subscribed_jobs_.end())
          subscribed_jobs_.push_back(id);
      }
      enqueue(nlohmann::json{{"type", "subscribed"}, {"jobId", id}}.dump());
      enqueue(nlohmann::json{{"type", "job.state"}, {"job", job_json(job)}}.dump());
    } catch (const Error& e) {
      error(e.what());
    } catch (const std::exception& e) {
      spdlog::error("websocket subscribe: {}", e.what());
      error("internal error");
    }
    return;
  }
  error("unknown message type \"" + type + "\"");
}

void WsSession::enqueue(std::string msg) {
  if (closing_) return;
  if (queue_.size() >= static_cast<std::size_t>(app_.config.ws.send_queue_limit)) {
    spdlog::warn("websocket {} account {}: too slow ({} messages queued): dropped", registry_id_, who_.account_id,
                 queue_.size());
    return close(websocket::close_code::policy_error, "too slow");
  }
  queue_.push_back(std::move(msg));
  if (!writing_) write_next();
}

// One write in flight at a time, always of queue_.front(): the buffer handed to async_write points into that
// string, so nothing but this write's completion may remove it.
void WsSession::write_next() {
  if (queue_.empty() || closing_) return;
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
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
