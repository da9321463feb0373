#pragma once
// Tempo, beat and meter tracking from note onsets.
//
// 1. Onsets closer than 35 ms are merged into one event (a chord or a spread attack).
// 2. The tatum (the shortest frequent inter-onset interval) is found in a log-time histogram.
// 3. The tatum pulse is tracked with dynamic programming over (time, period) states, so the
//    tempo may drift; the pulse is extrapolated over the whole piece.
// 4. Meter, the notated value of the tatum and the bar position of every pulse are chosen per
//    candidate time signature by aligning an accent signal (onsets, note lengths, bass notes, chord
//    changes) with its metrical weights (Viterbi over bar positions, so the bar re-aligns after a
//    pause, a splice or a lost pulse at a cost), plus tempo and meter priors and a penalty for
//    bass notes that fall between beats (oom-pah-pah read at half speed).
// 5. Among rotations by whole beats, the downbeat is where a downbeat accent (one accent per chord,
//    a bass note below its neighbours) fits the bar best; where the alignment jumps ahead, the
//    missing tatums are spread over the gap (rests), and a pulse it skipped is dropped.
#include <optional>
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
  // With fixed_time: the tempo is known too (music made at a set tempo, from time 0 on a downbeat), and the
  // grid is an eighth-note tatum at this tempo: nothing is tracked.
  std::optional<double> bpm;
};

// Throws Error(Unprocessable) when there are no notes.
TimeGrid track_time(const std::vector<NoteEvent>& events, const BeatTrackerOptions& options = {});

}  // namespace cadenza::notation
