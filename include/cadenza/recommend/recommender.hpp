#pragma once
// Recommendations for one profile: every track of a catalogue snapshot scored, the best `limit` returned with
// reasons a person can read. Pure: the catalogue, what is known of the profile and the collaborative model's
// scores come in; nothing is read or written elsewhere.
//
// Score of a track (higher is better), each part 0..its weight:
//   collaborative  kCollabWeight * s / s_max: the tenant's collaborative model (collab_model.hpp) scored on
//                  the profile's plays, s_max the best score over the catalogue (only s > 0 counts)
//   preferences    kPreferenceWeight * min(1, sum of matched weight / (1 + rank)): a preferred genre (one of
//                  the track's), artist (normalised name) or tempo range {minBpm, maxBpm} (the track's BPM);
//                  learned preferences (written by training from what the profile plays) count half
//   history        kArtistWeight * log(1 + plays of the artist) / log(1 + the profile's most played
//                  artist's plays): artists the profile plays
//   context        kContextWeight * (1 - |energy - target| / 0.5, at least 0) when a context sets a target
//                  energy (context_target below)
//   popularity     kPopularityWeight * log(1 + plays by everyone) / log(1 + the most played track's): a tie
//                  breaker for new profiles
//   - skips        kSkipPenalty * skipped / plays of the track by this profile
// Tracks the profile played within kRecentMs are left out (a recommendation is something to play next), and
// at most kPerArtist tracks of one artist are returned. Ties: lower catalogue index first.
//
// Context (`context` of the query): "auto" (default) reads the opted-in readings (time_of_day, heart_rate,
// ambient_noise) given in ProfileSignals::readings; "none" sets no target; a named one sets a target energy:
// focus 0.35, relax 0.25, workout 0.85, party 0.8, morning 0.6, evening 0.35, night 0.2. In "auto": the hour
// sets morning (5-11), day (11-18: no target), evening (18-23) or night (23-5); a heart rate above
// kHighHeartRate lowers the target energy by 0.15 (to 0.3 without an hour) and says so; ambient noise above
// kNoiseThresholdDb raises it by 0.1.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "cadenza/recommend/catalog.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/preference_repo.hpp"

namespace cadenza::recommend {

constexpr double kCollabWeight = 0.5;
constexpr double kPreferenceWeight = 0.3;
constexpr double kArtistWeight = 0.2;
constexpr double kContextWeight = 0.25;
constexpr double kPopularityWeight = 0.05;
constexpr double kSkipPenalty = 0.3;
constexpr std::int64_t kRecentMs = 24LL * 3600 * 1000;
constexpr int kPerArtist = 3;
constexpr int kMaxRecommendations = 100;
constexpr double kHighHeartRate = 100;

struct ProfileSignals {
  std::vector<store::Preference> preferences;  // the profile's own, by rank
  std::vector<store::Preference> learned;      // written by training
  std::vector<store::TrackPlayStats> plays;    // this profile's, per track
  std::map<std::string, double> readings;      // latest fresh reading of each opted-in variable, e.g. heart_rate
  std::int64_t now_ms = 0;
};

struct RecommendQuery {
  int limit = 20;         // 1..kMaxRecommendations
  std::string genre;      // only tracks of this genre ("" = any)
  std::string context = "auto";
};

struct Recommendation {
  std::size_t track = 0;  // catalogue index
  double score = 0;
  std::vector<std::string> reasons;  // most important first, never empty
};

struct Recommendations {
  std::vector<Recommendation> items;
  nlohmann::json context;  // {name, targetEnergy|null, because: [..]}
};

// Contexts a query may name (besides "auto" and "none").
std::span<const char* const> context_names();

// Error(BadRequest) naming `context` for an unknown context and `limit` outside 1..kMaxRecommendations.
// `collab`: one score per catalogue index, or empty without a model. `popularity`: plays by everyone per
// catalogue index, or empty.
Recommendations recommend_tracks(const Catalog& catalog, const ProfileSignals& profile, std::span<const float> collab,
                          std::span<const float> popularity, const RecommendQuery& query);

// What a profile actually plays, as learned preferences (store: source "learned"; never shown by the API):
// its up to 3 most played genres and artists with at least kLearnMinShare of its plays (weight: the share),
// and, with kLearnMinTempoTracks played tracks of known BPM, the tempo range between their 25th and 75th
// percentiles (weight 0.5). Skipped plays do not count.
constexpr double kLearnMinShare = 0.15;
constexpr int kLearnMinTempoTracks = 5;
std::vector<store::Preference> learn_preferences(const Catalog& catalog, const std::vector<store::TrackPlayStats>& plays);

}  // namespace cadenza::recommend
