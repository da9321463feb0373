#pragma once
// NoteSampler: a model that writes a piece one compound token (one note) at a time, so that a stream can
// synthesise and send each note's audio while the rest is still being sampled. The Markov baseline
// (markov.hpp) and the transformer (transformer_sampler.hpp) both implement it; the generation job only
// sees this interface.
//
// A sampler starts from a controls token (the piece's style, key, mode, meter, tempo, density, energy)
// and optionally a prefix of note tokens it continues (mode "continue" of a version, or the bars that
// mode "vary" keeps); it never returns the prefix again. The same settings, prefix and seed give the same
// notes, token for token.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/tokens.hpp"

namespace cadenza::generate {

struct SamplerSettings {
  uint64_t seed = 1;
  double temperature = 1.0;  // p^(1/T), renormalised
  double top_p = 0.95;       // nucleus: the smallest set of values whose probability reaches top_p
  int max_notes = 4000;
  SampleOptions masks;       // meter, key and range masks (markov.hpp)
};

class NoteSampler {
 public:
  virtual ~NoteSampler() = default;
  // The next note token, or nullopt once the piece has ended (an end token, the controls' length, or
  // max_notes). Not thread-safe: one stream, one sampler.
  virtual std::optional<Token> next() = 0;
};

// The piece that note tokens (up to the first token that is not a note) make under the controls: onsets from
// the bar deltas and positions, durations and velocities from their classes, sorted by onset then pitch.
// A position may pass the bar when the meter mask was off.
Piece piece_of(const Controls& controls, std::string id, std::span<const Token> notes);

}  // namespace cadenza::generate
