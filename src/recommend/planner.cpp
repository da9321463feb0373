#include "cadenza/recommend/planner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/tune_plan.hpp"

namespace cadenza::recommend {
namespace {

constexpr std::size_t F = kFeatureCount;
constexpr std::size_t kMaxTracks = 2000;     // a plan's tracks at most (1440 minutes of very short tracks)
constexpr double kRelaxedStepWeight = 10;    // a relaxed step bound: each unit of excess step costs this much
constexpr double kNoFollowerCost = 1;        // lookahead: a candidate no track could follow
constexpr std::size_t kRareGenreShare = 8;   // a genre on fewer than 1/8 of the tracks is walked, not searched

// The waypoint curve with every dimension known at every waypoint (interpolated between the waypoints that
// name it, which is the same piecewise-linear function).
struct Curve {
  std::vector<double> minutes;
  std::vector<Features> values;
  std::array<bool, F> compared{};

  Features at(double minute) const {
    if (minutes.empty()) return {};
    if (minute <= minutes.front()) return values.front();
    if (minute >= minutes.back()) return values.back();
    auto hi = static_cast<std::size_t>(std::upper_bound(minutes.begin(), minutes.end(), minute) - minutes.begin());
    auto lo = hi - 1;
    double u = (minute - minutes[lo]) / (minutes[hi] - minutes[lo]);
    Features out{};
    for (std::size_t k = 0; k < F; ++k)
      out[k] = static_cast<float>(values[lo][k] + u * (values[hi][k] - values[lo][k]));
    return out;
  }
};

Curve parse_curve(const nlohmann::json& waypoints) {
  if (!waypoints.is_array() || waypoints.empty())
    throw Error(ErrorKind::BadRequest, "The tune vector has no waypoints", {{"waypoints", "are required"}});
  Curve c;
  auto dims = dimensions();
  // Per dimension, the (minute, value 0..1) points that name it.
  std::array<std::vector<std::pair<double, double>>, F> points;
  for (const auto& w : waypoints) {
    if (!w.is_object() || !w.contains("atMinute") || !w["atMinute"].is_number())
      throw Error(ErrorKind::BadRequest, "A waypoint has no atMinute", {{"waypoints", "need atMinute"}});
    double m = w["atMinute"].get<double>();
    c.minutes.push_back(m);
    if (!w.contains("target") || !w["target"].is_object()) continue;
    for (std::size_t k = 0; k < F; ++k) {
      auto it = w["target"].find(std::string(dims[k].name));
      if (it == w["target"].end() || !it->is_number()) continue;
      double v = it->get<double>();
      if (k == 1) v = tempo_from_bpm(v);
      points[k].emplace_back(m, std::clamp(v, 0.0, 1.0));
    }
  }
  for (std::size_t i = 1; i < c.minutes.size(); ++i)
    if (!(c.minutes[i] > c.minutes[i - 1]))
      throw Error(ErrorKind::BadRequest, "Waypoints are not in time order", {{"waypoints", "must be increasing"}});
  c.values.assign(c.minutes.size(), Features{});
  for (std::size_t k = 0; k < F; ++k) {
    const auto& p = points[k];
    c.compared[k] = !p.empty();
    if (p.empty()) continue;
    for (std::size_t i = 0; i < c.minutes.size(); ++i) {
      double m = c.minutes[i], v;
      if (m <= p.front().first) v = p.front().second;
      else if (m >= p.back().first) v = p.back().second;
      else {
        std::size_t hi = 1;
        while (p[hi].first < m) ++hi;
        const auto& [m0, v0] = p[hi - 1];
        const auto& [m1, v1] = p[hi];
        v = v0 + (m - m0) / (m1 - m0) * (v1 - v0);
      }
      c.values[i][k] = static_cast<float>(v);
    }
  }
  return c;
}

struct GenreBox {
  double end_minute;
  std::int32_t genre;  // -1: no track of the catalogue has it
  std::string name;
};

std::vector<GenreBox> parse_boxes(const Catalog& catalog, const nlohmann::json& tune) {
  std::vector<GenreBox> boxes;
  if (tune.value("mode", std::string("adaptive")) != "guided") return boxes;
  auto genres = tune.contains("genres") ? tune["genres"] : nlohmann::json::array();
  if (!genres.is_array()) throw Error(ErrorKind::BadRequest, "genres must be an array", {{"genres", "must be an array"}});
  double end = 0;
  for (const auto& g : genres) {
    if (!g.is_object() || !g.contains("genre") || !g["genre"].is_string() || !g.contains("minutes") ||
        !g["minutes"].is_number())
      throw Error(ErrorKind::BadRequest, "A genre span needs genre and minutes", {{"genres", "need {genre, minutes}"}});
    end += g["minutes"].get<double>();
    auto name = g["genre"].get<std::string>();
    boxes.push_back({end, catalog.find_genre(name).value_or(-1), name});
  }
  return boxes;
}

struct Preferences {
  std::vector<double> genre;                         // by genre id
  std::vector<std::pair<std::int32_t, double>> artist;
  struct Tempo {
    double lo, hi, weight;
  };
  std::vector<Tempo> tempo;
  bool any = false;
};

Preferences read_preferences(const Catalog& catalog, const std::vector<store::Preference>& prefs) {
  Preferences out;
  out.genre.assign(catalog.genre_count(), 0.0);
  for (const auto& p : prefs) {
    double w = std::clamp(p.weight, 0.0, 1.0) / (1.0 + static_cast<double>(std::max<std::int64_t>(0, p.rank)));
    if (w <= 0) continue;
    if (p.type == "genre" && p.value.is_string()) {
      if (auto g = catalog.find_genre(p.value.get<std::string>())) out.genre[static_cast<std::size_t>(*g)] += w, out.any = true;
    } else if (p.type == "artist" && p.value.is_string()) {
      if (auto a = catalog.find_artist(p.value.get<std::string>())) out.artist.emplace_back(*a, w), out.any = true;
    } else if (p.type == "tempo" && p.value.is_object() && p.value.contains("minBpm") && p.value.contains("maxBpm") &&
               p.value["minBpm"].is_number() && p.value["maxBpm"].is_number()) {
      out.tempo.push_back({p.value["minBpm"].get<double>(), p.value["maxBpm"].get<double>(), w});
      out.any = true;
    }
  }
  return out;
}

int bin(double v) { return std::clamp(static_cast<int>(v * kGridBins), 0, kGridBins - 1); }

struct Candidate {
  double cost;      // what ranks candidates
  double distance;  // to the target, alone
  double step;
  std::size_t track;
  Features target;
};

// One planning call's state: the catalogue's grid, the used tracks, the scoring.
class Planner {
 public:
  Planner(const Catalog& catalog, const nlohmann::json& tune, const std::vector<store::Preference>& prefs,
          const PlanOptions& o)
      : c_(catalog), o_(o), curve_(parse_curve(tune.contains("waypoints") ? tune["waypoints"] : nlohmann::json())),
        boxes_(parse_boxes(catalog, tune)), prefs_(read_preferences(catalog, prefs)) {
    compared_count_ = static_cast<int>(std::count(curve_.compared.begin(), curve_.compared.end(), true));
    used_.assign(c_.size(), 0);
    for (auto i : o_.exclude)
      if (i < used_.size()) used_[i] = 1;
    build_grid();
  }

  const Curve& curve() const { return curve_; }
  std::size_t available() const { return static_cast<std::size_t>(std::count(used_.begin(), used_.end(), 0)); }
  double mean_minutes() const { return mean_minutes_; }
  double minutes_of(std::size_t i) const {
    auto ms = c_.duration_ms(i);
    return ms > 0 ? static_cast<double>(ms) / 60000.0 : kDefaultTrackMinutes;
  }
  void use(std::size_t i, char on = 1) { used_[i] = on; }

  // The k cheapest eligible tracks for a slot starting at `start` after `prev`; relaxing the step bound, then
  // the genre box, then both, when none keeps them. `relaxed_step` / `relaxed_genre` say what was relaxed.
  std::vector<Candidate> best(double start, const std::optional<Features>& prev, std::size_t k, bool& relaxed_step,
                              bool& relaxed_genre) const {
    relaxed_step = relaxed_genre = false;
    const auto* box = box_at(start + mean_minutes_ / 2);
    bool genre_possible = !box || box->genre >= 0;
    for (int attempt = genre_possible ? 0 : 2; attempt < 4; ++attempt) {
      bool step_off = attempt == 1 || attempt == 3, genre_off = attempt >= 2;
      if (step_off && !prev) continue;
      if (genre_off && boxes_.empty()) break;
      auto found = search(start, prev, k, !step_off, !genre_off);
      if (!found.empty()) {
        relaxed_step = step_off;
        relaxed_genre = genre_off;
        return found;
      }
    }
    return {};
  }

  const GenreBox* box_at(double minute) const {
    for (const auto& b : boxes_)
      if (minute < b.end_minute) return &b;
    return boxes_.empty() ? nullptr : &boxes_.back();
  }

 private:
  void build_grid() {
    constexpr std::size_t cells = kGridBins * kGridBins * kGridBins * kGridBins * kGridBins;
    cell_start_.assign(cells + 1, 0);
    std::vector<std::uint32_t> cell_of(c_.size());
    double known_ms = 0;
    std::size_t known = 0;
    for (std::size_t i = 0; i < c_.size(); ++i) {
      const auto& f = c_.features(i);
      std::size_t cell = 0;
      for (std::size_t k = F; k-- > 0;) cell = cell * kGridBins + static_cast<std::size_t>(bin(f[k]));
      cell_of[i] = static_cast<std::uint32_t>(cell);
      ++cell_start_[cell + 1];
      if (c_.duration_ms(i) > 0) known_ms += static_cast<double>(c_.duration_ms(i)), ++known;
    }
    mean_minutes_ = known ? known_ms / static_cast<double>(known) / 60000.0 : kDefaultTrackMinutes;
    for (std::size_t cell = 0; cell < cells; ++cell) cell_start_[cell + 1] += cell_start_[cell];
    order_.resize(c_.size());
    auto next = cell_start_;
    for (std::size_t i = 0; i < c_.size(); ++i) order_[next[cell_of[i]]++] = static_cast<std::uint32_t>(i);
  }

  Features target(double minute) const {
    auto t = curve_.at(minute);
    if (o_.offset_minutes > 0) {
      double fade = std::max(0.0, 1.0 - (minute - o_.start_minute) / o_.offset_minutes);
      for (std::size_t k = 0; k < F; ++k) t[k] = static_cast<float>(std::clamp(t[k] + o_.offset[k] * fade, 0.0, 1.0));
    }
    return t;
  }

  double bonus(std::size_t i) const {
    if (!prefs_.any) return 0;
    double sum = 0;
    for (auto g : c_.genres(i)) sum += prefs_.genre[static_cast<std::size_t>(g)];
    for (const auto& [a, w] : prefs_.artist)
      if (a == c_.artist(i)) sum += w;
    if (!prefs_.tempo.empty()) {
      double bpm = std::isnan(c_.bpm(i)) ? bpm_from_tempo(c_.features(i)[1]) : c_.bpm(i);
      for (const auto& t : prefs_.tempo)
        if (bpm >= t.lo && bpm <= t.hi) sum += t.weight;
    }
    return kPreferenceBonus * std::min(1.0, sum);
  }

  double avoid_penalty(const Features& f) const {
    double penalty = 0;
    for (const auto& a : o_.avoid) {
      double s = 0;
      for (std::size_t k = 0; k < F; ++k) s += (f[k] - a[k]) * (f[k] - a[k]);
      double d = std::sqrt(s / F);
      if (d < kAvoidRadius) penalty += kAvoidPenalty * (1 - d / kAvoidRadius);
    }
    return penalty;
  }

  // Scans the grid cells around the target (and within the step bound of prev when keep_step), growing the
  // box until k eligible tracks are found whose cost is within the box's half-width, or the box covers all.
  std::vector<Candidate> search(double start, const std::optional<Features>& prev, std::size_t k, bool keep_step,
                                bool keep_genre) const {
    std::vector<Candidate> top;
    // A guided box of a rare genre: its tracks walked directly (every one considered, so the k found are the
    // cheapest of the genre) instead of a grid box grown until it holds k of them; the grid when too few.
    if (keep_genre && !boxes_.empty()) {
      const auto* box = box_at(std::min(start + mean_minutes_ / 2, curve_.minutes.back()));
      if (box->genre >= 0) {
        const auto tracks = c_.tracks_of_genre(box->genre);
        if (tracks.size() * kRareGenreShare < c_.size()) {
          const double end = curve_.minutes.back();
          for (auto i : tracks) consider(i, start, end, prev, k, keep_step, keep_genre, top);
          if (top.size() >= k) return top;
          top.clear();
        }
      }
    }
    auto center = target(start + mean_minutes_ / 2);
    const double s = o_.max_step;
    for (double r = 0.05;; r *= 1.5) {
      top.clear();
      std::array<int, F> lo{}, hi{};
      bool empty_box = false;
      for (std::size_t d = 0; d < F; ++d) {
        double a = 0, b = 1;
        if (curve_.compared[d]) a = std::max(a, center[d] - r), b = std::min(b, center[d] + r);
        if (keep_step && prev) a = std::max(a, (*prev)[d] - s), b = std::min(b, (*prev)[d] + s);
        if (a > b) empty_box = true;
        lo[d] = bin(a);
        hi[d] = bin(b);
      }
      if (!empty_box) scan(lo, hi, start, prev, k, keep_step, keep_genre, top);
      // A track outside the box differs by more than r in a compared dimension, so its distance is above
      // r / sqrt(compared): without preferences the k found are the cheapest (the bonus is left out of this
      // bound, else every search with preferences would scan most of the catalogue; a preferred track counts
      // when it lies in the box).
      double bound = r / std::sqrt(std::max(1, compared_count_));
      if (r >= 1 || (top.size() >= k && top[k - 1].cost <= bound)) break;
    }
    return top;
  }

  void scan(const std::array<int, F>& lo, const std::array<int, F>& hi, double start,
            const std::optional<Features>& prev, std::size_t k, bool keep_step, bool keep_genre,
            std::vector<Candidate>& top) const {
    const double end = curve_.minutes.back();
    std::array<int, F> b = lo;
    while (true) {
      std::size_t cell = 0;
      for (std::size_t d = F; d-- > 0;) cell = cell * kGridBins + static_cast<std::size_t>(b[d]);
      for (auto p = cell_start_[cell]; p < cell_start_[cell + 1]; ++p) consider(order_[p], start, end, prev, k,
                                                                                keep_step, keep_genre, top);
      std::size_t d = 0;
      while (d < F && b[d] == hi[d]) b[d] = lo[d], ++d;
      if (d == F) break;
      ++b[d];
    }
  }

  void consider(std::size_t i, double start, double end, const std::optional<Features>& prev, std::size_t k,
                bool keep_step, bool keep_genre, std::vector<Candidate>& top) const {
    if (used_[i]) return;
    const auto& f = c_.features(i);
    double step = 0;
    if (prev)
      for (std::size_t d = 0; d < F; ++d) step = std::max(step, static_cast<double>(std::abs(f[d] - (*prev)[d])));
    if (keep_step && step > o_.max_step + 1e-6) return;
    double mid = start + minutes_of(i) / 2;
    if (keep_genre && !boxes_.empty()) {
      const auto* box = box_at(std::min(mid, end));
      if (box->genre < 0 || !c_.has_genre(i, box->genre)) return;
    }
    auto t = target(mid);
    double sq = 0;
    for (std::size_t d = 0; d < F; ++d)
      if (curve_.compared[d]) sq += (f[d] - t[d]) * (f[d] - t[d]);
    double distance = compared_count_ ? std::sqrt(sq / compared_count_) : 0;
    double cost = distance - bonus(i) + avoid_penalty(f);
    if (!keep_step) cost += kRelaxedStepWeight * std::max(0.0, step - o_.max_step);
    if (top.size() >= k && cost >= top.back().cost) return;
    Candidate cand{cost, distance, step, i, t};
    auto at = std::upper_bound(top.begin(), top.end(), cand, [](const Candidate& a, const Candidate& b) {
      return a.cost < b.cost || (a.cost == b.cost && a.track < b.track);
    });
    top.insert(at, cand);
    if (top.size() > k) top.pop_back();
  }

  const Catalog& c_;
  const PlanOptions& o_;
  Curve curve_;
  std::vector<GenreBox> boxes_;
  Preferences prefs_;
  int compared_count_ = 0;
  std::vector<char> used_;
  std::vector<std::uint32_t> cell_start_, order_;
  double mean_minutes_ = kDefaultTrackMinutes;
};

double round_to(double x, double unit) { return std::round(x / unit) * unit; }

}  // namespace

Features target_at(const nlohmann::json& waypoints, double minute) { return parse_curve(waypoints).at(minute); }

Plan plan_tracks(const Catalog& catalog, const nlohmann::json& tune, const std::vector<store::Preference>& preferences,
                 const PlanOptions& options) {
  if (!tune.is_object()) throw Error(ErrorKind::BadRequest, "The tune vector must be an object");
  Planner p(catalog, tune, preferences, options);
  Plan plan;
  plan.compared = p.curve().compared;
  plan.end_minute = p.curve().minutes.back();
  plan.start_minute = std::clamp(options.start_minute, 0.0, plan.end_minute);
  if (catalog.empty()) {
    plan.reason = "The catalogue has no tracks: import some (cadenza import tracks, or POST /api/tracks/import)";
    return plan;
  }
  if (p.available() == 0) {
    plan.reason = "Every track of the catalogue was already played in this session";
    return plan;
  }
  const auto k = static_cast<std::size_t>(std::max(1, options.candidates));
  std::optional<Features> prev = options.previous;
  std::vector<std::string> warned;
  auto warn_genre = [&](double minute) {
    const auto* box = p.box_at(minute);
    if (!box || std::find(warned.begin(), warned.end(), box->name) != warned.end()) return;
    warned.push_back(box->name);
    plan.warnings.push_back(box->genre < 0 ? "The catalogue has no track of genre \"" + box->name +
                                                 "\": other genres fill its box"
                                           : "No track of genre \"" + box->name + "\" was left for minute " +
                                                 std::to_string(static_cast<int>(minute)) +
                                                 ": other genres fill the rest of its box");
  };
  double t = plan.start_minute, distance_sum = 0;
  while (t < plan.end_minute && plan.tracks.size() < kMaxTracks) {
    bool relaxed_step = false, relaxed_genre = false;
    auto cands = p.best(t, prev, k, relaxed_step, relaxed_genre);
    if (cands.empty()) break;
    const Candidate* chosen = &cands.front();
    if (cands.size() > 1) {
      double best_total = std::numeric_limits<double>::infinity();
      for (const auto& c : cands) {
        double next_t = t + p.minutes_of(c.track), follow = 0;
        if (next_t + p.mean_minutes() / 2 < plan.end_minute) {
          p.use(c.track);
          bool rs = false, rg = false;
          auto f = p.best(next_t, catalog.features(c.track), 1, rs, rg);
          p.use(c.track, 0);
          follow = f.empty() ? kNoFollowerCost : f.front().cost;
        }
        if (c.cost + follow < best_total) best_total = c.cost + follow, chosen = &c;
      }
    }
    double minutes = p.minutes_of(chosen->track);
    if (t + minutes / 2 >= plan.end_minute && !plan.tracks.empty()) break;  // would end more than half late
    if (relaxed_step && chosen->step > options.max_step + 1e-6) plan.step_bound_kept = false;
    if (relaxed_genre) warn_genre(t + minutes / 2);
    plan.tracks.push_back({t, chosen->track, chosen->target, chosen->distance, chosen->step});
    distance_sum += chosen->distance;
    plan.max_step = std::max(plan.max_step, chosen->step);
    p.use(chosen->track);
    prev = catalog.features(chosen->track);
    t += minutes;
  }
  if (plan.tracks.size() >= kMaxTracks) plan.warnings.push_back("The plan stops at " + std::to_string(kMaxTracks) + " tracks");
  if (!plan.tracks.empty()) plan.mean_distance = distance_sum / static_cast<double>(plan.tracks.size());
  else if (plan.start_minute < plan.end_minute) plan.reason = "No track of the catalogue fits the plan";
  return plan;
}

nlohmann::json features_json(const Features& f, const std::array<bool, kFeatureCount>* only) {
  auto dims = dimensions();
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t k = 0; k < F; ++k) {
    if (only && !(*only)[k]) continue;
    out[std::string(dims[k].name)] = k == 1 ? round_to(bpm_from_tempo(f[k]), 0.1) : round_to(f[k], 0.0001);
  }
  return out;
}

nlohmann::json planned_track_json(const Catalog& catalog, const Plan& plan, const PlannedTrack& t) {
  return {{"atMinute", round_to(t.at_minute, 0.001)},
          {"trackId", catalog.id(t.track)},
          {"title", catalog.title(t.track)},
          {"artist", catalog.artist_name_of(t.track)},
          {"durationMs", catalog.duration_ms(t.track)},
          {"features", features_json(catalog.features(t.track))},
          {"target", features_json(t.target, &plan.compared)},
          {"distance", round_to(t.distance, 0.0001)},
          {"step", round_to(t.step, 0.0001)}};
}

nlohmann::json plan_json(const Catalog& catalog, const Plan& plan, double max_step) {
  auto tracks = nlohmann::json::array();
  for (const auto& t : plan.tracks) tracks.push_back(planned_track_json(catalog, plan, t));
  nlohmann::json out = {{"tracks", std::move(tracks)},
                        {"summary",
                         {{"count", plan.tracks.size()},
                          {"startMinute", round_to(plan.start_minute, 0.001)},
                          {"endMinute", round_to(plan.end_minute, 0.001)},
                          {"meanDistance", round_to(plan.mean_distance, 0.0001)},
                          {"maxStep", round_to(plan.max_step, 0.0001)},
                          {"maxStepBound", max_step},
                          {"stepBoundKept", plan.step_bound_kept}}}};
  if (!plan.reason.empty()) out["reason"] = plan.reason;
  if (!plan.warnings.empty()) out["warnings"] = plan.warnings;
  return out;
}

}  // namespace cadenza::recommend
