#pragma once
// NoteEvent: one played note, the input of the notation engine (from the transcriber, from
// generation or from a MIDI file). Times are in seconds from the start of the performance.
#include <vector>

namespace cadenza::notation {

struct NoteEvent {
  int pitch = 60;       // MIDI note number 0..127
  double start = 0.0;   // seconds
  double end = 0.0;     // seconds, > start
  int velocity = 80;    // 1..127
};

// Sorts by start, then pitch; drops events with invalid pitch or non-positive length.
std::vector<NoteEvent> normalized(std::vector<NoteEvent> events);

}  // namespace cadenza::notation
