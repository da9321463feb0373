#include "cadenza/recommend/library_features.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace cadenza::recommend {

std::vector<double> percentiles(const std::vector<double>& values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> out(n, 0.5);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    const double p = (double(i) + 0.5 * double(j - i)) / double(n);
    for (std::size_t k = i; k < j; ++k) out[order[k]] = p;
    i = j;
  }
  return out;
}

std::vector<TrackFeatures> library_dimensions(const std::vector<LibraryAudioFeatures>& library) {
  const std::size_t n = library.size();
  std::vector<double> loud(n), range(n), onsets(n), bright(n), bpm(n);
  for (std::size_t i = 0; i < n; ++i) {
    loud[i] = library[i].integrated_lufs;
    range[i] = library[i].loudness_range_lu;
    onsets[i] = library[i].onset_rate;
    bright[i] = library[i].centroid_hz;
    bpm[i] = library[i].bpm;
  }
  const auto L = percentiles(loud), R = percentiles(range), O = percentiles(onsets), B = percentiles(bright),
             T = percentiles(bpm);
  std::vector<TrackFeatures> out(n);
  auto unit = [](double v) { return std::clamp(v, 0.0, 1.0); };
  for (std::size_t i = 0; i < n; ++i) {
    const double M = library[i].major ? (*library[i].major ? 1.0 : 0.0) : 0.5;
    auto& f = out[i];
    f.energy = unit(0.5 * L[i] + 0.25 * O[i] + 0.25 * B[i]);
    f.tempo = library[i].bpm > 0 ? tempo_from_bpm(library[i].bpm) : 0.5;
    f.valence = unit(0.5 * M + 0.25 * T[i] + 0.25 * B[i]);
    f.acousticness = unit(0.5 * (1 - B[i]) + 0.25 * R[i] + 0.25 * (1 - L[i]));
    f.density = unit(0.7 * O[i] + 0.3 * (1 - R[i]));
  }
  return out;
}

}  // namespace cadenza::recommend
