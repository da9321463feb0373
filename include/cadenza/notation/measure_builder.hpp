#pragma once
// Lays the notes of a Score out in measures: per staff and voice, chords and rests in time order,
// durations split at bar lines and metrical boundaries into writable values joined by ties,
// rests filling the gaps, and beams within a beat.
#include <cstdint>
#include <string>

#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

// Fills score.measures from score.notes, score.time and score.pickup.
void build_measures(Score& score);

// The writable note value of a duration: type ("eighth"), dots, triplet. False when the
// duration is not a single writable value.
bool note_value(int64_t duration, std::string& type, int& dots, bool& triplet);

}  // namespace cadenza::notation
