#pragma once
// The notation engine's entry point: note events -> a two-hand piano Score.
//   events -> arrangement clean-up -> tempo/beats/meter (TimeGrid) -> quantisation -> key(s)
//   -> hands (or easy melody + bass) -> spelling -> voices -> measures.
// Writers: to_musicxml (musicxml_writer.hpp), to_midi (midi_file.hpp), to_lilypond / render_pdf
// (lilypond_writer.hpp).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/notation/beat_tracker.hpp"
#include "cadenza/core/note_event.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

struct EngraveOptions {
  Arrangement arrangement = Arrangement::Transcription;
  std::string title;
  std::string composer;
  std::string arranger;
  std::optional<TimeSignature> time;  // force a meter instead of detecting it
  // Called with a fraction in [0, 1] and a stage name.
  std::function<void(double, const std::string&)> progress;
};

// Throws Error(Unprocessable) when there is no note to engrave.
Score engrave(const std::vector<NoteEvent>& events, const EngraveOptions& options = {});

// Same, also returning the timing analysis used (for diagnostics and benchmarks).
Score engrave(const std::vector<NoteEvent>& events, const EngraveOptions& options, TimeGrid& grid);

}  // namespace cadenza::notation
