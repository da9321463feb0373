// Recommendations: each part of the score moves the ranking the way its documentation says, with a reason a
// person can read; the collaborative model learns who-plays-what from listening data and beats popularity on
// held-out plays; learned preferences come from what a profile plays.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/collab_model.hpp"
#include "cadenza/recommend/recommender.hpp"
#include "support/temp_dir.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using cadenza::test::track;

namespace {

store::Track with_id(store::Track t, std::string id) {
  t.id = std::move(id);
  return t;
}

// 40 tracks: artists a0..a9 with 4 tracks each; a0-a4 "jazz" calm (energy 0.2, 90 bpm), a5-a9 "rock" loud
// (energy 0.9, 150 bpm).
std::shared_ptr<const Catalog> library() {
  std::vector<store::Track> tracks;
  for (int a = 0; a < 10; ++a)
    for (int k = 0; k < 4; ++k) {
      const bool calm = a < 5;
      tracks.push_back(with_id(track("a" + std::to_string(a), "t" + std::to_string(a) + "-" + std::to_string(k),
                                     calm ? 0.2 : 0.9, calm ? 90 : 150, {calm ? "jazz" : "rock"}),
                               "id-" + std::to_string(a) + "-" + std::to_string(k)));
    }
  return Catalog::from_tracks(std::move(tracks), 1);
}

store::TrackPlayStats play(const std::string& profile, const std::string& track_id, int plays, int skipped = 0,
                           std::int64_t last = 0) {
  return {profile, track_id, plays, plays - skipped, skipped, plays * 1000LL, last};
}

std::string track_of(const Catalog& c, const Recommendation& r) { return c.id(r.track); }
std::string artist_of(const Catalog& c, const Recommendation& r) { return c.artist_name_of(r.track); }

}  // namespace

TEST_CASE("recommender: a preferred genre and tempo range rank first, with their reasons") {
  auto c = library();
  ProfileSignals p;
  p.now_ms = 1'000'000'000;
  store::Preference g;
  g.type = "genre";
  g.value = "Rock";
  g.rank = 0;
  p.preferences.push_back(g);
  store::Preference t;
  t.type = "tempo";
  t.value = {{"minBpm", 140}, {"maxBpm", 160}};
  t.rank = 1;
  p.preferences.push_back(t);
  auto r = recommend_tracks(*c, p, {}, {}, {.limit = 10, .context = "none"});
  REQUIRE(r.items.size() == 10);
  for (const auto& item : r.items) {
    CHECK(c->features(item.track)[0] > 0.5);  // rock only
    REQUIRE(!item.reasons.empty());
    CHECK(item.reasons[0] == "rock, your favourite genre");
    CHECK(std::find(item.reasons.begin(), item.reasons.end(), "in your 140–160 bpm preference") != item.reasons.end());
  }
  // At most kPerArtist per artist.
  std::map<std::string, int> per;
  for (const auto& item : r.items) ++per[artist_of(*c, item)];
  for (const auto& [a, n] : per) CHECK(n <= kPerArtist);
}

TEST_CASE("recommender: a context sets a target energy; a high heart rate asks for calmer music and says so") {
  auto c = library();
  ProfileSignals p;
  auto workout = recommend_tracks(*c, p, {}, {}, {.limit = 5, .context = "workout"});
  for (const auto& item : workout.items) CHECK(c->features(item.track)[0] > 0.5);
  CHECK(workout.items[0].reasons[0] == "energetic, for a workout");
  CHECK(workout.context["targetEnergy"].get<double>() == doctest::Approx(0.85));

  p.readings = {{"time_of_day", 21.5}, {"heart_rate", 130}};
  auto calm = recommend_tracks(*c, p, {}, {}, {.limit = 5});
  CHECK(calm.context["name"] == "auto");
  CHECK(calm.context["targetEnergy"].get<double>() == doctest::Approx(0.2));
  for (const auto& item : calm.items) CHECK(c->features(item.track)[0] < 0.5);
  CHECK(calm.items[0].reasons[0] == "calm, for the evening while your heart rate is high");

  // Without readings or a named context there is no target: nothing to say about energy.
  auto plain = recommend_tracks(*c, ProfileSignals{}, {}, {}, {.limit = 3});
  CHECK(plain.context["targetEnergy"].is_null());
  CHECK(plain.items[0].reasons == std::vector<std::string>{"from this library"});
}

TEST_CASE("recommender: recent plays are left out, skipped tracks fall, played artists rise") {
  auto c = library();
  ProfileSignals p;
  p.now_ms = 10LL * 24 * 3600 * 1000;
  const auto long_ago = p.now_ms - 5LL * 24 * 3600 * 1000;
  p.plays = {play("me", "id-3-0", 6, 0, long_ago), play("me", "id-3-1", 1, 0, p.now_ms - 60'000),
             play("me", "id-7-0", 4, 4, long_ago)};
  auto r = recommend_tracks(*c, p, {}, {}, {.limit = 40, .context = "none"});
  std::vector<std::string> ids;
  for (const auto& item : r.items) ids.push_back(track_of(*c, item));
  CHECK(std::find(ids.begin(), ids.end(), "id-3-1") == ids.end());  // played a minute ago
  // a3's tracks come first (3 at most), with the history reason.
  REQUIRE(r.items.size() >= 3);
  for (int k = 0; k < 3; ++k) {
    CHECK(artist_of(*c, r.items[k]) == "a3");
    CHECK(r.items[k].reasons[0].find("you played a3 ") == 0);
  }
  // The always-skipped track falls below its artist's other three, so the cap of three per artist leaves it out.
  CHECK(std::find(ids.begin(), ids.end(), "id-7-0") == ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "id-7-1") != ids.end());
}

TEST_CASE("recommender: bad limits and contexts are 400s naming the parameter") {
  auto c = library();
  auto field_of = [&](RecommendQuery q) {
    try {
      recommend_tracks(*c, {}, {}, {}, q);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadRequest);
      return e.fields().begin()->first;
    }
    return std::string("none");
  };
  CHECK(field_of({.limit = 0}) == "limit");
  CHECK(field_of({.limit = kMaxRecommendations + 1}) == "limit");
  CHECK(field_of({.limit = 5, .context = "disco"}) == "context");
  // An unknown genre is no match, not an error.
  CHECK(recommend_tracks(*c, {}, {}, {}, {.limit = 5, .genre = "polka"}).items.empty());
  // An empty catalogue gives nothing.
  CHECK(recommend_tracks(*Catalog::from_tracks({}), {}, {}, {}, {}).items.empty());
}

TEST_CASE("collab model: learns taste groups from listens, beats popularity on held-out plays, survives save/load") {
  auto c = library();
  // 60 profiles: the calm group plays a0-a4's tracks, the loud group a5-a9's, each 8 of its group's 20 tracks;
  // one track of the loud group is played by every profile (a popular track).
  std::vector<store::TrackPlayStats> stats;
  std::uint32_t seed = 7;
  auto rnd = [&] { return (seed = seed * 1664525u + 1013904223u) >> 8; };
  for (int u = 0; u < 60; ++u) {
    const bool calm = u % 2 == 0;
    std::set<int> picked;
    while (picked.size() < 8) picked.insert(rnd() % 20);
    for (int k : picked) {
      const int a = (calm ? 0 : 5) + k / 4;
      stats.push_back(play("p" + std::to_string(u), "id-" + std::to_string(a) + "-" + std::to_string(k % 4), 1 + rnd() % 3));
    }
    if (calm) stats.push_back(play("p" + std::to_string(u), "id-9-3", 1));
  }
  std::sort(stats.begin(), stats.end(), [](auto& a, auto& b) { return std::tie(a.profile_id, a.track_id) < std::tie(b.profile_id, b.track_id); });
  auto model = CollabModel::train(stats, {.lambda = 10});
  const auto m = model->metrics();
  CHECK(m["profiles"] == 60);
  CHECK(m["evaluation"]["recall"].get<double>() > m["evaluation"]["popularityRecall"].get<double>() + 0.1);

  // A new calm listener: calm tracks score above loud ones.
  std::vector<store::TrackPlayStats> mine = {play("new", "id-0-0", 2), play("new", "id-1-1", 1), play("new", "id-2-2", 3)};
  auto s = model->scores(*c, mine);
  double calm_sum = 0, loud_sum = 0;
  for (std::size_t i = 0; i < c->size(); ++i) (c->features(i)[0] < 0.5 ? calm_sum : loud_sum) += s[i];
  CHECK(calm_sum > loud_sum);

  // Through the recommender: the first item is calm, with the collaborative reason naming what was played.
  ProfileSignals p;
  p.plays = mine;
  auto r = recommend_tracks(*c, p, s, model->popularity(*c), {.limit = 5, .context = "none"});
  REQUIRE(!r.items.empty());
  CHECK(c->features(r.items[0].track)[0] < 0.5);
  CHECK(r.items[0].reasons[0].find("listeners who play") == 0);

  test::TempDir dir;
  model->save(dir.path() / "m.ease");
  auto back = CollabModel::load(dir.path() / "m.ease");
  CHECK(back->scores(*c, mine) == s);
  CHECK(back->metrics() == m);

  // Too little data is a clear refusal.
  CHECK_THROWS_AS(CollabModel::train({play("x", "id-0-0", 1)}, {}), Error);
}

TEST_CASE("learned preferences: the genres, artists and tempo range a profile actually plays") {
  auto c = library();
  std::vector<store::TrackPlayStats> plays = {play("me", "id-5-0", 5), play("me", "id-5-1", 3), play("me", "id-6-0", 4),
                                              play("me", "id-6-1", 2), play("me", "id-7-2", 2), play("me", "id-0-0", 3, 3)};
  auto learned = learn_preferences(*c, plays);
  auto find = [&](const std::string& type) {
    std::vector<store::Preference> out;
    for (const auto& p : learned)
      if (p.type == type) out.push_back(p);
    return out;
  };
  auto genres = find("genre");
  REQUIRE(genres.size() == 1);  // jazz was only skipped
  CHECK(genres[0].value == "rock");
  CHECK(genres[0].weight == doctest::Approx(1.0));
  auto artists = find("artist");
  REQUIRE(artists.size() >= 2);
  CHECK(artists[0].value == "a5");  // 8 of 16 plays
  CHECK(artists[1].value == "a6");
  auto tempo = find("tempo");
  REQUIRE(tempo.size() == 1);
  CHECK(tempo[0].value["minBpm"] == 150);
  CHECK(tempo[0].value["maxBpm"] == 150);
  CHECK(learn_preferences(*c, {}).empty());
}
