#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "sessions.hpp"
#include "streamed_body.hpp"

namespace cadenza::http::detail {

Request to_request(const bhttp::request<bhttp::string_body>& r, const std::string& remote) {
  auto req = to_request(static_cast<const bhttp::request_header<>&>(r), remote);
  req.body = r.body();
  return req;
}

Request to_request(const bhttp::request_header<>& r, const std::string& remote) {
  Request req;
  req.method = std::string(r.method_string());
  req.set_target(std::string(r.target()));
  req.headers.reserve(16);
  for (const auto& f : r) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.remote = remote;
  auto rid = req.header("x-request-id");
  if (rid && !rid->empty() && rid->size() <= 64 &&
      rid->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == std::string_view::npos)
    req.request_id = std::string(*rid);
  else
    req.request_id = crypto::random_hex(8);
  return req;
}

namespace {

// A socketId as hello sends them (crypto::random_token: base64url), for ?socketId= on reconnect.
bool valid_socket_id(std::string_view id) {
  if (id.size() < 16 || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string_view buffered(const beast::flat_buffer& b) { return {static_cast<const char*>(b.data().data()), b.size()}; }

// Where the header at the start of `data` ends (the offset past its blank line), or 0 while it has not
// arrived; `scanned` bytes were looked at before. A bare LF ends it too: the parser refuses bare LFs, so
// such a request is answered at once instead of waiting for a blank line that may never come.
std::size_t header_end(std::string_view data, std::size_t scanned) {
  for (auto i = data.find('\n', scanned); i != std::string_view::npos; i = data.find('\n', i + 1)) {
    if (i == 0 || data[i - 1] != '\r') return i + 1;
    if (i >= 3 && data.compare(i - 3, 4, "\r\n\r\n") == 0) return i + 1;
  }
  return 0;
}

// The length of the request target in the request line that starts `header`; a line that does not end
// within `header` is longer than any limit.
std::size_t target_length(std::string_view header) {
  auto eol = header.find("\r\n");
  if (eol == std::string_view::npos) return std::string_view::npos;
  auto line = header.substr(0, eol);
  auto first = line.find(' '), last = line.rfind(' ');
  return first == std::string_view::npos || first == last ? 0 : last - first - 1;
}

// A field value continued on the next line (obs-fold, RFC 9112 §5.2). Beast joins the lines, so a proxy
// in front could read the field differently; refused.
bool has_obs_fold(std::string_view header) {
  for (auto i = header.find('\n'); i != std::string_view::npos && i + 1 < header.size(); i = header.find('\n', i + 1))
    if (header[i + 1] == ' ' || header[i + 1] == '\t') return true;
  return false;
}

// RFC 9112 §6.3: a body whose length a proxy in front could determine differently (request smuggling)
// is refused. Beast already rejects bad or conflicting Content-Length values and Transfer-Encoding after
// Content-Length; this catches the rest: Transfer-Encoding before Content-Length, a coding other than a
// lone "chunked" (which Beast would ignore, taking the body as empty), Transfer-Encoding in HTTP/1.0.
std::optional<std::string> framing_error(const bhttp::request<bhttp::string_body>& msg) {
  auto [first, last] = msg.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (msg.count(bhttp::field::content_length)) return "Transfer-Encoding and Content-Length together";
  if (msg.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
  if (std::next(first) != last || !beast::iequals(first->value(), "chunked"))
    return "Transfer-Encoding other than chunked";
  return std::nullopt;
}

// Why a request is answered from its header alone (the connection closes after), or nullopt. `raw`: the
// header as sent; `parsed`: what the parser said of it.
std::optional<Error> header_refusal(std::string_view raw, beast::error_code parsed,
                                    const bhttp::request<bhttp::string_body>& msg, std::size_t target_limit) {
  auto too_long = [&] {
    return Error(ErrorKind::UriTooLong, "Request target longer than " + std::to_string(target_limit) + " bytes");
  };
  // need_more: no blank line within server.header_limit (the parser counts only what it was given).
  if (parsed == bhttp::error::header_limit || parsed == bhttp::error::need_more)
    return target_length(raw) > target_limit ? too_long()
                                             : Error(ErrorKind::HeadersTooLarge, "Request header fields too large");
  if (parsed) return Error(ErrorKind::BadRequest, "Malformed request header: " + parsed.message());
  if (has_obs_fold(raw)) return Error(ErrorKind::BadRequest, "Malformed request header: obsolete line folding");
  if (auto why = framing_error(msg)) return Error(ErrorKind::BadRequest, "Ambiguous request body length: " + *why);
  if (target_length(raw) > target_limit) return too_long();
  return std::nullopt;
}

// A response body of `length` bytes of a file from `offset`, read in pieces while it is sent, so neither a
// large file nor a range of one is held in memory. (Beast 1.74's file_body always sends the file's whole
// size, from wherever the file is positioned.)
struct FileRangeBody {
  struct value_type {
    beast::file file;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  static std::uint64_t size(const value_type& body) { return body.length; }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;
    template <bool isRequest, class Fields>
    writer(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body), remain_(body.length) {}
    void init(beast::error_code& ec) { body_.file.seek(body_.offset, ec); }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remain_, sizeof buf_));
      if (want == 0) return boost::none;
      auto got = body_.file.read(buf_, want, ec);
      if (ec) return boost::none;
      if (got == 0) {
        ec = bhttp::error::short_read;  // the file shrank while it was sent
        return boost::none;
      }
      remain_ -= got;
      return {{const_buffers_type(buf_, got), remain_ > 0}};
    }

   private:
    value_type& body_;
    std::uint64_t remain_;
    char buf_[16384];
  };
};

}  // namespace

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
  read_header_bytes(0);
}

// The header is read here rather than with bhttp::async_read_header, which hands its bytes to the parser
// as they come: on_header needs them as sent (obs-fold, the request line's length) before Beast parses them.
void HttpSession::read_header_bytes(std::size_t scanned) {
  auto data = buffered(buffer_);
  auto limit = static_cast<std::size_t>(app_.config.server.header_limit);
  if (auto end = header_end(data, scanned)) return on_header({}, end);
  if (data.size() >= limit) return on_header({}, data.size());  // no blank line within the limit
  stream_.async_read_some(buffer_.prepare(limit - data.size()),
                          [self = shared_from_this(), scanned = data.size()](beast::error_code ec, std::size_t n) {
                            if (ec) return self->on_header(ec, 0);
                            self->buffer_.commit(n);
                            self->read_header_bytes(scanned);
                          });
}

void HttpSession::on_header(beast::error_code ec, std::size_t header_size) {
  if (ec) {
    if (ec != net::error::eof && ec != beast::error::timeout)
      spdlog::debug("{}: read header: {}", remote_, ec.message());
    return close();
  }
  auto raw = buffered(buffer_).substr(0, header_size);
  parser_->put(net::buffer(raw.data(), raw.size()), ec);
  auto refusal = header_refusal(raw, ec, parser_->get(), static_cast<std::size_t>(app_.config.server.target_limit));
  if (refusal) {
    buffer_.consume(header_size);
    return send(error_response(*refusal), true);
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
    buffer_.consume(header_size);
    return send(error_response(Error(ErrorKind::PayloadTooLarge,
                                     "Request body exceeds the limit of " + std::to_string(limit) + " bytes")),
                true);
  }
  parser_->body_limit(static_cast<std::uint64_t>(limit));
  if (m.route && m.route->upload && !websocket::is_upgrade(msg)) {
    std::string header(raw);
    buffer_.consume(header_size);
    return begin_upload(header, static_cast<std::uint64_t>(limit));  // streamed to disk: http_upload.cpp
  }
  buffer_.consume(header_size);
  after_continue([self = shared_from_this()] {
    self->stream_.expires_after(std::chrono::seconds(self->app_.config.server.read_timeout_s));
    bhttp::async_read(self->stream_, self->buffer_, *self->parser_,
                      [self](beast::error_code ec2, std::size_t) { self->on_body(ec2); });
  });
}

// RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for a 100 before it sends the body.
void HttpSession::after_continue(std::function<void()> read_body) {
  auto& msg = parser_->get();
  if (!bhttp::token_list{msg[bhttp::field::expect]}.exists("100-continue")) return read_body();
  auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, msg.version());
  response_ = cont;
  bhttp::async_write(stream_, *cont,
                     [self = shared_from_this(), read_body = std::move(read_body)](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       read_body();
                     });
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
    // ?socketId=: the id an earlier connection's hello gave, to keep it (and be sent what finished meanwhile).
    auto resume = req.query_param("socketId");
    if (resume && !valid_socket_id(*resume)) {
      Validation v;
      v.fail("socketId", "must be the socketId of an earlier hello (16 to 64 of A-Z a-z 0-9 - _)");
      try {
        v.throw_if_failed();
      } catch (const Error& e) {
        return send(error_response(e), true);
      }
    }
    stream_.expires_never();
    auto ws = std::make_shared<WsSession>(std::move(stream_), app_, registry_, *who, remote_, resume.value_or(""));
    ws->start(parser_->release());
    return;
  }
  auto req = std::make_shared<Request>(to_request(msg, remote_));
  if (route_ && (route_->blocking || route_->waits)) {
    auto& pool = route_->waits ? registry_.wait_pool : registry_.blocking_pool;
    net::post(pool, [self = shared_from_this(), req] {
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
    out.set("X-Content-Type-Options", "nosniff");  // every answer, errors and files included
    if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out.insert(k, v);
    out.keep_alive(keep_alive);
  };
  if (res.producer) {  // a body produced while it is sent (streamed_body.hpp)
    bhttp::response<bhttp::empty_body> header;
    apply(header);
    auto body = std::make_shared<StreamedBody>(stream_, registry_.blocking_pool, registry_.stopping,
                                               std::move(res.producer), res.producer_poll,
                                               std::chrono::seconds(app_.config.server.read_timeout_s * 4));
    response_ = body;
    keep_alive = keep_alive && version >= 11;
    return body->start(std::move(header), head, [self = shared_from_this(), keep_alive](beast::error_code e) {
      self->on_write(!keep_alive, e);
    });
  }
  if (!res.file_path.empty()) {
    beast::error_code ec;
    FileRangeBody::value_type part;
    part.file.open(res.file_path.c_str(), beast::file_mode::scan, ec);
    std::uint64_t size = ec ? 0 : part.file.size(ec);
    part.offset = res.file_offset;
    part.length = res.file_length.value_or(size - std::min(size, res.file_offset));
    if (!ec && part.offset + part.length <= size) {
      auto out = std::make_shared<bhttp::response<FileRangeBody>>();
      apply(*out);
      out->body() = std::move(part);
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
