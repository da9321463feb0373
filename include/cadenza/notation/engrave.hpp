#pragma once
// The notation engine's entry point: note events -> a two-hand piano Score.
//   events -> arrangement clean-up -> tempo/beats/meter (TimeGrid) -> quantisation -> key(s)
//   -> hands (or easy melody + bass) -> spelling -> voices -> measures.
// Writers: to_musicxml (musicxml_writer.hpp), to_midi (midi_file.hpp), to_lilypond / render_pdf
// (lilypond_writer.hpp).
#include <optional>
#include <string>
#include <vector>

#include "cadenza/notation/beat_tracker.hpp"
#include "cadenza/core/note_event.hpp"
#include "cadenza/core/progress.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

struct EngraveOptions {
  Arrangement arrangement = Arrangement::Transcription;
  std::string title;
  std::string composer;
  std::string arranger;
  std::optional<TimeSignature> time;  // force a meter instead of detecting it
  std::optional<KeySignature> key;    // force one key for the whole piece instead of finding its keys
  std::optional<double> tempo_bpm;    // with `time`: the known tempo (from 0, on a downbeat); nothing is tracked
};

// Throws Error(Unprocessable) when there is no note to engrave. `progress` hears each stage, in order, up to
// (1, "done"); an exception it throws (a cancelled job) ends the engraving.
Score engrave(const std::vector<NoteEvent>& events, const EngraveOptions& options = {}, const Progress& progress = {});

// Same, also returning the timing analysis used (for diagnostics and benchmarks).
Score engrave(const std::vector<NoteEvent>& events, const EngraveOptions& options, TimeGrid& grid,
              const Progress& progress = {});

}  // namespace cadenza::notation
