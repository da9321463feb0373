#pragma once
// The HTTP/1.1 + WebSocket server on one port (Boost.Beast, kept out of this header).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cadenza::http {

struct App;

class Server {
 public:
  explicit Server(App& app);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (0 = any free port) and returns the bound port. Throws Error on failure.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  // Serves on `threads` threads until SIGINT/SIGTERM or stop(); then stops accepting, lets requests in
  // flight finish (up to server.shutdown_grace_s), closes WebSockets, and returns.
  void run(int threads);
  // Thread-safe request to stop, as a signal would.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cadenza::http
