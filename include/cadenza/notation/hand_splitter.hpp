#pragma once
// Treble/bass split and voices.
//
// split_hands walks the onsets in time order; at each onset the sorted new notes are cut at the
// point that minimises the distance of each note to its hand's running centre, plus penalties for
// a hand spanning more than an octave (counting notes it still holds), more than five notes,
// crossing hands and extreme registers. The centres follow the music, so the split is not a
// fixed middle C.
// assign_voices gives each staff a second voice where lines overlap with different rhythms.
#include <vector>

#include "cadenza/notation/quantizer.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

// Staff (1 = right hand, 2 = left hand) for each note; notes sorted by onset.
std::vector<int> split_hands(const std::vector<QuantizedNote>& notes);

// Sets ScoreNote::voice (1 = upper line, 2 = lower line) per staff so that notes of one voice
// never overlap except as chords of equal length. May shorten a note that no voice can hold.
void assign_voices(std::vector<ScoreNote>& notes);

}  // namespace cadenza::notation
