#include <spdlog/spdlog.h>

#include <limits>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "sessions.hpp"

namespace cadenza::http::detail {

Request to_request(const bhttp::request<bhttp::string_body>& r, const std::string& remote) {
  Request req;
  req.method = std::string(r.method_string());
  req.target = std::string(r.target());
  auto q = req.target.find('?');
  req.path = url_decode(std::string_view(req.target).substr(0, q));
  if (q != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(q + 1));
  req.headers.reserve(16);
  for (const auto& f : r) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = r.body();
  req.remote = remote;
  auto rid = req.header("x-request-id");
  if (rid && !rid->empty() && rid->size() <= 64 &&
      rid->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == std::string_view::npos)
    req.request_id = std::string(*rid);
  else
    req.request_id = crypto::random_hex(8);
  return req;
}

HttpSession::HttpSession(tcp::socket&& socket, App& app, Registry& registry)
    : stream_(std::move(socket)), app_(app), registry_(registry) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  remote_ = ec ? "?" : ep.address().to_string();
  ++app_.metrics.open_connections;
}

HttpSession::~HttpSession() {
  registry_.remove(registry_id_);
  --app_.metrics.open_connections;
}

void HttpSession::start() {
  registry_id_ = registry_.add(weak_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void HttpSession::shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (!self->busy_) self->close();  // idle keep-alive or mid-read: close now; busy: after the response
  });
}

void HttpSession::read_header() {
  if (stopping_) return close();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(app_.config.server.header_limit));
  // Set per route once the header is known. (Not boost::none: Boost 1.74 compares `len > none` as true.)
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  stream_.expires_after(std::chrono::seconds(app_.config.server.idle_timeout_s));
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec == bhttp::error::header_limit)
    return send(error_response(Error(ErrorKind::HeadersTooLarge, "Request header fields too large")), true);
  if (ec) {
    if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout) spdlog::debug("{}: read header: {}", remote_, ec.message());
    return close();
  }
  busy_ = true;
  auto& msg = parser_->get();
  // Body limit by route: uploads get server.upload_limit, everything else server.body_limit.
  std::string path(msg.target().substr(0, msg.target().find('?')));
  std::map<std::string, std::string> ignored;
  auto m = app_.router.match(std::string(msg.method_string()), path, ignored);
  route_ = m.route;
  auto limit = (m.route && m.route->upload) ? app_.config.server.upload_limit : app_.config.server.body_limit;
  if (parser_->content_length() && *parser_->content_length() > static_cast<std::uint64_t>(limit)) {
    return send(error_response(Error(ErrorKind::PayloadTooLarge,
                                     "Request body exceeds the limit of " + std::to_string(limit) + " bytes")),
                true);
  }
  parser_->body_limit(static_cast<std::uint64_t>(limit));
  if (bhttp::token_list{msg[bhttp::field::expect]}.exists("100-continue")) {
    auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, msg.version());
    response_ = cont;
    bhttp::async_write(stream_, *cont, [self = shared_from_this()](beast::error_code ec2, std::size_t) {
      if (ec2) return self->close();
      self->stream_.expires_after(std::chrono::seconds(self->app_.config.server.read_timeout_s));
      bhttp::async_read(self->stream_, self->buffer_, *self->parser_,
                        [self](beast::error_code ec3, std::size_t) { self->on_body(ec3); });
    });
    return;
  }
  stream_.expires_after(std::chrono::seconds(app_.config.server.read_timeout_s));
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec2, std::size_t) { self->on_body(ec2); });
}

void HttpSession::on_body(beast::error_code ec) {
  if (ec == bhttp::error::body_limit)
    return send(error_response(Error(ErrorKind::PayloadTooLarge, "Request body too large")), true);
  if (ec) {
    spdlog::debug("{}: read body: {}", remote_, ec.message());
    return close();
  }
  handle();
}

void HttpSession::handle() {
  auto& msg = parser_->get();
  if (websocket::is_upgrade(msg)) {
    auto req = to_request(msg, remote_);
    if (req.path != "/api/ws") return send(error_response(Error(ErrorKind::NotFound, "No WebSocket at " + req.path)), true);
    std::optional<Principal> who;
    try {
      check_auth_failures(app_, req);
      who = authenticate_request(app_, req, /*allow_query=*/true);
      if (!who && request_token(req, true)) count_auth_failure(app_, req);
    } catch (const Error& e) {
      return send(error_response(e), true);
    } catch (const std::exception& e) {
      spdlog::error("websocket auth: {}", e.what());
    }
    if (!who) {
      if (app_.config.log.access_log)
        spdlog::info("{} {} websocket upgrade {} 401", req.request_id, remote_, redact_target(req.target));
      return send(error_response(Error(ErrorKind::Unauthorized, "Authentication required")), true);
    }
    if (registry_.stopping) return send(error_response(Error(ErrorKind::Unavailable, "Server is shutting down")), true);
    stream_.expires_never();
    auto ws = std::make_shared<WsSession>(std::move(stream_), app_, registry_, *who, remote_);
    ws->start(parser_->release());
    return;
  }
  auto req = std::make_shared<Request>(to_request(msg, remote_));
  if (route_ && route_->blocking) {
    net::post(registry_.blocking_pool, [self = shared_from_this(), req] {
      auto res = std::make_shared<Response>(dispatch(self->app_, *req));
      net::post(self->stream_.get_executor(), [self, res] { self->send(std::move(*res), false); });
    });
    return;
  }
  send(dispatch(app_, *req), false);
}

void HttpSession::send(Response res, bool force_close) {
  busy_ = true;
  bool keep_alive = !force_close && !stopping_ && parser_ && parser_->is_header_done() && parser_->get().keep_alive();
  unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
  bool head = parser_ && parser_->is_header_done() && parser_->get().method() == bhttp::verb::head;
  auto apply = [&](auto& out) {
    out.version(version);
    out.result(static_cast<unsigned>(res.status));
    out.set(bhttp::field::server, "cadenza");
    if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out.insert(k, v);
    out.keep_alive(keep_alive);
  };
  if (!res.file_path.empty()) {
    beast::error_code ec;
    bhttp::file_body::value_type file;
    file.open(res.file_path.c_str(), beast::file_mode::scan, ec);
    if (!ec) {
      auto out = std::make_shared<bhttp::response<bhttp::file_body>>();
      apply(*out);
      out->body() = std::move(file);
      out->prepare_payload();
      response_ = out;
      stream_.expires_after(std::chrono::seconds(app_.config.server.read_timeout_s * 4));
      if (head) {
        auto hdr = std::make_shared<bhttp::response<bhttp::empty_body>>(out->base());
        response_ = hdr;
        return bhttp::async_write(stream_, *hdr, [self = shared_from_this(), keep_alive](beast::error_code e, std::size_t) {
          self->on_write(!keep_alive, e);
        });
      }
      return bhttp::async_write(stream_, *out, [self = shared_from_this(), keep_alive](beast::error_code e, std::size_t) {
        self->on_write(!keep_alive, e);
      });
    }
    res = error_response(Error(ErrorKind::NotFound, "File not found"));
  }
  auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
  apply(*out);
  out->body() = std::move(res.body);
  out->prepare_payload();
  if (head) out->body().clear();
  response_ = out;
  stream_.expires_after(std::chrono::seconds(app_.config.server.read_timeout_s));
  bhttp::async_write(stream_, *out, [self = shared_from_this(), keep_alive](beast::error_code e, std::size_t) {
    self->on_write(!keep_alive, e);
  });
}

void HttpSession::on_write(bool close_after, beast::error_code ec) {
  busy_ = false;
  response_.reset();
  if (ec || close_after || stopping_) return close();
  read_header();
}

void HttpSession::close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

}  // namespace cadenza::http::detail
