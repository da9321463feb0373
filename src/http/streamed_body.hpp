#pragma once
// Internal to the http module: writes a Response whose body a BodyProducer makes while it is sent.
//
//   header (Transfer-Encoding: chunked) -> [producer on the blocking pool -> one chunk written] ... -> last chunk
//
// The producer is called again only when the previous piece is on the socket, so a client that reads slowly
// holds one piece in memory here (plus what the kernel buffers), however long the body. An empty piece that
// is not the last is "nothing yet": the producer is asked again after Response::producer_poll. HTTP/1.0
// clients get the pieces without chunk framing and the connection closes after the body.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sessions.hpp"

namespace cadenza::http::detail {

class StreamedBody : public std::enable_shared_from_this<StreamedBody> {
 public:
  using Done = std::function<void(beast::error_code)>;
  StreamedBody(beast::tcp_stream& stream, net::thread_pool& pool, const std::atomic<bool>& stopping,
               BodyProducer producer, std::chrono::milliseconds poll, std::chrono::seconds write_timeout);
  // Writes the header, then (unless head_only) the body; done(ec) when finished or failed. An error means the
  // body is incomplete: the caller closes the connection.
  void start(bhttp::response<bhttp::empty_body> header, bool head_only, Done done);

 private:
  void pull();
  void on_piece(BodyPiece piece, bool failed);
  void write_last();
  void finish(beast::error_code ec);

  beast::tcp_stream& stream_;
  net::thread_pool& pool_;
  const std::atomic<bool>& stopping_;
  BodyProducer producer_;
  std::chrono::milliseconds poll_;
  std::chrono::seconds write_timeout_;
  net::steady_timer timer_;
  bool chunked_ = true;
  bool last_ = false;
  std::string piece_;  // the one piece being written
  std::optional<bhttp::response<bhttp::empty_body>> header_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer_;
  Done done_;
};

}  // namespace cadenza::http::detail
