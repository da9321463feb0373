// The documented mapping from a catalogue's Spotify-style columns to the five dimensions.
#include <doctest/doctest.h>

#include <limits>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/track_features.hpp"

using namespace cadenza;
using namespace cadenza::recommend;

TEST_CASE("track features: tempo maps 40..220 bpm onto 0..1, clamped") {
  CHECK(tempo_from_bpm(40) == 0);
  CHECK(tempo_from_bpm(130) == doctest::Approx(0.5));
  CHECK(tempo_from_bpm(220) == 1);
  CHECK(tempo_from_bpm(20) == 0);
  CHECK(tempo_from_bpm(300) == 1);
  CHECK(bpm_from_tempo(tempo_from_bpm(95.053)) == doctest::Approx(95.053));
  CHECK_THROWS_AS(tempo_from_bpm(std::numeric_limits<double>::quiet_NaN()), Error);
}

TEST_CASE("track features: energy, valence, acousticness pass through; density mixes three columns") {
  // Britney Spears, "Oops!...I Did It Again" in the Spotify top-hits file.
  SpotifyAudioFeatures s;
  s.danceability = 0.751;
  s.energy = 0.834;
  s.speechiness = 0.0437;
  s.acousticness = 0.3;
  s.valence = 0.894;
  s.loudness_db = -5.444;
  s.tempo_bpm = 95.053;
  auto f = from_spotify(s);
  CHECK(f.energy == 0.834);
  CHECK(f.valence == 0.894);
  CHECK(f.acousticness == 0.3);
  CHECK(f.tempo == doctest::Approx((95.053 - 40) / 180));
  CHECK(f.density == doctest::Approx(0.5 * 0.751 + 0.25 * (0.0437 / 0.66) + 0.25 * ((30 - 5.444) / 30)));

  // Each term at its bounds: speech saturates at 0.66, loudness at -30 and 0 dB.
  SpotifyAudioFeatures loud = s;
  loud.danceability = 1;
  loud.speechiness = 0.9;
  loud.loudness_db = 3;
  CHECK(from_spotify(loud).density == doctest::Approx(1.0));
  SpotifyAudioFeatures quiet = s;
  quiet.danceability = 0;
  quiet.speechiness = 0;
  quiet.loudness_db = -45;
  CHECK(from_spotify(quiet).density == 0);
  SpotifyAudioFeatures mid = quiet;
  mid.speechiness = 0.33;
  mid.loudness_db = -15;
  CHECK(from_spotify(mid).density == doctest::Approx(0.25 * 0.5 + 0.25 * 0.5));
  SpotifyAudioFeatures over = s;
  over.energy = 1.2;
  over.valence = -0.1;
  CHECK(from_spotify(over).energy == 1);
  CHECK(from_spotify(over).valence == 0);
}
