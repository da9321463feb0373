#include "cadenza/transcribe/note_creation.hpp"

#include <doctest/doctest.h>

using namespace cadenza::transcribe;

namespace {
struct Grid {
  std::int64_t n;
  std::vector<float> frames, onsets;
  explicit Grid(std::int64_t frames_n) : n(frames_n), frames(std::size_t(frames_n) * 88), onsets(std::size_t(frames_n) * 88) {}
  void note(int pitch, int start, int end, float level = 0.8f, float onset = 0.9f) {
    const int f = pitch - 21;
    for (int t = start; t < end; ++t) frames[std::size_t(t) * 88 + f] = level;
    onsets[std::size_t(start) * 88 + f] = onset;
  }
};
}  // namespace

TEST_CASE("an onset peak followed by energy makes one note of the right length") {
  Grid g(100);
  g.note(60, 10, 40);
  NoteOptions o;
  o.melodia_trick = false;
  auto notes = output_to_notes_polyphonic(g.frames, g.onsets, g.n, o);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].pitch == 60);
  CHECK(notes[0].start_frame == 10);
  CHECK(notes[0].end_frame == 40);
  CHECK(notes[0].amplitude == doctest::Approx(0.8));
}

TEST_CASE("minimum note length, onset threshold and frequency limits") {
  Grid g(100);
  g.note(60, 10, 20);   // 10 frames: too short for 11
  g.note(64, 30, 60, 0.8f, 0.45f);  // onset below 0.5 (inferred onset rescales to at most max onset)
  g.note(90, 10, 60);
  NoteOptions o;
  o.melodia_trick = false;
  o.infer_onsets = false;
  auto notes = output_to_notes_polyphonic(g.frames, g.onsets, g.n, o);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].pitch == 90);
  o.min_note_ms = 58;  // 5 frames
  o.onset_threshold = 0.4;
  o.max_freq_hz = 1000.0;  // MIDI 83.2: drops 90
  notes = output_to_notes_polyphonic(g.frames, g.onsets, g.n, o);
  REQUIRE(notes.size() == 2);
  for (const auto& n : notes) CHECK(n.pitch < 84);
}

TEST_CASE("the melodia trick recovers energy without an onset; inferred onsets catch jumps") {
  Grid g(200);
  g.note(67, 50, 120, 0.9f, 0.0f);
  NoteOptions o;
  o.infer_onsets = false;
  auto notes = output_to_notes_polyphonic(g.frames, g.onsets, g.n, o);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].pitch == 67);
  CHECK(notes[0].start_frame == 50);
  CHECK(notes[0].end_frame == 119);  // basic-pitch's melodia pass ends one frame before the last active one
  o.melodia_trick = false;
  CHECK(output_to_notes_polyphonic(g.frames, g.onsets, g.n, o).empty());
  g.onsets[10 * 88] = 0.9f;  // some onset elsewhere gives the inferred onsets their scale
  o.infer_onsets = true;
  notes = output_to_notes_polyphonic(g.frames, g.onsets, g.n, o);
  bool found = false;
  for (const auto& n : notes) found |= n.pitch == 67 && n.start_frame == 50;
  CHECK(found);
}

TEST_CASE("frame times follow basic-pitch's window offset") {
  CHECK(model_frame_to_time(0) == 0.0);
  CHECK(model_frame_to_time(86) == doctest::Approx(86 * 256.0 / 22050));
  const double offset = (256.0 / 22050) * (172 - 43844.0 / 256) + 0.0018;
  CHECK(model_frame_to_time(172) == doctest::Approx(172 * 256.0 / 22050 - offset));
  CHECK(NoteOptions::frames_from_ms(127.70) == 11);
}

TEST_CASE("pitch bends point at the contour peak in 1/3 semitones") {
  const std::int64_t n = 20;
  std::vector<float> contours(std::size_t(n) * 264, 0.01f);
  FrameNote e;
  e.pitch = 60;
  e.start_frame = 2;
  e.end_frame = 6;
  const int bin = 3 * (60 - 21);
  for (int t = 2; t < 4; ++t) contours[std::size_t(t) * 264 + bin] = 0.9f;
  for (int t = 4; t < 6; ++t) contours[std::size_t(t) * 264 + bin + 2] = 0.9f;
  std::vector<FrameNote> v{e};
  add_pitch_bends(contours, n, v);
  CHECK(v[0].bends == std::vector<int>{0, 0, 2, 2});
}
