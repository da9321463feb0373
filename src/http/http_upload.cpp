// HttpSession, the body of an upload route: read in pieces of kPiece bytes into upload_buf_, each written
// to a spool file (and hashed) by a disk_pool task before the next is read, so a session holds one piece
// whatever the upload's size, and no disk work or hashing runs on an IO thread. Then the route's handler
// runs on the disk pool too (it moves the spool file into the blob store). A body over the limit (413), a
// malformed form (400), a disk failure (500) or a client that hangs up ends the upload and the spool file
// with it.
#include <spdlog/spdlog.h>

#include "cadenza/core/error.hpp"
#include "sessions.hpp"

namespace cadenza::http::detail {
namespace {
constexpr std::size_t kPiece = 256 * 1024;
}

void HttpSession::begin_upload(const std::string& header, std::uint64_t limit) {
  // Credentials first (an account's, or a bot's on its routes): an unauthenticated client never gets a byte
  // onto the disk. dispatch() gives the refusal (401, 429) exactly as for any route, counted and logged; the
  // unread body closes the connection.
  auto req = std::make_shared<Request>(to_request(parser_->get(), remote_));
  bool authenticated = false;
  try {
    authenticated = authenticate_request(app_, *req).has_value() || has_bot_credentials(app_, *req);
  } catch (const std::exception&) {  // dispatch() reports it
  }
  if (!authenticated) return send(dispatch(app_, *req), true);
  try {
    upload_ = std::make_shared<UploadSpool>(app_.blobs, req->header("content-type").value_or(""));
  } catch (const Error& e) {
    return send(error_response(e), true);
  }
  // A parser of its own for the body, given the same header: parser_ keeps it for the response.
  beast::error_code ec;
  upload_parser_.emplace();
  upload_parser_->header_limit(static_cast<std::uint32_t>(app_.config.server.header_limit));
  upload_parser_->body_limit(limit);
  upload_parser_->put(net::buffer(header.data(), header.size()), ec);
  if (ec || !upload_parser_->is_header_done()) {
    spdlog::error("{}: upload header parsed twice differently: {}", remote_, ec.message());
    return end_upload(error_response(Error(ErrorKind::Internal, "Internal server error")));
  }
  upload_req_ = std::move(req);
  upload_buf_ = std::make_unique<char[]>(kPiece);
  after_continue([self = shared_from_this()] { self->read_upload_piece(0); });
}

// Reads into upload_buf_ after its first `filled` bytes.
void HttpSession::read_upload_piece(std::size_t filled) {
  auto& body = upload_parser_->get().body();
  body.data = upload_buf_.get() + filled;
  body.size = kPiece - filled;
  body.more = true;
  // The read timeout runs per read: a long upload is fine as long as its bytes keep coming.
  stream_.expires_after(std::chrono::seconds(app_.config.server.read_timeout_s));
  bhttp::async_read_some(stream_, buffer_, *upload_parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_upload_piece(ec); });
}

void HttpSession::on_upload_piece(beast::error_code ec) {
  if (ec == bhttp::error::need_buffer) ec = {};  // upload_buf_ is full
  if (ec == bhttp::error::body_limit)
    return end_upload(error_response(Error(ErrorKind::PayloadTooLarge, "Request body too large")));
  if (ec) {
    spdlog::debug("{}: read upload: {}", remote_, ec.message());
    return end_upload(std::nullopt);
  }
  const std::size_t filled = kPiece - upload_parser_->get().body().size;
  const bool done = upload_parser_->is_done();
  if (!done && filled < kPiece) return read_upload_piece(filled);  // fill the piece first
  // Write the piece (and at the end run the handler) on the disk pool; read on once it is written.
  net::post(registry_.disk_pool, [self = shared_from_this(), filled, done] {
    std::optional<Response> answer;
    try {
      if (filled > 0) self->upload_->write(std::string_view(self->upload_buf_.get(), filled));
      if (done) {
        self->upload_req_->upload = self->upload_->finish();
        answer = dispatch(self->app_, *self->upload_req_);
        self->upload_.reset();  // the spool file, unless the handler moved it
      }
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Internal) spdlog::error("{}: upload: {}", self->remote_, e.what());
      answer = e.kind() == ErrorKind::Internal ? error_response(Error(ErrorKind::Internal, "Internal server error"))
                                               : error_response(e);
    } catch (const std::exception& e) {
      spdlog::error("{}: upload: {}", self->remote_, e.what());
      answer = error_response(Error(ErrorKind::Internal, "Internal server error"));
    }
    net::post(self->stream_.get_executor(), [self, done, answer = std::move(answer)]() mutable {
      if (!answer) return self->read_upload_piece(0);
      if (done && !self->upload_) {  // the handler's answer; the connection may stay open
        self->upload_parser_.reset();
        self->upload_buf_.reset();
        self->upload_req_.reset();
        return self->send(std::move(*answer), false);
      }
      self->end_upload(std::move(answer));
    });
  });
}

// The upload ends early: its spool file is removed (on the disk pool), then the refusal is sent and the
// connection closed (the rest of the body is not read), or with no refusal (the client is gone) closed.
void HttpSession::end_upload(std::optional<Response> refusal) {
  upload_parser_.reset();
  upload_buf_.reset();
  upload_req_.reset();
  auto spool = std::move(upload_);
  net::post(registry_.disk_pool, [self = shared_from_this(), spool = std::move(spool), refusal = std::move(refusal)]() mutable {
    spool.reset();
    net::post(self->stream_.get_executor(), [self, refusal = std::move(refusal)]() mutable {
      if (!refusal) return self->close();
      self->send(std::move(*refusal), true);
    });
  });
}

}  // namespace cadenza::http::detail
