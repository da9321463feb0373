// The tune-vector planner on synthetic catalogues whose right answer is known: tracks exactly on the curve
// are chosen; the grid search finds what a pass over the whole catalogue finds; no repeats; genre boxes,
// the step bound, preferences (by rank), avoided points and offsets; empty catalogues.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/planner.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/tune_plan.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using nlohmann::json;

namespace {

store::Track make(const std::string& id, const Features& f, double minutes = 4, std::vector<std::string> genres = {"pop"},
                  const std::string& artist = "") {
  store::Track t;
  t.id = id;
  t.title = "Title " + id;
  t.artist = artist.empty() ? "Artist " + id : artist;
  t.duration_ms = static_cast<std::int64_t>(std::llround(minutes * 60000));
  t.energy = f[0];
  t.tempo = f[1];
  t.valence = f[2];
  t.acousticness = f[3];
  t.density = f[4];
  t.bpm = bpm_from_tempo(f[1]);
  t.genres = std::move(genres);
  return t;
}

// `n` tracks with uniform random features and lengths of 2..6 minutes, ids "r<i>".
std::vector<store::Track> random_tracks(std::size_t n, std::uint64_t seed, std::vector<std::string> genres = {"pop"}) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  std::uniform_real_distribution<double> len(2, 6);
  std::vector<store::Track> out;
  for (std::size_t i = 0; i < n; ++i) {
    Features f{u(rng), u(rng), u(rng), u(rng), u(rng)};
    out.push_back(make("r" + std::to_string(i), f, len(rng), {genres[i % genres.size()]}));
  }
  return out;
}

json adaptive(json waypoints) { return {{"mode", "adaptive"}, {"waypoints", std::move(waypoints)}, {"genres", json::array()}}; }

double max_abs_step(const Features& a, const Features& b) {
  double s = 0;
  for (std::size_t k = 0; k < kFeatureCount; ++k) s = std::max(s, static_cast<double>(std::abs(a[k] - b[k])));
  return s;
}

std::set<std::size_t> distinct(const Plan& p) {
  std::set<std::size_t> s;
  for (const auto& t : p.tracks) s.insert(t.track);
  return s;
}

}  // namespace

TEST_CASE("planner: target_at interpolates each dimension between the waypoints that name it") {
  json w = json::array({{{"atMinute", 0}, {"target", {{"energy", 0.2}, {"tempo", 40}}}},
                        {{"atMinute", 10}, {"target", {{"valence", 0.9}}}},
                        {{"atMinute", 20}, {"target", {{"energy", 0.6}, {"tempo", 220}}}}});
  auto t = target_at(w, 5);
  CHECK(t[0] == doctest::Approx(0.3));
  CHECK(t[1] == doctest::Approx(0.25));
  CHECK(t[2] == doctest::Approx(0.9));  // named once: flat
  t = target_at(w, 15);
  CHECK(t[0] == doctest::Approx(0.5));
  CHECK(t[1] == doctest::Approx(0.75));
  t = target_at(w, 30);  // after the end: the last value
  CHECK(t[0] == doctest::Approx(0.6));
  CHECK(t[1] == doctest::Approx(1.0));
}

TEST_CASE("planner: tracks exactly on the curve are chosen, one after another, at distance ~0") {
  auto waypoints = *preset_waypoints("ascent", 60);
  auto tracks = random_tracks(3000, 1);
  // 4-minute tracks whose features are the target at their midpoints 2, 6, ..., 58.
  for (int i = 0; i < 15; ++i) tracks.push_back(make("curve" + std::to_string(i), target_at(waypoints, 4 * i + 2)));
  auto cat = Catalog::from_tracks(tracks);
  auto plan = plan_tracks(*cat, adaptive(waypoints), {});
  CHECK(plan.reason.empty());
  REQUIRE(plan.tracks.size() == 15);
  for (int i = 0; i < 15; ++i) {
    const auto& t = plan.tracks[static_cast<std::size_t>(i)];
    CHECK(cat->id(t.track) == "curve" + std::to_string(i));
    CHECK(t.at_minute == doctest::Approx(4.0 * i));
    CHECK(t.distance < 1e-4);
  }
  CHECK(plan.mean_distance < 1e-4);
  CHECK(plan.step_bound_kept);
  CHECK(plan.end_minute == 60);
  auto j = plan_json(*cat, plan);
  CHECK(j["tracks"].size() == 15);
  CHECK(j["tracks"][0]["trackId"] == "curve0");
  CHECK(j["tracks"][0]["durationMs"] == 240000);
  CHECK(j["tracks"][0]["target"]["tempo"].get<double>() == doctest::Approx(80 + 60.0 * 2 / 60).epsilon(0.01));
  CHECK(j["summary"]["count"] == 15);
  CHECK(j["summary"]["meanDistance"].get<double>() < 1e-3);
  CHECK_FALSE(j.contains("reason"));
}

TEST_CASE("planner: the grid search chooses what a pass over the whole catalogue chooses") {
  // Plain greedy (one candidate), equal lengths: each slot's track is the eligible one nearest the target.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<store::Track> tracks;
  for (int i = 0; i < 5000; ++i) tracks.push_back(make("t" + std::to_string(i), {u(rng), u(rng), u(rng), u(rng), u(rng)}, 3));
  auto cat = Catalog::from_tracks(tracks);
  for (const char* preset : {"ascent", "descent"}) {
    auto waypoints = *preset_waypoints(preset, 45);
    PlanOptions o;
    o.candidates = 1;
    auto plan = plan_tracks(*cat, adaptive(waypoints), {}, o);
    REQUIRE(plan.tracks.size() == 15);
    std::vector<char> used(cat->size(), 0);
    std::optional<Features> prev;
    for (std::size_t s = 0; s < plan.tracks.size(); ++s) {
      auto target = target_at(waypoints, 3.0 * s + 1.5);
      double best = std::numeric_limits<double>::infinity();
      std::size_t best_i = 0;
      for (std::size_t i = 0; i < cat->size(); ++i) {
        if (used[i] || (prev && max_abs_step(*prev, cat->features(i)) > o.max_step + 1e-6)) continue;
        double sq = 0;
        for (std::size_t k = 0; k < kFeatureCount; ++k)
          sq += (cat->features(i)[k] - target[k]) * (cat->features(i)[k] - target[k]);
        if (std::sqrt(sq / 5) < best) best = std::sqrt(sq / 5), best_i = i;
      }
      CHECK(plan.tracks[s].track == best_i);
      CHECK(plan.tracks[s].distance == doctest::Approx(best).epsilon(1e-4));
      used[best_i] = 1;
      prev = cat->features(best_i);
    }
  }
}

TEST_CASE("planner: no track repeats; a small catalogue ends the plan early") {
  Features same{0.5, 0.5, 0.5, 0.5, 0.5};
  std::vector<store::Track> tracks;
  for (int i = 0; i < 8; ++i) tracks.push_back(make("s" + std::to_string(i), same, 3));
  auto cat = Catalog::from_tracks(tracks);
  json w = json::array({{{"atMinute", 0}, {"target", {{"energy", 0.5}}}}, {{"atMinute", 60}, {"target", {{"energy", 0.5}}}}});
  auto plan = plan_tracks(*cat, adaptive(w), {});
  CHECK(plan.tracks.size() == 8);
  CHECK(distinct(plan).size() == 8);
  // Excluded tracks are never chosen.
  PlanOptions o;
  o.exclude = {0, 1, 2};
  plan = plan_tracks(*cat, adaptive(w), {}, o);
  CHECK(plan.tracks.size() == 5);
  for (const auto& t : plan.tracks) CHECK(t.track >= 3);
  // A large catalogue: the plan fills the hour, without repeats, ending within half a track of the end.
  auto big = Catalog::from_tracks(random_tracks(2000, 3));
  plan = plan_tracks(*big, adaptive(*preset_waypoints("descent", 60)), {});
  CHECK(distinct(plan).size() == plan.tracks.size());
  REQUIRE_FALSE(plan.tracks.empty());
  const auto& last = plan.tracks.back();
  double end = last.at_minute + static_cast<double>(big->duration_ms(last.track)) / 60000;
  CHECK(last.at_minute + static_cast<double>(big->duration_ms(last.track)) / 120000 < 60);
  CHECK(end > 57);  // the next track (2..6 minutes) would have had its midpoint after the end
}

TEST_CASE("planner: guided genre boxes hold each track whose midpoint falls in them") {
  auto tracks = random_tracks(3000, 5, {"rock", "jazz", "pop"});
  // The best tracks for the first half are jazz: the rock box must still get rock.
  auto waypoints = *preset_waypoints("ascent", 60);
  for (int i = 0; i < 8; ++i) tracks.push_back(make("jazzy" + std::to_string(i), target_at(waypoints, 4 * i + 2), 4, {"jazz"}));
  auto cat = Catalog::from_tracks(tracks);
  json tune = {{"mode", "guided"}, {"waypoints", waypoints},
               {"genres", json::array({{{"genre", "Rock"}, {"minutes", 30}}, {{"genre", "jazz"}, {"minutes", 30}}})}};
  auto plan = plan_tracks(*cat, tune, {});
  REQUIRE(plan.tracks.size() >= 10);
  CHECK(plan.warnings.empty());
  auto rock = *cat->find_genre("rock"), jazz = *cat->find_genre("jazz");
  int rock_n = 0, jazz_n = 0;
  for (const auto& t : plan.tracks) {
    double mid = t.at_minute + static_cast<double>(cat->duration_ms(t.track)) / 120000;
    if (mid < 30) {
      CHECK(cat->has_genre(t.track, rock));
      ++rock_n;
    } else {
      CHECK(cat->has_genre(t.track, jazz));
      ++jazz_n;
    }
  }
  CHECK(rock_n > 0);
  CHECK(jazz_n > 0);
  // A genre no track has: the box is filled anyway, with a warning.
  tune["genres"][1]["genre"] = "polka";
  plan = plan_tracks(*cat, tune, {});
  CHECK(plan.tracks.back().at_minute > 40);
  REQUIRE(plan.warnings.size() == 1);
  CHECK(plan.warnings[0].find("polka") != std::string::npos);
}

TEST_CASE("planner: the step bound holds between neighbours, from the previous track on") {
  auto cat = Catalog::from_tracks(random_tracks(4000, 9));
  // A curve that jumps: the plan follows it in steps no larger than the bound.
  json w = json::array({{{"atMinute", 0}, {"target", {{"energy", 0.05}, {"acousticness", 0.95}}}},
                        {{"atMinute", 20}, {"target", {{"energy", 0.05}, {"acousticness", 0.95}}}},
                        {{"atMinute", 21}, {"target", {{"energy", 0.95}, {"acousticness", 0.05}}}},
                        {{"atMinute", 60}, {"target", {{"energy", 0.95}, {"acousticness", 0.05}}}}});
  PlanOptions o;
  o.max_step = 0.2;
  o.previous = Features{0.5, 0.5, 0.5, 0.5, 0.5};
  auto plan = plan_tracks(*cat, adaptive(w), {}, o);
  REQUIRE(plan.tracks.size() > 5);
  CHECK(plan.step_bound_kept);
  double max_seen = max_abs_step(*o.previous, cat->features(plan.tracks[0].track));
  CHECK(max_seen <= 0.2 + 1e-6);
  for (std::size_t i = 1; i < plan.tracks.size(); ++i) {
    double s = max_abs_step(cat->features(plan.tracks[i - 1].track), cat->features(plan.tracks[i].track));
    CHECK(s <= 0.2 + 1e-6);
    CHECK(plan.tracks[i].step == doctest::Approx(s));
    max_seen = std::max(max_seen, s);
  }
  CHECK(plan.max_step == doctest::Approx(max_seen));
  // It still gets there: the last tracks are near the high-energy end.
  CHECK(cat->features(plan.tracks.back().track)[0] > 0.8);
  // Two clusters far apart: the bound cannot hold, the plan says so.
  std::vector<store::Track> two;
  for (int i = 0; i < 2; ++i) two.push_back(make("lo" + std::to_string(i), {0.1f, 0.1f, 0.1f, 0.1f, 0.1f}, 4));
  for (int i = 0; i < 5; ++i) two.push_back(make("hi" + std::to_string(i), {0.9f, 0.9f, 0.9f, 0.9f, 0.9f}, 4));
  auto cat2 = Catalog::from_tracks(two);
  json jump = json::array({{{"atMinute", 0}, {"target", {{"energy", 0.1}}}}, {{"atMinute", 8}, {"target", {{"energy", 0.1}}}},
                           {{"atMinute", 9}, {"target", {{"energy", 0.9}}}}, {{"atMinute", 20}, {"target", {{"energy", 0.9}}}}});
  auto p2 = plan_tracks(*cat2, adaptive(jump), {});
  CHECK(p2.tracks.size() == 5);
  CHECK_FALSE(p2.step_bound_kept);
  CHECK(p2.max_step == doctest::Approx(0.8));
}

TEST_CASE("planner: preferences break ties, a higher rank weighing more") {
  // Two tracks at the same distance from the flat target, per slot.
  json w = json::array({{{"atMinute", 0}, {"target", {{"energy", 0.5}}}}, {{"atMinute", 4}, {"target", {{"energy", 0.5}}}}});
  std::vector<store::Track> tracks = {make("a", {0.54f, 0.5f, 0.5f, 0.5f, 0.5f}, 4, {"Rock"}, "Alpha"),
                                      make("b", {0.46f, 0.5f, 0.5f, 0.5f, 0.5f}, 4, {"Jazz"}, "Beta"),
                                      make("c", {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 4, {"pop"}, "Gamma")};
  auto cat = Catalog::from_tracks(tracks);
  auto pref = [](std::string type, json value, std::int64_t rank) {
    store::Preference p;
    p.type = std::move(type);
    p.value = std::move(value);
    p.rank = rank;
    return p;
  };
  auto first = [&](const std::vector<store::Preference>& prefs) {
    auto plan = plan_tracks(*cat, adaptive(w), prefs);
    REQUIRE(plan.tracks.size() == 1);
    return cat->id(plan.tracks[0].track);
  };
  CHECK(first({}) == "c");  // on the target
  // A rank-0 preference (bonus 0.05) outweighs a 0.04 miss.
  CHECK(first({pref("genre", "rock", 0)}) == "a");
  CHECK(first({pref("genre", "jazz", 0)}) == "b");
  // Both preferred: the higher rank wins.
  CHECK(first({pref("genre", "jazz", 0), pref("genre", "rock", 1)}) == "b");
  CHECK(first({pref("genre", "rock", 0), pref("genre", "jazz", 1)}) == "a");
  // Artist (normalised name) and tempo range.
  CHECK(first({pref("artist", "  BETA ", 0)}) == "b");
  // Tempo ranges match all three (same bpm): no change.
  CHECK(first({pref("tempo", json{{"minBpm", 100}, {"maxBpm", 160}}, 0)}) == "c");
}

TEST_CASE("planner: avoided points and target offsets move the choice") {
  json w = json::array({{{"atMinute", 0}, {"target", {{"energy", 0.5}, {"valence", 0.5}}}},
                        {{"atMinute", 4}, {"target", {{"energy", 0.5}, {"valence", 0.5}}}}});
  std::vector<store::Track> tracks = {make("near", {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 4),
                                      make("other", {0.6f, 0.9f, 0.6f, 0.1f, 0.2f}, 4),
                                      make("low", {0.25f, 0.5f, 0.5f, 0.5f, 0.5f}, 4)};
  auto cat = Catalog::from_tracks(tracks);
  auto first = [&](const PlanOptions& o) {
    auto plan = plan_tracks(*cat, adaptive(w), {}, o);
    REQUIRE(plan.tracks.size() == 1);
    return cat->id(plan.tracks[0].track);
  };
  CHECK(first({}) == "near");
  PlanOptions skip;
  skip.avoid = {Features{0.5f, 0.5f, 0.5f, 0.5f, 0.5f}};  // "near" and "low" sit close to what was skipped
  CHECK(first(skip) == "other");
  PlanOptions calmer;
  calmer.offset = {-0.25f, 0, 0, 0, 0};
  CHECK(first(calmer) == "low");
}

TEST_CASE("planner: an empty or used-up catalogue gives an empty plan with its reason") {
  auto none = Catalog::from_tracks({});
  auto plan = plan_tracks(*none, adaptive(*preset_waypoints("ascent", 30)), {});
  CHECK(plan.tracks.empty());
  CHECK(plan.reason.find("no tracks") != std::string::npos);
  auto j = plan_json(*none, plan);
  CHECK(j["tracks"].empty());
  CHECK(j["reason"] == plan.reason);
  auto one = Catalog::from_tracks({make("x", {0.5f, 0.5f, 0.5f, 0.5f, 0.5f})});
  PlanOptions o;
  o.exclude = {0};
  plan = plan_tracks(*one, adaptive(*preset_waypoints("ascent", 30)), {}, o);
  CHECK(plan.tracks.empty());
  CHECK_FALSE(plan.reason.empty());
  CHECK_THROWS_AS(plan_tracks(*one, json{{"mode", "adaptive"}}, {}), Error);
}
