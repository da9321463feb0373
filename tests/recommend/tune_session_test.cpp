// The listening session around the planner: the next track after played / skipped events, the remainder
// re-planned to the same end, skips keeping away from the skipped sound, heart rate above the plan lowering
// energy (opted-in variables only), and the errors.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/tune_session.hpp"
#include "support/error_kind.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using nlohmann::json;

namespace {

store::Track make(const std::string& id, const Features& f, double minutes = 4) {
  store::Track t;
  t.id = id;
  t.title = "Title " + id;
  t.artist = "Artist " + id;
  t.duration_ms = static_cast<std::int64_t>(minutes * 60000);
  t.energy = f[0];
  t.tempo = f[1];
  t.valence = f[2];
  t.acousticness = f[3];
  t.density = f[4];
  t.bpm = bpm_from_tempo(f[1]);
  t.genres = {"pop"};
  return t;
}

json flat(double energy, double minutes) {
  return {{"mode", "adaptive"},
          {"genres", json::array()},
          {"waypoints", json::array({{{"atMinute", 0}, {"target", {{"energy", energy}}}},
                                     {{"atMinute", minutes}, {"target", {{"energy", energy}}}}})}};
}

std::set<std::string> ids(const json& plan) {
  std::set<std::string> out;
  for (const auto& t : plan["tracks"]) out.insert(t["trackId"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("session: played keeps the tracks before the event and re-plans the rest to the same end") {
  std::vector<store::Track> tracks;
  for (int i = 0; i <= 20; ++i) tracks.push_back(make("e" + std::to_string(i), {i / 20.0f, 0.5f, 0.5f, 0.5f, 0.5f}, 4));
  auto cat = Catalog::from_tracks(tracks);
  auto tune = flat(0.5, 40);
  std::vector<store::Preference> prefs;
  SessionInput in{*cat, tune, prefs, {}};
  auto first = fresh_plan(in);
  REQUIRE(first.plan["tracks"].size() == 10);
  CHECK(first.next["trackId"] == first.plan["tracks"][0]["trackId"]);
  CHECK(first.plan["tracks"][0]["trackId"] == "e10");  // energy 0.5
  auto playing = first.plan["tracks"][0]["trackId"].get<std::string>();
  auto r = next_track(in, first.plan, first.state, {playing, "played", 240, json::object()});
  REQUIRE(r.next.is_object());
  CHECK(r.next["atMinute"] == 4.0);
  CHECK(r.next["trackId"] != playing);
  // The played track stays in front; the rest ends as before.
  CHECK(r.plan["tracks"][0]["trackId"] == playing);
  CHECK(r.plan["tracks"].size() == 10);
  CHECK(ids(r.plan).size() == 10);  // no repeats
  CHECK(r.plan["tracks"].back()["atMinute"] == 36.0);
  CHECK(r.state["played"] == json::array({playing}));
  CHECK(r.state["events"] == 1);
  CHECK(r.reason.find("Played \"Title " + playing + "\"") == 0);
  CHECK(r.reason.find("Next: \"Title " + r.next["trackId"].get<std::string>() + "\"") != std::string::npos);
  // Past the end: nothing next, said so.
  auto over = next_track(in, r.plan, r.state, {r.next["trackId"].get<std::string>(), "played", 40 * 60, json::object()});
  CHECK(over.next.is_null());
  CHECK(over.reason.find("over") != std::string::npos);
  // The catalogue changed: the kept track and the session stay.
  auto again = replan(in, r.plan, r.state);
  CHECK(again.plan["tracks"][0]["trackId"] == playing);
  CHECK(ids(again.plan).size() == again.plan["tracks"].size());
}

TEST_CASE("session: a skip moves away from the skipped track's sound") {
  std::vector<store::Track> tracks;
  // "a" tracks sound alike and sit on the target; "b" tracks are a little off in energy but sound different.
  for (int i = 0; i < 5; ++i) tracks.push_back(make("a" + std::to_string(i), {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}));
  for (int i = 0; i < 5; ++i) tracks.push_back(make("b" + std::to_string(i), {0.53f, 0.9f, 0.9f, 0.1f, 0.9f}));
  auto cat = Catalog::from_tracks(tracks);
  auto tune = flat(0.5, 30);
  std::vector<store::Preference> prefs;
  SessionInput in{*cat, tune, prefs, {}};
  auto first = fresh_plan(in);
  auto head = first.next["trackId"].get<std::string>();
  CHECK(head[0] == 'a');
  auto played = next_track(in, first.plan, first.state, {head, "played", 20, json::object()});
  CHECK(played.next["trackId"].get<std::string>()[0] == 'a');
  auto skipped = next_track(in, first.plan, first.state, {head, "skipped", 20, json::object()});
  CHECK(skipped.next["trackId"].get<std::string>()[0] == 'b');
  CHECK(skipped.next["atMinute"].get<double>() == doctest::Approx(20.0 / 60).epsilon(0.01));
  CHECK(skipped.state["skipped"] == json::array({head}));
  CHECK(skipped.reason.find("Skipped") == 0);
  CHECK(skipped.reason.find("keep away") != std::string::npos);
}

TEST_CASE("session: heart rate above the plan lowers energy, only when opted in") {
  std::vector<store::Track> tracks;
  for (int i = 0; i <= 40; ++i) tracks.push_back(make("e" + std::to_string(i), {i / 40.0f, 0.5f, 0.5f, 0.5f, 0.5f}));
  auto cat = Catalog::from_tracks(tracks);
  auto tune = flat(0.6, 60);  // the plan's heart rate: 60 + 100 * 0.6 = 120
  std::vector<store::Preference> prefs;
  SessionInput off{*cat, tune, prefs, {}};
  SessionInput on{*cat, tune, prefs, {"heart_rate"}};
  auto first = fresh_plan(on);
  auto head = first.next["trackId"].get<std::string>();
  auto energy = [&](const json& entry) { return entry["features"]["energy"].get<double>(); };
  auto calm = next_track(on, first.plan, first.state, {head, "played", 240, json{{"heartRate", 110}}});
  CHECK(energy(calm.next) == doctest::Approx(0.6).epsilon(0.03));
  CHECK(calm.reason.find("within") != std::string::npos);
  auto racing = next_track(on, first.plan, first.state, {head, "played", 240, json{{"heartRate", 170}}});
  CHECK(energy(racing.next) < 0.45);  // 0.6 - min(0.3, 50 / 200)
  CHECK(racing.reason.find("Heart rate 170 bpm is above the plan's 120 bpm") != std::string::npos);
  CHECK(racing.state["offset"]["energy"].get<double>() == doctest::Approx(-0.25));
  // The offset fades: the target is lower at first, back on the curve 15 minutes on.
  CHECK(racing.next["target"]["energy"].get<double>() < 0.4);
  CHECK(racing.plan["tracks"].back()["target"]["energy"].get<double>() == doctest::Approx(0.6));
  // Not opted in: ignored, and said so.
  auto ignored = next_track(off, first.plan, first.state, {head, "played", 240, json{{"heartRate", 170}}});
  CHECK(energy(ignored.next) == doctest::Approx(0.6).epsilon(0.03));
  CHECK(ignored.reason.find("heartRate was not used") != std::string::npos);
  CHECK_FALSE(ignored.state["offset"].contains("energy"));
}

TEST_CASE("session: bad events are refused, naming the field") {
  auto cat = Catalog::from_tracks({make("x", {0.5f, 0.5f, 0.5f, 0.5f, 0.5f})});
  auto tune = flat(0.5, 30);
  std::vector<store::Preference> prefs;
  SessionInput in{*cat, tune, prefs, {"heart_rate"}};
  auto first = fresh_plan(in);
  auto fields = [&](const SessionEvent& e) {
    try {
      next_track(in, first.plan, first.state, e);
    } catch (const Error& err) {
      return std::make_pair(err.kind(), err.fields());
    }
    FAIL("no error");
    return std::make_pair(ErrorKind::Internal, Error::Fields{});
  };
  auto [k1, f1] = fields({"nope", "played", 10, json::object()});
  CHECK(k1 == ErrorKind::Unprocessable);
  CHECK(f1.count("playing"));
  auto [k2, f2] = fields({"x", "paused", 10, json::object()});
  CHECK(k2 == ErrorKind::BadRequest);
  CHECK(f2.count("event"));
  auto [k3, f3] = fields({"x", "played", 10, json{{"heartRate", 999}, {"mood", 3}}});
  CHECK(k3 == ErrorKind::BadRequest);
  CHECK(f3.count("readings.heartRate"));
  CHECK(f3.count("readings.mood"));
  CHECK(variable_name("ambientNoise") == "ambient_noise");
}
