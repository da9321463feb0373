// The streaming event path against the real server: a WebSocket client that resumes with fromSeq gets what
// it missed exactly once and in order, then live events; a job that reports progress 10,000 times a second
// does not get a normal client dropped; a streamed HTTP response read slowly keeps the server's memory
// bounded; bad input is refused naming the field.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "cadenza/jobs/kinds.hpp"
#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string submit(const ServerProcess& s, const std::string& token, const json& payload) {
  auto r = s.post("/api/jobs", {{"kind", "demo"}, {"payload", payload}}, token);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  return r.json()["job"]["id"].get<std::string>();
}

bool is_job_event(const json& m, const std::string& job) {
  return (m["type"] == "job.state" || m["type"] == "job.progress") && m["job"]["id"] == job;
}

bool is_final(const json& m) {
  return m["type"] == "job.state" &&
         (m["job"]["state"] == "succeeded" || m["job"]["state"] == "failed" || m["job"]["state"] == "cancelled");
}

// The one tenant database of a fresh data directory.
std::string tenant_db(const std::string& data_dir) {
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(data_dir) / "tenants"))
    if (e.path().extension() == ".db") return e.path().string();
  FAIL("no tenant database");
  return "";
}

// The server process: the one whose command line names its (unique) data directory.
int server_pid(const std::string& data_dir) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmd.find("serve") != std::string::npos && cmd.find(data_dir) != std::string::npos) return std::stoi(name);
  }
  FAIL("server process not found");
  return -1;
}

long rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("a WebSocket client that resumes with fromSeq gets what it missed exactly once, in order, then live") {
  TempDir dir;
  add_operator(dir.str(), "watcher", "watcher-password-1");
  ServerProcess s(dir.str());
  auto login = s.post("/api/auth/login", {{"login", "watcher"}, {"password", "watcher-password-1"}});
  REQUIRE_MESSAGE(login.status == 200, login.body);
  const auto op = login.json()["token"].get<std::string>();
  auto [uid, user] = s.signup_login("ivy");
  // ~3 s of steps; the watcher is an admin watching another account's job, so it hears only what it subscribes.
  auto job = submit(s, user, {{"steps", 30}, {"stepMs", 100}});

  std::int64_t seen_up_to = 0;
  {
    WsClient first(s.port(), op);
    REQUIRE(first.next());  // hello
    first.send({{"type", "subscribe"}, {"jobId", job}, {"fromSeq", 0}});
    auto sub = first.next();
    REQUIRE(sub);
    CHECK((*sub)["type"] == "subscribed");
    CHECK((*sub)["fromSeq"] == 0);
    // Read a few events (replayed and live), then go away in the middle of the job.
    auto enough = first.until([&](const json& m) {
      if (is_job_event(m, job)) {
        CHECK(m["seq"].get<std::int64_t>() > seen_up_to);
        seen_up_to = m["seq"].get<std::int64_t>();
      }
      return seen_up_to >= 6;
    });
    REQUIRE(enough);
  }
  std::this_thread::sleep_for(700ms);  // events happen while nobody listens

  WsClient second(s.port(), op);
  REQUIRE(second.next());
  second.send({{"type", "subscribe"}, {"jobId", job}, {"fromSeq", seen_up_to}});
  std::vector<std::int64_t> replayed, live;
  std::map<std::int64_t, json> received;
  bool boundary = false;
  auto done = second.until([&](const json& m) {
    if (m["type"] == "replayed") {
      CHECK(m["jobId"] == job);
      CHECK(m["count"] == static_cast<int>(replayed.size()));
      CHECK(m["lastSeq"] == (replayed.empty() ? seen_up_to : replayed.back()));
      boundary = true;
    }
    if (!is_job_event(m, job)) return false;
    auto seq = m["seq"].get<std::int64_t>();
    CHECK(received.count(seq) == 0);  // exactly once
    CHECK(seq > (received.empty() ? seen_up_to : received.rbegin()->first));  // in order, nothing from before
    received[seq] = m;
    (boundary ? live : replayed).push_back(seq);
    return is_final(m);
  });
  REQUIRE(done);
  CHECK((*done)["job"]["state"] == "succeeded");
  CHECK(boundary);
  // It missed several events; they came from the database (a run of progress events as its newest one),
  // and then it went on live.
  REQUIRE(!replayed.empty());
  REQUIRE(!live.empty());
  CHECK(live.front() - seen_up_to >= 3);
  CHECK(live.size() >= 2);

  // Against the durable log: every event after fromSeq came, but for progress superseded by the next event
  // (latest wins); state events always. What came is what was stored, byte for byte as JSON.
  auto rows = sqlite_query(tenant_db(dir.str()),
                           "SELECT seq, type, text FROM job_events WHERE job_id = '" + job + "' ORDER BY seq", true);
  REQUIRE(rows.size() >= 30);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto seq = std::stoll(rows[i][0]);
    CHECK(seq == static_cast<std::int64_t>(i + 1));  // no gaps in the log
    if (seq <= seen_up_to) continue;
    CAPTURE(seq);
    if (received.count(seq)) {
      CHECK(received[seq] == json::parse(rows[i][2]));
    } else {
      CHECK(rows[i][1] == "job.progress");
      REQUIRE(i + 1 < rows.size());
      CHECK(rows[i + 1][1] == "job.progress");
    }
  }
  CHECK(received.rbegin()->first == std::stoll(rows.back()[0]));  // it ends with the last event
  CHECK(s.terminate() == 0);
}

TEST_CASE("resuming again and again while a job publishes 1,000 events a second: nothing twice, nothing out of order") {
  TempDir dir;
  add_operator(dir.str(), "watcher", "watcher-password-1");
  ServerProcess s(dir.str(), {"--set", "jobs.progress_events_per_s=1000"});
  auto login = s.post("/api/auth/login", {{"login", "watcher"}, {"password", "watcher-password-1"}});
  REQUIRE(login.status == 200);
  const auto op = login.json()["token"].get<std::string>();
  auto [uid, user] = s.signup_login("busy");
  // A progress report every millisecond or so for ~3 s: live events keep coming while each replay is read.
  auto job = submit(s, user, {{"steps", 3000}, {"stepMs", 1}});
  std::vector<std::int64_t> all;  // every event received, over every connection, in arrival order
  std::int64_t last = 0;
  bool ended = false;
  int connections = 0;
  while (!ended && connections < 400) {
    ++connections;
    const auto away = std::chrono::milliseconds(40 * (connections % 4));
    std::this_thread::sleep_for(away);  // events happen meanwhile (one every millisecond or so)
    WsClient ws(s.port(), op);
    REQUIRE(ws.next());
    ws.send({{"type", "subscribe"}, {"jobId", job}, {"fromSeq", last}});
    int after_boundary = 0;
    int replayed = -1;
    auto stop = ws.until([&](const json& m) {
      if (m["type"] == "replayed") replayed = m["count"].get<int>();
      if (!is_job_event(m, job)) return false;
      auto seq = m["seq"].get<std::int64_t>();
      CHECK(seq > last);  // never twice, never out of order, never from before fromSeq
      last = seq;
      all.push_back(seq);
      if (is_final(m)) return ended = true;
      return replayed >= 0 && ++after_boundary >= 25;
    });
    REQUIRE(stop);
    // Away for 40 ms or more, it missed events: the newest of them at least came from the database, before
    // anything live (live events that came during the replay were held and then dropped as replayed).
    if (away.count() > 0 && !ended) CHECK(replayed >= 1);
  }
  REQUIRE(ended);
  CHECK(connections >= 3);
  auto rows = sqlite_query(tenant_db(dir.str()),
                           "SELECT seq, type FROM job_events WHERE job_id = '" + job + "' ORDER BY seq", true);
  std::set<std::int64_t> got(all.begin(), all.end());
  CHECK(got.size() == all.size());
  MESSAGE(connections << " connections, " << all.size() << " events received of " << rows.size() << " stored");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto seq = std::stoll(rows[i][0]);
    CHECK(seq == static_cast<std::int64_t>(i + 1));
    if (got.count(seq)) continue;
    CAPTURE(seq);
    // Left out only when superseded: a progress event whose next event is a progress event too.
    CHECK(rows[i][1] == "job.progress");
    REQUIRE(i + 1 < rows.size());
    CHECK(rows[i + 1][1] == "job.progress");
  }
  CHECK(all.back() == std::stoll(rows.back()[0]));
  CHECK(s.terminate() == 0);
}

TEST_CASE("a job reporting progress 10,000 times a second does not get a normal client dropped") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "ws.send_queue_limit=16", "--set", "jobs.progress_events_per_s=10"});
  auto [id, token] = s.signup_login("chatty");
  WsClient ws(s.port(), token);
  REQUIRE(ws.next());
  // 30 steps of 100 ms, 1000 progress reports after each: 10,000 a second, for two jobs at once.
  std::set<std::string> jobs;
  for (int i = 0; i < 2; ++i) jobs.insert(submit(s, token, {{"steps", 30}, {"stepMs", 100}, {"progressCalls", 1000}}));
  std::map<std::string, int> progress_events;
  std::map<std::string, double> last_progress;
  std::map<std::string, std::int64_t> last_seq;
  std::set<std::string> finished;
  const auto start = std::chrono::steady_clock::now();
  while (finished.size() < jobs.size() && std::chrono::steady_clock::now() - start < 60s) {
    auto m = ws.next(20s);
    REQUIRE_MESSAGE(m, "the client was dropped or heard nothing");
    std::this_thread::sleep_for(1ms);  // a client that keeps up with 1,000 messages a second, not 10,000
    if (!m->contains("job")) continue;
    auto job = (*m)["job"]["id"].get<std::string>();
    if (!jobs.count(job)) continue;
    auto seq = (*m)["seq"].get<std::int64_t>();
    CHECK(seq > last_seq[job]);
    last_seq[job] = seq;
    if ((*m)["type"] == "job.progress") {
      ++progress_events[job];
      last_progress[job] = (*m)["job"]["progress"].get<double>();
    }
    if (is_final(*m)) {
      CHECK((*m)["job"]["state"] == "succeeded");
      finished.insert(job);
    }
  }
  CHECK(finished.size() == jobs.size());  // the client ends with each job's final state
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& job : jobs) {
    CAPTURE(job);
    CHECK(progress_events[job] >= 5);
    CHECK(progress_events[job] <= static_cast<int>(seconds * 10) + 5);  // coalesced to the configured rate
    CHECK(last_progress[job] == doctest::Approx(1.0));                   // latest wins: the last one is 100 %
  }
  CHECK(s.log().find("too slow") == std::string::npos);
  CHECK(s.terminate() == 0);
}

namespace {

// A raw HTTP/1.1 GET read through a small receive window, at most `chunk` bytes per read with `pause` in
// between; de-chunks the body and hands every payload byte range to on_bytes. Returns the status.
struct SlowGet {
  int status = 0;
  std::string headers;
  std::uint64_t body_bytes = 0;
  bool complete = false;  // the last chunk arrived
};

SlowGet slow_get(int port, const std::string& target, const std::string& token, int rcvbuf, std::size_t chunk,
                 std::chrono::microseconds pause, const std::function<void(const char*, std::size_t)>& on_bytes,
                 const std::function<void()>& every_mib = {}) {
  SlowGet out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<unsigned short>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                    "\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  std::string buf;
  std::vector<char> tmp(chunk);
  bool header_done = false;
  std::uint64_t next_mib = 1 << 20;
  // De-chunking state: bytes left of the current chunk's data (then its CRLF).
  std::uint64_t left = 0;
  bool in_data = false;
  for (;;) {
    auto n = ::recv(fd, tmp.data(), tmp.size(), 0);
    if (n <= 0) break;
    buf.append(tmp.data(), static_cast<std::size_t>(n));
    if (!header_done) {
      auto end = buf.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      out.headers = buf.substr(0, end + 2);
      out.status = std::stoi(out.headers.substr(9, 3));
      buf.erase(0, end + 4);
      header_done = true;
      if (out.status != 200) break;
    }
    for (;;) {
      if (in_data) {
        auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        on_bytes(buf.data(), take);
        out.body_bytes += take;
        left -= take;
        buf.erase(0, take);
        if (left > 0) break;
        if (buf.size() < 2) break;
        buf.erase(0, 2);  // CRLF after the data
        in_data = false;
        continue;
      }
      auto eol = buf.find("\r\n");
      if (eol == std::string::npos) break;
      left = std::stoull(buf.substr(0, eol), nullptr, 16);
      buf.erase(0, eol + 2);
      if (left == 0) {
        out.complete = true;
        break;
      }
      in_data = true;
    }
    if (out.complete) break;
    if (every_mib && out.body_bytes >= next_mib) {
      every_mib();
      next_mib += 1 << 20;
    }
    std::this_thread::sleep_for(pause);
  }
  ::close(fd);
  return out;
}

// Checks streamed bytes against the demo job's pattern, chunk by chunk.
struct PatternCheck {
  int chunk_bytes;
  std::uint64_t offset = 0;
  std::uint64_t bad = 0;
  void operator()(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i, ++offset) {
      auto seq = static_cast<std::int64_t>(offset / static_cast<std::uint64_t>(chunk_bytes)) + 1;
      auto k = static_cast<std::int64_t>(offset % static_cast<std::uint64_t>(chunk_bytes));
      if (static_cast<unsigned char>(p[i]) != static_cast<unsigned char>((seq * 7 + k) & 0xff)) ++bad;
    }
  }
};

}  // namespace

TEST_CASE("a job's chunk stream follows the job while it runs and ends when it has ended") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto [id, token] = s.signup_login("streamer");
  auto job = submit(s, token, {{"steps", 10}, {"stepMs", 100}, {"chunks", 20}, {"chunkBytes", 1000}});
  PatternCheck check{1000};
  auto got = slow_get(s.port(), "/api/jobs/" + job + "/chunks", token, 1 << 16, 4096, 0us, std::ref(check));
  CHECK(got.status == 200);
  CHECK(got.headers.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(got.headers.find("application/octet-stream") != std::string::npos);
  CHECK(got.complete);
  CHECK(got.body_bytes == 20 * 1000);  // all of them: the stream waited for the chunks still to come
  CHECK(check.bad == 0);
  CHECK(s.get("/api/jobs/" + job, token).json()["state"] == "succeeded");

  // From a seq: only the chunks after it.
  PatternCheck tail{1000};
  tail.offset = 15 * 1000;
  auto rest = slow_get(s.port(), "/api/jobs/" + job + "/chunks?fromSeq=15", token, 1 << 16, 4096, 0us, std::ref(tail));
  CHECK(rest.complete);
  CHECK(rest.body_bytes == 5 * 1000);
  CHECK(tail.bad == 0);
  // Bad input names the field; another account's job is not yours.
  auto bad = s.get("/api/jobs/" + job + "/chunks?fromSeq=-1", token);
  CHECK(bad.status == 400);
  CHECK(bad.json()["errors"].contains("fromSeq"));
  auto [oid, other] = s.signup_login("stranger");
  CHECK(s.get("/api/jobs/" + job + "/chunks", other).status == 403);
  CHECK(s.terminate() == 0);
}

TEST_CASE("a streamed response read slowly keeps the server's memory bounded") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto [id, token] = s.signup_login("sipper");
  constexpr int kChunkBytes = 1 << 20;
  constexpr int kChunks = 256;  // 256 MiB
  auto job = submit(s, token, {{"steps", 4}, {"stepMs", 0}, {"chunks", kChunks}, {"chunkBytes", kChunkBytes}});
  wait_job(s, job, token, [](const json& j) { return j["state"] == "succeeded"; }, 120s);
  const int pid = server_pid(dir.str());
  const long before = rss_kib(pid);
  REQUIRE(before > 0);
  long peak = before;
  PatternCheck check{kChunkBytes};
  auto got = slow_get(
      s.port(), "/api/jobs/" + job + "/chunks", token, /*rcvbuf=*/64 * 1024, /*chunk=*/64 * 1024, 500us,
      std::ref(check), [&] { peak = std::max(peak, rss_kib(pid)); });
  CHECK(got.status == 200);
  CHECK(got.complete);
  CHECK(got.body_bytes == static_cast<std::uint64_t>(kChunks) * kChunkBytes);
  CHECK(check.bad == 0);
  MESSAGE("server RSS before " << before / 1024 << " MiB, peak while streaming " << peak / 1024 << " MiB");
  CHECK(peak - before < 48 * 1024);  // far below the 256 MiB it sent
  CHECK(s.terminate() == 0);
}

TEST_CASE("event path input: bad fromSeq and demo payload bounds are refused naming the field") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto [id, token] = s.signup_login("picky");
  auto expect_field = [&](const json& payload, const std::string& field) {
    auto r = s.post("/api/jobs", {{"kind", "demo"}, {"payload", payload}}, token);
    CAPTURE(payload.dump());
    CHECK(r.status == 400);
    CHECK(r.json()["errors"].contains(field));
  };
  expect_field({{"progressCalls", 0}}, "payload.progressCalls");
  expect_field({{"progressCalls", cadenza::jobs::kDemoMaxProgressCalls + 1}}, "payload.progressCalls");
  expect_field({{"steps", 10000}, {"stepMs", 0}, {"progressCalls", 10000}}, "payload.progressCalls");
  expect_field({{"chunks", -1}}, "payload.chunks");
  expect_field({{"chunkBytes", 0}}, "payload.chunkBytes");
  expect_field({{"chunkBytes", "big"}}, "payload.chunkBytes");
  expect_field({{"chunks", 100000}, {"chunkBytes", 1 << 20}}, "payload.chunkBytes");

  auto job = submit(s, token, {{"steps", 1}, {"stepMs", 0}});
  WsClient ws(s.port(), token);
  REQUIRE(ws.next());
  for (const json& bad : {json(-1), json("3"), json(1.5), json(nullptr)}) {
    ws.send({{"type", "subscribe"}, {"jobId", job}, {"fromSeq", bad}});
    auto m = ws.until([](const json& x) { return x["type"] == "error" || x["type"] == "subscribed"; }, 5s);
    REQUIRE(m);
    CHECK((*m)["type"] == "error");
    CHECK((*m)["message"].get<std::string>().find("fromSeq") != std::string::npos);
  }
  // A resume point past the end replays nothing and is answered.
  ws.send({{"type", "subscribe"}, {"jobId", job}, {"fromSeq", 1000}});
  auto replayed = ws.until([](const json& x) { return x["type"] == "replayed"; }, 5s);
  REQUIRE(replayed);
  CHECK((*replayed)["count"] == 0);
  CHECK(s.terminate() == 0);
}

TEST_CASE("chunks over the WebSocket: a text frame per chunk, then its bytes as a binary frame, in pages") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "ws.send_queue_limit=24"});  // pages of (24 - 8) / 2 = 8 chunks
  auto [id, token] = s.signup_login("framer");
  auto job = submit(s, token, {{"steps", 1}, {"stepMs", 0}, {"chunks", 12}, {"chunkBytes", 300}});
  wait_job(s, job, token, [](const json& j) { return j["state"] == "succeeded"; });
  WsClient ws(s.port(), token);
  REQUIRE(ws.next());
  std::int64_t from = 0;
  std::vector<int> pages;
  for (bool more = true; more;) {
    ws.send({{"type", "chunks"}, {"jobId", job}, {"fromSeq", from}});
    int in_page = 0;
    for (;;) {
      auto m = ws.until([](const json& x) { return x["type"] == "chunk" || x["type"] == "chunks.end"; }, 5s);
      REQUIRE(m);
      if ((*m)["type"] == "chunks.end") {
        CHECK((*m)["lastSeq"] == from);
        more = (*m)["more"].get<bool>();
        break;
      }
      auto seq = (*m)["seq"].get<std::int64_t>();
      CHECK(seq == from + 1);
      CHECK((*m)["size"] == 300);
      CHECK((*m)["meta"]["index"] == seq - 1);
      auto bin = ws.next(5s);
      REQUIRE(bin);
      REQUIRE((*bin)["type"] == "binary");
      const auto& bytes = (*bin)["bytes"].get_binary();
      REQUIRE(bytes.size() == 300);
      std::uint64_t bad = 0;
      for (std::size_t k = 0; k < bytes.size(); ++k)
        bad += bytes[k] != static_cast<std::uint8_t>((seq * 7 + static_cast<std::int64_t>(k)) & 0xff);
      CHECK(bad == 0);
      from = seq;
      ++in_page;
    }
    pages.push_back(in_page);
  }
  CHECK(from == 12);
  CHECK(pages == std::vector<int>{8, 4});
  auto [oid, other] = s.signup_login("nosy");
  WsClient nosy(s.port(), other);
  REQUIRE(nosy.next());
  nosy.send({{"type", "chunks"}, {"jobId", job}});
  auto refused = nosy.next();
  REQUIRE(refused);
  CHECK((*refused)["type"] == "error");
  CHECK(s.terminate() == 0);
}
