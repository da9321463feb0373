#include "cadenza/recommend/tune_plan.hpp"

#include <cmath>

namespace cadenza::recommend {
namespace {

constexpr Dimension kDimensions[] = {
    {"energy", 0, 1, ""}, {"tempo", 40, 220, "BPM"}, {"valence", 0, 1, ""}, {"acousticness", 0, 1, ""},
    {"density", 0, 1, ""},
};

const Dimension* find_dimension(std::string_view name) {
  for (const auto& d : kDimensions)
    if (d.name == name) return &d;
  return nullptr;
}

std::string range_text(const Dimension& d) {
  auto num = [](double x) {
    auto s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  };
  return "must be a number between " + num(d.min) + " and " + num(d.max);
}

void unprocessable(const std::string& field, const std::string& why) {
  throw Error(ErrorKind::Unprocessable, "The plan is inconsistent: " + field + " " + why, {{field, why}});
}

}  // namespace

std::span<const Dimension> dimensions() { return kDimensions; }

std::optional<nlohmann::json> preset_waypoints(std::string_view preset, double duration) {
  nlohmann::json calm = {{"energy", 0.2}, {"tempo", 80}, {"valence", 0.4}, {"acousticness", 0.7}, {"density", 0.3}};
  nlohmann::json lively = {{"energy", 0.9}, {"tempo", 140}, {"valence", 0.8}, {"acousticness", 0.2}, {"density", 0.8}};
  if (preset == "ascent")
    return nlohmann::json::array({{{"atMinute", 0}, {"target", calm}}, {{"atMinute", duration}, {"target", lively}}});
  if (preset == "descent")
    return nlohmann::json::array({{{"atMinute", 0}, {"target", lively}}, {{"atMinute", duration}, {"target", calm}}});
  return std::nullopt;
}

void check_target(const nlohmann::json& target, const std::string& field, Validation& v) {
  if (!target.is_object() || target.empty()) {
    v.fail(field, "must be a non-empty object of dimensions (energy, tempo, valence, acousticness, density)");
    return;
  }
  for (const auto& [name, value] : target.items()) {
    const auto* d = find_dimension(name);
    if (!d) {
      v.fail(field + "." + name, "unknown dimension (energy, tempo, valence, acousticness, density)");
    } else if (!value.is_number() || value.get<double>() < d->min || value.get<double>() > d->max) {
      v.fail(field + "." + name, range_text(*d));
    }
  }
}

void check_waypoints(const nlohmann::json& w, Validation& v) {
  if (!w.is_array() || w.size() < 2 || w.size() > 100) {
    v.fail("waypoints", "must be an array of 2 to 100 waypoints {atMinute, target}");
    return;
  }
  bool types_ok = true;
  for (std::size_t i = 0; i < w.size(); ++i) {
    auto field = "waypoints[" + std::to_string(i) + "]";
    if (!w[i].is_object()) {
      v.fail(field, "must be an object {atMinute, target}");
      types_ok = false;
      continue;
    }
    const auto& at = w[i].contains("atMinute") ? w[i]["atMinute"] : nlohmann::json();
    if (!at.is_number() || at.get<double>() < 0 || at.get<double>() > kMaxPlanMinutes) {
      v.fail(field + ".atMinute", "must be a number between 0 and 1440");
      types_ok = false;
    }
    check_target(w[i].contains("target") ? w[i]["target"] : nlohmann::json(), field + ".target", v);
    for (const auto& [key, _] : w[i].items())
      if (key != "atMinute" && key != "target") v.fail(field + "." + key, "unknown field");
  }
  if (!types_ok || !v.ok()) return;
  if (w[0]["atMinute"].get<double>() != 0) unprocessable("waypoints[0].atMinute", "must be 0");
  for (std::size_t i = 1; i < w.size(); ++i)
    if (w[i]["atMinute"].get<double>() <= w[i - 1]["atMinute"].get<double>())
      unprocessable("waypoints[" + std::to_string(i) + "].atMinute", "must be later than the waypoint before it");
}

void check_genres(const nlohmann::json& g, Validation& v) {
  if (!g.is_array() || g.empty() || g.size() > 50) {
    v.fail("genres", "must be an array of 1 to 50 items {genre, minutes}");
    return;
  }
  for (std::size_t i = 0; i < g.size(); ++i) {
    auto field = "genres[" + std::to_string(i) + "]";
    if (!g[i].is_object()) {
      v.fail(field, "must be an object {genre, minutes}");
      continue;
    }
    const auto& genre = g[i].contains("genre") ? g[i]["genre"] : nlohmann::json();
    if (!genre.is_string() || genre.get<std::string>().empty() || genre.get<std::string>().size() > 64)
      v.fail(field + ".genre", "must be a non-empty string of at most 64 characters");
    const auto& minutes = g[i].contains("minutes") ? g[i]["minutes"] : nlohmann::json();
    if (!minutes.is_number() || minutes.get<double>() <= 0 || minutes.get<double>() > kMaxPlanMinutes)
      v.fail(field + ".minutes", "must be a number greater than 0 and at most 1440");
    for (const auto& [key, _] : g[i].items())
      if (key != "genre" && key != "minutes") v.fail(field + "." + key, "unknown field");
  }
}

void check_genres_fit(std::string_view mode, const nlohmann::json& genres, double duration) {
  bool has = genres.is_array() && !genres.empty();
  if (mode == "adaptive") {
    if (has) unprocessable("genres", "are only for guided mode (adaptive plans are steered by the system)");
    return;
  }
  if (!has) unprocessable("genres", "are required in guided mode");
  double total = 0;
  for (const auto& g : genres) total += g["minutes"].get<double>();
  if (std::abs(total - duration) > 0.01)
    unprocessable("genres", "minutes must add up to the plan's duration (" + std::to_string(duration) + ")");
}

double duration_minutes(const nlohmann::json& w) {
  return w.is_array() && !w.empty() ? w.back()["atMinute"].get<double>() : 0.0;
}

void stretch(nlohmann::json& waypoints, nlohmann::json& genres, double new_duration) {
  double old = duration_minutes(waypoints);
  if (old <= 0) return;
  double k = new_duration / old;
  for (auto& w : waypoints) w["atMinute"] = w["atMinute"].get<double>() * k;
  waypoints.back()["atMinute"] = new_duration;  // exact, whatever the rounding
  for (auto& g : genres) g["minutes"] = g["minutes"].get<double>() * k;
}

void redirect(nlohmann::json& waypoints, const nlohmann::json& target) {
  if (!waypoints.is_array() || waypoints.empty()) return;
  for (const auto& [name, value] : target.items()) waypoints.back()["target"][name] = value;
}

}  // namespace cadenza::recommend
