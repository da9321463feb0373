// transcribe_audio with the real Basic Pitch net on synthetic tones: notes, files, progress, cancel, and the
// checks that come before any work.
#include "cadenza/pipeline/transcribe_audio.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include "cadenza/core/error.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "pipeline/pipeline_fixture.hpp"

using namespace cadenza;
using namespace pipeline_test;

namespace {
const transcribe::Transcriber& transcriber() {
  static const transcribe::Transcriber t{transcribe::TranscriberOptions{ml::default_models_dir(), 2, 4}};
  return t;
}

transcribe::TranscriberOptions missing_model() { return {"/nonexistent/models", 1, 1}; }
}  // namespace

TEST_CASE("bad options are refused, every bad field named, before the net loads or the audio is read") {
  pipeline::TranscribeOptions o;
  o.notes.onset_threshold = 2;
  o.notes.min_note_ms = -1;
  o.midi.tempo_bpm = 0;
  try {
    pipeline::transcribe_audio(missing_model(), "/nonexistent/audio.wav", o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    CHECK(e.fields().size() == 3);
    CHECK(e.fields().count("onset_threshold") == 1);
    CHECK(e.fields().count("min_note_ms") == 1);
    CHECK(e.fields().count("midi_tempo") == 1);
  }
  CHECK_NOTHROW(pipeline::validate(pipeline::TranscribeOptions{}));
}

TEST_CASE("a cancel before the start loads nothing") {
  CHECK_THROWS_AS(pipeline::transcribe_audio(missing_model(), "/nonexistent/audio.wav", {}, {{}, [] { return true; }}),
                  ml::Cancelled);
  CHECK_THROWS_AS(pipeline::transcribe_audio(missing_model(), "/nonexistent/audio.wav", {}), Error);  // else it would
}

TEST_CASE("an A4 becomes note 69 in the result, notes.mid and notes.json; progress rises through the stages") {
  TempDir dir;
  const auto wav = write_tones(dir.path() / "a4.wav", {{69, 1.5}});
  pipeline::TranscribeOptions o;
  o.out_dir = dir.path() / "out";
  o.write_json = true;
  Recorder rec;
  const auto r = pipeline::transcribe_audio(transcriber(), wav, o, rec.hooks());
  REQUIRE(!r.notes.empty());
  CHECK(r.notes.front().pitch == 69);
  CHECK(r.notes.front().start == doctest::Approx(0.5).epsilon(0.1));
  CHECK(r.audio_seconds == doctest::Approx(2.5));
  CHECK(r.seconds > 0);
  REQUIRE(r.files == std::vector<fs::path>{o.out_dir / "notes.mid", o.out_dir / "notes.json"});
  const auto midi = read_file(r.files[0]);
  CHECK(notation::parse_midi(std::vector<uint8_t>(midi.begin(), midi.end())).notes.size() == r.notes.size());
  CHECK(nlohmann::json::parse(read_file(r.files[1]))["notes"].size() == r.notes.size());
  rec.check_complete();
  CHECK(rec.stages == std::vector<std::string>{"decoding", "inference", "notes", "writing", "done"});
}

TEST_CASE("a cancel during inference stops at the next batch of windows; nothing is written") {
  TempDir dir;
  const auto wav = write_tones(dir.path() / "long.wav", {{60, 6}, {64, 6}, {67, 6}});  // 19 s: 10 windows
  const transcribe::Transcriber one_at_a_time{transcribe::TranscriberOptions{ml::default_models_dir(), 1, 1}};
  pipeline::TranscribeOptions o;
  o.out_dir = dir.path() / "out";
  bool cancel = false;
  std::chrono::steady_clock::time_point asked;
  int reports_after = 0;
  auto progress = [&](double f, std::string_view stage) {
    if (cancel) ++reports_after;
    if (!cancel && stage == "inference" && f > 0.1) cancel = true, asked = std::chrono::steady_clock::now();
  };
  const pipeline::Hooks hooks{progress, [&] { return cancel; }};
  CHECK_THROWS_AS(pipeline::transcribe_audio(one_at_a_time, wav, o, hooks), ml::Cancelled);
  REQUIRE(cancel);
  CHECK(reports_after == 0);
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(1));
  CHECK(!fs::exists(o.out_dir));
}

TEST_CASE("what is not audio is refused, and nothing is written") {
  TempDir dir;
  std::ofstream(dir.path() / "notes.txt") << "not audio at all, just some text in a file";
  pipeline::TranscribeOptions o;
  o.out_dir = dir.path() / "out";
  try {
    pipeline::transcribe_audio(transcriber(), dir.path() / "notes.txt", o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::UnsupportedMedia);
  }
  CHECK(!fs::exists(o.out_dir));
}
