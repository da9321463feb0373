#include "test_server.hpp"

#include "support/openapi_check.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cadenza::test {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
// The binary under test and its config file: TEST_CADENZA_BINARY and TEST_CADENZA_CONFIG when set (to run
// these tests against another build, e.g. to see a regression test fail on an older one), else the ones
// beside the tests.
std::string binary() {
  const char* other = std::getenv("TEST_CADENZA_BINARY");
  return other && *other ? other : CADENZA_BINARY;
}
std::string config_file() {
  const char* other = std::getenv("TEST_CADENZA_CONFIG");
  return other && *other ? other : std::string(CADENZA_SOURCE_DIR) + "/config/cadenza.toml";
}

int spawn(const std::vector<std::string>& args, int stdout_fd, const std::string& stderr_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&fa, stdout_fd, 1);
  posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn failed for " + args[0]);
  return pid;
}

int wait_exit(int pid, std::chrono::seconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    int r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1000;  // still running
}
}  // namespace

ServerProcess::ServerProcess(const std::string& data_dir, std::vector<std::string> extra) {
  log_path_ = data_dir + "/server.log";
  std::filesystem::create_directories(data_dir);
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {binary(), "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                                   "--config", config_file()};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = spawn(args, fds[1], log_path_);
  close(fds[1]);
  // Read stdout until the "listening on http://127.0.0.1:PORT" line (or the process dies).
  std::string out;
  char buf[256];
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < end) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    auto pos = out.find("listening on http://127.0.0.1:");
    if (pos != std::string::npos && out.find('\n', pos) != std::string::npos) {
      port_ = std::atoi(out.c_str() + pos + std::strlen("listening on http://127.0.0.1:"));
      break;
    }
  }
  close(fds[0]);
  if (port_ == 0) {
    kill9();
    throw std::runtime_error("server did not start; log:\n" + log());
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
}

int ServerProcess::terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = wait_exit(pid_, timeout);
  if (code == -1000) {
    kill9();
    return -1000;
  }
  pid_ = -1;
  return code;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
bhttp::request<bhttp::string_body> build_request(const std::string& method, const std::string& target,
                                                 const std::string& body,
                                                 const std::map<std::string, std::string>& headers) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body() = body;
    if (!headers.count("Content-Type")) req.set(bhttp::field::content_type, "application/json");
  }
  req.prepare_payload();
  return req;
}

HttpResult to_result(const bhttp::response<bhttp::string_body>& res) {
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  return out;
}
}  // namespace

HttpResult ServerProcess::request(const std::string& method, const std::string& target, const std::string& body,
                                  const std::map<std::string, std::string>& headers) const {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)));
  auto req = build_request(method, target, body, headers);
  bhttp::write(stream, req);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1ULL << 30);
  bhttp::read(stream, buf, parser);
  auto out = to_result(parser.get());
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  check_response(method, target, out.status, out.header("content-type"), out.body);
  return out;
}

HttpResult ServerProcess::request_within(std::chrono::milliseconds timeout, const std::string& method,
                                         const std::string& target, const std::string& body,
                                         const std::map<std::string, std::string>& headers) const {
  net::io_context io;
  tcp::socket sock(io);
  auto req = build_request(method, target, body, headers);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1ULL << 30);
  bool done = false;
  beast::error_code read_ec;
  sock.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)),
                     [&](beast::error_code ec) {
                       if (ec) {
                         done = true;
                         read_ec = ec;
                         return;
                       }
                       // Write and read at once: a server that answers before reading the whole body is seen.
                       bhttp::async_write(sock, req, [](beast::error_code, std::size_t) {});
                       bhttp::async_read(sock, buf, parser, [&](beast::error_code e, std::size_t) {
                         done = true;
                         read_ec = e;
                         beast::error_code ignored;
                         sock.cancel(ignored);
                       });
                     });
  io.run_for(timeout);
  if (!done) {
    beast::error_code ignored;
    sock.cancel(ignored);
    sock.close(ignored);
    io.restart();
    io.run();
  }
  if (!done || !parser.is_header_done()) return {};
  if (read_ec && !parser.is_done()) return {};
  auto out = to_result(parser.get());
  if (parser.is_done()) check_response(method, target, out.status, out.header("content-type"), out.body);
  return out;
}


void add_operator(const std::string& data_dir, const std::string& username, const std::string& password) {
  int pid = spawn({binary(), "user", "add", "--operator", "--data-dir", data_dir, "--username", username, "--email",
                   username + "@example.com", "--password", password, "--config",
                   config_file()},
                  -1, data_dir + "/user-add.log");
  if (wait_exit(pid, std::chrono::seconds(60)) != 0) throw std::runtime_error("cadenza user add failed");
}

CliResult run_cadenza(std::vector<std::string> args, const std::string& data_dir) {
  args.insert(args.begin(), binary());
  args.insert(args.end(), {"--data-dir", data_dir, "--config", config_file()});
  std::filesystem::create_directories(data_dir);
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  int pid = spawn(args, fds[1], data_dir + "/cli.log");
  close(fds[1]);
  CliResult out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  out.exit_code = wait_exit(pid, std::chrono::seconds(60));
  return out;
}

std::vector<std::vector<std::string>> sqlite_query(const std::string& db_path, const std::string& sql, bool read_only) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (sqlite3_open_v2(db_path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("sqlite open " + db_path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::vector<std::string>> rows;
  const char* tail = sql.c_str();
  std::string error;
  while (tail && *tail && error.empty()) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK) {
      error = sqlite3_errmsg(db);
      break;
    }
    if (!st) continue;  // whitespace or a comment
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        row.emplace_back(t ? std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) : "");
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) error = sqlite3_errmsg(db);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  if (!error.empty()) throw std::runtime_error("sqlite " + db_path + ": " + error + " in: " + sql);
  return rows;
}

struct WsClient::Impl {
  net::io_context io;
  beast::websocket::stream<tcp::socket> ws{io};
  bool dead = false;
};

WsClient::WsClient(int port, const std::string& token, bool header_auth, int rcvbuf, const std::string& query)
    : impl_(std::make_unique<Impl>()) {
  auto& sock = impl_->ws.next_layer();
  sock.open(tcp::v4());
  if (rcvbuf > 0) sock.set_option(net::socket_base::receive_buffer_size(rcvbuf));
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  if (header_auth) {
    impl_->ws.set_option(beast::websocket::stream_base::decorator(
        [token](beast::websocket::request_type& req) { req.set(bhttp::field::authorization, "Bearer " + token); }));
    impl_->ws.handshake("127.0.0.1", query.empty() ? "/api/ws" : "/api/ws?" + query);
  } else {
    impl_->ws.handshake("127.0.0.1", "/api/ws?token=" + token + (query.empty() ? "" : "&" + query));
  }
}
WsClient::~WsClient() {
  beast::error_code ec;
  impl_->ws.next_layer().close(ec);
}

void WsClient::send(const nlohmann::json& msg) { impl_->ws.write(net::buffer(msg.dump())); }

std::optional<nlohmann::json> WsClient::next(std::chrono::milliseconds timeout) {
  // Asio's synchronous reads ignore SO_RCVTIMEO, so read asynchronously and run the loop for at most
  // `timeout`. A read that times out is cancelled, which leaves the socket unusable: later calls fail.
  if (impl_->dead || timeout.count() <= 0) return std::nullopt;
  beast::flat_buffer buf;
  bool done = false;
  beast::error_code ec;
  impl_->io.restart();
  impl_->ws.async_read(buf, [&](beast::error_code e, std::size_t) {
    done = true;
    ec = e;
  });
  impl_->io.run_for(timeout);
  if (!done) {
    impl_->dead = true;
    beast::error_code ignored;
    impl_->ws.next_layer().cancel(ignored);
    impl_->io.restart();
    impl_->io.run();
    return std::nullopt;
  }
  if (ec) {
    impl_->dead = true;
    return std::nullopt;
  }
  auto data = beast::buffers_to_string(buf.data());
  if (!impl_->ws.got_text())  // a binary frame: {"type": "binary", "bytes": <binary>}
    return nlohmann::json{{"type", "binary"}, {"bytes", nlohmann::json::binary(std::vector<std::uint8_t>(data.begin(), data.end()))}};
  return nlohmann::json::parse(data);
}

int WsClient::burst(const std::string& text, int n, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  impl_->ws.text(true);
  int sent = 0;
  for (; sent < n && !impl_->dead; ++sent) {
    bool done = false;
    beast::error_code ec;
    impl_->io.restart();
    impl_->ws.async_write(net::buffer(text), [&](beast::error_code e, std::size_t) {
      done = true;
      ec = e;
    });
    impl_->io.run_for(std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  end - std::chrono::steady_clock::now())));
    if (!done || ec) {
      impl_->dead = true;
      beast::error_code ignored;
      impl_->ws.next_layer().cancel(ignored);
      impl_->io.restart();
      impl_->io.run();
      break;
    }
  }
  return sent;
}

bool WsClient::read_slowly(std::size_t chunk, std::chrono::milliseconds pause, std::chrono::milliseconds duration) {
  int fd = impl_->ws.next_layer().native_handle();
  std::vector<char> buf(std::max<std::size_t>(1, chunk));
  auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(pause.count())) > 0) {
      ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
      if (got <= 0) return true;  // closed (0) or reset
    }
    std::this_thread::sleep_for(pause);
  }
  return false;
}

bool WsClient::closed_within(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (!next(left)) return std::chrono::steady_clock::now() < end;  // an error before the deadline: closed
  }
  return false;
}

int ws_upgrade_status(int port, const std::string& target) {
  return raw_request_status(port, "GET " + target +
                                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
}

int raw_request_status(int port, const std::string& bytes) {
  net::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  beast::error_code ec;
  net::write(sock, net::buffer(bytes), ec);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  bhttp::read(sock, buf, parser, ec);
  if (!parser.is_header_done()) return 0;  // closed without an answer
  return static_cast<int>(parser.get().result_int());
}

nlohmann::json wait_job(const Client& s, const std::string& id, const std::string& token,
                        const std::function<bool(const nlohmann::json&)>& pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  nlohmann::json job;
  while (std::chrono::steady_clock::now() < end) {
    auto r = s.get("/api/jobs/" + id, token);
    if (r.status == 200) {
      job = r.json();
      if (pred(job)) return job;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return job;
}

RawExchange raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  net::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  beast::error_code ec;
  net::write(sock, net::buffer(bytes), ec);
  RawExchange out;
  char buf[4096];
  std::function<void()> read = [&] {
    sock.async_read_some(net::buffer(buf), [&](beast::error_code e, std::size_t n) {
      out.text.append(buf, n);
      if (!e) return read();
      if (e != net::error::operation_aborted) out.closed = true;  // EOF or reset: the server hung up
    });
  };
  read();
  io.run_for(timeout);
  if (!out.closed) {
    sock.cancel(ec);
    io.restart();
    io.run();
  }
  std::string_view rest(out.text);
  while (!rest.empty()) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(1ULL << 30);
    auto used = parser.put(net::buffer(rest.data(), rest.size()), ec);
    if (!parser.is_done()) break;
    out.responses.push_back(to_result(parser.get()));
    rest.remove_prefix(used);
  }
  return out;
}

RawConnection::RawConnection(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed");
  }
}

RawConnection::~RawConnection() { close(); }

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<HttpResult> RawConnection::response(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!pending_.empty()) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.eager(true);
      parser.body_limit(1ULL << 30);
      beast::error_code ec;
      auto used = parser.put(net::buffer(pending_.data(), pending_.size()), ec);
      if (parser.is_done()) {
        auto out = to_result(parser.get());
        pending_.erase(0, used);
        return out;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (fd_ < 0 || left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace cadenza::test
