// Integration tests of the HTTP layer's defences against hostile or careless clients, against the real
// `cadenza serve`: message framing, limits, security headers, file downloads, media types.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kUnlimited = {"--set", "ratelimit.read_per_s=0", "--set", "ratelimit.write_per_s=0"};

// "<line> HTTP/1.1", a Host field, `fields` (each ending in CRLF), the blank line, then `body`.
std::string http11(const std::string& line, const std::string& fields = "", const std::string& body = "") {
  return line + " HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n" + body;
}

bool is_json_error(const HttpResult& r) {
  auto j = json::parse(r.body, nullptr, false);
  return r.header("content-type").rfind("application/json", 0) == 0 && j.is_object() && j["message"].is_string();
}

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// Uploads `bytes` (to /api/files + query) and returns the answer: {id, size, url, expiresInSeconds}.
json upload(const ServerProcess& s, const std::string& token, const std::string& bytes, const std::string& query = "") {
  auto h = bearer(token);
  h["Content-Type"] = "application/octet-stream";
  auto r = s.request("POST", "/api/files" + query, bytes, h);
  REQUIRE(r.status == 201);
  return r.json();
}

std::string upload_url(const ServerProcess& s, const std::string& token, const std::string& bytes,
                       const std::string& query = "") {
  return upload(s, token, bytes, query)["url"].get<std::string>();
}

}  // namespace

TEST_CASE("framing: a request whose body length is ambiguous is answered 400 and the connection closes") {
  TempDir dir;
  ServerProcess s(dir.path(), kUnlimited);
  // Each would be read one way by us and possibly another by a proxy in front (request smuggling). The body
  // carries a second request: it must never be answered.
  const std::string smuggled = http11("GET /api/version");
  struct Case {
    std::string what, header;
  };
  const Case cases[] = {
      {"unknown coding before Content-Length", "Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n"},
      {"chunked before Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"},
      {"Content-Length before chunked", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"},
      {"two different Content-Lengths", "Content-Length: 0\r\nContent-Length: 5\r\n"},
      {"a list of different Content-Lengths", "Content-Length: 0, 5\r\n"},
      {"a Content-Length that is not a number", "Content-Length: zero\r\n"},
      {"a negative Content-Length", "Content-Length: -1\r\n"},
      {"a coding other than chunked", "Transfer-Encoding: gzip\r\n"},
      {"chunked not last", "Transfer-Encoding: chunked, gzip\r\n"},
      {"chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
      {"obs-fold in Transfer-Encoding", "Transfer-Encoding:\r\n chunked\r\n"},
      {"obs-fold in another field", "X-Note: a\r\n\tb\r\n"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto got = raw_exchange(s.port(), http11("POST /api/auth/login", c.header, smuggled));
    INFO(got.text.substr(0, 600));
    CHECK(got.responses.size() == 1);
    CHECK(got.closed);
    if (got.responses.empty()) continue;
    CHECK(got.responses[0].status == 400);
    CHECK(is_json_error(got.responses[0]));
  }
  // HTTP/1.0 has no chunked coding: a Transfer-Encoding there is faulty framing too (RFC 9112 §6.1).
  auto old = raw_exchange(s.port(), "GET /api/health HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  REQUIRE(old.responses.size() == 1);
  CHECK(old.responses[0].status == 400);
  CHECK(old.closed);

  // Still accepted: chunked in any case, alone; equal Content-Length values.
  std::string login = R"({"login":"nobody","password":"wrong-password"})";
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", login.size());
  const std::string json_close = "Connection: close\r\nContent-Type: application/json\r\n";
  auto chunked = raw_exchange(s.port(), http11("POST /api/auth/login", json_close + "Transfer-Encoding: Chunked\r\n",
                                               std::string(hex) + "\r\n" + login + "\r\n0\r\n\r\n"));
  REQUIRE(chunked.responses.size() == 1);
  CHECK(chunked.responses[0].status == 401);
  auto length = std::to_string(login.size());
  auto same = raw_exchange(s.port(), http11("POST /api/auth/login",
                                            json_close + "Content-Length: " + length + ", " + length + "\r\n", login));
  REQUIRE(same.responses.size() == 1);
  CHECK(same.responses[0].status == 401);
  CHECK(s.get("/api/health").status == 200);
}

TEST_CASE("limits: a request target over server.target_limit is 414; header fields over the header limit stay 431") {
  TempDir dir;
  ServerProcess s(dir.path(), kUnlimited);
  // 10 KiB: over the 8 KiB target limit, within the 16 KiB header limit.
  auto within_header = raw_exchange(s.port(), http11("GET /api/health?pad=" + std::string(10 * 1024, 'a')));
  REQUIRE(within_header.responses.size() == 1);
  CHECK(within_header.responses[0].status == 414);
  CHECK(is_json_error(within_header.responses[0]));
  CHECK(within_header.closed);
  // 40 KiB: the request line alone is over the header limit.
  auto over_header = raw_exchange(s.port(), http11("GET /api/health?pad=" + std::string(40 * 1024, 'a')));
  REQUIRE(over_header.responses.size() == 1);
  CHECK(over_header.responses[0].status == 414);
  // A long field with a short target is still 431, and a target just under the limit is served.
  auto fields = raw_exchange(s.port(), http11("GET /api/health", "X-Big: " + std::string(20000, 'h') + "\r\n"));
  REQUIRE(fields.responses.size() == 1);
  CHECK(fields.responses[0].status == 431);
  CHECK(s.get("/api/health?pad=" + std::string(8000, 'a')).status == 200);
}

TEST_CASE("headers: nosniff on every response; the browser app gets a CSP and may not be framed") {
  TempDir dir;
  ServerProcess s(dir.path(), kUnlimited);
  auto [id, token] = s.signup_login("hedy");
  auto url = upload_url(s, token, "a file");
  std::vector<std::pair<std::string, HttpResult>> answers = {
      {"health", s.get("/api/health")},
      {"404", s.get("/api/no-such-thing")},
      {"401", s.get("/api/jobs")},
      {"profile", s.get("/api/profiles/" + id, token)},
      {"blob", s.get(url)},
      {"app", s.get("/")},
  };
  auto framing = raw_exchange(s.port(), http11("GET /api/health", "Transfer-Encoding: gzip\r\n"));
  REQUIRE(framing.responses.size() == 1);
  answers.emplace_back("400 before routing", framing.responses[0]);
  auto big = raw_exchange(s.port(), http11("GET /api/health", "X-Big: " + std::string(20000, 'h') + "\r\n"));
  REQUIRE(big.responses.size() == 1);
  answers.emplace_back("431", big.responses[0]);
  for (const auto& [what, r] : answers) {
    INFO(what << " " << r.status);
    CHECK(r.header("x-content-type-options") == "nosniff");
  }

  auto app = s.get("/");
  REQUIRE(app.status == 200);
  auto csp = app.header("content-security-policy");
  // What the policy allows for one directive ("" when it has none).
  auto allowed = [&csp](const std::string& name) {
    std::stringstream directives(csp);
    for (std::string d; std::getline(directives, d, ';');) {
      d.erase(0, d.find_first_not_of(' '));
      if (d.rfind(name + " ", 0) == 0) return d.substr(name.size() + 1);
    }
    return std::string();
  };
  CHECK(allowed("default-src") == "'self'");
  CHECK(allowed("script-src") == "'self'");
  CHECK(allowed("style-src") == "'self'");
  CHECK(allowed("connect-src") == "'self'");  // also ws:/wss: to this host
  CHECK(allowed("img-src") == "'self' data: blob:");
  CHECK(allowed("media-src") == "'self' blob:");
  CHECK(allowed("worker-src") == "'self' blob:");
  CHECK(allowed("frame-ancestors") == "'none'");
  CHECK(app.header("x-frame-options") == "DENY");
  CHECK(s.get("/some/client/route").header("content-security-policy") == csp);  // index.html for client routes
  // The page must work under that policy: every script it has is loaded from a file, none is inline.
  for (auto at = app.body.find("<script"); at != std::string::npos; at = app.body.find("<script", at + 1)) {
    auto tag = app.body.substr(at, app.body.find('>', at) - at);
    CHECK_MESSAGE(tag.find("src=") != std::string::npos, "inline script: " << tag);
  }
}
