// bench/plan: the tune-vector planner on a synthetic catalogue of 100,000 tracks (uniform random features,
// 2..6 minutes, 12 genres, 5,000 artists). Plans a 60-minute tune vector (ascent, descent and a guided one in
// turn) 200 times and answers `next` 1,000 times (sessions of played and skipped events with heart-rate
// readings, each starting over at the end), printing p50 / p99 in ms; beside them, a plain greedy full pass
// over the catalogue per slot (the peer the grid is measured against) on the same plans.
//
//   scripts/build --target plan && build/bench/plan [--tracks N] [--plans N] [--nexts N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cadenza/recommend/catalog.hpp"
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
  std::size_t n_tracks = 100000, n_plans = 200, n_nexts = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    auto v = static_cast<std::size_t>(std::strtoull(argv[i + 1], nullptr, 10));
    if (!std::strcmp(argv[i], "--tracks")) n_tracks = v;
    else if (!std::strcmp(argv[i], "--plans")) n_plans = v;
    else if (!std::strcmp(argv[i], "--nexts")) n_nexts = v;
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
  return 0;
}
