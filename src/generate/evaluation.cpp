// Yang & Lerch 2018 features and distribution overlaps (evaluation.hpp).
#include "cadenza/generate/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "cadenza/core/error.hpp"

namespace cadenza::generate {

const char* to_string(Feature f) {
  switch (f) {
    case Feature::PitchClassHistogram: return "pitch-class histogram";
    case Feature::PitchCount: return "pitch count";
    case Feature::PitchRange: return "pitch range";
    case Feature::PitchInterval: return "pitch interval";
    case Feature::InterOnsetInterval: return "inter-onset interval";
    case Feature::NoteLengthHistogram: return "note-length histogram";
    case Feature::NoteCount: return "note count";
  }
  return "";
}

PieceFeatures features(const Piece& piece) {
  PieceFeatures f;
  std::vector<Note> notes = piece.notes;
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
  });
  f.note_count = double(notes.size());
  if (notes.empty()) return f;
  std::set<int> pitches;
  int lo = 127, hi = 0;
  for (const auto& n : notes) {
    f.pitch_class_histogram[size_t(((n.pitch % 12) + 12) % 12)] += 1;
    pitches.insert(n.pitch);
    lo = std::min(lo, n.pitch);
    hi = std::max(hi, n.pitch);
  }
  for (auto& x : f.pitch_class_histogram) x /= double(notes.size());
  f.pitch_count = double(pitches.size());
  f.pitch_range = hi - lo;
  double intervals = 0;
  for (size_t i = 1; i < notes.size(); ++i) intervals += std::abs(notes[i].pitch - notes[i - 1].pitch);
  f.pitch_interval = notes.size() > 1 ? intervals / double(notes.size() - 1) : 0;
  double ioi = 0;
  int gaps = 0;
  for (size_t i = 1; i < notes.size(); ++i)
    if (notes[i].onset != notes[i - 1].onset) {
      ioi += double(notes[i].onset - notes[i - 1].onset) / kTicksPerQuarter;
      ++gaps;
    }
  f.inter_onset_interval = gaps ? ioi / gaps : 0;
  // whole, half, quarter, 8th, 16th, dotted half, dotted quarter, dotted 8th, dotted 16th,
  // half triplet, quarter triplet, 8th triplet; in ticks of 12 per quarter
  static const double lengths[12] = {48, 24, 12, 6, 3, 36, 18, 9, 4.5, 16, 8, 4};
  for (const auto& n : notes) {
    size_t best = 0;
    double best_d = 1e18;
    for (size_t k = 0; k < 12; ++k) {
      const double d = std::abs(std::log(double(n.duration) / lengths[k]));
      if (d < best_d) best_d = d, best = k;
    }
    f.note_length_histogram[best] += 1;
  }
  for (auto& x : f.note_length_histogram) x /= double(notes.size());
  return f;
}

std::vector<double> feature_vector(const PieceFeatures& f, Feature feature) {
  switch (feature) {
    case Feature::PitchClassHistogram: return {f.pitch_class_histogram.begin(), f.pitch_class_histogram.end()};
    case Feature::PitchCount: return {f.pitch_count};
    case Feature::PitchRange: return {f.pitch_range};
    case Feature::PitchInterval: return {f.pitch_interval};
    case Feature::InterOnsetInterval: return {f.inter_onset_interval};
    case Feature::NoteLengthHistogram: return {f.note_length_histogram.begin(), f.note_length_histogram.end()};
    case Feature::NoteCount: return {f.note_count};
  }
  return {};
}

namespace {

double bandwidth(const std::vector<double>& x) {
  const double n = double(x.size());
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double var = 0;
  for (double v : x) var += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(var / (n - 1)) : 0;
  auto sorted = x;
  std::sort(sorted.begin(), sorted.end());
  const double iqr = sorted[size_t(0.75 * (n - 1))] - sorted[size_t(0.25 * (n - 1))];
  double spread = std::min(sd, iqr / 1.34);
  if (!(spread > 0)) spread = sd > 0 ? sd : 1e-3;  // Silverman's rule, with a floor for constant samples
  return 0.9 * spread * std::pow(n, -0.2);
}

// Binned Gaussian KDE on an evenly spaced grid: each sample goes to its nearest grid point, then
// the bins are smoothed (the binning moves a sample by at most half a grid step).
std::vector<double> density(const std::vector<double>& x, double bw, const std::vector<double>& grid) {
  const size_t n = grid.size();
  const double lo = grid.front(), step = (grid.back() - grid.front()) / double(n - 1);
  std::vector<double> bins(n, 0.0);
  for (double v : x) bins[size_t(std::clamp<long>(std::lround((v - lo) / step), 0, long(n) - 1))] += 1;
  const long reach = std::min<long>(long(n), long(std::ceil(8 * bw / step)));
  std::vector<double> kernel(size_t(reach) + 1);
  for (long k = 0; k <= reach; ++k) kernel[size_t(k)] = std::exp(-0.5 * std::pow(k * step / bw, 2));
  std::vector<double> d(n, 0.0);
  for (size_t b = 0; b < n; ++b) {
    if (bins[b] == 0) continue;
    const long from = std::max(0L, long(b) - reach), to = std::min(long(n) - 1, long(b) + reach);
    for (long g = from; g <= to; ++g) d[size_t(g)] += bins[b] * kernel[size_t(std::labs(g - long(b)))];
  }
  // normalised on the grid, so that a bandwidth under a grid step still integrates to 1
  const double total = std::accumulate(d.begin(), d.end(), 0.0) * step;
  for (auto& v : d) v = total > 0 ? v / total : 0;
  return d;
}

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

}  // namespace

Overlap compare_distributions(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) throw Error(ErrorKind::BadRequest, "overlap of an empty sample");
  const double ba = bandwidth(a), bb = bandwidth(b);
  const auto [amin, amax] = std::minmax_element(a.begin(), a.end());
  const auto [bmin, bmax] = std::minmax_element(b.begin(), b.end());
  const double lo = std::min(*amin - 4 * ba, *bmin - 4 * bb), hi = std::max(*amax + 4 * ba, *bmax + 4 * bb);
  constexpr int kGrid = 2000;
  std::vector<double> grid(kGrid);
  for (int i = 0; i < kGrid; ++i) grid[size_t(i)] = lo + (hi - lo) * i / (kGrid - 1);
  const double step = (hi - lo) / (kGrid - 1);
  const auto pa = density(a, ba, grid), pb = density(b, bb, grid);
  Overlap o;
  for (int i = 0; i < kGrid; ++i) {
    o.overlap_area += std::min(pa[size_t(i)], pb[size_t(i)]) * step;
    constexpr double eps = 1e-10;
    if (pa[size_t(i)] > eps) o.kl += pa[size_t(i)] * std::log(pa[size_t(i)] / std::max(pb[size_t(i)], eps)) * step;
  }
  o.overlap_area = std::clamp(o.overlap_area, 0.0, 1.0);
  o.kl = std::max(0.0, o.kl);
  return o;
}

Overlap compare_sets(const std::vector<PieceFeatures>& compared, const std::vector<PieceFeatures>& reference,
                     Feature feature) {
  if (reference.size() < 2 || compared.empty())
    throw Error(ErrorKind::BadRequest, "compare_sets needs 2+ reference pieces and 1+ compared piece");
  std::vector<std::vector<double>> r, c;
  for (const auto& f : reference) r.push_back(feature_vector(f, feature));
  for (const auto& f : compared) c.push_back(feature_vector(f, feature));
  std::vector<double> intra, inter;
  for (size_t i = 0; i < r.size(); ++i)
    for (size_t j = i + 1; j < r.size(); ++j) intra.push_back(distance(r[i], r[j]));
  for (const auto& x : c)
    for (const auto& y : r) inter.push_back(distance(x, y));
  return compare_distributions(intra, inter);
}

}  // namespace cadenza::generate
