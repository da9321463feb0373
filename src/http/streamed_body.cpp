#include "streamed_body.hpp"

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <exception>

namespace cadenza::http::detail {

StreamedBody::StreamedBody(beast::tcp_stream& stream, net::thread_pool& pool, const std::atomic<bool>& stopping,
                           BodyProducer producer, std::chrono::milliseconds poll, std::chrono::seconds write_timeout)
    : stream_(stream),
      pool_(pool),
      stopping_(stopping),
      producer_(std::move(producer)),
      poll_(poll.count() > 0 ? poll : std::chrono::milliseconds(1)),
      write_timeout_(write_timeout),
      timer_(stream.get_executor()) {}

void StreamedBody::start(bhttp::response<bhttp::empty_body> header, bool head_only, Done done) {
  done_ = std::move(done);
  chunked_ = header.version() >= 11;
  if (chunked_) {
    header.chunked(true);
  } else {
    header.keep_alive(false);  // the body ends when the connection does
  }
  header_.emplace(std::move(header));
  serializer_.emplace(*header_);
  stream_.expires_after(write_timeout_);
  bhttp::async_write_header(stream_, *serializer_, [self = shared_from_this(), head_only](beast::error_code ec, std::size_t) {
    if (ec || head_only) return self->finish(ec);
    self->pull();
  });
}

void StreamedBody::pull() {
  if (stopping_) return finish(net::error::operation_aborted);  // shutting down: cut, never claim it complete
  net::post(pool_, [self = shared_from_this()] {
    BodyPiece piece;
    bool failed = false;
    try {
      piece = self->producer_();
    } catch (const std::exception& e) {
      spdlog::error("streamed response: the producer failed: {}", e.what());
      failed = true;
    } catch (...) {
      spdlog::error("streamed response: the producer failed");
      failed = true;
    }
    net::post(self->stream_.get_executor(), [self, failed, piece = std::move(piece)]() mutable {
      self->on_piece(std::move(piece), failed);
    });
  });
}

void StreamedBody::on_piece(BodyPiece piece, bool failed) {
  if (failed) return finish(net::error::operation_aborted);
  last_ = piece.last;
  if (piece.data.empty()) {
    if (last_) return write_last();
    timer_.expires_after(poll_);
    return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish(ec);
      self->pull();
    });
  }
  piece_ = std::move(piece.data);
  auto next = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->piece_.clear();
    self->piece_.shrink_to_fit();
    if (ec) return self->finish(ec);
    if (self->last_) return self->write_last();
    self->pull();
  };
  stream_.expires_after(write_timeout_);
  if (chunked_) net::async_write(stream_, bhttp::make_chunk(net::buffer(piece_)), std::move(next));
  else net::async_write(stream_, net::buffer(piece_), std::move(next));
}

void StreamedBody::write_last() {
  if (!chunked_) return finish({});
  stream_.expires_after(write_timeout_);
  net::async_write(stream_, bhttp::make_chunk_last(),
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->finish(ec); });
}

void StreamedBody::finish(beast::error_code ec) {
  if (!done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  producer_ = nullptr;  // lets go of what the producer holds
  done(ec);
}

}  // namespace cadenza::http::detail
