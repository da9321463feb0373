#pragma once
// Tune-vector plans: a trajectory through the feature space over time, as waypoints
// {atMinute, target: {dimension: value}}, plus (guided mode) a time-boxed sequence of genres.
// Pure functions: parsing and checking a plan's JSON, presets, stretching and redirecting.
#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cadenza/core/error.hpp"

namespace cadenza::recommend {

struct Dimension {
  std::string_view name;
  double min, max;
  std::string_view unit;  // "" for 0..1 scales
};
// energy, tempo (BPM), valence, acousticness, density.
std::span<const Dimension> dimensions();

constexpr double kMaxPlanMinutes = 1440;

// Waypoints of a preset ("ascent": calm to energetic, "descent": the reverse) over duration minutes;
// nullopt for an unknown preset.
std::optional<nlohmann::json> preset_waypoints(std::string_view preset, double duration_minutes);

// Checks the types and ranges of a waypoint list (400 problems, recorded in v under "waypoints…") and, when
// they are fine, its consistency: at least 2, the first at minute 0, strictly increasing (Error(Unprocessable)).
void check_waypoints(const nlohmann::json& waypoints, Validation& v);
// Checks a genre sequence's types (v, "genres…"); consistency with the plan via check_genres_fit.
void check_genres(const nlohmann::json& genres, Validation& v);
// Error(Unprocessable) unless the mode and the genres fit: guided needs genres whose minutes add up to the
// plan's duration; adaptive has none.
void check_genres_fit(std::string_view mode, const nlohmann::json& genres, double duration_minutes);
// Checks a {dimension: value} object (v under `field`).
void check_target(const nlohmann::json& target, const std::string& field, Validation& v);

// The last waypoint's minute.
double duration_minutes(const nlohmann::json& waypoints);
// Scales every waypoint minute and every genre's minutes to a new total duration.
void stretch(nlohmann::json& waypoints, nlohmann::json& genres, double new_duration_minutes);
// Merges target into the last waypoint's target (a new destination).
void redirect(nlohmann::json& waypoints, const nlohmann::json& target);

}  // namespace cadenza::recommend
