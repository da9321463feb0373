#include <spdlog/spdlog.h>

#include <algorithm>

#include "cadenza/core/error.hpp"
#include "cadenza/http/views.hpp"
#include "sessions.hpp"

namespace cadenza::http::detail {

WsSession::WsSession(beast::tcp_stream&& stream, App& app, Registry& registry, Principal who)
    : ws_(std::move(stream)), app_(app), registry_(registry), who_(std::move(who)) {
  ++app_.metrics.open_websockets;
}

WsSession::~WsSession() {
  if (subscription_) app_.events.unsubscribe(subscription_);
  registry_.remove(registry_id_);
  --app_.metrics.open_websockets;
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
    if (ec) return;
    std::weak_ptr<WsSession> weak = self;
    self->subscription_ = self->app_.events.subscribe([weak](const jobs::JobEvent& ev) {
      if (auto s = weak.lock()) s->on_event(ev);
    });
    self->enqueue(nlohmann::json{{"type", "hello"}, {"accountId", self->who_.account_id}}.dump());
    self->read();
  });
}

void WsSession::shutdown() {
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->close(websocket::close_code::going_away); });
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
  if (ec) return;  // closed, timed out or failed: the session ends when the last handler lets go
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
    spdlog::warn("websocket client {} too slow ({} messages queued): dropped", who_.account_id, queue_.size());
    return close(websocket::close_code::policy_error);
  }
  queue_.push_back(std::move(msg));
  if (!writing_) write_next();
}

void WsSession::write_next() {
  if (queue_.empty() || closing_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->writing_ = false;
      self->queue_.clear();
      return;
    }
    self->queue_.pop_front();
    self->write_next();
  });
}

void WsSession::close(websocket::close_code code) {
  if (closing_) return;
  closing_ = true;
  queue_.clear();
  if (subscription_) {
    app_.events.unsubscribe(subscription_);
    subscription_ = 0;
  }
  ws_.async_close(code, [self = shared_from_this()](beast::error_code) {});
}

}  // namespace cadenza::http::detail
