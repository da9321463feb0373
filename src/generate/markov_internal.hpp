#pragma once
// Internal to the generate module: the n-gram baseline's symbols and helpers, shared by the model
// (markov.cpp: training, NLL) and its sampler (markov_sampler.cpp).
#include <cstdint>
#include <random>
#include <vector>

#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/ngram.hpp"
#include "cadenza/generate/tokens.hpp"

namespace cadenza::generate::markov_detail {

inline constexpr int kTimeVocab = (kMaxBarDelta + 1) * kMaxPositions;      // 576
inline constexpr int kPitchVocab = kHighestPitch - kLowestPitch + 1 + 11;  // pitch - tonic: 99
inline constexpr int kHistory = KneserNey::kMaxOrder - 1;

struct Base {
  int time, pitch, duration, velocity;
};

inline Base bases(Style style, int meter, Mode mode, bool chord) {
  const int s = int(style);
  return {s * 12 + meter, (s * 2 + int(mode)) * 2 + int(chord), s * 12 + meter, s};
}

// pitch relative to the tonic: 0 .. kPitchVocab-1
inline int relative(int pitch, int tonic) { return pitch - kLowestPitch + 11 - tonic; }
inline int absolute(int rel, int tonic) { return rel + kLowestPitch - 11 + tonic; }

// The histories of a note for each field, most recent first; missing = the vocab (start).
struct Histories {
  int time[kHistory], pitch[kHistory], duration[kHistory], velocity[kHistory];
};

inline Histories empty_histories() {
  Histories h;
  for (int k = 0; k < kHistory; ++k) {
    h.time[k] = kTimeVocab;
    h.pitch[k] = kPitchVocab;
    h.duration[k] = int(kDurationTicks.size());
    h.velocity[k] = 8;
  }
  return h;
}

inline void push(int* history, int symbol) {
  for (int k = kHistory - 1; k > 0; --k) history[k] = history[k - 1];
  history[0] = symbol;
}

// Draws from non-negative weights with p^(1/T), then keeps the nucleus: the fewest largest values whose
// probability reaches top_p (top_p >= 1: all of them, and no sort). -1 when every weight is 0.
int draw(std::vector<double>& w, double temperature, double top_p, std::mt19937_64& rng);

bool in_scale(int pitch, int tonic, Mode mode);

}  // namespace cadenza::generate::markov_detail
