#pragma once
// A tune vector's listening session around the planner: the first plan, a plan made again when the
// catalogue changed, and the next track after each "played" / "skipped" event, with the remainder planned
// again up to the same end time. Pure like the planner: the stored plan and state come in, new ones go out.
//
// State (stored beside the plan, JSON): {played: [trackId], skipped: [trackId], atMinute (the last event),
// offset: {dimension: delta 0..1}, offsetFrom (minute), events}; other members (the HTTP layer's
// "preferences" fingerprint) are kept as they are.
//
// An event at atSecond (seconds from the tune vector's start) keeps the planned tracks that start before it,
// and plans the rest from there without any track already kept, played or skipped:
//   played   the remainder follows on from the played track (the step bound starts from it);
//   skipped  every skipped track of the session is a point the remainder keeps away from (PlanOptions::
//            avoid), and the step bound starts from the last track played, not from the skipped one;
//   readings only variables the profile opted in to count (others are named in the reason and ignored):
//            heartRate above the plan's heart rate (60 + 100 * the target energy, bpm) by more than 5
//            lowers the target energy by (excess / 200, at most 0.3) and the tempo by half that;
//            ambientNoise above 70 dB raises the density by (excess / 100, at most 0.2). Each offset fades
//            out over kOffsetMinutes (PlanOptions::offset) and is replaced by the next reading of its kind.
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/planner.hpp"
#include "cadenza/store/preference_repo.hpp"

namespace cadenza::recommend {

constexpr double kOffsetMinutes = 15;
constexpr double kHeartRateSlack = 5;   // bpm above the plan's heart rate before anything changes
constexpr double kNoiseThresholdDb = 70;

struct SessionInput {
  const Catalog& catalog;
  const nlohmann::json& tune;  // {mode, waypoints, genres}
  const std::vector<store::Preference>& preferences;
  std::set<std::string> opted_in;  // variable names the profile opted in to ("heart_rate")
  double max_step = kDefaultMaxStep;
};

struct SessionEvent {
  std::string playing;  // the track the event is about
  std::string event;    // played | skipped
  double at_second = 0;
  nlohmann::json readings = nlohmann::json::object();  // {heartRate: 150, ambientNoise: 72, ...}
};

struct SessionResult {
  nlohmann::json plan;   // plan_json's form; tracks: the kept ones, then the remainder
  nlohmann::json state;  // as above
  nlohmann::json next;   // the next track's entry (plan_json's form), null when the plan is over or empty
  std::string reason;    // for a person: what the event changed and why the next track is the one
};

// The whole duration, an empty session.
SessionResult fresh_plan(const SessionInput& in);
// After a catalogue change: the session goes on (same kept tracks, exclusions and offsets), the rest is planned
// again from the session's last event (from the start when there was none).
SessionResult replan(const SessionInput& in, const nlohmann::json& stored_plan, const nlohmann::json& state);
// One event. Error(BadRequest) for an unknown event or a reading that is not a number in its variable's range
// (naming readings.<name>), Error(Unprocessable) when `playing` is not a track of the catalogue.
SessionResult next_track(const SessionInput& in, const nlohmann::json& stored_plan, const nlohmann::json& state,
                         const SessionEvent& event);

// "heartRate" -> "heart_rate".
std::string variable_name(std::string_view camel);

}  // namespace cadenza::recommend
