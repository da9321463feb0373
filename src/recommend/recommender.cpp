#include "cadenza/recommend/recommender.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/store/track_repo.hpp"

namespace cadenza::recommend {

namespace {

struct NamedContext {
  const char* name;
  double energy;
  const char* phrase;  // "for <phrase>"
};

constexpr std::array<NamedContext, 7> kContexts{{{"focus", 0.35, "focus"},
                                                 {"relax", 0.25, "relaxing"},
                                                 {"workout", 0.85, "a workout"},
                                                 {"party", 0.8, "a party"},
                                                 {"morning", 0.6, "the morning"},
                                                 {"evening", 0.35, "the evening"},
                                                 {"night", 0.2, "late at night"}}};
constexpr std::array<const char*, 7> kContextNames{"focus", "relax", "workout", "party", "morning", "evening", "night"};

const NamedContext* find_context(std::string_view name) {
  for (const auto& c : kContexts)
    if (name == c.name) return &c;
  return nullptr;
}

struct Context {
  std::string name = "none";
  std::optional<double> energy;
  std::string phrase;               // "for the evening"
  std::vector<std::string> because;  // what set it, for the response
  bool heart_rate_high = false;
};

Context resolve_context(const std::string& requested, const std::map<std::string, double>& readings) {
  Context c;
  if (requested == "none") return c;
  if (requested != "auto") {
    const auto* named = find_context(requested);
    c.name = named->name;
    c.energy = named->energy;
    c.phrase = std::string("for ") + named->phrase;
    c.because.push_back("asked for " + c.name);
    return c;
  }
  c.name = "auto";
  if (auto it = readings.find("time_of_day"); it != readings.end()) {
    const double h = it->second;
    const char* part = h >= 5 && h < 11 ? "morning" : h >= 11 && h < 18 ? nullptr : h >= 18 && h < 23 ? "evening" : "night";
    if (part) {
      const auto* named = find_context(part);
      c.energy = named->energy;
      c.phrase = std::string("for ") + named->phrase;
      c.because.push_back(fmt::format("time of day {:.0f}:{:02.0f}", std::floor(h), std::fmod(h, 1.0) * 60));
    }
  }
  if (auto it = readings.find("heart_rate"); it != readings.end() && it->second > kHighHeartRate) {
    c.energy = c.energy ? std::max(0.0, *c.energy - 0.15) : 0.3;
    c.heart_rate_high = true;
    c.because.push_back(fmt::format("heart rate {:.0f} bpm", it->second));
  }
  if (auto it = readings.find("ambient_noise"); it != readings.end() && it->second > 70 && c.energy) {
    c.energy = std::min(1.0, *c.energy + 0.1);
    c.because.push_back(fmt::format("ambient noise {:.0f} dB", it->second));
  }
  return c;
}

const char* energy_word(double e) { return e < 0.35 ? "calm" : e < 0.65 ? "steady" : "energetic"; }

std::string both(const std::vector<std::string>& names) {
  if (names.size() == 1) return names[0];
  return names[0] + " and " + names[1];
}

struct Part {
  double value = 0;
  std::string reason;
};

}  // namespace

std::span<const char* const> context_names() { return kContextNames; }

Recommendations recommend_tracks(const Catalog& catalog, const ProfileSignals& profile, std::span<const float> collab,
                          std::span<const float> popularity, const RecommendQuery& query) {
  Validation v;
  if (query.limit < 1 || query.limit > kMaxRecommendations)
    v.fail("limit", fmt::format("must be an integer between 1 and {}", kMaxRecommendations));
  if (query.context != "auto" && query.context != "none" && !find_context(query.context)) {
    std::string names = "auto, none";
    for (const char* n : kContextNames) names += std::string(", ") + n;
    v.fail("context", "must be one of " + names);
  }
  v.throw_if_failed();

  const std::size_t n = catalog.size();
  Recommendations out;
  const auto ctx = resolve_context(query.context, profile.readings);
  out.context = {{"name", ctx.name},
                 {"targetEnergy", ctx.energy ? nlohmann::json(*ctx.energy) : nlohmann::json(nullptr)},
                 {"because", ctx.because}};
  if (n == 0) return out;

  std::optional<std::int32_t> genre_filter;
  if (!query.genre.empty()) {
    genre_filter = catalog.find_genre(query.genre);
    if (!genre_filter) return out;  // no track of that genre
  }

  // The profile's history per track and per artist.
  std::vector<char> recent(n, 0);
  std::vector<float> skip_share(n, 0.0f);
  std::unordered_map<std::int32_t, std::int64_t> artist_plays;
  for (const auto& p : profile.plays) {
    auto i = catalog.find(p.track_id);
    if (!i) continue;
    if (profile.now_ms - p.last_played_at < kRecentMs) recent[*i] = 1;
    if (p.plays > 0) skip_share[*i] = static_cast<float>(p.skipped) / static_cast<float>(p.plays);
    artist_plays[catalog.artist(*i)] += p.plays - p.skipped;
  }
  std::int64_t top_artist_plays = 0;
  std::vector<std::pair<std::int64_t, std::int32_t>> by_plays;
  for (auto [a, k] : artist_plays) {
    top_artist_plays = std::max(top_artist_plays, k);
    if (k > 0) by_plays.push_back({-k, a});
  }
  std::sort(by_plays.begin(), by_plays.end());

  // Preferences matched by genre id, artist index and tempo range, each with its weight / (1 + rank).
  struct Pref {
    std::string type;
    std::int32_t id = -1;
    double lo = 0, hi = 0;
    double weight = 0;
    bool learned = false;
    std::int64_t rank = 0;
    std::string label;
  };
  std::vector<Pref> prefs;
  auto add_prefs = [&](const std::vector<store::Preference>& list, bool learned) {
    for (const auto& p : list) {
      Pref q;
      q.type = p.type;
      q.learned = learned;
      q.rank = p.rank;
      q.weight = p.weight / (1.0 + std::max<std::int64_t>(0, p.rank)) * (learned ? 0.5 : 1.0);
      if (p.type == "genre" && p.value.is_string()) {
        auto g = catalog.find_genre(p.value.get<std::string>());
        if (!g) continue;
        q.id = *g;
        q.label = catalog.genre_name(*g);
      } else if (p.type == "artist" && p.value.is_string()) {
        auto a = catalog.find_artist(p.value.get<std::string>());
        if (!a) continue;
        q.id = *a;
        q.label = catalog.artist_name(*a);
      } else if (p.type == "tempo" && p.value.is_object()) {
        q.lo = p.value.value("minBpm", 0.0);
        q.hi = p.value.value("maxBpm", 0.0);
        q.label = fmt::format("{:.0f}–{:.0f} bpm", q.lo, q.hi);
      } else {
        continue;  // instruments: the catalogue has none
      }
      prefs.push_back(std::move(q));
    }
  };
  add_prefs(profile.preferences, false);
  add_prefs(profile.learned, true);

  float collab_max = 0;
  for (float s : collab) collab_max = std::max(collab_max, s);
  float pop_max = 0;
  for (float s : popularity) pop_max = std::max(pop_max, s);

  // Per artist and per genre once, so that scoring a track is a few array reads.
  std::vector<float> artist_part(catalog.artist_count(), 0.0f), pref_artist(catalog.artist_count(), 0.0f),
      pref_genre(catalog.genre_count(), 0.0f);
  if (top_artist_plays > 0)
    for (auto [a, k] : artist_plays)
      if (k > 0)
        artist_part[a] = static_cast<float>(kArtistWeight * std::log1p(static_cast<double>(k)) /
                                            std::log1p(static_cast<double>(top_artist_plays)));
  std::vector<const Pref*> tempo_prefs;
  for (const auto& p : prefs) {
    if (p.type == "genre") pref_genre[p.id] += static_cast<float>(p.weight);
    else if (p.type == "artist") pref_artist[p.id] += static_cast<float>(p.weight);
    else tempo_prefs.push_back(&p);
  }
  const bool any_prefs = !prefs.empty();
  // Popularity is a count of profiles: its part by count, from a table.
  std::vector<float> pop_part;
  if (pop_max > 0) {
    pop_part.resize(static_cast<std::size_t>(pop_max) + 1);
    for (std::size_t k = 0; k < pop_part.size(); ++k)
      pop_part[k] = static_cast<float>(kPopularityWeight * std::log1p(static_cast<double>(k)) / std::log1p(pop_max));
  }

  struct Scored {
    double score;
    std::size_t i;
  };
  std::vector<Scored> scored;
  scored.reserve(n);
  auto base_score = [&](std::size_t i) {
    double s = 0;
    if (collab_max > 0 && collab[i] > 0) s += kCollabWeight * collab[i] / collab_max;
    if (any_prefs) {
      const auto a = catalog.artist(i);
      double matched = pref_artist[a];
      for (auto g : catalog.genres(i)) matched += pref_genre[g];
      const float bpm = catalog.bpm(i);
      for (const auto* p : tempo_prefs) matched += !std::isnan(bpm) && bpm >= p->lo && bpm <= p->hi ? p->weight : 0.0;
      s += kPreferenceWeight * std::min(1.0, matched);
    }
    s += artist_part[catalog.artist(i)];
    if (ctx.energy) s += kContextWeight * std::max(0.0, 1.0 - std::abs(catalog.features(i)[0] - *ctx.energy) / 0.5);
    if (pop_max > 0) s += pop_part[std::min<std::size_t>(pop_part.size() - 1, static_cast<std::size_t>(popularity[i]))];
    s -= kSkipPenalty * skip_share[i];
    return s;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (recent[i]) continue;
    if (genre_filter && !catalog.has_genre(i, *genre_filter)) continue;
    scored.push_back({base_score(i), i});
  }
  // The best first, a few per artist: sort only as far as needed.
  auto better = [](const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.i < b.i; };
  std::unordered_map<std::int32_t, int> per_artist;
  std::size_t sorted = 0;
  const std::size_t batch = static_cast<std::size_t>(query.limit) * 4;
  for (std::size_t k = 0; k < scored.size() && static_cast<int>(out.items.size()) < query.limit; ++k) {
    if (k == sorted) {
      const std::size_t end = std::min(scored.size(), sorted + batch);
      std::partial_sort(scored.begin() + sorted, scored.begin() + end, scored.end(), better);
      sorted = end;
    }
    const auto [score, i] = scored[k];
    if (++per_artist[catalog.artist(i)] > kPerArtist) continue;
    out.items.push_back({i, score, {}});
  }

  // Reasons, the biggest part first.
  std::vector<std::string> top_artists;
  for (const auto& [minus, a] : by_plays) {
    if (top_artists.size() == 2) break;
    top_artists.push_back(catalog.artist_name(a));
  }
  for (auto& r : out.items) {
    const std::size_t i = r.track;
    std::vector<Part> parts;
    if (collab_max > 0 && collab[i] > 0) {
      std::vector<std::string> others;
      for (const auto& [minus, a] : by_plays) {
        if (others.size() == 2) break;
        if (a != catalog.artist(i)) others.push_back(catalog.artist_name(a));
      }
      parts.push_back({kCollabWeight * collab[i] / collab_max,
                       others.empty() ? "listeners with your taste play it"
                                      : "listeners who play " + both(others) + " play it too; you played " + both(others)});
    }
    for (const auto& p : prefs) {
      const bool hit = p.type == "genre" ? catalog.has_genre(i, p.id)
                       : p.type == "artist" ? catalog.artist(i) == p.id
                                            : !std::isnan(catalog.bpm(i)) && catalog.bpm(i) >= p.lo && catalog.bpm(i) <= p.hi;
      if (!hit) continue;
      std::string why;
      if (p.learned) {
        why = p.type == "tempo" ? "in the " + p.label + " range you usually play" : "you often play " + p.label;
      } else if (p.type == "genre") {
        why = p.rank == 0 ? p.label + ", your favourite genre" : p.label + ", one of your genres";
      } else if (p.type == "artist") {
        why = "by " + p.label + ", an artist you like";
      } else {
        why = "in your " + p.label + " preference";
      }
      parts.push_back({kPreferenceWeight * std::min(1.0, p.weight), why});
    }
    if (auto it = artist_plays.find(catalog.artist(i)); it != artist_plays.end() && it->second > 0 && top_artist_plays > 0)
      parts.push_back({kArtistWeight * std::log1p(static_cast<double>(it->second)) / std::log1p(static_cast<double>(top_artist_plays)),
                       fmt::format("you played {} {} time{}", catalog.artist_name_of(i), it->second, it->second == 1 ? "" : "s")});
    if (ctx.energy) {
      const double fit = std::max(0.0, 1.0 - std::abs(catalog.features(i)[0] - *ctx.energy) / 0.5);
      if (fit > 0.5) {
        std::string why = std::string(energy_word(catalog.features(i)[0]));
        if (!ctx.phrase.empty()) why += ", " + ctx.phrase;
        if (ctx.heart_rate_high) why += ctx.phrase.empty() ? ", while your heart rate is high" : " while your heart rate is high";
        parts.push_back({kContextWeight * fit, why});
      }
    }
    std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.value > b.value; });
    for (auto& p : parts) r.reasons.push_back(std::move(p.reason));
    if (r.reasons.empty()) {
      r.reasons.push_back(pop_max > 0 && !popularity.empty() && popularity[i] > 0 ? "popular in this library"
                                                                                   : "from this library");
    }
  }
  return out;
}

std::vector<store::Preference> learn_preferences(const Catalog& catalog, const std::vector<store::TrackPlayStats>& plays) {
  std::map<std::int32_t, double> genres, artists;
  std::vector<std::pair<double, double>> bpms;  // (bpm, plays)
  double total = 0;
  for (const auto& p : plays) {
    auto i = catalog.find(p.track_id);
    const double n = static_cast<double>(p.plays - p.skipped);
    if (!i || n <= 0) continue;
    total += n;
    for (auto g : catalog.genres(*i)) genres[g] += n;
    artists[catalog.artist(*i)] += n;
    if (!std::isnan(catalog.bpm(*i))) bpms.push_back({catalog.bpm(*i), n});
  }
  std::vector<store::Preference> out;
  if (total <= 0) return out;
  auto top = [&](const std::map<std::int32_t, double>& counts, const char* type, auto name) {
    std::vector<std::pair<double, std::int32_t>> v;
    for (auto [id, n] : counts) v.push_back({-n, id});
    std::sort(v.begin(), v.end());
    for (std::size_t k = 0; k < v.size() && k < 3; ++k) {
      const double share = -v[k].first / total;
      if (share < kLearnMinShare) break;
      store::Preference p;
      p.type = type;
      p.value = name(v[k].second);
      p.weight = std::min(1.0, share);
      out.push_back(std::move(p));
    }
  };
  top(genres, "genre", [&](std::int32_t g) { return catalog.genre_name(g); });
  top(artists, "artist", [&](std::int32_t a) { return catalog.artist_name(a); });
  if (static_cast<int>(bpms.size()) >= kLearnMinTempoTracks) {
    std::sort(bpms.begin(), bpms.end());
    double weight = 0;
    for (auto& b : bpms) weight += b.second;
    auto quantile = [&](double q) {
      double acc = 0;
      for (auto& b : bpms) {
        acc += b.second;
        if (acc >= q * weight) return b.first;
      }
      return bpms.back().first;
    };
    store::Preference p;
    p.type = "tempo";
    p.value = {{"minBpm", std::round(quantile(0.25))}, {"maxBpm", std::round(quantile(0.75))}};
    p.weight = 0.5;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace cadenza::recommend
