#pragma once
// The five dimensions of the tracks of a music library (`cadenza import library`), made from features
// measured on their audio (audio/features.hpp) and the mode (pipeline/library_import.hpp), each feature
// first turned into its percentile within the library (so the dimensions spread over 0..1 whatever the
// library holds):
//
//   pct(x)       = (number of the library's values below x + half the number equal to it) / n   (0..1; 0.5
//                  for a library of one)
//   L = pct(integrated loudness, LUFS)   R = pct(loudness range, LU)   O = pct(onsets per second)
//   B = pct(spectral centroid, Hz)       T = pct(bpm)                  M = 1 major, 0 minor, 0.5 unknown
//
//   energy       = 0.50 L + 0.25 O + 0.25 B                 loud, busy and bright
//   tempo        = clamp((bpm - 40) / 180, 0, 1)            absolute, like every catalogue's (track_features.hpp),
//                                                           since tune vectors speak bpm; 0.5 when unknown
//   valence      = 0.50 M + 0.25 T + 0.25 B                 major, quick and bright reads as happy
//   acousticness = 0.50 (1 - B) + 0.25 R + 0.25 (1 - L)     dark, dynamic and quiet: unamplified instruments
//   density      = 0.70 O + 0.30 (1 - R)                    many onsets, little dynamic contrast
//
// bpm is the file's BPM tag when it has one, else the measured tempo.
#include <optional>
#include <vector>

#include "cadenza/recommend/track_features.hpp"

namespace cadenza::recommend {

struct LibraryAudioFeatures {
  double integrated_lufs = -70, loudness_range_lu = 0, onset_rate = 0, centroid_hz = 0;
  double bpm = 0;               // 0: unknown
  std::optional<bool> major;    // unknown: nullopt
};

// The five dimensions of each track, in the input's order.
std::vector<TrackFeatures> library_dimensions(const std::vector<LibraryAudioFeatures>& library);

// The percentile of each value among all of them (the pct above).
std::vector<double> percentiles(const std::vector<double>& values);

}  // namespace cadenza::recommend
