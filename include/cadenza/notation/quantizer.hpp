#pragma once
// Quantisation of note events to the metrical grid of a TimeGrid.
//
// Each beat chooses its own subdivision (1, 2, 4, 3 or 6 parts; 3 and 6 in compound time) by
// balancing the squared timing error of its onsets against a complexity cost, so 16ths appear
// where the playing has them and triplets only where several onsets agree on them. Chord notes
// are quantised together. Ends snap to the same grid, compensating for detached playing.
#include <cstdint>
#include <vector>

#include "cadenza/notation/beat_tracker.hpp"
#include "cadenza/core/note_event.hpp"

namespace cadenza::notation {

struct QuantizedNote {
  int pitch = 60;
  int64_t onset = 0;     // divisions from score start
  int64_t duration = 0;  // divisions
  int velocity = 80;
  int source = -1;       // index into the quantised event list
};

// Result is sorted by onset, then pitch; every duration is > 0.
std::vector<QuantizedNote> quantize(const std::vector<NoteEvent>& events, const TimeGrid& grid);

}  // namespace cadenza::notation
