#pragma once
// Standard MIDI Files: a reader (format 0 and 1, running status, tempo map) for input, and the one
// writer of type 1 files, for a Score (tempo/meta track, one track per hand) and for note events as
// they were played (notes.mid).
#include <cstdint>
#include <string>
#include <optional>
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

struct MidiNote {
  int pitch = 60;
  int velocity = 80;
  int channel = 0;
  int track = 0;
  int64_t start_tick = 0;
  int64_t end_tick = 0;
  double start = 0;  // seconds
  double end = 0;
};

struct MidiFile {
  int format = 1;
  int ppq = 480;
  std::vector<MidiNote> notes;  // sorted by start, pitch
  struct Tempo { int64_t tick; int us_per_quarter; };
  struct Meter { int64_t tick; int numerator; int denominator; };
  struct Key { int64_t tick; int fifths; bool minor; };
  std::vector<Tempo> tempos;
  std::vector<Meter> meters;
  std::vector<Key> keys;
  std::string title;  // first track name, if any

  double seconds_at(int64_t tick) const;
  std::vector<NoteEvent> events() const;  // drums (channel 10) left out
};

// Throws Error(UnsupportedMedia) for data that is not a MIDI file, Error(BadRequest) for a
// truncated or malformed one.
MidiFile parse_midi(const std::vector<uint8_t>& bytes);
MidiFile read_midi_file(const std::string& path);  // Error(NotFound) when unreadable

// Type 1 file, 480 ticks per quarter: track 0 tempo map, time and key signatures, title and
// credits; track 1 right hand (channel 1); track 2 left hand (channel 2).
std::vector<uint8_t> to_midi(const Score& score);

struct NotesMidiOptions {
  double tempo_bpm = 120;             // of the tempo track (the notes keep their times in seconds); <= 0: 120
  bool multiple_pitch_bends = false;  // one track and channel per pitch, so that overlapping notes keep bends
  int program = 4;                    // General MIDI program of the note tracks (basic-pitch's Electric Piano 1)
  TimeSignature time;                 // the tempo track's time signature
  std::optional<KeySignature> key;    // and its key signature, when known
};

// Note events as basic-pitch's note_events_to_midi (pretty_midi) writes them: type 1, 220 ticks per
// beat, a tempo track and "Electric Piano 1" (program 4) tracks, velocity midi_velocity(), pitch bends
// (1/3 semitone units, +-2 semitone wheel range) spread evenly over each note; notes that overlap
// others lose their bends unless multiple_pitch_bends is set.
std::vector<uint8_t> to_midi(const std::vector<NoteEvent>& notes, const NotesMidiOptions& options = {});

}  // namespace cadenza::notation
