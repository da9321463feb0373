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
  ServerProcess s(dir.str(), kUnlimited);
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
  ServerProcess s(dir.str(), kUnlimited);
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
  ServerProcess s(dir.str(), kUnlimited);
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
  CHECK(allowed("script-src") == "'self' 'wasm-unsafe-eval'");  // WebAssembly (Verovio), no JS eval
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

TEST_CASE("blobs: downloads carry the sniffed type and a file name, from the signed link") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("clara");
  const std::string xml_decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  struct Sample {
    std::string bytes, type, extension;
  };
  const Sample samples[] = {
      {std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16), "audio/wav", "wav"},
      {std::string("fLaC\x00\x00\x00\x22", 8), "audio/flac", "flac"},
      {std::string("OggS\x00\x02", 6), "audio/ogg", "ogg"},
      {std::string("ID3\x04\x00\x00", 6), "audio/mpeg", "mp3"},
      {std::string("\xFF\xFB\x90\x64\x00\x00", 6), "audio/mpeg", "mp3"},
      {std::string("MThd\x00\x00\x00\x06\x00\x01", 10), "audio/midi", "mid"},
      {"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", "application/pdf", "pdf"},
      {xml_decl + "<!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" "
                  "\"http://www.musicxml.org/dtds/partwise.dtd\">\n<score-partwise version=\"4.0\"></score-partwise>",
       "application/vnd.recordare.musicxml+xml", "musicxml"},
      {" {\"notes\": []}", "application/json", "json"},
      {xml_decl + "<svg></svg>", "application/octet-stream", "bin"},
      {"<html><script>alert(1)</script></html>", "application/octet-stream", "bin"},
      {"just some bytes", "application/octet-stream", "bin"},
  };
  for (const auto& sample : samples) {
    INFO(sample.type << " " << sample.bytes.substr(0, 20));
    auto up = upload(s, token, sample.bytes);
    auto got = s.get(up["url"].get<std::string>());
    REQUIRE(got.status == 200);
    CHECK(got.body == sample.bytes);
    CHECK(got.header("content-type") == sample.type);
    auto name = up["id"].get<std::string>().substr(0, 12) + "." + sample.extension;
    CHECK(got.header("content-disposition") == "attachment; filename=\"" + name + "\"; filename*=UTF-8''" + name);
  }

  // A name given at upload is carried in the signed link, cleaned: no quotes, slashes or control characters;
  // UTF-8 in full in filename*, as '_' in the ASCII filename.
  const std::string wav(samples[0].bytes);
  auto named = upload_url(s, token, wav, "?name=%2E.%2FF%C3%BCr%20Elise%20%22take%22%5C%01.wav");
  CHECK(named.find("name=") != std::string::npos);
  auto got = s.get(named);
  REQUIRE(got.status == 200);
  CHECK(got.header("content-disposition") ==
        "attachment; filename=\"_F_r Elise _take___.wav\"; filename*=UTF-8''_F%C3%BCr%20Elise%20_take___.wav");
  // The name is signed: changing or dropping it breaks the link.
  auto at = named.find("name=") + 5;
  auto renamed = named.substr(0, at) + "evil.exe" + named.substr(named.find('&', at));
  CHECK(s.get(renamed).status == 403);
  auto unnamed = named.substr(0, at - 5) + named.substr(named.find('&', at) + 1);
  CHECK(s.get(unnamed).status == 403);
}

TEST_CASE("blobs: byte ranges, 416, HEAD and If-None-Match") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("ranger");
  std::string data = "RIFF....WAVEfmt ";
  for (int i = 0; data.size() < 50000; ++i) data += std::to_string(i) + ",";
  data.resize(50000);
  auto url = upload_url(s, token, data);
  auto range = [&](const std::string& r) { return s.request("GET", url, "", {{"Range", r}}); };

  auto full = s.get(url);
  REQUIRE(full.status == 200);
  CHECK(full.header("accept-ranges") == "bytes");
  CHECK(full.header("content-length") == "50000");
  auto etag = full.header("etag");
  REQUIRE(!etag.empty());

  struct Case {
    std::string range;
    std::size_t first, length;
  };
  for (const auto& c :
       {Case{"bytes=0-99", 0, 100}, Case{"bytes=49990-", 49990, 10}, Case{"bytes=-5", 49995, 5},
        Case{"bytes=100-100", 100, 1}, Case{"bytes=49000-99999", 49000, 1000}, Case{"bytes=-60000", 0, 50000}}) {
    INFO(c.range);
    auto r = range(c.range);
    CHECK(r.status == 206);
    CHECK(r.body == data.substr(c.first, c.length));
    CHECK(r.header("content-length") == std::to_string(c.length));
    CHECK(r.header("content-range") ==
          "bytes " + std::to_string(c.first) + "-" + std::to_string(c.first + c.length - 1) + "/50000");
    CHECK(r.header("content-type") == "audio/wav");
  }
  for (const std::string r : {"bytes=50000-", "bytes=60000-70000", "bytes=-0"}) {
    INFO(r);
    auto res = range(r);
    CHECK(res.status == 416);
    CHECK(res.header("content-range") == "bytes */50000");
    CHECK(is_json_error(res));
  }
  // Ignored (the whole file): several ranges, a reversed or malformed range, another unit.
  for (const std::string r : {"bytes=0-1,5-6", "bytes=10-5", "bytes=x-y", "items=0-1"}) {
    INFO(r);
    auto res = range(r);
    CHECK(res.status == 200);
    CHECK(res.body.size() == data.size());
  }
  // If-Range with another version: the whole file; with this one: the range.
  CHECK(s.request("GET", url, "", {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}}).status == 200);
  CHECK(s.request("GET", url, "", {{"Range", "bytes=0-9"}, {"If-Range", etag}}).status == 206);
  // If-None-Match with the ETag is 304, with or without a Range.
  CHECK(s.request("GET", url, "", {{"If-None-Match", etag}}).status == 304);
  CHECK(s.request("GET", url, "", {{"If-None-Match", etag}, {"Range", "bytes=0-9"}}).status == 304);
  // HEAD: the same header, no body.
  auto head = raw_exchange(s.port(), http11("HEAD " + url, "Range: bytes=0-99\r\nConnection: close\r\n"));
  CHECK(head.closed);
  CHECK(head.text.rfind("HTTP/1.1 206", 0) == 0);
  CHECK(head.text.find("Content-Length: 100\r\n") != std::string::npos);
  CHECK(head.text.find("Content-Range: bytes 0-99/50000\r\n") != std::string::npos);
  CHECK(head.text.size() == head.text.find("\r\n\r\n") + 4);
}

TEST_CASE("415: a JSON route refuses a body that is not declared JSON") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("ada");
  const std::string login = R"({"login":"ada","password":"password-ada"})";
  for (const std::string type :
       {"application/x-www-form-urlencoded", "text/plain", "text/json", "application/jsonx", ""}) {
    INFO(type);
    auto r = s.request("POST", "/api/auth/login", login, {{"Content-Type", type}});
    CHECK(r.status == 415);
    CHECK(is_json_error(r));
    CHECK(r.json()["message"].get<std::string>().find("Content-Type: application/json") != std::string::npos);
  }
  // A body without any Content-Type (what some clients send) is refused the same way.
  auto bare = raw_exchange(
      s.port(), http11("POST /api/auth/login",
                       "Connection: close\r\nContent-Length: " + std::to_string(login.size()) + "\r\n", login));
  REQUIRE(bare.responses.size() == 1);
  CHECK(bare.responses[0].status == 415);
  // JSON types, in any case and with parameters, are accepted.
  for (const std::string type :
       {"application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"}) {
    INFO(type);
    CHECK(s.request("POST", "/api/auth/login", login, {{"Content-Type", type}}).status == 200);
  }
  // An authenticated route refuses it too, and nothing is stored.
  auto prefs = "/api/profiles/" + id + "/preferences";
  auto form = s.request("POST", prefs, R"({"type":"genre","value":"jazz"})",
                        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(form.status == 415);
  CHECK(s.get(prefs, token).json()["preferences"].empty());
  // No body and no Content-Type: as before, the body is simply not valid JSON.
  auto empty = raw_exchange(s.port(), http11("POST /api/auth/login", "Connection: close\r\nContent-Length: 0\r\n"));
  REQUIRE(empty.responses.size() == 1);
  CHECK(empty.responses[0].status == 400);
  // Raw uploads are not JSON routes: any type, or none, is fine.
  auto raw = raw_exchange(
      s.port(), http11("POST /api/files",
                       "Connection: close\r\nAuthorization: Bearer " + token + "\r\nContent-Length: 5\r\n", "hello"));
  REQUIRE(raw.responses.size() == 1);
  CHECK(raw.responses[0].status == 201);
}
