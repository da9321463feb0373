// The notes.mid layout of the one MIDI writer (basic-pitch's), and note events through the writer and the
// reader. The Score layout is checked in writers_test.cpp.
#include <doctest/doctest.h>

#include <string>

#include "cadenza/notation/midi_file.hpp"

using namespace cadenza::notation;

namespace {
std::string text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("notes MIDI: header, tempo track, notes and pitch bends") {
  std::vector<cadenza::NoteEvent> notes{{60, 0.5, 1.0, 0.5, {0, 7}}, {64, 2.0, 2.5, 1.0, {}}};
  const auto midi = text(to_midi(notes));
  REQUIRE(midi.size() > 40);
  CHECK(midi.substr(0, 4) == "MThd");
  CHECK(count(midi, "MTrk") == 2);
  CHECK(midi[9] == 1);                                           // format 1
  CHECK(((unsigned char)midi[12] << 8 | (unsigned char)midi[13]) == 220);  // ticks per beat
  CHECK(count(midi, std::string{"\xFF\x51\x03\x07\xA1\x20", 6}) == 1);    // 500000 us per beat
  CHECK(count(midi, std::string{"\x90\x3C\x40", 3}) == 1);     // note on 60, velocity round(63.5) = 64
  CHECK(count(midi, std::string{"\x90\x40\x7F", 3}) == 1);     // note on 64, velocity 127
  CHECK(count(midi, std::string{"\xE0\x00\x40", 3}) == 1);     // bend 0 -> 8192
  CHECK(count(midi, std::string{"\xE0\x7F\x7F", 3}) == 1);     // bend +7/3 semitones clamps to 16383
}

TEST_CASE("overlapping notes lose their bends unless multiple_pitch_bends") {
  std::vector<cadenza::NoteEvent> notes{{60, 0.0, 1.0, 0.5, {1}}, {67, 0.5, 1.5, 0.5, {1}}};
  CHECK(count(text(to_midi(notes)), std::string{"\xE0", 1}) == 0);
  notes.push_back({60, 2.0, 2.5, 0.5, {1}});
  const auto multi = text(to_midi(notes, {120, true}));
  CHECK(count(multi, "MTrk") == 3);
  CHECK(count(multi, std::string{"\x90\x3C", 2}) == 2);  // both notes 60 on channel 0
  CHECK(count(multi, std::string{"\x91\x43", 2}) == 1);  // 67 on channel 1
}

TEST_CASE("notes MIDI reads back: pitches, times at any tempo, MIDI velocities") {
  const std::vector<cadenza::NoteEvent> notes{{60, 0.5, 1.0, 0.5, {}}, {72, 0.75, 2.25, 0.9, {}}, {48, 3.0, 3.5, 0.1, {}}};
  for (double tempo : {120.0, 93.0}) {
    const auto back = parse_midi(to_midi(notes, {tempo, false})).events();
    REQUIRE(back.size() == notes.size());
    for (size_t i = 0; i < notes.size(); ++i) {  // the reader sorts by start, then pitch: already so here
      CHECK(back[i].pitch == notes[i].pitch);
      CHECK(back[i].start == doctest::Approx(notes[i].start).epsilon(0.005));
      CHECK(back[i].end == doctest::Approx(notes[i].end).epsilon(0.005));
      CHECK(cadenza::midi_velocity(back[i].velocity) == cadenza::midi_velocity(notes[i].velocity));
    }
  }
  CHECK(cadenza::midi_velocity(0.5) == 64);  // round(63.5), half to even
  CHECK(cadenza::midi_velocity(0.0) == 1);
  CHECK(cadenza::midi_velocity(2.0) == 127);
}
