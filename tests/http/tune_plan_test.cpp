// Tune vectors with their planned tracks, in process: planned on create and change, planned again when read
// after the catalogue changed, an empty catalogue's reason, POST .../next (played, skipped, readings of
// opted-in variables only, errors), and the plan going with its tune vector.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "cadenza/store/track_repo.hpp"
#include "support/in_process.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;

namespace {

store::Database& tenant(InProcess& s) { return s.app().tenants.get(s.app().control.default_tenant().id); }

// 60 tracks of 4 minutes, energy 0..1 in steps (bpm and acousticness follow it, see track_fixture).
std::vector<store::Track> seed(InProcess& s, int n = 60, const std::string& genre = "pop") {
  std::vector<store::Track> tracks;
  for (int i = 0; i < n; ++i)
    tracks.push_back(track("Artist " + std::to_string(i % 7), genre + " song " + std::to_string(i), i / double(n - 1),
                           60 + 150.0 * i / (n - 1), {genre}, 240000));
  store::track_repo::upsert(tenant(s), tracks);
  return tracks;
}

json flat_energy(double e, double minutes) {
  return {{"name", "Steady"},
          {"waypoints", json::array({{{"atMinute", 0}, {"target", {{"energy", e}}}},
                                     {{"atMinute", minutes}, {"target", {{"energy", e}}}}})}};
}

std::set<std::string> ids(const json& tracks) {
  std::set<std::string> out;
  for (const auto& t : tracks) out.insert(t["trackId"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("tune plans: an empty catalogue gives no tracks and says why; the plan comes once tracks do") {
  InProcess s;
  auto [id, token] = s.signup_login("planner");
  const auto base = "/api/profiles/" + id + "/tune-vectors";
  auto created = s.post(base, {{"name", "Run"}, {"preset", "ascent"}, {"durationMinutes", 30}}, token);
  REQUIRE(created.status == 201);
  auto tv = created.json();
  CHECK(tv["tracks"].empty());
  CHECK(tv["plan"]["reason"].get<std::string>().find("no tracks") != std::string::npos);
  CHECK(tv["plan"]["summary"]["count"] == 0);
  // Tracks arrive: the next GET plans again (the catalogue's version moved).
  seed(s);
  auto got = s.get(base + "/" + tv["id"].get<std::string>(), token).json();
  REQUIRE(got["tracks"].size() >= 7);
  CHECK_FALSE(got["plan"].contains("reason"));
  CHECK(got["plan"]["summary"]["count"] == got["tracks"].size());
  CHECK(got["plan"]["summary"]["maxStepBound"] == 0.25);
  CHECK(got["plan"]["summary"]["maxStep"].get<double>() <= 0.25);
  CHECK(ids(got["tracks"]).size() == got["tracks"].size());
  const auto& first = got["tracks"][0];
  CHECK(first["atMinute"] == 0);
  CHECK(first["durationMs"] == 240000);
  CHECK(first["features"]["energy"].get<double>() < 0.35);  // ascent starts calm
  CHECK(got["tracks"].back()["features"]["energy"].get<double>() > 0.6);
  for (const char* k : {"trackId", "title", "artist", "target", "distance"}) CHECK(first.contains(k));
  // The list shows the stored plan.
  auto list = s.get(base, token).json();
  CHECK(list["tuneVectors"][0]["tracks"] == got["tracks"]);
}

TEST_CASE("tune plans: create and change plan the tune vector; guided genres hold; the plan goes with it") {
  InProcess s;
  auto [id, token] = s.signup_login("guided");
  seed(s, 40, "rock");
  seed(s, 40, "jazz");
  const auto base = "/api/profiles/" + id + "/tune-vectors";
  json body = flat_energy(0.5, 40);
  body["mode"] = "guided";
  body["genres"] = json::array({{{"genre", "Rock"}, {"minutes", 20}}, {{"genre", "jazz"}, {"minutes", 20}}});
  auto tv = s.post(base, body, token).json();
  REQUIRE(tv["tracks"].size() == 10);
  for (const auto& t : tv["tracks"]) {
    bool rock_box = t["atMinute"].get<double>() + 2 < 20;
    CHECK(t["title"].get<std::string>().rfind(rock_box ? "rock" : "jazz", 0) == 0);
    CHECK(t["features"]["energy"].get<double>() == doctest::Approx(0.5).epsilon(0.3));
  }
  const auto path = base + "/" + tv["id"].get<std::string>();
  // A new target: planned afresh, the later tracks more energetic.
  auto patched = s.patch(path, {{"target", {{"energy", 0.95}}}}, token);
  REQUIRE(patched.status == 200);
  auto p = patched.json();
  CHECK(p["tracks"].back()["features"]["energy"].get<double>() > 0.75);
  // A rename keeps the plan; sending the GET body back (tracks and plan included) is fine.
  auto view = s.get(path, token).json();
  view.erase("preset");  // read-only, refused even unchanged
  view["name"] = "Renamed";
  auto renamed = s.patch(path, view, token);
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json()["tracks"] == p["tracks"]);
  // Tracks and plan are read-only.
  auto bad = s.patch(path, {{"tracks", json::array()}}, token);
  CHECK(bad.status == 400);
  // Deleting the tune vector deletes its plan.
  REQUIRE(s.del(path, token).status == 204);
  auto left = tenant(s).read([](store::Db& db) { return db.scalar_int64("SELECT count(*) FROM tune_vector_plans"); });
  CHECK(left == 0);
}

TEST_CASE("tune plans: next after played and skipped events, readings of opted-in variables only") {
  InProcess s;
  auto [id, token] = s.signup_login("listener");
  seed(s, 120);
  const auto base = "/api/profiles/" + id + "/tune-vectors";
  auto tv = s.post(base, flat_energy(0.6, 60), token).json();
  const auto next = base + "/" + tv["id"].get<std::string>() + "/next";
  auto head = tv["tracks"][0]["trackId"].get<std::string>();

  auto played = s.post(next, {{"playing", head}, {"event", "played"}, {"atSecond", 240}}, token);
  REQUIRE(played.status == 200);
  auto pj = played.json();
  CHECK(pj["next"]["atMinute"] == 4.0);
  CHECK(pj["next"]["trackId"] != head);
  CHECK(pj["tracks"][0]["trackId"] == head);
  CHECK(ids(pj["tracks"]).size() == pj["tracks"].size());
  CHECK(pj["reason"].get<std::string>().find("Played") == 0);
  // The GET shows the re-planned tracks.
  auto got = s.get(base + "/" + tv["id"].get<std::string>(), token).json();
  CHECK(got["tracks"] == pj["tracks"]);

  // A skip 20 seconds in: the skipped track stays in the history, not in the rest of the plan.
  auto skipped_id = pj["next"]["trackId"].get<std::string>();
  auto sk = s.post(next, {{"playing", skipped_id}, {"event", "skipped"}, {"atSecond", 260}}, token).json();
  CHECK(sk["reason"].get<std::string>().find("Skipped") == 0);
  CHECK(sk["reason"].get<std::string>().find("keep away from its sound") != std::string::npos);
  CHECK(sk["next"]["trackId"] != skipped_id);
  CHECK(sk["next"]["atMinute"].get<double>() == doctest::Approx(260.0 / 60).epsilon(0.001));
  CHECK(ids(sk["tracks"]).size() == sk["tracks"].size());
  for (const auto& t : sk["tracks"])
    if (t["atMinute"].get<double>() >= 260.0 / 60) CHECK(t["trackId"] != skipped_id);

  // Heart rate far above the plan's (60 + 100 * 0.6): ignored until the profile opts in, then energy goes down.
  auto hr = json{{"playing", sk["next"]["trackId"]}, {"event", "played"}, {"atSecond", 500}, {"readings", {{"heartRate", 175}}}};
  auto ignored = s.post(next, hr, token).json();
  CHECK(ignored["reason"].get<std::string>().find("not opted in") != std::string::npos);
  double plain = ignored["next"]["features"]["energy"].get<double>();
  REQUIRE(s.post("/api/profiles/" + id + "/variables", {{"name", "heart_rate"}}, token).status == 201);
  auto lowered = s.post(next, hr, token).json();
  CHECK(lowered["reason"].get<std::string>().find("Heart rate 175 bpm is above the plan's 120 bpm") != std::string::npos);
  CHECK(lowered["next"]["features"]["energy"].get<double>() < plain - 0.1);

  // Errors name the field.
  auto unknown = s.post(next, {{"playing", "not-a-track"}, {"event", "played"}, {"atSecond", 10}}, token);
  CHECK(unknown.status == 422);
  CHECK(unknown.json()["errors"].contains("playing"));
  auto bad = s.post(next, {{"playing", head}, {"event", "paused"}, {"atSecond", -1}}, token);
  CHECK(bad.status == 400);
  CHECK(bad.json()["errors"].contains("event"));
  CHECK(bad.json()["errors"].contains("atSecond"));
  auto reading = s.post(next, {{"playing", head}, {"event", "played"}, {"atSecond", 10}, {"readings", {{"heartRate", "fast"}}}}, token);
  CHECK(reading.status == 400);
  CHECK(reading.json()["errors"].contains("readings.heartRate"));
  CHECK(s.post(base + "/00000000-0000-4000-8000-000000000000/next", {{"playing", head}, {"event", "played"}, {"atSecond", 1}},
               token).status == 404);
}

TEST_CASE("tune plans: a changed preference plans again on the next GET") {
  InProcess s;
  auto [id, token] = s.signup_login("fan");
  // The same features in both genres, pair by pair, close together (energy steps of 0.005): the ten nearest
  // jazz tracks are within 0.03 of the target, so the preference's bonus (0.05) makes all ten jazz.
  seed(s, 200, "rock");
  seed(s, 200, "jazz");
  const auto base = "/api/profiles/" + id + "/tune-vectors";
  auto tv = s.post(base, flat_energy(0.5, 40), token).json();
  auto count_jazz = [](const json& tracks) {
    int n = 0;
    for (const auto& t : tracks) n += t["title"].get<std::string>().rfind("jazz", 0) == 0;
    return n;
  };
  REQUIRE(tv["tracks"].size() == 10);
  REQUIRE(s.post("/api/profiles/" + id + "/preferences", {{"type", "genre"}, {"value", "Jazz"}}, token).status == 201);
  auto got = s.get(base + "/" + tv["id"].get<std::string>(), token).json();
  REQUIRE(got["tracks"].size() == 10);
  CHECK(count_jazz(got["tracks"]) == 10);
  // And back: without the preference the plan is made again, the same as the first.
  auto prefs = s.get("/api/profiles/" + id + "/preferences", token).json();
  REQUIRE(s.del("/api/profiles/" + id + "/preferences/" + prefs["preferences"][0]["id"].get<std::string>(), token).status == 204);
  got = s.get(base + "/" + tv["id"].get<std::string>(), token).json();
  CHECK(got["tracks"] == tv["tracks"]);
}
