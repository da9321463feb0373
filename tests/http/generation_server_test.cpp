// Generation against the real server: GET /stream read while the version is generated (chunked transfer, one
// Ogg/Opus stream), one job.chunk event per chunk on the owner's WebSocket, and a restart in the middle of a
// version: it is `interrupted`, what it stored stays playable, and its requeued job does not make it again.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "cadenza/audio/decode.hpp"
#include "test_server.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json wait_version(const ServerProcess& s, const std::string& id, const std::string& token,
                  const std::function<bool(const json&)>& done, std::chrono::seconds timeout = 120s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto v = s.get("/api/versions/" + id, token).json();
    if (done(v)) return v;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
}

bool final_status(const json& v) {
  const auto st = v.value("status", "");
  return st != "queued" && st != "running";
}

}  // namespace

TEST_CASE("generation (real server): the stream plays while it is made; a job.chunk event per chunk") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto [alice_id, alice] = s.signup_login("alice");
  WsClient ws(s.port(), alice);
  REQUIRE(ws.until([](const json& m) { return m.value("type", "") == "hello"; }));
  const auto pid = s.post("/api/projects", {{"name", "Live"}}, alice).json()["id"].get<std::string>();
  auto v = s.post("/api/projects/" + pid + "/versions", {{"prompt", "lively reel"}, {"bars", 24}, {"seed", 5}}, alice);
  REQUIRE(v.status == 202);
  const auto vid = v.json()["versionId"].get<std::string>();
  // Read at once: the stream waits for the chunks still to come and ends when the version has.
  auto stream = s.get("/api/versions/" + vid + "/stream?token=" + alice);
  REQUIRE(stream.status == 200);
  CHECK(stream.header("content-type") == "audio/ogg");
  auto done = wait_version(s, vid, alice, final_status);
  CHECK(done["status"] == "succeeded");
  auto decoded = audio::decode_bytes(stream.body);
  CHECK(decoded.duration_s() * 1000 == doctest::Approx(done["durationMs"].get<double>()).epsilon(0.01));
  // The same bytes as the download of the stored chunks (a replay of a finished version too).
  CHECK(s.get("/api/versions/" + vid + "/download?format=ogg", alice).body == stream.body);
  CHECK(s.get("/api/versions/" + vid + "/stream", alice).body == stream.body);

  // One job.chunk per chunk, in order, their durations adding up.
  std::int64_t seen = 0, total_ms = 0, last_event = 0;
  const auto chunks = done["chunkCount"].get<std::int64_t>();
  while (seen < chunks) {
    auto m = ws.until([&](const json& x) { return x.value("type", "") == "job.chunk"; }, 20s);
    REQUIRE(m);
    CHECK((*m)["job"]["id"] == done["jobId"]);
    CHECK((*m)["seq"].get<std::int64_t>() > last_event);
    last_event = (*m)["seq"].get<std::int64_t>();
    CHECK((*m)["chunk"]["versionId"] == vid);
    CHECK((*m)["chunk"]["seq"] == seen + 1);
    total_ms += (*m)["chunk"]["durationMs"].get<std::int64_t>();
    ++seen;
    CHECK((*m)["chunk"]["last"] == (seen == chunks));
  }
  CHECK(total_ms == done["durationMs"].get<std::int64_t>());
  CHECK(s.terminate() == 0);
}

TEST_CASE("generation (real server): a restart interrupts a version and keeps what it stored") {
  TempDir dir;
  auto server = std::make_unique<ServerProcess>(dir.str());
  auto [alice_id, alice] = server->signup_login("alice");
  const auto pid = server->post("/api/projects", {{"name", "Long"}}, alice).json()["id"].get<std::string>();
  auto v = server->post("/api/projects/" + pid + "/versions",
                        {{"prompt", "slow chorale"}, {"controls", {{"tempo_bpm", 40}}}, {"bars", 256}, {"seed", 2}}, alice);
  REQUIRE(v.status == 202);
  const auto vid = v.json()["versionId"].get<std::string>();
  wait_version(*server, vid, alice, [](const json& x) { return x["chunkCount"].get<int>() >= 3; });
  server->kill9();
  server.reset();
  ServerProcess again(dir.str());
  auto after = again.get("/api/versions/" + vid, alice).json();
  CHECK(after["status"] == "interrupted");
  const auto stored = after["chunkCount"].get<int>();
  CHECK(stored >= 3);
  auto ogg = again.get("/api/versions/" + vid + "/download?format=ogg", alice);
  REQUIRE(ogg.status == 200);
  CHECK(audio::decode_bytes(ogg.body).duration_s() * 1000 == doctest::Approx(after["durationMs"].get<double>()).epsilon(0.02));
  // The requeued job sees the version interrupted and ends without making more.
  const auto job_id = after["jobId"].get<std::string>();
  json job;
  for (int i = 0; i < 500; ++i) {
    job = again.get("/api/jobs/" + job_id, alice).json();
    if (job["state"] == "succeeded" || job["state"] == "failed") break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(job["state"] == "succeeded");
  CHECK(job["result"]["interrupted"] == true);
  std::this_thread::sleep_for(200ms);
  auto later = again.get("/api/versions/" + vid, alice).json();
  CHECK(later["status"] == "interrupted");
  CHECK(later["chunkCount"] == stored);
  // What it played is its notes: MIDI and a score download, and `continue` resumes it.
  CHECK(later["barCount"].get<int>() >= 1);
  auto mid = again.get("/api/versions/" + vid + "/download?format=mid", alice);
  REQUIRE(mid.status == 200);
  CHECK(mid.body.substr(0, 4) == "MThd");
  auto resumed = again.post("/api/projects/" + pid + "/versions",
                            {{"mode", "continue"}, {"parentVersionId", vid}, {"bars", 2}, {"seed", 3}}, alice);
  REQUIRE(resumed.status == 202);
  const auto rid = resumed.json()["versionId"].get<std::string>();
  auto rdone = wait_version(again, rid, alice, final_status);
  CHECK(rdone["status"] == "succeeded");
  CHECK(rdone["barCount"].get<int>() > later["barCount"].get<int>());
  CHECK(rdone["barCount"].get<int>() <= later["barCount"].get<int>() + 2);
  CHECK(again.terminate() == 0);
}
