#pragma once
// The five dimensions every recommender reads (energy, tempo, valence, acousticness, density; each 0..1),
// from the columns of a catalogue that comes with Spotify-style audio features:
//
//   energy       = energy
//   valence      = valence
//   acousticness = acousticness
//   tempo        = clamp((bpm - 40) / 180, 0, 1)          (40 bpm -> 0, 220 bpm -> 1: the tune-vector range)
//   density      = 0.5  * danceability
//                + 0.25 * min(1, speechiness / 0.66)      (0.66 and up: Spotify's "spoken word")
//                + 0.25 * clamp((loudness_db + 30) / 30, 0, 1)
//
// Inputs that should be 0..1 are clamped to it; a value that is not finite is an Error(BadRequest).
namespace cadenza::recommend {

struct TrackFeatures {
  double energy = 0, tempo = 0, valence = 0, acousticness = 0, density = 0;
};

// What a catalogue such as ../shared/datasets/spotify-top-hits-2000-2019 gives per track.
struct SpotifyAudioFeatures {
  double danceability = 0, energy = 0, speechiness = 0, acousticness = 0, valence = 0;
  double loudness_db = 0;  // about -60..0
  double tempo_bpm = 0;
};

constexpr double kMinBpm = 40, kMaxBpm = 220;

// clamp((bpm - 40) / 180, 0, 1).
double tempo_from_bpm(double bpm);
// The inverse within the range: 40 + 180 * tempo.
double bpm_from_tempo(double tempo);
TrackFeatures from_spotify(const SpotifyAudioFeatures& f);

}  // namespace cadenza::recommend
