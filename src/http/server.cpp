#include "cadenza/http/server.hpp"

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <thread>

#include "cadenza/core/error.hpp"
#include "sessions.hpp"

namespace cadenza::http {
namespace detail {

std::uint64_t Registry::add(std::weak_ptr<Closable> s) {
  std::lock_guard lock(mu_);
  auto id = next_++;
  live_.emplace(id, std::move(s));
  return id;
}

void Registry::remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  live_.erase(id);
}

std::vector<std::shared_ptr<Closable>> Registry::live() {
  std::vector<std::shared_ptr<Closable>> all;
  std::lock_guard lock(mu_);
  for (auto& [id, w] : live_)
    if (auto s = w.lock()) all.push_back(std::move(s));
  return all;
}

void Registry::shutdown_all() {
  for (auto& s : live()) s->shutdown();
}

void Registry::revoke_account(const std::string& account_id) {
  for (auto& s : live()) s->revoke(account_id);
}

void Registry::socket_closed(const std::string& socket_id, std::int64_t at_ms, std::int64_t window_ms) {
  std::lock_guard lock(mu_);
  if (closed_sockets_.size() >= 1024)
    std::erase_if(closed_sockets_, [&](const auto& e) { return e.second < at_ms - window_ms; });
  if (closed_sockets_.size() < 65536) closed_sockets_[socket_id] = at_ms;
}

std::optional<std::int64_t> Registry::socket_closed_at(const std::string& socket_id) {
  std::lock_guard lock(mu_);
  auto it = closed_sockets_.find(socket_id);
  if (it == closed_sockets_.end()) return std::nullopt;
  return it->second;
}

std::size_t Registry::size() {
  std::lock_guard lock(mu_);
  return live_.size();
}

}  // namespace detail

using namespace detail;

struct Server::Impl {
  explicit Impl(App& a) : app(a), acceptor(io), signals(io, SIGINT, SIGTERM), grace_timer(io) {
    app.revoke_sessions = [this](const std::string& account_id) { registry.revoke_account(account_id); };
  }
  ~Impl() { app.revoke_sessions = nullptr; }

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        spdlog::warn("accept: {}", ec.message());
      } else {
        std::make_shared<HttpSession>(std::move(socket), app, registry)->start();
      }
      accept();
    });
  }

  void begin_shutdown() {
    if (registry.stopping.exchange(true)) return;
    spdlog::info("shutting down: no new connections, finishing requests in flight");
    app.ready = false;
    beast::error_code ec;
    acceptor.close(ec);
    signals.cancel();
    registry.shutdown_all();
    // Anything still open after the grace period is abandoned: stop the loop.
    grace_timer.expires_after(std::chrono::seconds(app.config.server.shutdown_grace_s));
    grace_timer.async_wait([this](beast::error_code e) {
      if (e) return;
      if (registry.size() > 0) spdlog::warn("{} connections still open after the grace period: closing", registry.size());
      io.stop();
    });
    poll_idle();
  }

  // Ends the loop early once every session has closed.
  void poll_idle() {
    auto t = std::make_shared<net::steady_timer>(io, std::chrono::milliseconds(50));
    t->async_wait([this, t](beast::error_code) {
      if (registry.size() == 0) {
        grace_timer.cancel();
        return;
      }
      poll_idle();
    });
  }

  App& app;
  net::io_context io;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer grace_timer;
  Registry registry;
};

Server::Server(App& app) : impl_(std::make_unique<Impl>(app)) {}
Server::~Server() = default;

std::uint16_t Server::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) throw Error(ErrorKind::BadRequest, "server.host: not an IP address: " + host, {{"server.host", ec.message()}});
  tcp::endpoint ep{address, port};
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw Error(ErrorKind::Unavailable, "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  return a.local_endpoint().port();
}

void Server::run(int threads) {
  impl_->signals.async_wait([this](beast::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}", sig);
    impl_->begin_shutdown();
  });
  impl_->accept();
  std::vector<std::thread> pool;
  for (int i = 1; i < std::max(1, threads); ++i) pool.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : pool) t.join();
}

void Server::stop() {
  net::post(impl_->io, [this] { impl_->begin_shutdown(); });
}

}  // namespace cadenza::http
