#include "cadenza/transcribe/midi_writer.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cadenza/transcribe/notes_json.hpp"

using namespace cadenza::transcribe;

namespace {
int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("SMF: header, tempo track, notes and pitch bends") {
  std::vector<cadenza::NoteEvent> notes{{60, 0.5, 1.0, 0.5, {0, 7}}, {64, 2.0, 2.5, 1.0, {}}};
  auto midi = to_midi(notes);
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
  CHECK(count(to_midi(notes), std::string{"\xE0", 1}) == 0);
  notes.push_back({60, 2.0, 2.5, 0.5, {1}});
  auto multi = to_midi(notes, 120, true);
  CHECK(count(multi, "MTrk") == 3);
  CHECK(count(multi, std::string{"\x90\x3C", 2}) == 2);  // both notes 60 on channel 0
  CHECK(count(multi, std::string{"\x91\x43", 2}) == 1);  // 67 on channel 1
}

TEST_CASE("notes.json has the documented shape") {
  std::vector<cadenza::NoteEvent> notes{{69, 0.25, 0.75, 0.7, {0, -1}}};
  auto j = nlohmann::json::parse(notes_to_json(notes));
  REQUIRE(j["notes"].size() == 1);
  CHECK(j["notes"][0]["start"] == 0.25);
  CHECK(j["notes"][0]["end"] == 0.75);
  CHECK(j["notes"][0]["pitch"] == 69);
  CHECK(j["notes"][0]["velocity"] == 0.7);
  CHECK(j["notes"][0]["bends"] == nlohmann::json::array({0, -1}));
}
