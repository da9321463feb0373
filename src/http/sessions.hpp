#pragma once
// Internal to the http module: Beast session types. Included only by the server's own .cpp files.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "cadenza/http/app.hpp"
#include "cadenza/store/job_event_repo.hpp"
#include "upload_spool.hpp"

namespace cadenza::http::detail {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

// Something the server must close on shutdown.
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void shutdown() = 0;  // called once, from any thread; posts onto the session's strand
  // The account lost its access (deleted, or a credential revoked): sessions it holds close. Any thread.
  virtual void revoke(const std::string& /*account_id*/) {}
};

// Live sessions, so shutdown can reach them. Holds weak references only.
class Registry {
 public:
  std::uint64_t add(std::weak_ptr<Closable> s);
  void remove(std::uint64_t id);
  void shutdown_all();
  void revoke_account(const std::string& account_id);
  std::size_t size();
  // When each recently closed WebSocket's socketId closed (epoch ms), so that a client reconnecting with it
  // is sent what finished meanwhile; entries older than `window_ms` are dropped as others are added.
  void socket_closed(const std::string& socket_id, std::int64_t at_ms, std::int64_t window_ms);
  std::optional<std::int64_t> socket_closed_at(const std::string& socket_id);
  std::atomic<bool> stopping{false};
  // Runs CPU-heavy handlers (Route::blocking) so they never hold an IO thread.
  net::thread_pool blocking_pool{2};
  // Runs handlers that mostly wait (Route::waits: the chunks long poll); a seventeenth waits its turn.
  net::thread_pool wait_pool{16};

 private:
  std::vector<std::shared_ptr<Closable>> live();
  std::mutex mu_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> live_;
  std::unordered_map<std::string, std::int64_t> closed_sockets_;

 public:
  // Writes uploads to disk, hashing them, and runs upload handlers: disk work never holds an IO thread.
  // Declared last, so it is joined (dropping the sessions its tasks hold) while the members above live.
  net::thread_pool disk_pool{2};
};

class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, App& app, Registry& registry);
  ~HttpSession() override;
  void start();
  void shutdown() override;

 private:
  void read_header();
  void read_header_bytes(std::size_t scanned);  // until buffer_ holds a whole header (or too much)
  void on_header(beast::error_code ec, std::size_t header_size);
  void after_continue(std::function<void()> read_body);  // sends 100 Continue first when asked to
  void on_body(beast::error_code ec);
  // Upload routes (http_upload.cpp): the body goes to a spool file in pieces, one at a time.
  void begin_upload(const std::string& header, std::uint64_t limit);
  void read_upload_piece(std::size_t filled);
  void on_upload_piece(beast::error_code ec);
  void end_upload(std::optional<Response> refusal);  // drops the spool (on the disk pool) and answers
  void handle();
  void send(Response res, bool force_close);
  void on_write(bool close, beast::error_code ec);
  void close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const Route* route_ = nullptr;  // the request's route, found once its header is read
  App& app_;
  Registry& registry_;
  std::uint64_t registry_id_ = 0;
  std::string remote_;
  bool busy_ = false;      // between a complete request and its written response
  bool stopping_ = false;  // close after the response in flight
  std::shared_ptr<void> response_;  // keeps the serializer's message alive during async_write
  // An upload in progress: its own parser of the same header (the body in pieces of upload_buf_), the
  // request, and the spool its pieces go to. Only one side touches them at a time: the strand while a
  // piece is read, a disk_pool task while it is written.
  std::optional<bhttp::request_parser<bhttp::buffer_body>> upload_parser_;
  std::unique_ptr<char[]> upload_buf_;
  std::shared_ptr<Request> upload_req_;
  std::shared_ptr<UploadSpool> upload_;
};

class WsSession : public Closable, public std::enable_shared_from_this<WsSession> {
 public:
  // Time a close handshake may take before the socket is cut (a peer that does not read never sees it).
  static constexpr std::chrono::seconds kCloseGrace{2};
  // Events one subscribe replays at most (state events, and the last progress before each: job_event_repo).
  static constexpr int kReplayLimit = 10000;
  // Chunks one {"type":"chunks"} request sends at most, and their payload bytes at most (past the first).
  static constexpr int kChunkPage = 64;
  static constexpr std::int64_t kChunkPageBytes = 1 << 20;

  // resume_socket_id: the socketId of an earlier connection of the client (?socketId=), kept as this one's;
  // what finished for it while it was away is sent after the hello. "" = a new random id.
  WsSession(beast::tcp_stream&& stream, App& app, Registry& registry, Principal who, std::string remote,
            std::string resume_socket_id = {});
  ~WsSession() override;
  void start(bhttp::request<bhttp::string_body> upgrade);
  void shutdown() override;
  void revoke(const std::string& account_id) override;

 private:
  // One message to send: the bytes (an event's text is shared with every other session sending it).
  struct Outgoing {
    std::shared_ptr<const std::string> data;
    bool binary = false;
    std::string job_id;     // a job event's job ("" otherwise)
    bool progress = false;  // a progress event: a newer one of the same job replaces it while it waits
  };
  // A job event as a session needs it: what to send and how to order it.
  struct LiveEvent {
    std::string job_id;
    std::int64_t seq = 0;
    bool progress = false;
    bool final = false;
    std::shared_ptr<const std::string> text;
  };
  // Per job this connection sends events of (strand only): the last seq sent, so nothing goes out twice or
  // out of order, and the live events held back while a subscribe replays from the database.
  struct Watch {
    std::int64_t last_sent = 0;
    bool replaying = false;
    std::vector<LiveEvent> held;
  };

  void read();
  void on_read(beast::error_code ec);
  void handle_message(const std::string& text);
  // The job, when this client may watch it; else an error message is queued and nullopt returned.
  std::optional<store::JobRecord> job_for_client(const std::string& id);
  void subscribe(const std::string& id, std::optional<std::int64_t> from_seq);  // on the strand
  void send_chunks(const std::string& id, std::int64_t from_seq);              // on the strand
  void finish_replay(const std::string& id, std::int64_t from_seq, std::vector<store::StoredJobEvent> events);
  void fail_subscribe(const std::string& id, const std::string& message);
  void enqueue(std::string msg);  // a text message, on the strand
  void enqueue(Outgoing out);     // on the strand
  void deliver(LiveEvent ev);     // a job event, on the strand: dedupe, hold while replaying, send
  void write_next();
  void on_event(const jobs::JobEvent& ev);  // on a worker thread: filter, then post
  void send_missed_messages();              // resumed socket: on the blocking pool, then posted
  void close(websocket::close_code code, const char* why);  // on the strand; once

  websocket::stream<beast::tcp_stream> ws_;
  net::steady_timer close_timer_;
  beast::flat_buffer buffer_;
  App& app_;
  Registry& registry_;
  std::uint64_t registry_id_ = 0;
  Principal who_;
  std::string remote_;
  std::chrono::steady_clock::time_point opened_;
  std::string socket_id_;  // sent in hello; a conversion naming it is told here when it ends
  bool resumed_ = false;   // socket_id_ came from the client (?socketId=)
  std::string close_reason_ = "connection lost";
  std::uint64_t subscription_ = 0;
  std::mutex subs_mu_;
  std::vector<std::string> subscribed_jobs_;  // jobs of others the client may watch (admins)
  std::unordered_map<std::string, Watch> watches_;
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  bool closing_ = false;
};

// Converts a Beast request into the handler-facing Request; the header alone leaves `body` empty.
Request to_request(const bhttp::request<bhttp::string_body>& r, const std::string& remote);
Request to_request(const bhttp::request_header<>& r, const std::string& remote);

}  // namespace cadenza::http::detail
