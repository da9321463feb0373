#pragma once
// Note events produced by the transcriber and the options of note creation (basic-pitch's defaults).
#include <optional>
#include <vector>

namespace cadenza::transcribe {

struct NoteEvent {
  double start = 0;          // seconds
  double end = 0;            // seconds
  int pitch = 0;             // MIDI note number
  double velocity = 0;       // amplitude 0..1 (mean note activation); MIDI velocity = round(127 * velocity)
  std::vector<int> bends;    // one per frame, in 1/3 semitones relative to `pitch`
  int start_frame = 0;       // model frames (86 per second) as basic-pitch counts them
  int end_frame = 0;
};

struct NoteOptions {
  double onset_threshold = 0.5;   // minimum onset activation (peak) that starts a note
  double frame_threshold = 0.3;   // minimum frame activation that keeps a note on
  int min_note_len_frames = 11;   // notes of this many frames or fewer are dropped (~127.7 ms)
  bool infer_onsets = true;       // add onsets where frame activations jump
  bool melodia_trick = true;      // also follow remaining energy without an onset
  int energy_tolerance = 11;      // frames below threshold tolerated inside a note
  std::optional<double> min_freq_hz;  // activations below are ignored
  std::optional<double> max_freq_hz;  // activations above are ignored
  bool include_pitch_bends = true;
  bool multiple_pitch_bends = false;  // MIDI: one instrument per pitch so overlapping notes keep bends
  double midi_tempo = 120;

  // basic-pitch's conversion of a minimum note length in milliseconds to frames.
  static int frames_from_ms(double ms);
};

}  // namespace cadenza::transcribe
