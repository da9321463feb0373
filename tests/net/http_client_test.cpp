// The outbound HTTP client against a tiny blocking HTTP/1.1 server on 127.0.0.1 (port 0): downloads with
// every refusal (internal addresses, also behind names and redirects), size, type, status and time limits,
// and webhook-style POSTs. The server is the only thing that listens, and only on 127.0.0.1.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/net/http_client.hpp"
#include "support/error_kind.hpp"
#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::net;
using cadenza::test::HttpRequest;
using cadenza::test::HttpTestServer;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string audio_body() {
  std::string body = "RIFF";
  for (int i = 0; body.size() < 24 * 1024; ++i) body += static_cast<char>((i * 37) & 0xFF);
  return body;
}

// The routes the client is tried against.
void respond(int c, const HttpRequest& r, const std::atomic<bool>& stopping) {
  auto q = r.target.find('?');
  std::string path = r.target.substr(0, q);
  std::string query = q == std::string::npos ? "" : r.target.substr(q + 1);
  if (r.method == "POST") {
    std::string answer(path == "/post-big" ? 200 * 1024 : 2, 'k');
    HttpTestServer::send_all(c, HttpTestServer::head(path == "/post-big" ? 200 : 202, "Accepted", "text/plain", static_cast<long long>(answer.size())) +
                    answer);
  } else if (path == "/audio.wav") {
    auto body = audio_body();
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", static_cast<long long>(body.size())) + body);
  } else if (path == "/notype") {
    auto body = audio_body();
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "", static_cast<long long>(body.size())) + body);
  } else if (path == "/octet") {
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "application/octet-stream", 5) + "abcde");
  } else if (path == "/page") {
    std::string body = "<!doctype html><title>hi</title>";
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "text/html; charset=utf-8", static_cast<long long>(body.size())) + body);
  } else if (path == "/json") {
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "application/json", 2) + "{}");
  } else if (path == "/missing") {
    HttpTestServer::send_all(c, HttpTestServer::head(404, "Not Found", "text/plain", 9) + "not found");
  } else if (path == "/big") {  // announced as too large: the client must not read it
    std::string body(64 * 1024, 'x');
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", static_cast<long long>(body.size())) + body);
  } else if (path == "/big-chunked") {  // no length: the client counts and hangs up
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", -1, "Transfer-Encoding: chunked\r\n"));
    std::string chunk(4096, 'y');
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    for (int i = 0; i < 16; ++i) HttpTestServer::send_all(c, size + chunk + "\r\n");
    HttpTestServer::send_all(c, "0\r\n\r\n");
  } else if (path == "/slow") {
    for (int i = 0; i < 100 && !stopping; ++i) std::this_thread::sleep_for(30ms);
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", 4) + "late");
  } else if (path == "/trickle") {  // sends a little, then waits (for cancellation)
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", 1 << 20) + std::string(1024, 'z'));
    for (int i = 0; i < 100 && !stopping; ++i) std::this_thread::sleep_for(30ms);
  } else if (path == "/empty") {
    HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", 0));
  } else if (path == "/redirect") {
    auto to = percent_decode(query.substr(query.find('=') + 1));
    HttpTestServer::send_all(c, HttpTestServer::head(302, "Found", "", 0, "Location: " + to + "\r\n"));
  } else if (path == "/loop") {
    HttpTestServer::send_all(c, HttpTestServer::head(302, "Found", "", 0, "Location: /loop\r\n"));
  } else {
    HttpTestServer::send_all(c, HttpTestServer::head(404, "Not Found", "", 0));
  }
}

// A blocking HTTP/1.1 server on 127.0.0.1 with those routes.
struct TestServer : HttpTestServer {
  TestServer() : HttpTestServer(respond) {}
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

const FetchLimits limits{32 * 1024, 5, 3};
const AddressRules loopback_ok = AddressRules::parse("127.0.0.0/8");

// The Unprocessable error download() throws, with its audio_url field; fails the test otherwise.
struct Failure {
  ErrorKind kind = ErrorKind::Internal;
  std::string message, field;
};
Failure fail_of(const std::string& url, const std::filesystem::path& dest, const AddressRules& rules,
                const FetchLimits& l = limits) {
  Failure f;
  try {
    download(url, dest, l, rules);
    FAIL("download succeeded: " << url);
  } catch (const Error& e) {
    f.kind = e.kind();
    f.message = e.what();
    if (auto it = e.fields().find("audio_url"); it != e.fields().end()) f.field = it->second;
  }
  return f;
}

bool nothing_left(const std::filesystem::path& dest) {
  auto part = dest;
  part += ".part";
  return !std::filesystem::exists(dest) && !std::filesystem::exists(part);
}

}  // namespace

TEST_CASE("check_url: only absolute http(s) URLs with a host and no credentials") {
  for (const char* ok : {"http://example.com/a.wav", "https://example.com:8443/x?y=1#z", "HTTPS://Example.com",
                         "http://127.0.0.1:9/", "http://[2606:4700::1111]/a"})
    CHECK_NOTHROW(check_url(ok, "audio_url"));
  struct Case {
    std::string url, why;
  };
  const std::vector<Case> bad = {
      {"", "http:// or https://"},
      {"ftp://example.com/a.wav", "not ftp://"},
      {"file:///etc/passwd", "not file://"},
      {"gopher://example.com/", "not gopher://"},
      {"example.com/a.wav", "valid absolute"},
      {"/a.wav", "valid absolute"},
      {"http:/example.com/a.wav", "valid absolute"},
      {"http://", "valid absolute"},
      {"http://user:pass@example.com/a.wav", "user name or password"},
      {"http://user@example.com/a.wav", "user name or password"},
      {"http://exa mple.com/", "spaces"},
      {"http://example.com/\r\nX: y", "control characters"},
      {"http://example.com:99999/", "valid absolute"},
      {"http://example.com/" + std::string(2100, 'a'), "longer than 2048"},
  };
  for (const auto& c : bad) {
    CAPTURE(c.url);
    Error::Fields fields;
    CHECK(test::error_kind_of([&] { check_url(c.url, "payload.audioUrl"); }, nullptr, &fields) ==
          ErrorKind::BadRequest);
    REQUIRE(fields.count("payload.audioUrl") == 1);
    CHECK_MESSAGE(contains(fields["payload.audioUrl"], c.why), fields["payload.audioUrl"]);
  }
}

TEST_CASE("download: an allowed server's file arrives whole") {
  TestServer server;
  test::TempDir dir;
  auto dest = dir.path() / "in.wav";
  auto r = download(server.url("/audio.wav"), dest, limits, loopback_ok);
  CHECK(r.status == 200);
  CHECK(r.content_type == "audio/wav");
  CHECK(r.bytes == static_cast<std::int64_t>(audio_body().size()));
  CHECK(r.final_url == server.url("/audio.wav"));
  CHECK(read_file(dest) == audio_body());
  CHECK_FALSE(std::filesystem::exists(dir.path() / "in.wav.part"));
  CHECK(server.last().headers["user-agent"] == "Cadenza/0.1");

  // No content type, and application/octet-stream, are accepted too.
  CHECK(download(server.url("/notype"), dir.path() / "b", limits, loopback_ok).bytes ==
        static_cast<std::int64_t>(audio_body().size()));
  CHECK(download(server.url("/octet"), dir.path() / "c", limits, loopback_ok).content_type ==
        "application/octet-stream");

  // Through a redirect on the same allowed server.
  auto via = download(server.url("/redirect?to=%2Faudio.wav"), dir.path() / "d", limits, loopback_ok);
  CHECK(via.final_url == server.url("/audio.wav"));
  CHECK(read_file(dir.path() / "d") == audio_body());
}

TEST_CASE("download: internal addresses are refused, naming the address and why; nothing is written") {
  TestServer server;
  test::TempDir dir;
  auto dest = dir.path() / "in.wav";

  SUBCASE("the loopback server without an allow list: refused before any connection") {
    auto f = fail_of(server.url("/audio.wav"), dest, AddressRules{});
    CHECK(f.kind == ErrorKind::Unprocessable);
    CHECK_MESSAGE(contains(f.field, "127.0.0.1 is a loopback address"), f.field);
    CHECK(contains(f.message, "127.0.0.1 is a loopback address"));
    CHECK(nothing_left(dest));
    CHECK(server.connections() == 0);
  }
  SUBCASE("IPv6 loopback, even with 127.0.0.0/8 allowed") {
    auto f = fail_of("http://[::1]:" + std::to_string(server.port()) + "/audio.wav", dest, loopback_ok);
    CHECK_MESSAGE(contains(f.field, "::1 is a loopback address"), f.field);
    CHECK(nothing_left(dest));
  }
  SUBCASE("a name that resolves to loopback") {
    auto f = fail_of("http://localhost:" + std::to_string(server.port()) + "/audio.wav", dest, AddressRules{});
    CHECK(f.kind == ErrorKind::Unprocessable);
    CHECK_MESSAGE(contains(f.field, "is a loopback address"), f.field);
    CHECK(server.connections() == 0);
    CHECK(nothing_left(dest));
  }
  SUBCASE("private and metadata addresses: refused at once, without connecting") {
    const FetchLimits slow_limits{32 * 1024, 10, 3};
    for (auto [url, why] : {std::pair{"http://10.0.0.1/a.wav", "10.0.0.1 is a private address"},
                            std::pair{"http://169.254.169.254/latest/meta-data/", "cloud metadata"},
                            std::pair{"http://[fd00::1]/a.wav", "unique-local"},
                            std::pair{"http://[::ffff:10.0.0.1]/a.wav", "stands for 10.0.0.1"},
                            std::pair{"http://0x7f000001/a.wav", "127.0.0.1 is a loopback"},  // curl's numeric forms
                            std::pair{"http://2130706433/a.wav", "127.0.0.1 is a loopback"},
                            std::pair{"http://0.0.0.0/a.wav", "unspecified"}}) {
      const std::string u = url;
      CAPTURE(u);
      auto t0 = std::chrono::steady_clock::now();
      auto f = fail_of(u, dest, AddressRules{}, slow_limits);
      CHECK(std::chrono::steady_clock::now() - t0 < 1s);
      CHECK(f.kind == ErrorKind::Unprocessable);
      CHECK_MESSAGE(contains(f.field, why), f.field);
      CHECK(nothing_left(dest));
    }
  }
  SUBCASE("a redirect from the allowed server to an internal address") {
    for (auto [to, why] : {std::pair<std::string, std::string>{"http://10.1.2.3/x", "10.1.2.3 is a private address"},
                           {"http://[::1]:" + std::to_string(server.port()) + "/audio.wav", "::1 is a loopback"},
                           {"http://169.254.169.254/latest/meta-data/", "metadata"}}) {
      CAPTURE(to);
      auto t0 = std::chrono::steady_clock::now();
      auto f = fail_of(server.url("/redirect?to=" + to), dest, loopback_ok);
      CHECK(std::chrono::steady_clock::now() - t0 < 1s);
      CHECK_MESSAGE(contains(f.field, why), f.field);
      CHECK(nothing_left(dest));
    }
  }
  SUBCASE("a redirect to another scheme") {
    auto f = fail_of(server.url("/redirect?to=file:///etc/passwd"), dest, loopback_ok);
    CHECK_MESSAGE(contains(f.field, "not http:// or https://"), f.field);
    CHECK(nothing_left(dest));
  }
}

TEST_CASE("download: answers that are no audio file are refused with the reason") {
  TestServer server;
  test::TempDir dir;
  auto dest = dir.path() / "in.wav";
  struct Case {
    std::string path, why;
    FetchLimits l = limits;
  };
  const std::vector<Case> cases = {
      {"/missing", "the link answered 404 Not Found"},
      {"/nowhere", "the link answered 404 Not Found"},
      {"/page", "the link points at a web page (text/html), not an audio file"},
      {"/json", "JSON data (application/json)"},
      {"/big", "larger than the limit of 32768 bytes"},
      {"/big-chunked", "larger than the limit of 32768 bytes"},
      {"/empty", "the link returned no data"},
      {"/loop", "redirected more than 3 times"},
      {"/redirect?to=%2Faudio.wav", "redirected more than 0 times", FetchLimits{32 * 1024, 5, 0}},
      {"/slow", "did not finish answering within 1 seconds", FetchLimits{32 * 1024, 1, 3}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    auto t0 = std::chrono::steady_clock::now();
    auto f = fail_of(server.url(c.path), dest, loopback_ok, c.l);
    CHECK(std::chrono::steady_clock::now() - t0 < 2500ms);
    CHECK(f.kind == ErrorKind::Unprocessable);
    CHECK_MESSAGE(contains(f.field, c.why), f.field);
    CHECK(contains(f.message, c.why));
    CHECK(nothing_left(dest));
  }
}

TEST_CASE("download: a cancel stops the transfer and throws Cancelled") {
  TestServer server;
  test::TempDir dir;
  auto dest = dir.path() / "in.wav";
  std::atomic<bool> flag{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    flag = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  const FetchLimits big{2 << 20, 5, 3};
  CHECK_THROWS_AS(download(server.url("/trickle"), dest, big, loopback_ok, [&] { return flag.load(); }), Cancelled);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  canceller.join();
  CHECK(nothing_left(dest));
  // Already cancelled: nothing is fetched.
  CHECK_THROWS_AS(download(server.url("/audio.wav"), dest, limits, loopback_ok, [] { return true; }), Cancelled);
}

TEST_CASE("post_json: delivers body and headers; refusals and dead ends come back as status 0") {
  TestServer server;
  const std::string body = R"({"event":"job.succeeded","id":"42"})";
  auto r = post_json(server.url("/hook"), body, {{"X-Cadenza-Signature", "sha256=abc"}, {"X-Empty", ""}}, 2,
                     loopback_ok);
  CHECK(r.status == 202);
  CHECK(r.error.empty());
  auto seen = server.last();
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/hook");
  CHECK(seen.body == body);
  CHECK(seen.headers["content-type"] == "application/json");
  CHECK(seen.headers["x-cadenza-signature"] == "sha256=abc");
  CHECK(seen.headers.count("x-empty") == 1);
  CHECK(seen.headers["user-agent"] == "Cadenza/0.1");
  CHECK(seen.headers.count("expect") == 0);

  // A large answer is cut off at 64 KiB; the status still counts.
  CHECK(post_json(server.url("/post-big"), body, {}, 2, loopback_ok).status == 200);

  // A redirect is returned, not followed.
  auto redir = post_json(server.url("/redirect?to=http://10.0.0.1/"), body, {}, 2, loopback_ok);
  CHECK(redir.status == 202);  // the test server answers every POST with 202

  auto refused = post_json(server.url("/hook"), body, {}, 2, AddressRules{});
  CHECK(refused.status == 0);
  CHECK_MESSAGE(contains(refused.error, "127.0.0.1 is a loopback address"), refused.error);

  auto meta = post_json("http://169.254.169.254/latest/meta-data/", body, {}, 2, loopback_ok);
  CHECK(meta.status == 0);
  CHECK_MESSAGE(contains(meta.error, "metadata"), meta.error);

  auto closed = post_json("http://127.0.0.1:" + std::to_string(closed_port()) + "/hook", body, {}, 2, loopback_ok);
  CHECK(closed.status == 0);
  CHECK_MESSAGE(contains(closed.error, "could not be reached"), closed.error);

  auto slow = post_json(server.url("/slow"), body, {}, 1, loopback_ok);  // POST answers at once; GET path unused
  CHECK(slow.status == 202);

  auto bad_url = post_json("ftp://example.com/", body, {}, 2, loopback_ok);
  CHECK(bad_url.status == 0);
  CHECK(contains(bad_url.error, "http:// or https://"));

  auto injected = post_json(server.url("/hook"), body, {{"X-A", "1\r\nX-Injected: 1"}}, 2, loopback_ok);
  CHECK(injected.status == 0);
  CHECK(contains(injected.error, "not allowed"));
  auto bad_name = post_json(server.url("/hook"), body, {{"X A", "1"}}, 2, loopback_ok);
  CHECK(bad_name.status == 0);
}

TEST_CASE("download: concurrent transfers each keep their own rules and limits") {
  TestServer server;
  test::TempDir dir;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, refused{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto dest = dir.path() / ("f" + std::to_string(i));
      try {
        download(server.url("/audio.wav"), dest, limits, i % 2 ? AddressRules{} : loopback_ok);
        if (read_file(dest) == audio_body()) ++ok;
      } catch (const Error& e) {
        if (std::string(e.what()).find("loopback") != std::string::npos && nothing_left(dest)) ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 3);
  CHECK(refused == 3);
}

TEST_CASE("literal_refusal: an internal address written in the URL is known before any lookup; names are not judged") {
  const AddressRules none;
  CHECK(literal_refusal("http://10.0.0.1/a.wav", none).value_or("").find("private") != std::string::npos);
  CHECK(literal_refusal("http://[::1]:8080/a.wav", none).value_or("").find("loopback") != std::string::npos);
  CHECK(literal_refusal("https://169.254.169.254/latest/meta-data/", none).value_or("").find("link-local") !=
        std::string::npos);
  CHECK_FALSE(literal_refusal("http://localhost/a.wav", none));  // judged when resolved
  CHECK_FALSE(literal_refusal("https://example.org/a.wav", none));
  CHECK_FALSE(literal_refusal("http://8.8.8.8/a.wav", none));
  CHECK_FALSE(literal_refusal("http://127.0.0.1:9/a.wav", loopback_ok));
}
