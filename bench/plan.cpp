// bench/plan: the tune-vector planner on a synthetic catalogue of 100,000 tracks (uniform random features,
// 2..6 minutes, 12 genres, 5,000 artists). Plans a 60-minute tune vector (ascent, descent and a guided one in
// turn) 200 times and answers `next` 1,000 times (sessions of played and skipped events with heart-rate
// readings, each starting over at the end), printing p50 / p99 in ms; beside them, a plain greedy full pass
// over the catalogue per slot (the peer the grid is measured against) on the same plans. Then recommendations
// (GET /api/profiles/{id}/recommendations' work: the collaborative model's scores on the profile's plays, the
// popularity, recommend()) for --profiles synthetic listeners with 30 plays each from a taste cluster, after
// training the collaborative model on them (timed), 1,000 times: p50 / p99.
//
//   scripts/build --target plan && build/bench/plan [--tracks N] [--plans N] [--nexts N] [--profiles N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/collab_model.hpp"
#include "cadenza/recommend/recommender.hpp"
#include "cadenza/recommend/planner.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/recommend/tune_session.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::shared_ptr<const Catalog> synthetic(std::size_t n) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1), len(2, 6);
  std::vector<store::Track> tracks;
  tracks.reserve(n);
  const char* genres[] = {"pop", "rock", "jazz", "ambient", "techno", "house", "folk", "classical", "hip hop", "soul", "metal", "blues"};
  char id[64];
  for (std::size_t i = 0; i < n; ++i) {
    store::Track t;
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zu", i);
    t.id = id;
    t.title = "Track " + std::to_string(i);
    t.artist = "Artist " + std::to_string(i % 5000);
    t.duration_ms = static_cast<std::int64_t>(len(rng) * 60000);
    t.energy = u(rng);
    t.tempo = u(rng);
    t.valence = u(rng);
    t.acousticness = u(rng);
    t.density = u(rng);
    t.bpm = bpm_from_tempo(t.tempo);
    t.genres = {genres[i % 12], genres[(i / 12) % 12]};
    tracks.push_back(std::move(t));
  }
  return Catalog::from_tracks(std::move(tracks));
}

std::vector<json> tunes() {
  json guided = {{"mode", "guided"},
                 {"waypoints", *preset_waypoints("ascent", 60)},
                 {"genres", json::array({{{"genre", "ambient"}, {"minutes", 20}},
                                         {{"genre", "house"}, {"minutes", 20}},
                                         {{"genre", "techno"}, {"minutes", 20}}})}};
  return {{{"mode", "adaptive"}, {"waypoints", *preset_waypoints("ascent", 60)}, {"genres", json::array()}},
          {{"mode", "adaptive"}, {"waypoints", *preset_waypoints("descent", 60)}, {"genres", json::array()}}, guided};
}

// The peer: plain greedy, every slot a pass over the whole catalogue (same distance, step bound, no repeats).
std::size_t full_scan_plan(const Catalog& c, const json& waypoints, double end) {
  std::vector<char> used(c.size(), 0);
  std::optional<Features> prev;
  double t = 0;
  std::size_t placed = 0;
  while (t < end) {
    double best = 1e9;
    std::size_t best_i = c.size();
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (used[i]) continue;
      const auto& f = c.features(i);
      if (prev) {
        double s = 0;
        for (std::size_t k = 0; k < kFeatureCount; ++k) s = std::max(s, static_cast<double>(std::abs(f[k] - (*prev)[k])));
        if (s > kDefaultMaxStep) continue;
      }
      auto target = target_at(waypoints, t + static_cast<double>(c.duration_ms(i)) / 120000);
      double sq = 0;
      for (std::size_t k = 0; k < kFeatureCount; ++k) sq += (f[k] - target[k]) * (f[k] - target[k]);
      if (sq < best) best = sq, best_i = i;
    }
    if (best_i == c.size()) break;
    used[best_i] = 1;
    prev = c.features(best_i);
    t += static_cast<double>(c.duration_ms(best_i)) / 60000;
    ++placed;
  }
  return placed;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n_tracks = 100000, n_plans = 200, n_nexts = 1000, n_profiles = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    auto v = static_cast<std::size_t>(std::strtoull(argv[i + 1], nullptr, 10));
    if (!std::strcmp(argv[i], "--tracks")) n_tracks = v;
    else if (!std::strcmp(argv[i], "--plans")) n_plans = v;
    else if (!std::strcmp(argv[i], "--nexts")) n_nexts = v;
    else if (!std::strcmp(argv[i], "--profiles")) n_profiles = v;
  }
  auto t0 = Clock::now();
  auto catalog = synthetic(n_tracks);
  std::printf("catalogue: %zu tracks, %zu genres, %zu artists (built in %.0f ms)\n", catalog->size(),
              catalog->genre_count(), catalog->artist_count(), ms_since(t0));
  auto all = tunes();
  std::vector<store::Preference> prefs(2);
  prefs[0].type = "genre", prefs[0].value = "jazz", prefs[0].rank = 0;
  prefs[1].type = "tempo", prefs[1].value = {{"minBpm", 100}, {"maxBpm", 130}}, prefs[1].rank = 1;

  std::vector<double> plan_ms;
  double tracks_sum = 0, distance_sum = 0;
  for (std::size_t i = 0; i < n_plans; ++i) {
    const auto& tune = all[i % all.size()];
    auto s = Clock::now();
    auto r = fresh_plan({*catalog, tune, prefs, {}});
    plan_ms.push_back(ms_since(s));
    tracks_sum += static_cast<double>(r.plan["tracks"].size());
    distance_sum += r.plan["summary"]["meanDistance"].get<double>();
  }
  std::printf("plan (60 min, fresh_plan incl. JSON) x%zu: p50 %.2f ms, p99 %.2f ms; %.1f tracks, mean distance %.4f\n",
              n_plans, percentile(plan_ms, 0.5), percentile(plan_ms, 0.99), tracks_sum / static_cast<double>(n_plans),
              distance_sum / static_cast<double>(n_plans));

  std::vector<double> next_ms;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> hr(90, 180);
  std::size_t session = 0;
  while (next_ms.size() < n_nexts) {
    const auto& tune = all[session++ % all.size()];
    auto r = fresh_plan({*catalog, tune, prefs, {}});
    json plan = r.plan, state = r.state, next = r.next;
    double at = 0;
    while (!next.is_null() && next_ms.size() < n_nexts) {
      bool skip = next_ms.size() % 4 == 3;
      at = next["atMinute"].get<double>() * 60 + (skip ? 20 : next["durationMs"].get<double>() / 1000);
      SessionEvent e{next["trackId"].get<std::string>(), skip ? "skipped" : "played", at, json{{"heartRate", hr(rng)}}};
      auto s = Clock::now();
      auto out = next_track({*catalog, tune, prefs, {"heart_rate"}}, plan, state, e);
      next_ms.push_back(ms_since(s));
      plan = std::move(out.plan);
      state = std::move(out.state);
      next = std::move(out.next);
    }
  }
  std::printf("next (played/skipped + heart rate, re-plans the rest) x%zu: p50 %.2f ms, p99 %.2f ms\n", n_nexts,
              percentile(next_ms, 0.5), percentile(next_ms, 0.99));

  // The peer, on the adaptive ascent: a fraction of the plans (it is slow).
  std::vector<double> peer_ms;
  for (int i = 0; i < 10; ++i) {
    auto s = Clock::now();
    full_scan_plan(*catalog, all[0]["waypoints"], 60);
    peer_ms.push_back(ms_since(s));
  }
  double p50 = percentile(plan_ms, 0.5), peer = percentile(peer_ms, 0.5);
  std::printf("peer (greedy, a full pass per slot, no lookahead) x10: p50 %.2f ms; planner / peer = %.3f\n", peer,
              peer > 0 ? p50 / peer : 0.0);

  // Recommendations: listeners in 20 taste clusters (by energy), 30 plays each from the 2,000 tracks of theirs.
  std::vector<std::vector<std::size_t>> cluster(20);
  for (std::size_t i = 0; i < catalog->size(); ++i) {
    auto c = std::min<std::size_t>(19, static_cast<std::size_t>(catalog->features(i)[0] * 20));
    if (cluster[c].size() < 2000) cluster[c].push_back(i);
  }
  std::vector<std::vector<store::TrackPlayStats>> plays(n_profiles);
  std::vector<store::TrackPlayStats> all_stats;
  std::uniform_int_distribution<int> count(1, 5);
  for (std::size_t u = 0; u < n_profiles; ++u) {
    const auto& mine = cluster[u % 20];
    std::uniform_int_distribution<std::size_t> pick(0, mine.size() - 1);
    std::set<std::size_t> chosen;
    while (chosen.size() < 30) chosen.insert(mine[pick(rng)]);
    for (auto i : chosen) {
      const int n = count(rng);
      plays[u].push_back({"profile-" + std::to_string(u), catalog->id(i), n, n, 0, n * 200000LL, 0});
    }
    all_stats.insert(all_stats.end(), plays[u].begin(), plays[u].end());
  }
  auto ts = Clock::now();
  auto model = CollabModel::train(all_stats, {.lambda = 50, .threads = 2});
  const auto metrics = model->metrics();
  std::printf("collaborative model: %zu profiles x %zu tracks, %zu plays, trained in %.0f ms; held-out Recall@10 %.3f "
              "(popularity %.3f)\n",
              n_profiles, model->tracks(), all_stats.size(), ms_since(ts),
              metrics["evaluation"]["recall"].get<double>(), metrics["evaluation"]["popularityRecall"].get<double>());
  std::vector<double> rec_ms;
  for (std::size_t k = 0; k < 1000; ++k) {
    ProfileSignals p;
    p.plays = plays[(k * 7919) % n_profiles];
    p.preferences = prefs;
    p.readings = {{"heart_rate", hr(rng)}, {"time_of_day", 21}};
    auto s = Clock::now();
    auto collab = model->scores(*catalog, p.plays);
    auto pop = model->popularity(*catalog);
    auto r = recommend_tracks(*catalog, p, collab, pop, {.limit = 20});
    rec_ms.push_back(ms_since(s));
    if (r.items.size() != 20) std::printf("short answer: %zu items\n", r.items.size());
  }
  std::printf("recommendations (limit 20, model + preferences + context) x1000 on %zu tracks: p50 %.2f ms, p99 %.2f ms\n",
              catalog->size(), percentile(rec_ms, 0.5), percentile(rec_ms, 0.99));
  return 0;
}
