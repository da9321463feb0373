// Generation: projects and versions end to end in-process (the real generate job: the committed Markov model,
// FluidSynth, Ogg/Opus, the chunk store): create, list, rename, another account's 404, a version streamed in
// chunks (the first ~0.2 s), controls over the prompt, a prompt with nothing usable, continue, the chunks long
// poll, the stream route's producer, downloads, cancel, and delete removing every chunk.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cadenza/audio/decode.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/generate/generator_training.hpp"
#include "cadenza/ml/generator_net.hpp"
#include "cadenza/store/chunk_repo.hpp"
#include "cadenza/store/version_repo.hpp"
#include "support/in_process.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json wait_final(const InProcess& s, const std::string& id, const std::string& token,
                std::chrono::seconds timeout = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto r = s.get("/api/versions/" + id, token);
    REQUIRE(r.status == 200);
    auto v = r.json();
    const auto st = v["status"].get<std::string>();
    if (st != "queued" && st != "running") return v;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
}

std::string all_chunks(const InProcess& s, const std::string& id, const std::string& token, int* count = nullptr,
                       json* first = nullptr) {
  std::string out;
  std::int64_t after = 0;
  int n = 0;
  while (true) {
    auto r = s.get("/api/versions/" + id + "/chunks?after=" + std::to_string(after), token);
    REQUIRE(r.status == 200);
    auto j = r.json();
    for (const auto& c : j["chunks"]) {
      if (first && n == 0) *first = c;
      out += crypto::base64url_decode(c["bytes"].get<std::string>());
      CHECK(c["seq"].get<std::int64_t>() == after + 1);
      after = c["seq"].get<std::int64_t>();
      ++n;
    }
    if (j["chunks"].empty() || j["done"].get<bool>()) break;
  }
  if (count) *count = n;
  return out;
}

}  // namespace

TEST_CASE("generation: projects are an account's own; a version streams Ogg/Opus chunks and downloads") {
  InProcess s;
  auto alice = s.sign_up("alice"), bob = s.sign_up("bob");
  auto created = s.post("/api/projects", {{"name", "Evening tunes"}}, alice.token);
  REQUIRE(created.status == 201);
  const auto pid = created.json()["id"].get<std::string>();
  CHECK(s.post("/api/projects", json::object(), alice.token).status == 400);
  CHECK(s.get("/api/projects", alice.token).json()["total"] == 1);
  CHECK(s.get("/api/projects", bob.token).json()["total"] == 0);
  CHECK(s.get("/api/projects/" + pid, bob.token).status == 404);
  CHECK(s.post("/api/projects/" + pid + "/versions", {{"prompt", "x"}}, bob.token).status == 404);
  auto renamed = s.patch("/api/projects/" + pid, {{"name", "Night tunes"}}, alice.token);
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json()["name"] == "Night tunes");

  // Validation names each bad field.
  auto bad = s.post("/api/projects/" + pid + "/versions",
                    {{"prompt", "folk"}, {"controls", {{"tempo_bpm", -5}}}, {"mode", "continue"}}, alice.token);
  REQUIRE(bad.status == 400);
  CHECK(bad.body.find("controls.tempo_bpm") != std::string::npos);
  CHECK(bad.body.find("parentVersionId") != std::string::npos);

  // controls override the prompt's; the answer is immediate.
  const auto t0 = std::chrono::steady_clock::now();
  auto v = s.post("/api/projects/" + pid + "/versions",
                  {{"prompt", "calm folk tune in D minor, 90 bpm"}, {"controls", {{"key", "E"}}}, {"bars", 8}, {"seed", 42}},
                  alice.token);
  REQUIRE(v.status == 202);
  const auto vid = v.json()["versionId"].get<std::string>();
  CHECK(v.json()["controls"]["key"] == "E");
  CHECK(v.json()["controls"]["mode"] == "minor");
  CHECK(v.json()["controls"]["tempo_bpm"] == 90);
  CHECK(v.json()["controls"]["bars"] == 8);
  CHECK(v.json()["nothingUsable"] == false);
  CHECK(!v.json()["understood"].empty());
  // The first chunk, long-polled.
  auto first = s.get("/api/versions/" + vid + "/chunks?after=0&wait=10000", alice.token);
  const double first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(first.status == 200);
  REQUIRE(!first.json()["chunks"].empty());
  MESSAGE("POST -> first chunk seen by a long poll: " << first_ms << " ms");
  CHECK(first.json()["chunks"][0]["seq"] == 1);
  CHECK(first.json()["chunks"][0]["durationMs"] == 200);
  CHECK(s.get("/api/versions/" + vid, bob.token).status == 404);

  auto done = wait_final(s, vid, alice.token);
  CHECK(done["status"] == "succeeded");
  CHECK(done["projectId"] == pid);
  CHECK(done["parentVersionId"].is_null());
  const auto duration_ms = done["durationMs"].get<std::int64_t>();
  // 8 bars of 4/4 at 90 bpm: 21.3 s, plus the tail; the last notes may end early
  CHECK(duration_ms > 15000);
  CHECK(duration_ms < 25000);
  int count = 0;
  json first_chunk;
  const auto ogg = all_chunks(s, vid, alice.token, &count, &first_chunk);
  CHECK(count == done["chunkCount"].get<int>());
  CHECK(count > 20);
  CHECK(ogg.substr(0, 4) == "OggS");
  auto decoded = audio::decode_bytes(ogg);
  CHECK(decoded.duration_s() * 1000 == doctest::Approx(double(duration_ms)).epsilon(0.01));
  // every chunk prefix is playable: the first chunk alone decodes to its 0.2 s
  auto head = audio::decode_bytes(crypto::base64url_decode(first_chunk["bytes"].get<std::string>()));
  CHECK(head.duration_s() == doctest::Approx(0.2).epsilon(0.05));
  float peak = 0;
  for (float x : decoded.mono) peak = std::max(peak, std::abs(x));
  CHECK(peak > 0.05f);  // music, not silence

  // The job ends succeeded right after its version, with what it made as its result.
  json job;
  for (int i = 0; i < 500; ++i) {
    job = s.get("/api/jobs/" + done["jobId"].get<std::string>(), alice.token).json();
    if (job["state"] != "running") break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(job["state"] == "succeeded");
  CHECK(job["result"]["chunks"] == count);
  CHECK(job["result"]["versionId"] == vid);

  // The latency again with the synth warm (the process's first stream loads the soundfont), and the same
  // seed and controls: the same notes.
  const auto t1 = std::chrono::steady_clock::now();
  auto again = s.post("/api/projects/" + pid + "/versions",
                      {{"prompt", "calm folk tune in D minor, 90 bpm"}, {"controls", {{"key", "E"}}}, {"bars", 8}, {"seed", 42}},
                      alice.token);
  REQUIRE(again.status == 202);
  const auto aid = again.json()["versionId"].get<std::string>();
  auto afirst = s.get("/api/versions/" + aid + "/chunks?after=0&wait=10000", alice.token);
  const double warm_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  REQUIRE(!afirst.json()["chunks"].empty());
  MESSAGE("POST -> first chunk seen by a long poll, synth warm: " << warm_ms << " ms");
  CHECK(warm_ms < 2000);  // a fraction of a second on an idle machine; generous for a shared one
  CHECK(wait_final(s, aid, alice.token)["status"] == "succeeded");
  CHECK(s.get("/api/versions/" + aid + "/download?format=mid", alice.token).body ==
        s.get("/api/versions/" + vid + "/download?format=mid", alice.token).body);

  // Downloads.
  auto dl_ogg = s.get("/api/versions/" + vid + "/download?format=ogg", alice.token);
  REQUIRE(dl_ogg.status == 200);
  CHECK(dl_ogg.body == ogg);
  CHECK(dl_ogg.header("content-disposition").find("Night tunes.ogg") != std::string::npos);
  auto mid = s.get("/api/versions/" + vid + "/download?format=mid", alice.token);
  REQUIRE(mid.status == 200);
  CHECK(mid.body.substr(0, 4) == "MThd");
  auto xml = s.get("/api/versions/" + vid + "/download?format=musicxml", alice.token);
  REQUIRE(xml.status == 200);
  CHECK(xml.body.find("<score-partwise") != std::string::npos);
  CHECK(xml.body.find("<beats>4</beats>") != std::string::npos);
  CHECK(xml.body.find("per-minute>90") != std::string::npos);
  auto wav = s.get("/api/versions/" + vid + "/download?format=wav", alice.token);
  REQUIRE(wav.status == 200);
  CHECK(wav.body.substr(0, 4) == "RIFF");
  CHECK(audio::decode_bytes(wav.body).duration_s() == doctest::Approx(decoded.duration_s()).epsilon(0.01));
  CHECK(s.get("/api/versions/" + vid + "/download?format=svg", alice.token).status == 400);
  // The score in the key, meter and tempo it was made in (E minor: one sharp).
  CHECK(xml.body.find("<fifths>1</fifths>") != std::string::npos);
  CHECK(xml.body.find("<mode>minor</mode>") != std::string::npos);
  // PDF: a version_pdf job started when the version succeeded renders it; 202 until it is stored.
  {
    CHECK(done["pdf"] != "none");
    HttpResult pdf;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    int waits = 0;
    while (true) {
      pdf = s.get("/api/versions/" + vid + "/download?format=pdf", alice.token);
      if (pdf.status != 202) break;
      CHECK(pdf.header("retry-after") == "2");
      CHECK(pdf.json()["status"] == "rendering");
      ++waits;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(100ms);
    }
    REQUIRE(pdf.status == 200);
    CHECK(pdf.body.substr(0, 5) == "%PDF-");
    CHECK(pdf.header("content-type") == "application/pdf");
    CHECK(s.get("/api/versions/" + vid, alice.token).json()["pdf"] == "ready");
    MESSAGE("PDF ready after " << waits << " polls of 100 ms");
  }
  // Every note went out with the chunk it starts in, in order: together they are the version's notes.
  {
    std::size_t chunk_notes = 0;
    double last_start = -1;
    bool ordered = true, inside = true;
    std::int64_t after = 0;
    while (true) {
      auto j = s.get("/api/versions/" + vid + "/chunks?after=" + std::to_string(after), alice.token).json();
      for (const auto& c : j["chunks"]) {
        const double from = c["startMs"].get<double>() / 1000, to = from + c["durationMs"].get<double>() / 1000;
        for (const auto& n : c["notes"]) {
          const double st = n["start"].get<double>();
          ordered = ordered && st >= last_start;
          inside = inside && (c["last"].get<bool>() || (st >= from - 1e-6 && st < to + 1e-6));
          last_start = st;
          ++chunk_notes;
        }
        after = c["seq"].get<std::int64_t>();
      }
      if (j["chunks"].empty() || j["done"].get<bool>()) break;
    }
    CHECK(ordered);
    CHECK(inside);
    CHECK(chunk_notes == job["result"]["notes"].get<std::size_t>());
    CHECK(chunk_notes > 10);
  }
  CHECK(s.get("/api/versions/" + vid + "/download?format=mid", bob.token).status == 404);
  CHECK(s.get("/api/versions/" + vid + "/download?format=mid").status == 401);

  // The stream route: its producer gives the chunks' bytes in order, then ends (a finished version replays).
  {
    http::Request req;
    req.method = "GET";
    req.set_target("/api/versions/" + vid + "/stream?token=" + alice.token);
    req.request_id = new_uuid();
    req.remote = "127.0.0.1";
    auto res = http::dispatch(s.app(), req);
    REQUIRE(res.status == 200);
    CHECK(res.content_type == "audio/ogg");
    REQUIRE(res.producer);
    std::string body;
    for (int i = 0; i < 100000; ++i) {
      auto piece = res.producer();
      body += piece.data;
      if (piece.last) break;
    }
    CHECK(body == ogg);
  }

  // continue: the parent's notes, then more bars; the whole longer piece.
  auto c = s.post("/api/projects/" + pid + "/versions",
                  {{"prompt", ""}, {"mode", "continue"}, {"parentVersionId", vid}, {"bars", 4}, {"seed", 7}}, alice.token);
  REQUIRE(c.status == 202);
  CHECK(c.json()["controls"]["key"] == "E");  // the parent's controls
  CHECK(c.json()["nothingUsable"] == true);
  CHECK(c.json().contains("message"));
  const auto cid = c.json()["versionId"].get<std::string>();
  auto cdone = wait_final(s, cid, alice.token);
  CHECK(cdone["status"] == "succeeded");
  CHECK(cdone["parentVersionId"] == vid);
  CHECK(cdone["mode"] == "continue");
  CHECK(cdone["durationMs"].get<std::int64_t>() > duration_ms + 3000);
  auto parent_mid = mid.body;
  auto child_mid = s.get("/api/versions/" + cid + "/download?format=mid", alice.token).body;
  CHECK(child_mid.size() > parent_mid.size());

  // vary: bars 3..5 of the 8 are sampled again; the others are the parent's, note for note.
  CHECK(done["barCount"] == 8);
  auto bad_bars = s.post("/api/projects/" + pid + "/versions",
                         {{"mode", "vary"}, {"parentVersionId", vid}, {"fromBar", 6}, {"toBar", 3}}, alice.token);
  CHECK(bad_bars.status == 400);
  CHECK(bad_bars.body.find("toBar") != std::string::npos);
  CHECK(s.post("/api/projects/" + pid + "/versions", {{"mode", "vary"}, {"parentVersionId", vid}, {"fromBar", 9}}, alice.token)
            .status == 400);
  CHECK(s.post("/api/projects/" + pid + "/versions", {{"fromBar", 2}}, alice.token).status == 400);
  auto vy = s.post("/api/projects/" + pid + "/versions",
                   {{"mode", "vary"}, {"parentVersionId", vid}, {"fromBar", 3}, {"toBar", 5}, {"seed", 8}}, alice.token);
  REQUIRE(vy.status == 202);
  const auto vyid = vy.json()["versionId"].get<std::string>();
  auto vdone = wait_final(s, vyid, alice.token);
  CHECK(vdone["status"] == "succeeded");
  CHECK(vdone["mode"] == "vary");
  CHECK(vdone["varied"] == json{{"fromBar", 3}, {"toBar", 5}});
  {
    // The notes by bar (ticks: 12 a quarter, 48 a 4/4 bar), from the stored versions.
    auto notes_of = [&](const std::string& id) {
      return store::version_repo::find(s.app().tenants.get(s.app().control.default_tenant().id), id, true)->notes;
    };
    auto outside = [](const json& notes, bool keep_inside) {
      json out = json::array();
      for (const auto& n : notes) {
        const auto bar = n[0].get<std::int64_t>() / 48;
        if ((bar >= 2 && bar <= 4) == keep_inside) out.push_back(n);
      }
      return out;
    };
    const auto parent_notes = notes_of(vid), varied_notes = notes_of(vyid);
    CHECK(outside(varied_notes, false) == outside(parent_notes, false));
    CHECK(!outside(varied_notes, true).empty());
    CHECK(outside(varied_notes, true) != outside(parent_notes, true));
  }
  // Without bars: the second half.
  auto vy2 = s.post("/api/projects/" + pid + "/versions", {{"mode", "vary"}, {"parentVersionId", vid}}, alice.token);
  REQUIRE(vy2.status == 202);
  auto v2done = wait_final(s, vy2.json()["versionId"].get<std::string>(), alice.token);
  CHECK(v2done["varied"] == json{{"fromBar", 5}, {"toBar", 8}});

  auto project = s.get("/api/projects/" + pid, alice.token).json();
  CHECK(project["versions"].size() == 5);
  CHECK(project["versionCount"] == 5);

  // Delete: the project, its versions, every chunk.
  auto& db = s.app().tenants.get(s.app().control.default_tenant().id);
  CHECK(store::chunk_repo::stats(db, vid).count == count);
  CHECK(s.del("/api/projects/" + pid, bob.token).status == 404);
  CHECK(s.del("/api/projects/" + pid, alice.token).status == 204);
  CHECK(s.get("/api/projects/" + pid, alice.token).status == 404);
  CHECK(s.get("/api/versions/" + vid, alice.token).status == 404);
  CHECK(store::chunk_repo::stats(db, vid).count == 0);
  CHECK(store::chunk_repo::stats(db, cid).count == 0);
}

TEST_CASE("generation: a cancelled version stops and keeps what it stored") {
  InProcess s;
  auto alice = s.sign_up("alice");
  const auto pid = s.post("/api/projects", {{"name", "Long"}}, alice.token).json()["id"].get<std::string>();
  auto v = s.post("/api/projects/" + pid + "/versions",
                  {{"prompt", "slow chorale"}, {"controls", {{"tempo_bpm", 40}}}, {"bars", 256}, {"seed", 1}}, alice.token);
  REQUIRE(v.status == 202);
  const auto vid = v.json()["versionId"].get<std::string>();
  auto first = s.get("/api/versions/" + vid + "/chunks?after=0&wait=10000", alice.token);
  REQUIRE(!first.json()["chunks"].empty());
  auto c = s.post("/api/versions/" + vid + "/cancel", json::object(), alice.token);
  REQUIRE(c.status == 200);
  auto done = wait_final(s, vid, alice.token);
  CHECK(done["status"] == "cancelled");
  CHECK(done["chunkCount"].get<int>() >= 1);
  // 256 bars at 40 bpm are 25 minutes: it stopped long before
  CHECK(done["durationMs"].get<std::int64_t>() < 25 * 60 * 1000);
  int count = 0;
  auto ogg = all_chunks(s, vid, alice.token, &count);
  CHECK(count == done["chunkCount"].get<int>());
  CHECK(audio::decode_bytes(ogg).duration_s() * 1000 == doctest::Approx(done["durationMs"].get<double>()).epsilon(0.02));
  CHECK(s.post("/api/versions/" + vid + "/cancel", json::object(), alice.token).status == 409);
}

TEST_CASE("generation: deleting a profile removes its projects, versions and their chunks") {
  InProcess s;
  auto alice = s.sign_up("alice");
  const auto pid = s.post("/api/projects", {{"name", "Mine"}}, alice.token).json()["id"].get<std::string>();
  auto v = s.post("/api/projects/" + pid + "/versions", {{"prompt", "waltz"}, {"bars", 4}, {"seed", 3}}, alice.token);
  REQUIRE(v.status == 202);
  const auto vid = v.json()["versionId"].get<std::string>();
  CHECK(wait_final(s, vid, alice.token)["status"] == "succeeded");
  auto& db = s.app().tenants.get(s.app().control.default_tenant().id);
  CHECK(store::chunk_repo::stats(db, vid).count > 0);
  auto deleted = s.del("/api/profiles/" + alice.id + "?cascade=true", alice.token);
  CHECK(deleted.status == 200);
  CHECK(store::chunk_repo::stats(db, vid).count == 0);
  auto left = db.read([&](store::Db& d) {
    return d.scalar_int64("SELECT (SELECT COUNT(*) FROM projects) + (SELECT COUNT(*) FROM versions)").value_or(-1);
  });
  CHECK(left == 0);
}

TEST_CASE("generation: the operator trains the generator as a training-lane job; nobody else may") {
  InProcess s([](config::Config& c) {
    c.generate.nottingham_dir = std::string(CADENZA_SOURCE_DIR) + "/../shared/datasets/nottingham/MIDI";
    c.generate.jsb_json = std::string(CADENZA_SOURCE_DIR) + "/../shared/datasets/jsb-chorales/jsb-chorales-16th.json";
  });
  auto alice = s.sign_up("alice");
  CHECK(s.post("/api/admin/generator/train", {{"tiny", true}}, alice.token).status == 403);
  const auto op = s.add_operator("root", "operator-password");
  CHECK(s.post("/api/admin/generator/train", {{"minutes", 1}, {"steps", 5}}, op).status == 400);
  CHECK(s.post("/api/admin/generator/train", {{"minutes", -1}}, op).status == 400);
  auto r = s.post("/api/admin/generator/train", {{"tiny", true}, {"steps", 3}}, op);
  REQUIRE(r.status == 202);
  const auto id = r.json()["job"]["id"].get<std::string>();
  json job;
  for (int i = 0; i < 3000; ++i) {
    job = s.get("/api/jobs/" + id, op).json();
    if (job["state"] != "queued" && job["state"] != "running") break;
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["steps"] == 3);
  const auto file = job["result"]["file"].get<std::string>();
  CHECK(file.find("generator-" + id + ".bin") != std::string::npos);
  CHECK(std::filesystem::file_size(file) > 1000);
  CHECK(job["result"]["validNll"]["perNote"].get<double>() > 0);
  // Its file loads as the weights the streams can use.
  CHECK(ml::GeneratorNet::load(file).config() == generate::generator_config(generate::GeneratorSize::Tiny));
}
