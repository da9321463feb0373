#pragma once
// NoteEvent: one played note, as the transcriber hears it, a MIDI file holds it or generation plays it;
// the notation engine's input and what the MIDI and notes.json writers put out. Times are in seconds
// from the start of the performance.
#include <vector>

namespace cadenza {

struct NoteEvent {
  int pitch = 60;              // MIDI note number 0..127
  double start = 0.0;          // seconds
  double end = 0.0;            // seconds, > start
  double velocity = 80 / 127.0;  // loudness 0..1 (the transcriber's mean note activation); see midi_velocity
  std::vector<int> bends;      // pitch bends spread evenly over the note, in 1/3 semitones from `pitch`; may be empty
};

// The MIDI velocity 1..127 of a 0..1 velocity: round(127 * velocity) with numpy's rounding (half to
// even), as basic-pitch writes it. A MIDI file's velocity v read as v / 127.0 comes back as v.
int midi_velocity(double velocity);

// Sorts by start, then pitch; drops events with an invalid pitch or a non-positive length.
std::vector<NoteEvent> normalized(std::vector<NoteEvent> events);

}  // namespace cadenza
