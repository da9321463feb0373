// bench/burst_client: the client side of `node bench/convert.mjs --burst`: many keep-alive connections to
// 127.0.0.1 on one thread (poll), each one client's, sending the same prepared POST (a multipart body made by
// the caller) with that client's token, and timing each answer. A client this small keeps its own cost out of
// the figure (Node's fetch on the same two cores added ~15 ms at p99).
//
//   burst_client PORT TOKENS_FILE BODY_FILE CONTENT_TYPE SUBMITS RATE
//
// TOKENS_FILE: one bearer token per line (one connection each; submit i is client i mod clients). RATE > 0:
// open loop, submit i is due at t0 + i / RATE and its time counts from then (waiting for its client's
// connection included: no coordinated omission); RATE 0: closed loop, each client submits again when answered.
// Prints one line per submit: "<status> <ms> <client> <uuid or ->", then "done <seconds>".
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Conn {
  int fd = -1;
  std::string token;
  std::deque<Clock::time_point> due;  // submits waiting for this connection, by due time
  bool busy = false;
  Clock::time_point started;
  std::string out;
  std::size_t sent = 0;
  std::string in;
};

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<unsigned short>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// A whole answer in `in`: its length, or 0 while more is to come.
std::size_t answer_length(const std::string& in) {
  auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::size_t length = 0;
  for (std::size_t p = 0; p < end;) {
    auto eol = in.find("\r\n", p);
    std::string line = in.substr(p, eol - p);
    for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.rfind("content-length:", 0) == 0) length = std::strtoull(line.c_str() + 15, nullptr, 10);
    p = eol + 2;
  }
  return in.size() >= end + 4 + length ? end + 4 + length : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: burst_client PORT TOKENS_FILE BODY_FILE CONTENT_TYPE SUBMITS RATE\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  std::ifstream tf(argv[2]);
  std::ifstream bf(argv[3], std::ios::binary);
  const std::string body((std::istreambuf_iterator<char>(bf)), std::istreambuf_iterator<char>());
  const std::string content_type = argv[4];
  const long submits = std::atol(argv[5]);
  const double rate = std::atof(argv[6]);
  std::vector<Conn> conns;
  for (std::string t; std::getline(tf, t);)
    if (!t.empty()) conns.push_back(Conn{.token = t});
  if (conns.empty() || body.empty() || submits <= 0) {
    std::fprintf(stderr, "burst_client: no tokens, no body or no submits\n");
    return 2;
  }
  for (auto& c : conns) {
    std::ostringstream req;
    req << "POST /api/convert HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " << c.token
        << "\r\nContent-Type: " << content_type << "\r\nContent-Length: " << body.size() << "\r\n\r\n" << body;
    c.out = req.str();
  }
  const auto t0 = Clock::now();
  long scheduled = 0, answered = 0;
  if (rate <= 0) {  // closed loop: every client has its next submit due now, one at a time
    for (auto& c : conns) {
      if (scheduled == submits) break;
      c.due.push_back(t0);
      ++scheduled;
    }
  }
  auto start = [&](Conn& c) {
    if (c.fd < 0) c.fd = connect_to(port);
    if (c.fd < 0) {
      std::fprintf(stderr, "burst_client: cannot connect: %s\n", std::strerror(errno));
      std::exit(1);
    }
    c.busy = true;
    c.started = c.due.front();
    c.due.pop_front();
    c.sent = 0;
    c.in.clear();
  };
  std::vector<pollfd> fds(conns.size());
  while (answered < submits) {
    // Due submits go to their client's connection.
    if (rate > 0) {
      while (scheduled < submits && t0 + std::chrono::duration<double>(scheduled / rate) <= Clock::now()) {
        conns[static_cast<std::size_t>(scheduled) % conns.size()].due.push_back(
            t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(scheduled / rate)));
        ++scheduled;
      }
    }
    for (auto& c : conns)
      if (!c.busy && !c.due.empty()) start(c);
    for (std::size_t i = 0; i < conns.size(); ++i) {
      auto& c = conns[i];
      fds[i] = {c.busy ? c.fd : -1, static_cast<short>(c.sent < c.out.size() ? POLLOUT : POLLIN), 0};
    }
    int timeout = 100;
    if (rate > 0 && scheduled < submits) {
      auto next = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(scheduled / rate));
      timeout = static_cast<int>(std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count()));
    }
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) return 1;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      auto& c = conns[i];
      if (!c.busy || !fds[i].revents) continue;
      if (c.sent < c.out.size()) {
        auto n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<std::size_t>(n);
        if (n > 0 || (n < 0 && errno == EAGAIN)) continue;
        // The server stopped reading (it may have answered early, e.g. 413 or 429): read what it said.
      }
      char buf[65536];
      auto n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) c.in.append(buf, static_cast<std::size_t>(n));
      std::size_t length = answer_length(c.in);
      const bool lost = n == 0 || (n < 0 && errno != EAGAIN);
      if (!length && !lost) continue;
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.started).count();
      int status = 0;
      std::string uuid = "-";
      if (length) {
        status = std::atoi(c.in.c_str() + c.in.find(' ') + 1);
        auto u = c.in.find("\"uuid\":\"");
        if (u != std::string::npos) uuid = c.in.substr(u + 8, 36);
      }
      std::printf("%d %.3f %zu %s\n", status, ms, i, uuid.c_str());
      ++answered;
      c.busy = false;
      // A connection the server closed (or will close) is opened again for the next submit.
      if (lost || c.in.find("Connection: close") != std::string::npos) {
        close(c.fd);
        c.fd = -1;
      }
      if (rate <= 0 && scheduled < submits) {
        c.due.push_back(Clock::now());
        ++scheduled;
      }
    }
  }
  std::printf("done %.3f\n", ms_since(t0) / 1000);
  for (auto& c : conns)
    if (c.fd >= 0) close(c.fd);
  return 0;
}
