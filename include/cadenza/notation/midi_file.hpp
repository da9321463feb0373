#pragma once
// Standard MIDI Files: a reader (format 0 and 1, running status, tempo map) for input, and a
// writer of a type 1 file for a Score (tempo/meta track, one track per hand).
#include <cstdint>
#include <string>
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

}  // namespace cadenza::notation
