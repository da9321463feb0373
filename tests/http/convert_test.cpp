// The convert job kind end to end, in process: a WAV uploaded with POST /api/files, a convert job on it
// through POST /api/jobs, the real Basic Pitch net and notation engine (and LilyPond for the PDF), the
// outputs as blobs with signed links in the job's result, owned by the profile (gone with it).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iterator>

#include "pipeline/pipeline_fixture.hpp"
#include "support/in_process.hpp"
#include "test_server.hpp"  // wait_job

using namespace cadenza::test;
using nlohmann::json;

namespace {

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

auto state_in(std::initializer_list<const char*> states) {
  std::vector<std::string> want(states.begin(), states.end());
  return [want](const json& j) { return std::find(want.begin(), want.end(), j.value("state", "")) != want.end(); };
}

}  // namespace

TEST_CASE("convert: an uploaded WAV becomes a score per arrangement (MusicXML, MIDI, PDF) with signed links") {
  InProcess s;
  auto [alice_id, alice] = s.signup_login("alice");
  auto [bob_id, bob] = s.signup_login("bob");
  TempDir dir;
  // C4 E4 G4 C5 G4 C4: the notes the score must hold.
  auto wav = pipeline_test::write_tones(dir.path() / "arpeggio.wav", {{60, 0.5}, {64, 0.5}, {67, 0.5}, {72, 0.5}, {67, 0.5}, {60, 1}});
  auto up = s.upload("/api/files", alice, file_bytes(wav), "audio/wav");
  REQUIRE(up.status == 201);
  const auto file_id = up.json()["id"].get<std::string>();

  auto submitted = s.post("/api/jobs",
                          {{"kind", "convert"},
                           {"payload", {{"fileId", file_id}, {"arrangements", {"piano", "transcription"}}, {"title", "Arpeggio"}}}},
                          alice);
  REQUIRE(submitted.status == 202);
  const auto id = submitted.json()["job"]["id"].get<std::string>();
  CHECK(s.get("/api/jobs/" + id, bob).status == 403);  // same tenant, not the owner

  auto job = wait_job(s, id, alice, state_in({"succeeded", "failed", "cancelled"}), std::chrono::seconds(180));
  REQUIRE_MESSAGE(job["state"] == "succeeded", job.dump());
  const auto& result = job["result"];
  CHECK(result["notes"] == 6);
  CHECK(result["audioSeconds"].get<double>() == doctest::Approx(4.5).epsilon(0.05));
  REQUIRE(result["outputs"].size() == 2);
  CHECK(result["outputs"][0]["type"] == "piano");
  CHECK(result["outputs"][1]["type"] == "transcription");
  std::vector<std::string> urls;
  for (const auto& out : result["outputs"]) {
    std::vector<std::string> names;
    for (const auto& f : out["files"]) {
      names.push_back(f["name"]);
      auto got = s.get(f["url"].get<std::string>());
      REQUIRE(got.status == 200);
      CHECK(got.body.size() == f["size"].get<std::size_t>());
      if (f["name"] == "score.musicxml") {
        CHECK(got.body.find("<score-partwise") != std::string::npos);
        CHECK(got.body.find("<work-title>Arpeggio</work-title>") != std::string::npos);
        for (const char* step : {"<step>C</step>", "<step>E</step>", "<step>G</step>"})
          CHECK(got.body.find(step) != std::string::npos);
      }
      if (f["name"] == "score.mid") CHECK(got.body.rfind("MThd", 0) == 0);
      if (f["name"] == "score.pdf") CHECK(got.body.rfind("%PDF-", 0) == 0);
      if (f["name"] == "score.ogg") CHECK(got.body.find("OpusHead") != std::string::npos);
      urls.push_back(f["url"].get<std::string>());
    }
    CHECK(names == std::vector<std::string>{"score.musicxml", "score.mid", "score.pdf", "score.ogg"});
  }

  // The outputs belong to the profile: deleting it removes them (the upload too).
  REQUIRE(s.del("/api/profiles/" + alice_id + "?cascade=true", alice).status == 200);
  for (const auto& url : urls) CHECK(s.get(url).status == 404);
}

TEST_CASE("convert: a bad payload, or a file that is not the tenant's, is a 400 at submit naming the field") {
  InProcess s;
  auto [id, token] = s.signup_login("carl");
  auto bad = s.post("/api/jobs", {{"kind", "convert"}, {"payload", {{"fileId", "abc"}, {"arrangements", {"jazz"}}, {"x", 1}}}}, token);
  REQUIRE(bad.status == 400);
  auto errors = bad.json()["errors"];
  CHECK(errors.contains("payload.fileId"));
  CHECK(errors.contains("payload.arrangements[0]"));
  CHECK(errors["payload.x"] == "unknown field");
  CHECK(s.post("/api/jobs", {{"kind", "convert"}, {"payload", json::object()}}, token).json()["errors"]["payload.fileId"] ==
        "one of fileId, audioUrl and youtubeLink is required");

  auto missing = s.post("/api/jobs", {{"kind", "convert"}, {"payload", {{"fileId", std::string(64, 'a')}}}}, token);
  CHECK(missing.status == 400);
  CHECK(missing.json()["errors"].value("payload.fileId", "").find("no uploaded file") == 0);
  // Another tenant's file is not there either.
  auto admin = s.add_operator("root", "root-password");
  auto tenant = s.post("/api/tenants", {{"name", "Elsewhere"}}, admin).json()["tenantId"].get<std::string>();
  auto [other_id, other] = s.signup_login("dora", tenant, admin);
  auto up = s.upload("/api/files", other, "RIFF....WAVE not really", "audio/wav");
  REQUIRE(up.status == 201);
  auto foreign = s.post("/api/jobs", {{"kind", "convert"}, {"payload", {{"fileId", up.json()["id"]}}}}, token);
  CHECK(foreign.status == 400);
  CHECK(foreign.json()["errors"].contains("payload.fileId"));
  CHECK(s.get("/api/jobs", token).json()["jobs"].empty());  // nothing was stored
}
