// WebSocket clients that misbehave (write without reading, read slowly, send in bursts) are disconnected
// alone: the server and every other client go on. Real sockets against the real server, many times over.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string submit_demo(const ServerProcess& s, const std::string& token, int steps, int step_ms) {
  auto r = s.post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", steps}, {"stepMs", step_ms}}}}, token);
  REQUIRE(r.status == 202);
  return r.json()["job"]["id"].get<std::string>();
}

// The server still answers HTTP and a well-behaved WebSocket client.
void server_is_fine(const ServerProcess& s, const std::string& token) {
  REQUIRE(s.get("/api/health").status == 200);
  WsClient good(s.port(), token);
  REQUIRE(good.next(5s));  // hello
  good.send({{"type", "ping"}});
  auto pong = good.until([](const json& m) { return m["type"] == "pong"; }, 5s);
  REQUIRE(pong);
}

}  // namespace

TEST_CASE("a client that writes a burst and never reads is dropped alone, every time") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "ws.send_queue_limit=16"});
  auto [id, token] = s.signup_login("burster");
  auto job = submit_demo(s, token, 1, 0);
  // Each subscribe answers with two messages carrying the whole job: the answers outgrow the buffers fast.
  auto subscribe = json{{"type", "subscribe"}, {"jobId", job}}.dump();
  for (int round = 0; round < 12; ++round) {
    CAPTURE(round);
    WsClient rude(s.port(), token, false, /*rcvbuf=*/2048);
    rude.burst(subscribe, 4000, 20s);
    server_is_fine(s, token);
  }
  CHECK(s.log().find("too slow") != std::string::npos);
  CHECK(s.terminate() == 0);  // a crash would have ended it already (or ends it now with a signal)
}

TEST_CASE("a slow reader whose own jobs report progress as fast as they can is not dropped: progress is coalesced") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "ws.send_queue_limit=16"});
  auto [id, token] = s.signup_login("sloth");
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    WsClient slow(s.port(), token, false, /*rcvbuf=*/2048);
    // As many progress reports as the workers can make (tens of MB as events before coalescing); what goes
    // out is at most jobs.progress_events_per_s a second per job, plus the state events.
    for (int j = 0; j < 4; ++j) submit_demo(s, token, 10000, 0);
    bool dropped = slow.read_slowly(16, 20ms, 3s);
    CHECK_FALSE(dropped);
    server_is_fine(s, token);
  }
  CHECK(s.log().find("too slow") == std::string::npos);
  CHECK(s.terminate() == 0);
}

TEST_CASE("a client that reads but sends in bursts is served or dropped, never a crash") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "ws.send_queue_limit=8"});
  auto [id, token] = s.signup_login("gusty");
  auto ping = json{{"type", "ping"}}.dump();
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    WsClient gusty(s.port(), token);
    gusty.burst(ping, 500, 10s);
    gusty.read_slowly(1 << 16, 1ms, 200ms);
    gusty.burst(ping, 500, 10s);
  }
  server_is_fine(s, token);
  CHECK(s.terminate() == 0);
}

TEST_CASE("deleting an account or revoking its API key closes its open WebSockets") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto [gone_id, gone] = s.signup_login("leaving");
  auto [stay_id, stay] = s.signup_login("staying");
  WsClient leaving(s.port(), gone);
  WsClient staying(s.port(), stay);
  REQUIRE(leaving.next(5s));
  REQUIRE(staying.next(5s));
  REQUIRE(s.del("/api/profiles/" + gone_id, gone).status == 200);
  CHECK(leaving.closed_within(4s));
  staying.send({{"type", "ping"}});
  CHECK(staying.until([](const json& m) { return m["type"] == "pong"; }, 5s));

  auto key = s.post("/api/auth/api-keys", {{"name", "bot"}}, stay);
  REQUIRE(key.status == 201);
  WsClient bot(s.port(), key.json()["key"].get<std::string>(), /*header_auth=*/true);
  REQUIRE(bot.next(5s));
  REQUIRE(s.del("/api/auth/api-keys/" + key.json()["id"].get<std::string>(), stay).status == 204);
  CHECK(bot.closed_within(4s));
  CHECK(s.log().find("credentials revoked") != std::string::npos);
  CHECK(s.terminate() == 0);
}
