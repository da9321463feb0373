#pragma once
// Integration-test fixture: runs the real `cadenza serve` binary on 127.0.0.1, port 0, with its own
// data directory, and talks HTTP and WebSocket to it. Beast stays in test_server.cpp.
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/client.hpp"
#include "support/temp_dir.hpp"

namespace cadenza::test {

class ServerProcess : public Client {
 public:
  // Starts `cadenza serve --port 0 --data-dir DIR extra...` and waits for its "listening" line.
  ServerProcess(const std::string& data_dir, std::vector<std::string> extra = {});
  ~ServerProcess();  // SIGKILL if still running
  int port() const { return port_; }
  int pid() const { return pid_; }
  // SIGTERM, then the exit code (or -signal). Waits at most `timeout`.
  int terminate(std::chrono::seconds timeout = std::chrono::seconds(30));
  void kill9();
  std::string log() const;  // what it wrote to stderr

  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) const override;
  // Like request(), but asynchronous with a hard deadline; the body is written while the answer is read (an
  // early 413 is seen). status 0: no answer within `timeout`, or the connection closed without one.
  HttpResult request_within(std::chrono::milliseconds timeout, const std::string& method, const std::string& target,
                            const std::string& body = "", const std::map<std::string, std::string>& headers = {}) const;

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Creates the server operator with `cadenza user add --operator` on a stopped server's data dir.
void add_operator(const std::string& data_dir, const std::string& username, const std::string& password);

// Runs `cadenza ARGS... --data-dir DIR --config <the test config>` to its end (stderr goes to DIR/cli.log).
struct CliResult {
  int exit_code = -1;
  std::string out;  // what it wrote to stdout
};
CliResult run_cadenza(std::vector<std::string> args, const std::string& data_dir);

// Runs `sql` (one or more statements) on an SQLite file with sqlite3 directly (busy timeout 5 s) and returns
// every result row as text (NULL as ""). Throws std::runtime_error with SQLite's message on failure.
std::vector<std::vector<std::string>> sqlite_query(const std::string& db_path, const std::string& sql,
                                                   bool read_only = false);

class WsClient {
 public:
  // Connects to /api/ws; token goes in ?token= (as a browser would) unless header_auth.
  // rcvbuf > 0: the socket's receive buffer in bytes, set before connecting (a client that reads little fills
  // a small one soon, so the server's writes to it stall).
  // query: more of the upgrade's query string, e.g. "socketId=…".
  WsClient(int port, const std::string& token, bool header_auth = false, int rcvbuf = 0, const std::string& query = "");
  ~WsClient();
  // Writes `text` as a message n times without reading anything (within `deadline` in all); how many went out
  // before the connection failed or the deadline passed.
  int burst(const std::string& text, int n, std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Reads raw bytes, at most `chunk` at a time with `pause` between, for at most `duration`; true as soon as
  // the server has closed the connection.
  bool read_slowly(std::size_t chunk, std::chrono::milliseconds pause, std::chrono::milliseconds duration);
  // Reads (and drops) messages until the server closes the connection; true when it did within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);
  void send(const nlohmann::json& msg);
  // The next message, or nullopt after `timeout`. A binary frame comes as {"type": "binary", "bytes": <binary>}.
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until pred(msg) is true; nullopt on timeout.
  template <class Pred>
  std::optional<nlohmann::json> until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      auto m = next(left);
      if (!m) return std::nullopt;
      if (pred(*m)) return m;
    }
    return std::nullopt;
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The status line of a WebSocket upgrade attempt (e.g. 401 without credentials).
int ws_upgrade_status(int port, const std::string& target);
// Sends raw bytes and returns the status of the reply (0 if the server closed without one).
int raw_request_status(int port, const std::string& bytes);

// Polls GET /api/jobs/{id} until pred(job) or timeout; returns the last job seen.
nlohmann::json wait_job(const Client& s, const std::string& id, const std::string& token,
                        const std::function<bool(const nlohmann::json&)>& pred,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

// What a raw exchange got back: every byte, the complete responses in it (in order), and whether the server
// closed the connection before the timeout.
struct RawExchange {
  std::string text;
  std::vector<HttpResult> responses;
  bool closed = false;
};
// Sends raw bytes, then reads until the server closes the connection or `timeout` passes (a connection kept
// open costs the whole timeout).
RawExchange raw_exchange(int port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// One connection for a request sent in pieces (a body generated while it is sent, a client that hangs up
// halfway): send() as often as wanted, response() for each answer (a 100 Continue counts as one).
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  // Writes all of `bytes`; false once the server has closed or reset the connection.
  bool send(std::string_view bytes);
  // The next complete response; nullopt when the connection closed first or `timeout` passed.
  std::optional<HttpResult> response(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void close();  // hangs up now

 private:
  int fd_ = -1;
  std::string pending_;  // received, not yet returned
};

}  // namespace cadenza::test
