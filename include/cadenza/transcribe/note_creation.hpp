#pragma once
// A port of basic-pitch's note creation (basic_pitch/note_creation.py): onset peaks, frame-energy
// tracking, inferred onsets, the melodia trick, frequency limits, pitch bends and frame times. Notes are
// found in model frames (FrameNote) and become NoteEvents in seconds at the end, as in basic-pitch.
#include <cstdint>
#include <optional>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/core/note_event.hpp"

namespace cadenza::transcribe {

constexpr int kMidiOffset = 21;
constexpr int kNoteBins = 88;
constexpr int kContourBins = 264;

// The options of note creation, with basic-pitch's defaults.
struct NoteOptions {
  double onset_threshold = 0.5;       // minimum onset activation (peak) that starts a note
  double frame_threshold = 0.3;       // minimum frame activation that keeps a note on
  double min_note_ms = 127.70;        // minimum note length: notes of min_note_frames() frames or fewer are dropped
  bool infer_onsets = true;           // add onsets where frame activations jump
  bool melodia_trick = true;          // also follow remaining energy without an onset
  int energy_tolerance = 11;          // frames below threshold tolerated inside a note
  std::optional<double> min_freq_hz;  // activations below are ignored
  std::optional<double> max_freq_hz;  // activations above are ignored
  bool include_pitch_bends = true;

  int min_note_frames() const { return frames_from_ms(min_note_ms); }
  // basic-pitch's conversion of a minimum note length in milliseconds to frames.
  static int frames_from_ms(double ms);
};

// Adds a failure to `v` for each bad field (named as above, without _hz).
void validate(const NoteOptions& options, Validation& v);

// A note in model frames (86 per second) as basic-pitch counts them.
struct FrameNote {
  int pitch = 0;           // MIDI note number
  int start_frame = 0;
  int end_frame = 0;       // exclusive
  double amplitude = 0;    // mean frame activation 0..1: the NoteEvent's velocity
  std::vector<int> bends;  // one per frame, in 1/3 semitones relative to `pitch`
};

// Notes in frame units; `frames` and `onsets` are row-major [n_frames x 88]. The order is
// basic-pitch's: onset-started notes from the last onset backwards, then melodia notes.
std::vector<FrameNote> output_to_notes_polyphonic(const std::vector<float>& frames, const std::vector<float>& onsets,
                                                  std::int64_t n_frames, const NoteOptions& options);

// Fills `bends` of each note from the contours [n_frames x 264] (argmax under a Gaussian window of
// +-25 bins around the note's pitch).
void add_pitch_bends(const std::vector<float>& contours, std::int64_t n_frames, std::vector<FrameNote>& notes,
                     int n_bins_tolerance = 25);

// basic-pitch's model_frames_to_time for one frame index.
double model_frame_to_time(std::int64_t frame);

// The notes in seconds (start/end through model_frame_to_time), in the same order.
std::vector<NoteEvent> to_note_events(std::vector<FrameNote> notes);

}  // namespace cadenza::transcribe
