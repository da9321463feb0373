#include "cadenza/recommend/track_features.hpp"

#include <algorithm>
#include <cmath>

#include "cadenza/core/error.hpp"

namespace cadenza::recommend {
namespace {

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double finite(double x, const char* name) {
  if (!std::isfinite(x)) throw Error(ErrorKind::BadRequest, "Validation failed", {{name, "must be a finite number"}});
  return x;
}

}  // namespace

double tempo_from_bpm(double bpm) { return clamp01((finite(bpm, "tempo") - kMinBpm) / (kMaxBpm - kMinBpm)); }

double bpm_from_tempo(double tempo) { return kMinBpm + (kMaxBpm - kMinBpm) * clamp01(finite(tempo, "tempo")); }

TrackFeatures from_spotify(const SpotifyAudioFeatures& f) {
  TrackFeatures out;
  out.energy = clamp01(finite(f.energy, "energy"));
  out.valence = clamp01(finite(f.valence, "valence"));
  out.acousticness = clamp01(finite(f.acousticness, "acousticness"));
  out.tempo = tempo_from_bpm(f.tempo_bpm);
  const double dance = clamp01(finite(f.danceability, "danceability"));
  const double speech = std::min(1.0, clamp01(finite(f.speechiness, "speechiness")) / 0.66);
  const double loud = clamp01((finite(f.loudness_db, "loudness") + 30) / 30);
  out.density = 0.5 * dance + 0.25 * speech + 0.25 * loud;
  return out;
}

}  // namespace cadenza::recommend
