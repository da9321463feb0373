#pragma once
// Tempo, beat and meter tracking from note onsets.
//
// 1. Onsets closer than 35 ms are merged into one event (a chord or a spread attack).
// 2. The tatum (the shortest frequent inter-onset interval) is found in a log-time histogram.
// 3. The tatum pulse is tracked with dynamic programming over (time, period) states, so the
//    tempo may drift; the pulse is extrapolated over the whole piece.
// 4. Meter, the notated value of the tatum and the downbeat phase (pickup) are chosen by
//    correlating an accent signal (onsets, note lengths, bass notes, chord changes) with the
//    metrical weights of each candidate time signature, plus tempo and meter priors.
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

struct TimeGrid {
  std::vector<double> tatums;   // performance time of each tatum; tatum 0 = score position 0
  int tatum_divisions = 12;     // notated length of one tatum in divisions
  TimeSignature time;
  int64_t pickup = 0;           // anacrusis length in divisions (0: the score starts on a downbeat)

  // Fractional tatum index of a performance time (linear inside, extrapolated outside).
  double tatum_position(double seconds) const;
  // Performance time of a score position in divisions.
  double seconds_at(double divisions) const;
  // Quarter notes per minute around a score position.
  double bpm_at(double divisions) const;
};

struct BeatTrackerOptions {
  // When set, meter detection is skipped and this signature is used.
  bool fixed_time = false;
  TimeSignature time;
};

// Throws Error(Unprocessable) when there are no notes.
TimeGrid track_time(const std::vector<NoteEvent>& events, const BeatTrackerOptions& options = {});

}  // namespace cadenza::notation
