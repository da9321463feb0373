#pragma once
// The tune-vector planner: fills a tune vector's playing time with tracks of a catalogue snapshot so that
// their features follow the waypoint curve. Pure: a Catalog, the tune vector ({mode, waypoints, genres} as
// stored) and the profile's preferences in, a Plan out; nothing is read or written elsewhere.
//
// Target. Each dimension is interpolated linearly between the waypoints that name it (held flat before the
// first and after the last); a dimension no waypoint names is not compared. Tempo is compared in the 0..1
// mapping of recommend/track_features.hpp (waypoints give BPM). A track is scored at its midpoint in time.
//
// Cost of a track (lower is better):
//   distance   root mean square over the compared dimensions of (feature - target), 0..1
//   - bonus    kPreferenceBonus * min(1, sum of the matched preferences' weight / (1 + rank)): a preferred
//              genre (one of the track's), artist (normalised name) or tempo range {minBpm, maxBpm} (the
//              track's BPM, or its tempo mapped back) lowers it; rank 0 counts fully, rank 1 half, ...
//              (instrument preferences are not matched: the catalogue has no instruments)
//   + avoid    kAvoidPenalty * (1 - d / kAvoidRadius) for each avoided point (a skipped track) closer than
//              kAvoidRadius (RMS over all five features)
// Rules. No track repeats (nor any in options.exclude). Guided mode: each track has the genre of the box its
// midpoint falls in (fallback: any genre, with a warning, once the catalogue has no such track left). The
// step bound: no feature (of all five) changes by more than max_step between consecutive tracks (options.
// previous counts as the track before the first); where no track keeps it, the smallest step wins and the
// plan says so (step_bound_kept = false). Tracks follow each other while a track's midpoint is before the
// end, so the plan ends within half a track of the end time. A track of unknown duration counts as
// kDefaultTrackMinutes.
//
// Algorithm. Greedy with a one-step lookahead: for each slot the `candidates` cheapest eligible tracks are
// each scored with the cheapest track that could follow it, and the best pair's first track is taken. The
// candidates come from a coarse 5-D grid (kGridBins per feature, built per call by a counting sort): only the
// cells within a box around the target (half-width r = 0.05, grown by half until the k-th cheapest eligible
// track found costs at most r / sqrt(compared dimensions), which no track outside the box can beat by distance
// alone (a preference bonus is only counted for tracks in the box), or until the box covers everything) and
// within the step bound of the previous track are scanned,
// so a slot costs a few thousand track evaluations, not a pass over the catalogue. The box is centred on the
// target at the slot's start plus half the mean track length; each track is then scored at its own midpoint.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/recommend/catalog.hpp"
#include "cadenza/store/preference_repo.hpp"

namespace cadenza::recommend {

constexpr double kPreferenceBonus = 0.05;
constexpr double kAvoidPenalty = 0.15, kAvoidRadius = 0.25;
constexpr double kDefaultMaxStep = 0.25;
constexpr double kDefaultTrackMinutes = 3.5;
constexpr int kGridBins = 6;

struct PlanOptions {
  double start_minute = 0;             // fill from here to the tune vector's end
  std::vector<std::size_t> exclude;    // catalogue indices never chosen (played, skipped, kept)
  std::optional<Features> previous;    // the track before the first one (the step bound applies to it)
  std::vector<Features> avoid;         // points to keep away from (skipped tracks' features)
  // Added to the target (0..1 units, per feature), fading linearly to 0 over offset_minutes from
  // start_minute (heart rate above the plan's target lowers energy, ...).
  Features offset{};
  double offset_minutes = 15;
  double max_step = kDefaultMaxStep;
  int candidates = 4;                  // lookahead candidates per slot (1 = plain greedy)
};

struct PlannedTrack {
  double at_minute = 0;    // start, minutes from the tune vector's start
  std::size_t track = 0;   // catalogue index
  Features target{};       // at the track's midpoint (offset included), 0..1
  double distance = 0;     // as defined above, without bonus and penalties
  double step = 0;         // largest feature change from the track before (0 for the first without previous)
};

struct Plan {
  std::vector<PlannedTrack> tracks;
  double start_minute = 0, end_minute = 0;
  double mean_distance = 0, max_step = 0;
  bool step_bound_kept = true;
  std::array<bool, kFeatureCount> compared{};  // the dimensions the waypoints name
  std::string reason;                          // why the plan is empty ("" when it is not)
  std::vector<std::string> warnings;           // genre boxes that fell back to any genre, ...
};

// `tune` is {mode, waypoints, genres} (the stored tune vector's fields; checked by recommend/tune_plan when
// it was saved): Error(BadRequest) when they are not there. An empty catalogue, or one whose every track is
// excluded, gives an empty plan with its reason.
Plan plan_tracks(const Catalog& catalog, const nlohmann::json& tune, const std::vector<store::Preference>& preferences,
                 const PlanOptions& options = {});

// The target of `tune` at `minute` (0..1 per feature; features no waypoint names are 0 and not compared).
Features target_at(const nlohmann::json& waypoints, double minute);

// {tracks: [{atMinute, trackId, title, artist, durationMs, features, target, distance, step}], summary: {
// count, startMinute, endMinute, meanDistance, maxStep, maxStepBound, stepBoundKept}, reason?, warnings?}.
// features and target are in the waypoints' form (tempo in BPM; target only the compared dimensions).
nlohmann::json plan_json(const Catalog& catalog, const Plan& plan, double max_step = kDefaultMaxStep);
// One track's entry of plan_json.
nlohmann::json planned_track_json(const Catalog& catalog, const Plan& plan, const PlannedTrack& t);
// A catalogue row's features in the waypoints' form.
nlohmann::json features_json(const Features& f, const std::array<bool, kFeatureCount>* only = nullptr);

}  // namespace cadenza::recommend
