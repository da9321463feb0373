#pragma once
// A blocking HTTP/1.1 server on 127.0.0.1 (port 0) for tests: one thread per connection, each request
// parsed (method, target, lower-case headers, body by Content-Length), recorded, and handed to the test's
// responder, which writes the answer itself (helpers: send_all, head). Listens on 127.0.0.1 only.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cadenza::test {

struct HttpRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class HttpTestServer {
 public:
  // respond(fd, request, stopping): writes the whole answer to fd (the connection closes after it).
  using Responder = std::function<void(int fd, const HttpRequest& r, const std::atomic<bool>& stopping)>;

  explicit HttpTestServer(Responder respond) : respond_(std::move(respond)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~HttpTestServer() {
    stop_ = true;
    accept_thread_.join();
    ::close(fd_);
    std::lock_guard lock(mu_);
    for (auto& t : workers_) t.join();
  }
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int connections() const { return connections_.load(); }
  HttpRequest last() {
    std::lock_guard lock(mu_);
    return seen_.empty() ? HttpRequest{} : seen_.back();
  }
  std::vector<HttpRequest> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

  static void send_all(int c, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      auto n = ::send(c, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }

  // A status line and headers (Connection: close; Content-Length unless length < 0).
  static std::string head(int status, const std::string& reason, const std::string& type, long long length,
                          const std::string& extra = "") {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nConnection: close\r\n";
    if (!type.empty()) h += "Content-Type: " + type + "\r\n";
    if (length >= 0) h += "Content-Length: " + std::to_string(length) + "\r\n";
    return h + extra + "\r\n";
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++connections_;
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, c] {
        serve(c);
        ::close(c);
      });
    }
  }

  void serve(int c) {
    std::string in;
    char buf[4096];
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    HttpRequest r;
    auto line_end = in.find("\r\n");
    auto first = in.substr(0, line_end);
    auto sp1 = first.find(' '), sp2 = first.rfind(' ');
    r.method = first.substr(0, sp1);
    r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = line_end + 2;
    while (pos < end) {
      auto e = in.find("\r\n", pos);
      auto line = in.substr(pos, e - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        r.headers[name] = v;
      }
      pos = e + 2;
    }
    r.body = in.substr(end + 4);
    if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
      auto want = std::stoul(it->second);
      while (r.body.size() < want) {
        auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        r.body.append(buf, static_cast<std::size_t>(n));
      }
    }
    {
      std::lock_guard lock(mu_);
      seen_.push_back(r);
    }
    respond_(c, r, stop_);
  }

  Responder respond_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<HttpRequest> seen_;
};

}  // namespace cadenza::test
