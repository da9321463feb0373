#pragma once
// Key estimation and pitch spelling.
//
// Keys: Temperley's Bayesian model with the Kostka–Payne profiles (probability that each scale
// degree occurs in a segment), one segment per bar, decoded with Viterbi over the 24 keys and a
// large cost per key change, so the key changes only where several bars agree.
// Spelling: the pitch class is placed on the line of fifths as close as possible to the centre
// of the key (F# not Gb in D major, G# as leading tone in A minor).
#include <cstdint>
#include <vector>

#include "cadenza/notation/quantizer.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

struct KeySpan {
  int bar = 0;  // index of the first bar (0 = the bar containing position 0)
  KeySignature key;
};

// bars start at pickup + k * bar_length (bar 0 is the pickup when pickup > 0).
std::vector<KeySpan> estimate_keys(const std::vector<QuantizedNote>& notes, int64_t bar_length, int64_t pickup);

// Single key for a set of notes (no changes).
KeySignature estimate_key(const std::vector<QuantizedNote>& notes);

Spelling spell(int pitch, const KeySignature& key);

}  // namespace cadenza::notation
