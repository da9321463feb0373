#pragma once
// Standard MIDI File output of note events, as basic-pitch's note_events_to_midi (pretty_midi):
// format 1, 220 ticks per beat, a tempo track and "Electric Piano 1" (program 4) tracks, velocity
// round(127 * amplitude), pitch bends (1/3 semitone units, +-2 semitone wheel range) spread evenly
// over each note, bends dropped on notes that overlap others unless multiple_pitch_bends is set.
#include <string>
#include <vector>

#include "cadenza/core/note_event.hpp"

namespace cadenza::transcribe {

std::string to_midi(const std::vector<NoteEvent>& notes, double tempo_bpm = 120.0,
                    bool multiple_pitch_bends = false);

}  // namespace cadenza::transcribe
