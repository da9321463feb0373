#pragma once
// A port of basic-pitch's note creation (basic_pitch/note_creation.py): onset peaks, frame-energy
// tracking, inferred onsets, the melodia trick, frequency limits, pitch bends and frame times.
#include <cstdint>
#include <vector>

#include "cadenza/transcribe/note_event.hpp"

namespace cadenza::transcribe {

constexpr int kMidiOffset = 21;
constexpr int kNoteBins = 88;
constexpr int kContourBins = 264;

// Notes in frame units; `frames` and `onsets` are row-major [n_frames x 88]. The order is
// basic-pitch's: onset-started notes from the last onset backwards, then melodia notes.
std::vector<NoteEvent> output_to_notes_polyphonic(const std::vector<float>& frames, const std::vector<float>& onsets,
                                                  std::int64_t n_frames, const NoteOptions& options);

// Fills `bends` of each note from the contours [n_frames x 264] (argmax under a Gaussian window of
// +-25 bins around the note's pitch).
void add_pitch_bends(const std::vector<float>& contours, std::int64_t n_frames, std::vector<NoteEvent>& notes,
                     int n_bins_tolerance = 25);

// basic-pitch's model_frames_to_time for one frame index.
double model_frame_to_time(std::int64_t frame);

// Sets start/end seconds from start_frame/end_frame.
void set_note_times(std::vector<NoteEvent>& notes);

}  // namespace cadenza::transcribe
