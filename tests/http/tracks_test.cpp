// The music library routes in process: GET /api/tracks (filters, paging, unknown parameters), GET
// /api/tracks/{id}, and the audio stream with byte ranges, If-Range and the type read from the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "cadenza/store/track_repo.hpp"
#include "support/in_process.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The tracks of the default tenant (where sign-ups land), with their ids.
std::vector<store::Track> seed(InProcess& s, std::vector<store::Track> tracks) {
  auto& db = s.app().tenants.get(s.app().control.default_tenant().id);
  store::track_repo::upsert(db, tracks);
  return tracks;
}

std::string titles(const json& list) {
  std::string out;
  for (const auto& t : list["items"]) out += (out.empty() ? "" : ",") + t["title"].get<std::string>();
  return out;
}

std::map<std::string, std::string> with(const std::string& token, std::map<std::string, std::string> h) {
  h["Authorization"] = "Bearer " + token;
  return h;
}

}  // namespace

TEST_CASE("tracks: list with text, genre and feature filters, pages and totals; get one; errors") {
  InProcess s;
  auto [id, token] = s.signup_login("listener");
  auto ts = seed(s, {track("Abba", "Dancing Queen", 0.8, 100, {"pop", "Disco"}), track("Abba", "SOS", 0.6, 120, {"pop"}),
                     track("Moby", "Porcelain", 0.4, 95, {"electronic"}), track("Zed", "Calm", 0.1, 70, {"ambient"})});

  CHECK(s.get("/api/tracks").status == 401);
  auto all = s.get("/api/tracks", token);
  REQUIRE(all.status == 200);
  auto j = all.json();
  CHECK(titles(j) == "Dancing Queen,SOS,Porcelain,Calm");
  CHECK(j["total"] == 4);
  CHECK(j["limit"] == 50);
  CHECK(j["offset"] == 0);
  const auto& first = j["items"][0];
  CHECK(first["artist"] == "Abba");
  CHECK(first["genres"] == json::array({"pop", "Disco"}));
  CHECK(first["features"]["energy"] == 0.8);
  CHECK(first["bpm"] == 100);
  CHECK(first["streamUrl"].is_null());
  CHECK_FALSE(first.contains("audioPath"));

  auto page = s.get("/api/tracks?limit=2&offset=1", token).json();
  CHECK(titles(page) == "SOS,Porcelain");
  CHECK(page["total"] == 4);
  CHECK(titles(s.get("/api/tracks?q=abba", token).json()) == "Dancing Queen,SOS");
  CHECK(titles(s.get("/api/tracks?q=%20QUEEN", token).json()) == "Dancing Queen");
  CHECK(titles(s.get("/api/tracks?genre=disco", token).json()) == "Dancing Queen");
  auto pop_fast = s.get("/api/tracks?genre=pop&tempo_min=110", token).json();
  CHECK(titles(pop_fast) == "SOS");
  CHECK(pop_fast["total"] == 1);
  CHECK(titles(s.get("/api/tracks?energy_min=0.3&energy_max=0.7", token).json()) == "SOS,Porcelain");
  CHECK(titles(s.get("/api/tracks?acousticness_min=0.5&tempo_max=96", token).json()) == "Porcelain,Calm");
  CHECK(titles(s.get("/api/tracks?valence_min=0.6", token).json()) == "");
  CHECK(s.get("/api/tracks?density_max=0.4", token).json()["total"] == 4);  // bounds are inclusive
  CHECK(s.get("/api/tracks?density_max=0.39", token).json()["total"] == 0);

  // Bad and unknown parameters: one 400 naming each.
  auto bad = s.get("/api/tracks?bpm=120&energy_min=2&valence_min=0.8&valence_max=0.2&limit=501&colour=red", token);
  REQUIRE(bad.status == 400);
  auto errors = bad.json()["errors"];
  CHECK(errors["bpm"] == "unknown query parameter");
  CHECK(errors["colour"] == "unknown query parameter");
  CHECK(errors.contains("energy_min"));
  CHECK(errors["valence_min"] == "must not be above valence_max");
  CHECK(errors.contains("limit"));
  CHECK(errors.size() == 5);
  CHECK(s.get("/api/tracks?tempo_min=fast", token).status == 400);
  CHECK(s.get("/api/tracks?offset=-1", token).status == 400);

  auto one = s.get("/api/tracks/" + ts[2].id, token);
  REQUIRE(one.status == 200);
  CHECK(one.json()["title"] == "Porcelain");
  CHECK(one.json()["durationMs"] == 200000);
  CHECK(s.get("/api/tracks/" + new_uuid(), token).status == 404);
  CHECK(s.get("/api/tracks/not-a-uuid", token).status == 404);
  CHECK(s.get("/api/tracks/" + ts[2].id).status == 401);

  // Another tenant's listener sees none of them.
  auto op = s.add_operator("root", "root-password");
  auto tenant_b = s.post("/api/tenants", {{"name", "Other house"}}, op).json()["tenantId"].get<std::string>();
  auto [b_id, b] = s.signup_login("elsewhere", tenant_b, op);
  CHECK(s.get("/api/tracks", b).json()["total"] == 0);
  CHECK(s.get("/api/tracks/" + ts[2].id, b).status == 404);
}

TEST_CASE("tracks: the stream answers byte ranges, If-Range, 416 and the file's type") {
  InProcess s;
  auto [id, token] = s.signup_login("player");
  auto dir = fs::path(s.data_dir()) / "music";
  fs::create_directories(dir);
  std::string mp3 = "ID3\x04";
  for (int i = 0; mp3.size() < 10000; ++i) mp3.push_back(static_cast<char>('a' + i % 26));
  std::ofstream(dir / "a.mp3", std::ios::binary) << mp3;
  std::ofstream(dir / "b.m4a", std::ios::binary) << std::string("\0\0\0\x20" "ftypM4A \0\0\0\0", 16) << std::string(100, 'm');
  std::ofstream(dir / "c.bin", std::ios::binary) << std::string("RIFF\x10\0\0\0WAVEfmt ", 16);
  std::ofstream(dir / "d.ogg", std::ios::binary) << "OggS and more";
  auto a = track("A", "mp3", 0.5, 100, {}), b = track("B", "m4a", 0.5, 100, {}), c = track("C", "wav", 0.5, 100, {}),
       d = track("D", "ogg", 0.5, 100, {}), none = track("E", "silent", 0.5, 100, {}),
       gone = track("F", "gone", 0.5, 100, {});
  a.audio_path = (dir / "a.mp3").string();
  b.audio_path = (dir / "b.m4a").string();
  c.audio_path = (dir / "c.bin").string();
  d.audio_path = (dir / "d.ogg").string();
  gone.audio_path = (dir / "gone.flac").string();
  auto ts = seed(s, {a, b, c, d, none, gone});
  const auto url = "/api/tracks/" + ts[0].id + "/stream";
  CHECK(s.get("/api/tracks/" + ts[0].id, token).json()["streamUrl"] == url);

  auto whole = s.get(url, token);
  REQUIRE(whole.status == 200);
  CHECK(whole.body == mp3);
  CHECK(whole.header("content-type") == "audio/mpeg");
  CHECK(whole.header("accept-ranges") == "bytes");
  const auto etag = whole.header("etag");
  const auto modified = whole.header("last-modified");
  CHECK(etag.size() > 4);
  CHECK(modified.find(" GMT") != std::string::npos);
  CHECK(s.get(url).status == 401);

  auto range = [&](const std::string& r, std::map<std::string, std::string> extra = {}) {
    extra["Range"] = r;
    return s.request("GET", url, "", with(token, extra));
  };
  struct Case {
    const char* range;
    std::size_t first, length;
  };
  for (const auto& c : {Case{"bytes=0-99", 0, 100}, Case{"bytes=9990-", 9990, 10}, Case{"bytes=-5", 9995, 5},
                        Case{"bytes=100-100", 100, 1}, Case{"bytes=9000-20000", 9000, 1000}, Case{"bytes=-20000", 0, 10000}}) {
    INFO(c.range);
    auto r = range(c.range);
    CHECK(r.status == 206);
    CHECK(r.body == mp3.substr(c.first, c.length));
    CHECK(r.header("content-range") == "bytes " + std::to_string(c.first) + "-" + std::to_string(c.first + c.length - 1) + "/10000");
    CHECK(r.header("content-type") == "audio/mpeg");
  }
  for (const std::string r : {"bytes=10000-", "bytes=20000-30000", "bytes=-0"}) {
    INFO(r);
    auto res = range(r);
    CHECK(res.status == 416);
    CHECK(res.header("content-range") == "bytes */10000");
  }
  for (const std::string r : {"bytes=0-1,5-6", "bytes=10-5", "bytes=x-y", "items=0-1"}) {  // ignored: the whole file
    INFO(r);
    auto res = range(r);
    CHECK(res.status == 200);
    CHECK(res.body.size() == 10000);
  }
  // If-Range: the range only of the version named (by ETag or by date).
  CHECK(range("bytes=0-9", {{"If-Range", etag}}).status == 206);
  CHECK(range("bytes=0-9", {{"If-Range", modified}}).status == 206);
  CHECK(range("bytes=0-9", {{"If-Range", "\"other\""}}).status == 200);
  CHECK(range("bytes=0-9", {{"If-Range", "W/" + etag}}).status == 200);
  CHECK(range("bytes=0-9", {{"If-Range", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status == 200);
  CHECK(range("bytes=0-9", {{"If-None-Match", etag}}).status == 304);
  CHECK(s.request("GET", url, "", with(token, {{"If-None-Match", etag}})).status == 304);

  auto type_of = [&](const store::Track& t) { return s.get("/api/tracks/" + t.id + "/stream", token).header("content-type"); };
  CHECK(type_of(ts[1]) == "audio/mp4");
  CHECK(type_of(ts[2]) == "audio/wav");
  CHECK(type_of(ts[3]) == "audio/ogg");

  auto silent = s.get("/api/tracks/" + ts[4].id + "/stream", token);
  CHECK(silent.status == 404);
  CHECK(silent.json()["message"] == "Track " + ts[4].id + " has no audio");
  auto missing = s.get("/api/tracks/" + ts[5].id + "/stream", token);
  CHECK(missing.status == 404);
  CHECK(missing.json()["message"] == "The audio file of track " + ts[5].id + " is gone");
  fs::remove(dir / "a.mp3");
  CHECK(s.get(url, token).status == 404);
  CHECK(s.get("/api/tracks/" + new_uuid() + "/stream", token).status == 404);
}
