// Uploads against the real `cadenza serve`: bodies stream to a spool file in <data>/tmp and into the blob
// store, so a 1 GiB upload holds little memory; multipart/form-data; limits, malformed forms, clients that
// hang up, credentials checked before the body is read, stale spool files at start-up.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cadenza/core/crypto.hpp"
#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kUnlimited = {"--set", "ratelimit.read_per_s=0", "--set", "ratelimit.write_per_s=0"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A /proc/<pid>/status value in bytes ("VmRSS", "VmHWM").
std::int64_t proc_status_bytes(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;  // "… kB"
  FAIL("no " << key << " in /proc/" << pid << "/status");
  return 0;
}

// The files in <data>/tmp (spool files of uploads in progress).
std::vector<fs::path> spool_files(const std::string& data_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(data_dir) / "tmp", ec)) out.push_back(e.path());
  return out;
}

// Waits until pred() or `timeout`; pred()'s last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string post_header(const std::string& target, const std::string& token, const std::string& fields) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") +
         fields + "\r\n";
}

// A multipart/form-data body as curl -F builds it: each (name, filename or "", type or "", bytes).
struct FormPart {
  std::string name, filename, type, bytes;
};
const std::string kBoundary = "------------------------d74496d66958873e";
std::string form_body(const std::vector<FormPart>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + p.filename + "\"";
    out += "\r\n";
    if (!p.type.empty()) out += "Content-Type: " + p.type + "\r\n";
    out += "\r\n" + p.bytes + "\r\n";
  }
  return out + "--" + kBoundary + "--\r\n";
}
std::map<std::string, std::string> form_headers(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "multipart/form-data; boundary=" + kBoundary}};
}

std::string all_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 256) & 0xFF);
  // Near-misses of the delimiter inside the file.
  return s + "\r\n--" + kBoundary.substr(0, 20) + "\r\n--\r\n" + s.substr(0, 100);
}

}  // namespace

TEST_CASE("uploads: a 1 GiB upload streams to disk; the server's RSS grows by less than 64 MiB") {
  TempDir dir;
  ServerProcess s(dir.str(), with(kUnlimited, {"--set", "server.upload_limit=2147483648"}));
  auto [id, token] = s.signup_login("big");
  // Warm up (worker threads, the tenant database, the first blob) before measuring.
  REQUIRE(s.request("POST", "/api/files", "warm-up", {{"Authorization", "Bearer " + token}}).status == 201);
  const auto rss_before = proc_status_bytes(s.pid(), "VmRSS");
  // The peak so far (argon2id at log-in takes tens of MiB for a moment) is reset, so VmHWM below is the
  // upload's; where the kernel refuses, the samples taken while sending bound it too.
  const bool hwm_reset = static_cast<bool>(std::ofstream("/proc/" + std::to_string(s.pid()) + "/clear_refs") << "5");
  std::int64_t rss_peak = rss_before;

  constexpr std::uint64_t kSize = 1ULL << 30;
  constexpr std::size_t kBlock = 1 << 20;
  auto t0 = std::chrono::steady_clock::now();
  RawConnection c(s.port());
  REQUIRE(c.send(post_header("/api/files?name=big.bin", token,
                             "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(kSize) + "\r\n")));
  cadenza::crypto::Sha256 sha;
  std::string block(kBlock, '\0');
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  std::string first_bytes;
  bool sent = true;
  for (std::uint64_t off = 0; off < kSize && sent; off += kBlock) {
    for (std::size_t i = 0; i < kBlock; i += 8) {  // xorshift64: bytes no file system or link compresses
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      std::memcpy(&block[i], &x, 8);
    }
    if (off == 0) first_bytes = block.substr(0, 16);
    sha.update(block);
    sent = c.send(block);
    if (off % (32 * kBlock) == 0) rss_peak = std::max(rss_peak, proc_status_bytes(s.pid(), "VmRSS"));
  }
  REQUIRE(sent);
  auto r = c.response(std::chrono::seconds(60));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 201);
  const auto hwm_after = proc_status_bytes(s.pid(), "VmHWM");
  const auto rss_after = proc_status_bytes(s.pid(), "VmRSS");
  rss_peak = std::max(rss_peak, rss_after);
  MESSAGE("1 GiB upload in " << secs << " s; VmRSS before " << rss_before / 1024 << " KiB, after " << rss_after / 1024
                             << " KiB, highest sampled " << rss_peak / 1024 << " KiB; VmHWM after "
                             << hwm_after / 1024 << " KiB (reset before: " << hwm_reset << ")");
  CHECK(rss_peak - rss_before < 64LL * 1024 * 1024);
  if (hwm_reset) CHECK(hwm_after - rss_before < 64LL * 1024 * 1024);
  const auto body = r->json();
  const auto digest = sha.hex_digest();
  CHECK(body["id"] == digest);
  CHECK(body["size"] == kSize);
  CHECK(spool_files(dir.str()).empty());
  // The blob is in place with the right size; removed here, so 1 GiB does not linger until the end.
  auto url = body["url"].get<std::string>();
  auto tenant = url.substr(url.find("/api/blobs/") + 11, 36);
  auto blob = fs::path(dir.str()) / "blobs" / tenant / digest.substr(0, 2) / digest;
  REQUIRE(fs::exists(blob));
  CHECK(fs::file_size(blob) == kSize);
  auto start = s.request("GET", url, "", {{"Range", "bytes=0-15"}});
  CHECK(start.status == 206);
  CHECK(start.body == first_bytes);
  CHECK(fs::remove(blob));
  // The connection stays usable after the upload.
  REQUIRE(c.send("GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto health = c.response();
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("uploads: multipart/form-data stores the file part byte-exact, named by its filename") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("form");
  const auto bytes = all_bytes(300 * 1024);  // more than one piece of the server's reads
  auto r = s.request("POST", "/api/files",
                     form_body({{"file", "F\xc3\xbcr Elise.wav", "audio/wav", bytes}}), form_headers(token));
  INFO(r.body);
  REQUIRE(r.status == 201);
  CHECK(r.json()["id"] == cadenza::crypto::sha256_hex(bytes));
  CHECK(r.json()["size"] == bytes.size());
  auto got = s.get(r.json()["url"].get<std::string>());
  REQUIRE(got.status == 200);
  CHECK(got.body == bytes);
  CHECK(got.header("content-disposition").find("filename*=UTF-8''F%C3%BCr%20Elise.wav") != std::string::npos);

  // A "name" field names it instead (as ?name= does, which wins over both); a field may come after the file.
  auto named = s.request("POST", "/api/files",
                         form_body({{"file", "x.wav", "audio/wav", "RIFF"}, {"name", "", "", "Take 2.wav"}}),
                         form_headers(token));
  REQUIRE(named.status == 201);
  CHECK(s.get(named.json()["url"].get<std::string>()).header("content-disposition").find("Take%202.wav") !=
        std::string::npos);
  auto query = s.request("POST", "/api/files?name=q.wav", form_body({{"file", "x.wav", "", "RIFF"}, {"name", "", "", "n"}}),
                         form_headers(token));
  REQUIRE(query.status == 201);
  CHECK(query.json()["url"].get<std::string>().find("name=q.wav") != std::string::npos);
  // The raw body still works as before.
  auto raw = s.request("POST", "/api/files", bytes, {{"Authorization", "Bearer " + token}, {"Content-Type", "audio/wav"}});
  REQUIRE(raw.status == 201);
  CHECK(raw.json()["id"] == cadenza::crypto::sha256_hex(bytes));
  CHECK(spool_files(dir.str()).empty());
}

TEST_CASE("uploads: a malformed or incomplete form is 400 naming the problem, and leaves no spool file") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("bad");
  struct Case {
    const char* what;
    std::string body, content_type, field, says;
  };
  const std::string ct = "multipart/form-data; boundary=" + kBoundary;
  const std::string big(400 * 1024, 'b');
  const Case cases[] = {
      {"no closing boundary", form_body({{"file", "a", "", big}}).substr(0, 300 * 1024), ct, "body", "closing boundary"},
      {"the wrong boundary", form_body({{"file", "a", "", "x"}}), "multipart/form-data; boundary=other", "body",
       "no boundary line"},
      {"no boundary parameter", form_body({{"file", "a", "", "x"}}), "multipart/form-data", "body", "no boundary"},
      {"no Content-Disposition", "--" + kBoundary + "\r\n\r\nx\r\n--" + kBoundary + "--", ct, "body",
       "no Content-Disposition"},
      {"no file part", form_body({{"name", "", "", "n"}}), ct, "file", "no part named file"},
      {"two file parts", form_body({{"file", "a", "", "1"}, {"file", "b", "", "2"}}), ct, "file", "more than one"},
      {"an unknown field", form_body({{"file", "a", "", big}, {"colour", "", "", "red"}}), ct, "colour", "unknown"},
      {"a file under another name", form_body({{"upload", "a.wav", "", big}, {"file", "a", "", "1"}}), ct, "upload",
       "longer than 1024 bytes"},
      {"an empty file", form_body({{"file", "a", "", ""}}), ct, "file", "empty"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto r = s.request("POST", "/api/files", c.body, {{"Authorization", "Bearer " + token}, {"Content-Type", c.content_type}});
    INFO(r.body);
    CHECK(r.status == 400);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    REQUIRE(j["errors"].contains(c.field));
    CHECK(j["errors"][c.field].get<std::string>().find(c.says) != std::string::npos);
    CHECK(spool_files(dir.str()).empty());
  }
  CHECK(s.get("/api/health").status == 200);
}

TEST_CASE("uploads: over the limit is 413 (by Content-Length or while a chunked body is read), with no spool file left") {
  TempDir dir;
  ServerProcess s(dir.str(), with(kUnlimited, {"--set", "server.upload_limit=1048576"}));
  auto [id, token] = s.signup_login("limit");
  auto declared = raw_exchange(s.port(), post_header("/api/files", token, "Content-Length: 1048577\r\n") + "xx");
  REQUIRE(declared.responses.size() == 1);
  CHECK(declared.responses[0].status == 413);
  CHECK(declared.closed);
  // Chunked: pieces reach the disk before the limit is passed; the spool file goes with the refusal.
  RawConnection c(s.port());
  REQUIRE(c.send(post_header("/api/files", token, "Transfer-Encoding: chunked\r\n")));
  const std::string chunk(64 * 1024, 'c');
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", chunk.size());
  for (int i = 0; i < 24 && c.send(std::string(hex) + "\r\n" + chunk + "\r\n"); ++i) {
  }
  auto r = c.response();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(spool_files(dir.str()).empty());
  // Exactly the limit is fine.
  auto at_limit = s.request("POST", "/api/files", std::string(1048576, 'l'), {{"Authorization", "Bearer " + token}});
  CHECK(at_limit.status == 201);
  CHECK(spool_files(dir.str()).empty());
}

TEST_CASE("uploads: a client that hangs up mid-upload leaves no spool file; spool files are private") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("gone");
  const auto tmp = fs::path(dir.str()) / "tmp";
  REQUIRE(fs::is_directory(tmp));
  CHECK((fs::status(tmp).permissions() & fs::perms::all) == fs::perms::owner_all);
  for (bool chunked : {false, true}) {
    INFO("chunked: " << chunked);
    RawConnection c(s.port());
    REQUIRE(c.send(post_header("/api/files", token,
                               chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 8388608\r\n")));
    const std::string piece(1 << 20, 'g');
    for (int i = 0; i < 2; ++i) REQUIRE(c.send(chunked ? "100000\r\n" + piece + "\r\n" : piece));
    // The body is on its way to disk...
    REQUIRE(eventually([&] { return !spool_files(dir.str()).empty(); }));
    auto files = spool_files(dir.str());
    REQUIRE(files.size() == 1);
    CHECK(files[0].filename().string().rfind(".spool-", 0) == 0);
    CHECK((fs::status(files[0]).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    // ... and gone once the client is.
    c.close();
    CHECK(eventually([&] { return spool_files(dir.str()).empty(); }));
  }
  CHECK(s.get("/api/health").status == 200);
}

TEST_CASE("uploads: credentials are checked before the body is read; Expect: 100-continue") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("early");
  // No or a wrong token: 401 at once, before any of the (never sent) body, and nothing spooled.
  for (const std::string& t : {std::string(), std::string("wrong")}) {
    RawConnection c(s.port());
    REQUIRE(c.send(post_header("/api/files", t, "Content-Length: 1000000\r\n")));
    auto r = c.response(std::chrono::seconds(5));
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(spool_files(dir.str()).empty());
  }
  // A client that waits for 100 Continue gets it, then sends the body.
  RawConnection c(s.port());
  REQUIRE(c.send(post_header("/api/files", token, "Expect: 100-continue\r\nContent-Length: 5\r\n")));
  auto cont = c.response(std::chrono::seconds(5));
  REQUIRE(cont);
  CHECK(cont->status == 100);
  REQUIRE(c.send("hello"));
  auto r = c.response();
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->json()["id"] == cadenza::crypto::sha256_hex("hello"));
}

TEST_CASE("uploads: spool files a killed server left are removed at start-up") {
  TempDir dir;
  { ServerProcess first(dir.str()); }  // creates the data directory (and is killed)
  const auto tmp = fs::path(dir.str()) / "tmp";
  std::ofstream(tmp / ".spool-0123456789abcdef01234567") << "half an upload";
  std::ofstream(tmp / "keep.txt") << "not ours";
  ServerProcess s(dir.str());
  CHECK_FALSE(fs::exists(tmp / ".spool-0123456789abcdef01234567"));
  CHECK(fs::exists(tmp / "keep.txt"));
}
