#pragma once
// Arrangements: what the quantised notes become on the two staves.
//   Transcription: every note, split between the hands.
//   Piano: cleaned and playable: same-pitch doublings merged, very short notes dropped, notes held
//          past the hand's next onset (pedal-like overlaps) cut there, at most five notes within an
//          octave per hand.
//   Easy: a single-line melody (the top line) in the right hand and one bass note per beat (the
//         lowest note around the beat, in the bass register) in the left hand.
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/notation/quantizer.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

// Event-level clean-up before timing analysis (Piano and Easy drop notes shorter than 60 ms).
std::vector<NoteEvent> prepare_events(const std::vector<NoteEvent>& events, Arrangement arrangement);

// Notes with staff set (spelling and voice are set later). Sorted by onset, pitch.
std::vector<ScoreNote> arrange(const std::vector<QuantizedNote>& notes, Arrangement arrangement,
                               const TimeSignature& time, int64_t pickup);

}  // namespace cadenza::notation
