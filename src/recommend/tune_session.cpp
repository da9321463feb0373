#include "cadenza/recommend/tune_session.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/recommend/variable_catalog.hpp"

namespace cadenza::recommend {
namespace {

constexpr std::size_t kMaxAvoided = 20;  // the last skipped tracks kept away from

std::vector<std::string> strings(const nlohmann::json& state, const char* key) {
  std::vector<std::string> out;
  if (state.contains(key) && state[key].is_array())
    for (const auto& s : state[key])
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

double number(const nlohmann::json& j, const char* key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

Features offset_of(const nlohmann::json& state) {
  Features out{};
  if (!state.contains("offset") || !state["offset"].is_object()) return out;
  auto dims = dimensions();
  for (std::size_t k = 0; k < kFeatureCount; ++k) out[k] = static_cast<float>(number(state["offset"], std::string(dims[k].name).c_str(), 0));
  return out;
}

nlohmann::json offset_json(const Features& f) {
  auto dims = dimensions();
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t k = 0; k < kFeatureCount; ++k)
    if (std::abs(f[k]) > 1e-4) out[std::string(dims[k].name)] = std::round(f[k] * 1e4) / 1e4;
  return out;
}

double fade(double now, double from) { return std::max(0.0, 1.0 - (now - from) / kOffsetMinutes); }

std::string quoted(const Catalog& c, std::size_t i) { return "\"" + c.title(i) + "\" by " + c.artist_name_of(i); }

std::string describe(const Features& f) {
  return fmt::format("energy {:.2f}, tempo {:.0f} BPM, valence {:.2f}, acousticness {:.2f}, density {:.2f}", f[0],
                     bpm_from_tempo(f[1]), f[2], f[3], f[4]);
}

// The planned tracks that start before `minute`, and the catalogue indices of every track the rest must not
// repeat (those, the played and the skipped).
struct Kept {
  nlohmann::json tracks = nlohmann::json::array();
  std::vector<std::size_t> exclude;
};

Kept keep_before(const Catalog& c, const nlohmann::json& stored_plan, double minute,
                 const std::vector<std::string>& played, const std::vector<std::string>& skipped) {
  Kept k;
  if (stored_plan.contains("tracks") && stored_plan["tracks"].is_array())
    for (const auto& t : stored_plan["tracks"])
      if (number(t, "atMinute", minute) < minute) {
        k.tracks.push_back(t);
        if (t.contains("trackId") && t["trackId"].is_string())
          if (auto i = c.find(t["trackId"].get<std::string>())) k.exclude.push_back(*i);
      }
  for (const auto* ids : {&played, &skipped})
    for (const auto& id : *ids)
      if (auto i = c.find(id)) k.exclude.push_back(*i);
  return k;
}

// Plans from `minute` with the session's options and joins the kept tracks in front.
SessionResult plan_rest(const SessionInput& in, const Kept& kept, double minute, const PlanOptions& o,
                        nlohmann::json state) {
  auto plan = plan_tracks(in.catalog, in.tune, in.preferences, o);
  auto j = plan_json(in.catalog, plan, in.max_step);
  auto all = kept.tracks;
  for (auto& t : j["tracks"]) all.push_back(std::move(t));
  j["tracks"] = std::move(all);
  SessionResult r;
  r.next = plan.tracks.empty() ? nlohmann::json(nullptr) : planned_track_json(in.catalog, plan, plan.tracks.front());
  r.plan = std::move(j);
  state["atMinute"] = minute;
  r.state = std::move(state);
  if (!plan.reason.empty()) r.reason = plan.reason;
  return r;
}

PlanOptions session_options(const SessionInput& in, const nlohmann::json& state, double minute, const Kept& kept) {
  PlanOptions o;
  o.start_minute = minute;
  o.exclude = kept.exclude;
  o.max_step = in.max_step;
  auto skipped = strings(state, "skipped");
  if (skipped.size() > kMaxAvoided) skipped.erase(skipped.begin(), skipped.end() - kMaxAvoided);
  for (const auto& id : skipped)
    if (auto i = in.catalog.find(id)) o.avoid.push_back(in.catalog.features(*i));
  auto played = strings(state, "played");
  for (auto it = played.rbegin(); it != played.rend(); ++it)
    if (auto i = in.catalog.find(*it)) {
      o.previous = in.catalog.features(*i);
      break;
    }
  // What is left of the offset since it was set, fading from here on.
  double left = fade(minute, number(state, "offsetFrom", minute));
  auto off = offset_of(state);
  for (auto& x : off) x = static_cast<float>(x * left);
  o.offset = off;
  o.offset_minutes = kOffsetMinutes * left;
  return o;
}

}  // namespace

std::string variable_name(std::string_view camel) {
  std::string out;
  for (char ch : camel) {
    if (ch >= 'A' && ch <= 'Z') {
      out.push_back('_');
      out.push_back(static_cast<char>(ch - 'A' + 'a'));
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

SessionResult fresh_plan(const SessionInput& in) {
  PlanOptions o;
  o.max_step = in.max_step;
  auto plan = plan_tracks(in.catalog, in.tune, in.preferences, o);
  SessionResult r;
  r.plan = plan_json(in.catalog, plan, in.max_step);
  r.state = nlohmann::json::object();
  r.next = plan.tracks.empty() ? nlohmann::json(nullptr) : planned_track_json(in.catalog, plan, plan.tracks.front());
  r.reason = plan.reason.empty() ? "A new plan of " + std::to_string(plan.tracks.size()) + " tracks" : plan.reason;
  return r;
}

SessionResult replan(const SessionInput& in, const nlohmann::json& stored_plan, const nlohmann::json& state) {
  if (!state.contains("atMinute")) return fresh_plan(in);
  double minute = number(state, "atMinute", 0);
  auto kept = keep_before(in.catalog, stored_plan, minute, strings(state, "played"), strings(state, "skipped"));
  auto r = plan_rest(in, kept, minute, session_options(in, state, minute, kept), state);
  if (r.reason.empty()) r.reason = "The catalogue changed: the rest of the plan was made again";
  return r;
}

SessionResult next_track(const SessionInput& in, const nlohmann::json& stored_plan, const nlohmann::json& state_in,
                         const SessionEvent& e) {
  if (e.event != "played" && e.event != "skipped")
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"event", "must be played or skipped"}});
  if (!(e.at_second >= 0))
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"atSecond", "must be a number of seconds, 0 or more"}});
  const auto& c = in.catalog;
  auto playing = c.find(e.playing);
  if (!playing)
    throw Error(ErrorKind::Unprocessable, "Track " + e.playing + " is not in the catalogue",
                {{"playing", "not a track of the catalogue"}});
  // Readings first: all checked before anything changes.
  Validation v;
  struct Reading {
    std::string key, name;
    double value;
  };
  std::vector<Reading> readings;
  if (!e.readings.is_null() && !e.readings.is_object()) v.fail("readings", "must be an object {variable: value}");
  if (e.readings.is_object())
    for (const auto& [key, value] : e.readings.items()) {
      auto name = variable_name(key);
      const auto* spec = find_variable(name);
      if (!spec) {
        v.fail("readings." + key, "unknown variable (" + variable_names() + ", in camelCase)");
        continue;
      }
      std::string why;
      auto canonical = canonical_value(*spec, value, spec->unit, why);
      if (!canonical) v.fail("readings." + key, why);
      else if (canonical->is_number()) readings.push_back({key, name, canonical->get<double>()});
    }
  v.throw_if_failed();

  auto state = state_in.is_object() ? state_in : nlohmann::json::object();
  double minute = e.at_second / 60;
  std::vector<std::string> parts;
  auto list_key = e.event == "played" ? "played" : "skipped";
  if (!state.contains(list_key) || !state[list_key].is_array()) state[list_key] = nlohmann::json::array();
  if (std::find(state[list_key].begin(), state[list_key].end(), e.playing) == state[list_key].end())
    state[list_key].push_back(e.playing);
  state["events"] = static_cast<std::int64_t>(number(state, "events", 0)) + 1;
  if (e.event == "played")
    parts.push_back("Played " + quoted(c, *playing));
  else
    parts.push_back("Skipped " + quoted(c, *playing) + ": the next tracks keep away from its sound (" +
                    describe(c.features(*playing)) + ")");

  // Offsets: what is left of the earlier ones, replaced by new readings of their kind.
  auto offset = offset_of(state);
  double left = fade(minute, number(state, "offsetFrom", minute));
  for (auto& x : offset) x = static_cast<float>(x * left);
  auto target = target_at(in.tune.contains("waypoints") ? in.tune["waypoints"] : nlohmann::json(), minute);
  bool energy_compared = false;
  if (in.tune.contains("waypoints") && in.tune["waypoints"].is_array())
    for (const auto& w : in.tune["waypoints"])
      if (w.contains("target") && w["target"].is_object() && w["target"].contains("energy")) energy_compared = true;
  for (const auto& r : readings) {
    if (!in.opted_in.count(r.name)) {
      parts.push_back(r.key + " was not used: the profile has not opted in to " + r.name);
      continue;
    }
    if (r.name == "heart_rate") {
      double expected = 60 + 100 * (energy_compared ? target[0] : 0.5);
      double excess = r.value - expected;
      if (excess > kHeartRateSlack) {
        double delta = std::min(0.3, excess / 200);
        offset[0] = static_cast<float>(-delta);
        offset[1] = static_cast<float>(-delta / 2);
        parts.push_back(fmt::format("Heart rate {:.0f} bpm is above the plan's {:.0f} bpm at minute {:.1f}: energy "
                                    "lowered by {:.2f} (fading over {:.0f} minutes)",
                                    r.value, expected, minute, delta, kOffsetMinutes));
      } else {
        offset[0] = offset[1] = 0;
        parts.push_back(fmt::format("Heart rate {:.0f} bpm is within the plan's {:.0f} bpm", r.value, expected));
      }
    } else if (r.name == "ambient_noise") {
      double excess = r.value - kNoiseThresholdDb;
      if (excess > 0) {
        double delta = std::min(0.2, excess / 100);
        offset[4] = static_cast<float>(delta);
        parts.push_back(fmt::format("Ambient noise {:.0f} dB: density raised by {:.2f} to be heard over it", r.value, delta));
      } else {
        offset[4] = 0;
      }
    }
  }
  state["offset"] = offset_json(offset);
  state["offsetFrom"] = minute;

  double end = duration_minutes(in.tune.contains("waypoints") ? in.tune["waypoints"] : nlohmann::json());
  SessionResult r;
  if (minute >= end) {
    r.plan = stored_plan;
    state["atMinute"] = minute;
    r.state = std::move(state);
    r.next = nullptr;
    parts.push_back(fmt::format("The tune vector is over (it ends at minute {:.1f})", end));
  } else {
    auto kept = keep_before(c, stored_plan, minute, strings(state, "played"), strings(state, "skipped"));
    kept.exclude.push_back(*playing);
    auto o = session_options(in, state, minute, kept);
    r = plan_rest(in, kept, minute, o, state);
    if (!r.next.is_null())
      parts.push_back(fmt::format("Next: \"{}\" by {}, the closest fit to the plan at minute {:.1f} (distance {:.3f})",
                                  r.next["title"].get<std::string>(), r.next["artist"].get<std::string>(), minute,
                                  r.next["distance"].get<double>()));
    else
      parts.push_back(r.reason.empty() ? "No track is left for the rest of the plan" : r.reason);
  }
  std::string reason;
  for (const auto& p : parts) reason += (reason.empty() ? "" : "; ") + p;
  r.reason = reason + ".";
  return r;
}

}  // namespace cadenza::recommend
