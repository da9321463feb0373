// bench/trajectory: how well the tune-vector planner follows its curve on a real catalogue, beside a greedy
// planner in the same run.
//
// Catalogue: ../shared/datasets/spotify-top-hits-2000-2019/songs_normalize.csv read through the engine's own
// track import (recommend/track_import.hpp, the five dimensions of track_features.hpp) into a temporary
// tenant database, then Catalog::load, as the server sees it (1,931 tracks after the import's de-duplication).
//
// Plans, each planned once without and once with guided genre boxes:
//   presets  ascent and descent (tune_plan.hpp's preset_waypoints) over 30, 60 and 120 minutes; guided:
//            three equal boxes, "R&B" -> "pop" -> "Dance/Electronic" (ascent) and the reverse (descent);
//   random   --plans waypoint plans (seeded): 30..120 minutes, 2..5 waypoints at random minutes, each naming
//            all five dimensions, targets uniform within the catalogue's 5th..95th percentile of each
//            feature (what a catalogue of top hits can give); guided: 2..3 boxes of at least 10 minutes,
//            genres drawn from the catalogue's 7 largest.
// Every plan is made for a profile with preferences (presets: genre "pop" rank 0, tempo 100..130 bpm rank 1,
// artist "Rihanna" rank 2; random plans: 1..3 random ones of genre / tempo range / artist), unless
// --no-preferences.
//
// Planners:
//   planner  recommend::plan_tracks with the defaults fresh_plan uses (step bound 0.25, 4 lookahead
//            candidates), preferences included; timed without the JSON;
//   greedy   per slot, the unused track nearest the target (RMS over the five features, at the track's
//            midpoint, as the planner scores it), no lookahead, no step bound, no preferences; in a guided
//            plan it keeps to the box's genre like the planner (any genre once none is left). Same end
//            rule: tracks follow while a track's midpoint is before the end.
//
// Figures, measured here from the chosen tracks (not the planner's own summary), per plan, then the mean
// over plans:
//   |f - T|     the time integral over the playing time of |feature - target(t)| / playing time, mean of
//               the five features and per feature (tempo in its 0..1 mapping: 0.1 = 18 bpm)
//   in +-0.1    share of playing time a feature is within 0.1 of the target (mean of the five), and the
//               share with all five within 0.1 at once
//   max step    largest change of any feature between consecutive tracks (mean of the plans' largest, the
//               largest of all, and how many plans exceed the 0.25 bound)
//   box         guided: share of playing time whose track has the genre of the box of that instant, and
//               share of tracks with the genre of the box their midpoint falls in (the planner's rule)
//   repeats     tracks chosen more than once (count, all plans)
//   relevance   the planner's relevance of a track (planner.hpp: min(1, sum of matched preferences' weight /
//               (1 + rank)); the bonus is kPreferenceBonus times it): the chosen tracks' mean relevance over
//               that of the unconstrained top-N by relevance (N = the plan's tracks), and their mean
//               percentile in the catalogue (ties at the midpoint) beside the top-N's
//   ms/plan     wall time per plan
//
//   scripts/build --target trajectory && build/bench/trajectory [--plans 200] [--seed 1] [--csv PATH]
//                                                               [--no-preferences] [--verbose]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/log.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/planner.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/track_import.hpp"
#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/store/tenant_dbs.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t F = kFeatureCount;
constexpr double kWithin = 0.1;
const char* const kFeatureNames[F] = {"energy", "tempo", "valence", "acousticness", "density"};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double percentile_of(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(i == 0 ? 0 : i - 1, v.size() - 1)];
}

// The waypoint curve, every dimension named at every waypoint (true of the presets and of the plans made
// here); 0..1 per feature, tempo mapped. Held flat outside the waypoints, like the planner's.
struct Curve {
  std::vector<double> minutes;
  std::vector<std::array<double, F>> values;
  explicit Curve(const json& waypoints) {
    for (const auto& w : waypoints) {
      minutes.push_back(w["atMinute"].get<double>());
      std::array<double, F> v{};
      for (std::size_t k = 0; k < F; ++k) {
        double x = w["target"][kFeatureNames[k]].get<double>();
        v[k] = k == 1 ? tempo_from_bpm(x) : x;
      }
      values.push_back(v);
    }
  }
  std::array<double, F> at(double m) const {
    if (m <= minutes.front()) return values.front();
    if (m >= minutes.back()) return values.back();
    auto hi = static_cast<std::size_t>(std::upper_bound(minutes.begin(), minutes.end(), m) - minutes.begin());
    double u = (m - minutes[hi - 1]) / (minutes[hi] - minutes[hi - 1]);
    std::array<double, F> out{};
    for (std::size_t k = 0; k < F; ++k) out[k] = values[hi - 1][k] + u * (values[hi][k] - values[hi - 1][k]);
    return out;
  }
  double end() const { return minutes.back(); }
};

struct Box {
  double end;
  std::int32_t genre;  // -1: not in the catalogue
};

std::vector<Box> boxes_of(const Catalog& c, const json& tune) {
  std::vector<Box> out;
  if (tune.value("mode", std::string()) != "guided") return out;
  double end = 0;
  for (const auto& g : tune["genres"]) {
    end += g["minutes"].get<double>();
    out.push_back({end, c.find_genre(g["genre"].get<std::string>()).value_or(-1)});
  }
  return out;
}

const Box* box_at(const std::vector<Box>& boxes, double m) {
  for (const auto& b : boxes)
    if (m < b.end) return &b;
  return boxes.empty() ? nullptr : &boxes.back();
}

// The planner's relevance of each track for these preferences (planner.hpp's formula, without the
// kPreferenceBonus factor): min(1, sum of matched weight / (1 + rank)).
std::vector<double> relevance(const Catalog& c, const std::vector<store::Preference>& prefs) {
  std::vector<double> out(c.size(), 0.0);
  for (const auto& p : prefs) {
    double w = std::clamp(p.weight, 0.0, 1.0) / (1.0 + static_cast<double>(std::max<std::int64_t>(0, p.rank)));
    if (p.type == "genre") {
      if (auto g = c.find_genre(p.value.get<std::string>()))
        for (std::size_t i = 0; i < c.size(); ++i)
          if (c.has_genre(i, *g)) out[i] += w;
    } else if (p.type == "artist") {
      if (auto a = c.find_artist(p.value.get<std::string>()))
        for (std::size_t i = 0; i < c.size(); ++i)
          if (c.artist(i) == *a) out[i] += w;
    } else if (p.type == "tempo") {
      double lo = p.value["minBpm"].get<double>(), hi = p.value["maxBpm"].get<double>();
      for (std::size_t i = 0; i < c.size(); ++i) {
        double bpm = std::isnan(c.bpm(i)) ? bpm_from_tempo(c.features(i)[1]) : c.bpm(i);
        if (bpm >= lo && bpm <= hi) out[i] += w;
      }
    }
  }
  for (auto& r : out) r = std::min(1.0, r);
  return out;
}

double minutes_of(const Catalog& c, std::size_t i) {
  auto ms = c.duration_ms(i);
  return ms > 0 ? static_cast<double>(ms) / 60000.0 : kDefaultTrackMinutes;
}

// The baseline: per slot, the nearest unused track to the target at its midpoint; no lookahead, no step bound.
std::vector<std::size_t> greedy_plan(const Catalog& c, const Curve& curve, const std::vector<Box>& boxes) {
  std::vector<char> used(c.size(), 0);
  std::vector<std::size_t> out;
  double t = 0;
  while (t < curve.end()) {
    std::size_t best_i = c.size();
    for (int pass = 0; pass < 2 && best_i == c.size(); ++pass) {
      double best = 1e18;
      for (std::size_t i = 0; i < c.size(); ++i) {
        if (used[i]) continue;
        double mid = t + minutes_of(c, i) / 2;
        if (pass == 0 && !boxes.empty()) {
          const auto* b = box_at(boxes, std::min(mid, curve.end()));
          if (b->genre < 0 || !c.has_genre(i, b->genre)) continue;
        }
        auto target = curve.at(mid);
        const auto& f = c.features(i);
        double sq = 0;
        for (std::size_t k = 0; k < F; ++k) sq += (f[k] - target[k]) * (f[k] - target[k]);
        if (sq < best) best = sq, best_i = i;
      }
      if (boxes.empty()) break;
    }
    if (best_i == c.size()) break;
    double minutes = minutes_of(c, best_i);
    if (t + minutes / 2 >= curve.end() && !out.empty()) break;
    used[best_i] = 1;
    out.push_back(best_i);
    t += minutes;
  }
  return out;
}

struct Figures {
  double mean_abs = 0;
  std::array<double, F> abs{};
  double within = 0, all_within = 0;
  double max_step = 0;
  double box = -1;      // -1: not guided
  double box_mid = -1;  // share of tracks whose genre is that of the box their midpoint falls in
  std::size_t repeats = 0, tracks = 0;
  double minutes = 0;
  double relevance_kept = -1;       // mean relevance chosen / mean relevance of the top-N (-1: no relevance)
  double percentile = -1, top_percentile = -1;
};

Figures measure(const Catalog& c, const Curve& curve, const std::vector<Box>& boxes, const std::vector<std::size_t>& tracks,
                const std::vector<double>& rel, const std::vector<double>& rel_percentile,
                const std::vector<double>& rel_sorted_desc) {
  Figures fig;
  fig.tracks = tracks.size();
  if (!boxes.empty()) fig.box_mid = 0;
  std::array<double, F> abs_int{}, within_int{};
  double all_within_int = 0, box_int = 0, total = 0;
  double t = 0;
  for (std::size_t n = 0; n < tracks.size(); ++n) {
    const auto i = tracks[n];
    const auto& f = c.features(i);
    const double len = minutes_of(c, i);
    // Midpoint rule on steps of at most 0.05 minutes (3 s).
    const int steps = std::max(8, static_cast<int>(std::ceil(len / 0.05)));
    const double dt = len / steps;
    for (int s = 0; s < steps; ++s) {
      const double m = t + (s + 0.5) * dt;
      auto target = curve.at(m);
      bool all = true;
      for (std::size_t k = 0; k < F; ++k) {
        double d = std::abs(f[k] - target[k]);
        abs_int[k] += d * dt;
        if (d <= kWithin + 1e-9) within_int[k] += dt;
        else all = false;
      }
      if (all) all_within_int += dt;
      if (!boxes.empty()) {
        const auto* b = box_at(boxes, m);
        if (b->genre >= 0 && c.has_genre(i, b->genre)) box_int += dt;
      }
    }
    if (!boxes.empty()) {
      const auto* b = box_at(boxes, std::min(t + len / 2, curve.end()));
      if (b->genre >= 0 && c.has_genre(i, b->genre)) fig.box_mid += 1;
    }
    total += len;
    t += len;
    if (n > 0) {
      const auto& p = c.features(tracks[n - 1]);
      for (std::size_t k = 0; k < F; ++k) fig.max_step = std::max(fig.max_step, static_cast<double>(std::abs(f[k] - p[k])));
    }
  }
  fig.minutes = total;
  if (total > 0) {
    for (std::size_t k = 0; k < F; ++k) {
      fig.abs[k] = abs_int[k] / total;
      fig.mean_abs += fig.abs[k] / F;
      fig.within += within_int[k] / total / F;
    }
    fig.all_within = all_within_int / total;
    if (!boxes.empty()) fig.box = box_int / total, fig.box_mid /= static_cast<double>(tracks.size());
  }
  std::set<std::size_t> distinct(tracks.begin(), tracks.end());
  fig.repeats = tracks.size() - distinct.size();
  if (!rel.empty() && !tracks.empty()) {
    double chosen = 0, pct = 0, top = 0;
    for (auto i : tracks) chosen += rel[i], pct += rel_percentile[i];
    const std::size_t n = std::min(tracks.size(), rel_sorted_desc.size());
    for (std::size_t k = 0; k < n; ++k) top += rel_sorted_desc[k];
    // The top-N's percentile: of the N best values, each at its own midpoint rank.
    double top_pct = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double v = rel_sorted_desc[k];
      auto below = static_cast<double>(rel_sorted_desc.end() -
                                       std::upper_bound(rel_sorted_desc.begin(), rel_sorted_desc.end(), v,
                                                        [](double a, double b) { return a > b; }));
      auto equal = static_cast<double>(std::count(rel_sorted_desc.begin(), rel_sorted_desc.end(), v));
      top_pct += 100.0 * (below + 0.5 * equal) / static_cast<double>(rel_sorted_desc.size());
    }
    fig.relevance_kept = top > 0 ? chosen / top : -1;
    fig.percentile = pct / static_cast<double>(tracks.size());
    fig.top_percentile = top_pct / static_cast<double>(n);
  }
  return fig;
}

struct Tally {
  std::size_t plans = 0;
  double mean_abs = 0, within = 0, all_within = 0, max_step = 0, max_step_max = 0, box = 0, box_mid = 0, tracks = 0, minutes = 0;
  std::array<double, F> abs{};
  std::size_t over_bound = 0, repeats = 0, box_plans = 0, rel_plans = 0;
  double rel_kept = 0, percentile = 0, top_percentile = 0;
  std::vector<double> ms;

  void add(const Figures& f, double ms_taken) {
    ++plans;
    mean_abs += f.mean_abs, within += f.within, all_within += f.all_within, max_step += f.max_step;
    for (std::size_t k = 0; k < F; ++k) abs[k] += f.abs[k];
    max_step_max = std::max(max_step_max, f.max_step);
    if (f.max_step > kDefaultMaxStep + 1e-6) ++over_bound;
    if (f.box >= 0) box += f.box, box_mid += f.box_mid, ++box_plans;
    repeats += f.repeats;
    tracks += static_cast<double>(f.tracks), minutes += f.minutes;
    if (f.relevance_kept >= 0) rel_kept += f.relevance_kept, percentile += f.percentile, top_percentile += f.top_percentile, ++rel_plans;
    ms.push_back(ms_taken);
  }
  double per(double sum) const { return plans ? sum / static_cast<double>(plans) : 0; }
};

struct Group {
  std::string name;
  Tally planner, greedy;
  std::size_t warned = 0, bound_not_kept = 0;  // the planner's own flags
};

void print_groups(const std::vector<Group*>& groups) {
  std::printf("\n%-34s", "");
  for (auto* g : groups) std::printf(" | %-25s", g->name.c_str());
  std::printf("\n%-34s", "figure (mean over plans)");
  for (std::size_t i = 0; i < groups.size(); ++i) std::printf(" | %8s %8s %7s", "planner", "greedy", "p/g");
  std::printf("\n");
  auto row = [&](const char* label, auto get, const char* fmt = "%8.4f") {
    std::printf("%-34s", label);
    for (auto* g : groups) {
      double a = get(g->planner), b = get(g->greedy);
      std::printf(" | ");
      if (a < 0) std::printf("%8s", "-");
      else std::printf(fmt, a);
      std::printf(" ");
      if (b < 0) std::printf("%8s", "-");
      else std::printf(fmt, b);
      if (a >= 0 && b > 0) std::printf(" %7.3f", a / b);
      else std::printf(" %7s", "-");
    }
    std::printf("\n");
  };
  row("plans", [](const Tally& t) { return static_cast<double>(t.plans); }, "%8.0f");
  row("tracks per plan", [](const Tally& t) { return t.per(t.tracks); }, "%8.1f");
  row("playing minutes per plan", [](const Tally& t) { return t.per(t.minutes); }, "%8.1f");
  row("|f - T| mean of 5 (time-weighted)", [](const Tally& t) { return t.per(t.mean_abs); });
  for (std::size_t k = 0; k < F; ++k) {
    std::string label = std::string("  |f - T| ") + kFeatureNames[k];
    row(label.c_str(), [k](const Tally& t) { return t.per(t.abs[k]); });
  }
  row("time within +-0.1 (mean of 5)", [](const Tally& t) { return t.per(t.within); });
  row("time with all 5 within +-0.1", [](const Tally& t) { return t.per(t.all_within); });
  row("largest step (plan max, mean)", [](const Tally& t) { return t.per(t.max_step); });
  row("largest step (max over plans)", [](const Tally& t) { return t.max_step_max; });
  row("plans with a step > 0.25", [](const Tally& t) { return static_cast<double>(t.over_bound); }, "%8.0f");
  row("guided: time in the box's genre", [](const Tally& t) { return t.box_plans ? t.box / static_cast<double>(t.box_plans) : -1.0; });
  row("guided: tracks in midpoint's box", [](const Tally& t) { return t.box_plans ? t.box_mid / static_cast<double>(t.box_plans) : -1.0; });
  row("repeated tracks (all plans)", [](const Tally& t) { return static_cast<double>(t.repeats); }, "%8.0f");
  row("relevance kept vs top-N", [](const Tally& t) { return t.rel_plans ? t.rel_kept / static_cast<double>(t.rel_plans) : -1.0; });
  row("relevance percentile, chosen", [](const Tally& t) { return t.rel_plans ? t.percentile / static_cast<double>(t.rel_plans) : -1.0; }, "%8.1f");
  row("relevance percentile, top-N", [](const Tally& t) { return t.rel_plans ? t.top_percentile / static_cast<double>(t.rel_plans) : -1.0; }, "%8.1f");
  row("ms per plan, mean", [](const Tally& t) { return t.per(std::accumulate(t.ms.begin(), t.ms.end(), 0.0)); }, "%8.3f");
  row("ms per plan, p99", [](const Tally& t) { return percentile_of(t.ms, 0.99); }, "%8.3f");
  std::printf("%-34s", "planner's own flags: warned / step bound not kept");
  for (auto* g : groups) std::printf(" | %8zu %8zu %7s", g->warned, g->bound_not_kept, "");
  std::printf("\n");
}

json waypoint(double minute, const std::array<double, F>& v) {
  json target = json::object();
  for (std::size_t k = 0; k < F; ++k) {
    double x = k == 1 ? bpm_from_tempo(v[k]) : v[k];
    target[kFeatureNames[k]] = std::round(x * 1000) / 1000;
  }
  return {{"atMinute", minute}, {"target", target}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv = "../shared/datasets/spotify-top-hits-2000-2019/songs_normalize.csv";
  std::size_t n_plans = 200;
  std::uint64_t seed = 1;
  bool use_prefs = true, verbose = false;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--plans")) n_plans = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--seed")) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--csv")) csv = argv[++i];
    else if (!std::strcmp(argv[i], "--no-preferences")) use_prefs = false;
    else if (!std::strcmp(argv[i], "--verbose")) verbose = true;
    else {
      std::fprintf(stderr, "usage: trajectory [--plans N] [--seed N] [--csv PATH] [--no-preferences] [--verbose]\n");
      return 2;
    }
  }

  init_logging("warn");  // not the migrations' lines
  // The catalogue, through the engine's import into a temporary tenant database.
  const fs::path dir = fs::temp_directory_path() / ("cadenza-trajectory-" + new_uuid());
  std::shared_ptr<const Catalog> catalog;
  {
    config::StorageConfig storage;
    storage.data_dir = (dir / "data").string();
    store::TenantDbs tenants(storage);
    auto& db = tenants.get(new_uuid());
    auto t0 = Clock::now();
    auto report = import_tracks_csv(db, fs::path(csv));
    catalog = Catalog::load(db);
    std::printf("catalogue: %s: %zu rows, %zu imported, %zu duplicates, %zu rejected -> %zu tracks, %zu genres, "
                "%zu artists (%.0f ms)\n",
                csv.c_str(), report.rows, report.imported, report.duplicates, report.rejected, catalog->size(),
                catalog->genre_count(), catalog->artist_count(), ms_since(t0));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  const Catalog& c = *catalog;
  if (c.size() < 100) {
    std::fprintf(stderr, "the catalogue has too few tracks\n");
    return 1;
  }

  // Per feature, the catalogue's 5th..95th percentiles (the random targets' range), and the largest genres.
  std::array<double, F> lo{}, hi{};
  for (std::size_t k = 0; k < F; ++k) {
    std::vector<double> v;
    for (std::size_t i = 0; i < c.size(); ++i) v.push_back(c.features(i)[k]);
    lo[k] = percentile_of(v, 0.05), hi[k] = percentile_of(v, 0.95);
  }
  std::vector<std::pair<std::size_t, std::int32_t>> genre_sizes;
  for (std::int32_t g = 0; g < static_cast<std::int32_t>(c.genre_count()); ++g) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < c.size(); ++i) n += c.has_genre(i, g);
    genre_sizes.emplace_back(n, g);
  }
  std::sort(genre_sizes.begin(), genre_sizes.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : c.genre_name(a.second) < c.genre_name(b.second);
  });
  std::vector<std::string> big_genres;
  for (std::size_t k = 0; k < std::min<std::size_t>(7, genre_sizes.size()); ++k)
    big_genres.push_back(c.genre_name(genre_sizes[k].second));
  std::vector<std::string> big_artists;  // artists with 10+ tracks
  {
    std::map<std::int32_t, int> n;
    for (std::size_t i = 0; i < c.size(); ++i) ++n[c.artist(i)];
    for (auto [a, k] : n)
      if (k >= 10) big_artists.push_back(c.artist_name(a));
    std::sort(big_artists.begin(), big_artists.end());  // catalogue indices follow the (random) track ids
  }
  std::printf("random targets within the 5..95th percentiles:");
  for (std::size_t k = 0; k < F; ++k) std::printf(" %s %.2f..%.2f", kFeatureNames[k], lo[k], hi[k]);
  std::printf("\nguided genres:");
  for (auto& g : big_genres) std::printf(" \"%s\"", g.c_str());
  std::printf("; artists with 10+ tracks: %zu\n", big_artists.size());

  auto pref = [](const std::string& type, json value, std::int64_t rank) {
    store::Preference p;
    p.type = type, p.value = std::move(value), p.rank = rank, p.weight = 1;
    return p;
  };

  Group presets{"presets (6)", {}, {}}, presets_guided{"presets guided (6)", {}, {}};
  Group random{"random", {}, {}}, random_guided{"random guided", {}, {}};
  random.name = "random (" + std::to_string(n_plans) + ")";
  random_guided.name = "random guided (" + std::to_string(n_plans) + ")";

  auto run = [&](Group& g, const json& tune, const std::vector<store::Preference>& prefs, int repeats,
                 const std::string& label) {
    Curve curve(tune["waypoints"]);
    // The bench's curve against the engine's target_at, at a few minutes.
    for (double m : {0.0, curve.end() / 3, curve.end() / 2, curve.end()}) {
      auto mine = curve.at(m);
      auto theirs = target_at(tune["waypoints"], m);
      for (std::size_t k = 0; k < F; ++k)
        if (std::abs(mine[k] - theirs[k]) > 1e-4) {
          std::fprintf(stderr, "curve mismatch at minute %.2f, %s: %.4f vs %.4f\n", m, kFeatureNames[k], mine[k],
                       static_cast<double>(theirs[k]));
          std::exit(1);
        }
    }
    auto boxes = boxes_of(c, tune);
    auto rel = use_prefs ? relevance(c, prefs) : std::vector<double>{};
    std::vector<double> rel_pct, rel_sorted;
    if (!rel.empty()) {
      rel_sorted = rel;
      std::sort(rel_sorted.rbegin(), rel_sorted.rend());
      std::vector<double> asc(rel.rbegin(), rel.rend());
      std::sort(asc.begin(), asc.end());
      for (double r : rel) {
        auto below = static_cast<double>(std::lower_bound(asc.begin(), asc.end(), r) - asc.begin());
        auto equal = static_cast<double>(std::upper_bound(asc.begin(), asc.end(), r) - asc.begin()) - below;
        rel_pct.push_back(100.0 * (below + 0.5 * equal) / static_cast<double>(asc.size()));
      }
      if (rel_sorted.front() <= 0) rel.clear();  // no track matches: nothing to give up
    }
    Plan plan;
    auto t0 = Clock::now();
    for (int r = 0; r < repeats; ++r) plan = plan_tracks(c, tune, prefs, {});
    double planner_ms = ms_since(t0) / repeats;
    std::vector<std::size_t> chosen;
    for (const auto& p : plan.tracks) chosen.push_back(p.track);
    auto pf = measure(c, curve, boxes, chosen, rel, rel_pct, rel_sorted);
    g.planner.add(pf, planner_ms);
    if (!plan.warnings.empty()) ++g.warned;
    if (!plan.step_bound_kept) ++g.bound_not_kept;

    std::vector<std::size_t> greedy;
    t0 = Clock::now();
    for (int r = 0; r < repeats; ++r) greedy = greedy_plan(c, curve, boxes);
    double greedy_ms = ms_since(t0) / repeats;
    auto gf = measure(c, curve, boxes, greedy, rel, rel_pct, rel_sorted);
    g.greedy.add(gf, greedy_ms);
    if (verbose)
      std::printf("  %-28s planner %2zu tracks |f-T| %.3f in0.1 %.2f step %.3f box %5.2f rel %5.2f %.2f ms%s | greedy "
                  "%2zu |f-T| %.3f in0.1 %.2f step %.3f box %5.2f rel %5.2f\n",
                  label.c_str(), pf.tracks, pf.mean_abs, pf.within, pf.max_step, pf.box, pf.relevance_kept, planner_ms,
                  plan.warnings.empty() ? "" : " (warned)", gf.tracks, gf.mean_abs, gf.within, gf.max_step, gf.box,
                  gf.relevance_kept);
  };

  // Presets.
  const std::vector<store::Preference> preset_prefs =
      use_prefs ? std::vector<store::Preference>{pref("genre", "pop", 0), pref("tempo", {{"minBpm", 100}, {"maxBpm", 130}}, 1),
                                                 pref("artist", "Rihanna", 2)}
                : std::vector<store::Preference>{};
  for (const char* name : {"ascent", "descent"})
    for (double minutes : {30.0, 60.0, 120.0}) {
      auto w = *preset_waypoints(name, minutes);
      json plain = {{"mode", "adaptive"}, {"waypoints", w}, {"genres", json::array()}};
      const bool up = std::string(name) == "ascent";
      json seq = json::array();
      for (const char* g : up ? std::vector<const char*>{"R&B", "pop", "Dance/Electronic"}
                              : std::vector<const char*>{"Dance/Electronic", "pop", "R&B"})
        seq.push_back({{"genre", g}, {"minutes", minutes / 3}});
      json guided = {{"mode", "guided"}, {"waypoints", w}, {"genres", seq}};
      char label[64];
      std::snprintf(label, sizeof label, "%s %.0f min", name, minutes);
      run(presets, plain, preset_prefs, 20, label);
      run(presets_guided, guided, preset_prefs, 20, std::string(label) + " guided");
    }

  // Random waypoint plans.
  std::mt19937_64 rng(seed);
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  for (std::size_t p = 0; p < n_plans; ++p) {
    const double duration = static_cast<double>(30 + pick(91));
    const std::size_t n_way = 2 + pick(4);
    std::vector<double> at{0, duration};
    while (at.size() < n_way) {
      double m = std::round(uniform(1, duration - 1));
      if (std::find(at.begin(), at.end(), m) == at.end()) at.push_back(m);
    }
    std::sort(at.begin(), at.end());
    json w = json::array();
    for (double m : at) {
      std::array<double, F> v{};
      for (std::size_t k = 0; k < F; ++k) v[k] = uniform(lo[k], hi[k]);
      w.push_back(waypoint(m, v));
    }
    // Boxes: 2..3, each at least 10 minutes, whole minutes.
    const std::size_t n_box = 2 + pick(2);
    std::vector<double> cuts;
    while (true) {
      cuts = {0, duration};
      for (std::size_t b = 1; b < n_box; ++b) cuts.push_back(std::round(uniform(10, duration - 10)));
      std::sort(cuts.begin(), cuts.end());
      bool ok = true;
      for (std::size_t b = 1; b < cuts.size(); ++b) ok = ok && cuts[b] - cuts[b - 1] >= 10;
      if (ok) break;
    }
    json seq = json::array();
    std::string last;
    for (std::size_t b = 1; b < cuts.size(); ++b) {
      std::string g;
      do g = big_genres[pick(big_genres.size())];
      while (g == last);
      last = g;
      seq.push_back({{"genre", g}, {"minutes", cuts[b] - cuts[b - 1]}});
    }
    std::vector<store::Preference> prefs;
    if (use_prefs) {
      const std::size_t n_pref = 1 + pick(3);
      std::vector<int> kinds{0, 1, 2};
      std::shuffle(kinds.begin(), kinds.end(), rng);
      for (std::size_t r = 0; r < n_pref; ++r) {
        auto rank = static_cast<std::int64_t>(r);
        if (kinds[r] == 0) prefs.push_back(pref("genre", big_genres[pick(big_genres.size())], rank));
        else if (kinds[r] == 1) {
          double a = std::round(uniform(70, 150));
          prefs.push_back(pref("tempo", {{"minBpm", a}, {"maxBpm", a + std::round(uniform(15, 40))}}, rank));
        } else if (!big_artists.empty()) {
          prefs.push_back(pref("artist", big_artists[pick(big_artists.size())], rank));
        }
      }
    }
    json plain = {{"mode", "adaptive"}, {"waypoints", w}, {"genres", json::array()}};
    json guided = {{"mode", "guided"}, {"waypoints", w}, {"genres", seq}};
    char label[64];
    std::snprintf(label, sizeof label, "random %zu (%.0f min, %zu wp)", p, duration, n_way);
    run(random, plain, prefs, 1, label);
    run(random_guided, guided, prefs, 1, std::string(label) + " g");
  }

  std::printf("\nplanner: plan_tracks, step bound %.2f, 4 lookahead candidates, preferences %s; greedy: nearest "
              "unused track per slot, no lookahead, no step bound, no preferences (keeps to the box's genre)\n",
              kDefaultMaxStep, use_prefs ? "on" : "off");
  std::printf("|f - T|: 0..1 units (tempo: 0.1 = 18 bpm); relevance: planner.hpp's preference match; p/g: planner / greedy\n");
  print_groups({&presets, &presets_guided});
  print_groups({&random, &random_guided});
  return 0;
}
