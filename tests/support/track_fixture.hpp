#pragma once
// A catalog track for tests: the five features from energy and bpm (tempo as recommend/track_features maps
// it), the rest fixed.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/store/track_repo.hpp"

namespace cadenza::test {

inline store::Track track(const std::string& artist, const std::string& title, double energy, double bpm,
                          std::vector<std::string> genres = {"pop"}, std::int64_t duration_ms = 200000) {
  store::Track t;
  t.artist = artist;
  t.title = title;
  t.duration_ms = duration_ms;
  t.year = 2001;
  t.energy = energy;
  t.tempo = (bpm - 40) / 180;
  t.valence = 0.5;
  t.acousticness = 1 - energy;
  t.density = 0.4;
  t.bpm = bpm;
  t.genres = std::move(genres);
  t.source = "test";
  return t;
}

}  // namespace cadenza::test
