#include "cadenza/notation/key_finder.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace cadenza::notation {

namespace {

// Temperley (2007), Kostka–Payne corpus: P(scale degree present in a segment).
constexpr std::array<double, 12> kMajor = {0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400};
constexpr std::array<double, 12> kMinor = {0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330};
constexpr double kChangeCost = 14.0;  // nats: several bars of contrary evidence

// Key index 0..23: tonic pc + 12 * minor.
double segment_score(const std::array<bool, 12>& present, int key) {
  const int tonic = key % 12;
  const auto& prof = key >= 12 ? kMinor : kMajor;
  double s = 0;
  for (int pc = 0; pc < 12; ++pc) {
    const double p = prof[(pc - tonic + 12) % 12];
    s += present[pc] ? std::log(p) : std::log(1.0 - p);
  }
  return s;
}

KeySignature signature_of(int key) {
  const int tonic = key % 12;
  const bool minor = key >= 12;
  // Major tonic pc -> fifths in [-6, 6] (F# major = 6, Gb would be -6; prefer fewer accidentals, flats at 6).
  const int major_pc = minor ? (tonic + 3) % 12 : tonic;
  int fifths = (major_pc * 7) % 12;  // C=0 G=1 D=2 ... 
  if (fifths > 6) fifths -= 12;
  if (fifths == 6) fifths = -6;      // Gb / Eb minor rather than F# / D# minor
  return {fifths, minor};
}

}  // namespace

std::vector<KeySpan> estimate_keys(const std::vector<QuantizedNote>& notes, int64_t bar_length, int64_t pickup) {
  if (notes.empty() || bar_length <= 0) return {{0, {}}};
  auto bar_of = [&](int64_t pos) -> int {
    if (pickup > 0) return pos < pickup ? 0 : static_cast<int>(1 + (pos - pickup) / bar_length);
    return static_cast<int>(pos / bar_length);
  };
  int64_t end = 0;
  for (const auto& n : notes) end = std::max(end, n.onset + n.duration);
  const int bars = bar_of(std::max<int64_t>(0, end - 1)) + 1;
  std::vector<std::array<bool, 12>> present(bars);
  for (auto& p : present) p.fill(false);
  for (const auto& n : notes) {
    const int first = bar_of(n.onset), last = bar_of(n.onset + n.duration - 1);
    for (int b = first; b <= std::min(last, bars - 1); ++b) present[b][n.pitch % 12] = true;
  }
  // Viterbi over bars.
  constexpr int K = 24;
  std::vector<std::array<double, K>> score(bars);
  std::vector<std::array<int, K>> back(bars);
  for (int k = 0; k < K; ++k) score[0][k] = segment_score(present[0], k);
  for (int b = 1; b < bars; ++b) {
    int best_prev = 0;
    for (int k = 1; k < K; ++k)
      if (score[b - 1][k] > score[b - 1][best_prev]) best_prev = k;
    for (int k = 0; k < K; ++k) {
      double stay = score[b - 1][k];
      double move = score[b - 1][best_prev] - kChangeCost;
      const bool moved = best_prev != k && move > stay;
      score[b][k] = (moved ? move : stay) + segment_score(present[b], k);
      back[b][k] = moved ? best_prev : k;
    }
  }
  int k = 0;
  for (int j = 1; j < K; ++j)
    if (score[bars - 1][j] > score[bars - 1][k]) k = j;
  std::vector<int> path(bars);
  for (int b = bars - 1; b >= 0; --b) {
    path[b] = k;
    if (b > 0) k = back[b][k];
  }
  std::vector<KeySpan> spans;
  for (int b = 0; b < bars; ++b) {
    const auto sig = signature_of(path[b]);
    if (spans.empty() || !(spans.back().key == sig)) spans.push_back({b, sig});
  }
  return spans;
}

KeySignature estimate_key(const std::vector<QuantizedNote>& notes) {
  int64_t end = 0;
  for (const auto& n : notes) end = std::max(end, n.onset + n.duration);
  // One segment per quarter note, no changes allowed: sum of segment scores.
  std::array<double, 24> total{};
  for (int64_t s = 0; s < end; s += kDivisions) {
    std::array<bool, 12> present{};
    for (const auto& n : notes)
      if (n.onset < s + kDivisions && n.onset + n.duration > s) present[n.pitch % 12] = true;
    for (int k = 0; k < 24; ++k) total[k] += segment_score(present, k);
  }
  return signature_of(static_cast<int>(std::max_element(total.begin(), total.end()) - total.begin()));
}

Spelling spell(int pitch, const KeySignature& key) {
  const int pc = ((pitch % 12) + 12) % 12;
  const double centre = key.fifths + (key.minor ? 3.1 : 2.1);
  const int base = (pc * 7) % 12;  // a line-of-fifths position of this pitch class
  int best = base;
  for (int q = base - 24; q <= base + 24; q += 12) {
    if (q < -15 || q > 19) continue;
    if (std::abs(q - centre) < std::abs(best - centre)) best = q;
  }
  const int alter = static_cast<int>(std::floor((best + 1) / 7.0));
  static constexpr char kSteps[] = "FCGDAEB";
  Spelling s;
  s.step = kSteps[best + 1 - 7 * alter];
  s.alter = alter;
  s.octave = (pitch - alter) / 12 - 1;
  return s;
}

}  // namespace cadenza::notation
