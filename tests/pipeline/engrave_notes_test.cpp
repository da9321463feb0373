// engrave_notes / engrave_midi_file on synthetic notes, with stand-ins for LilyPond: files, progress, cancel.
#include "cadenza/pipeline/engrave_notes.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>

#include "cadenza/core/error.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "pipeline/pipeline_fixture.hpp"

using namespace cadenza;
using namespace pipeline_test;

TEST_CASE("engrave_notes writes the score's MusicXML and MIDI; progress rises to done") {
  TempDir dir;
  pipeline::EngraveOptions o;
  o.out_dir = dir.path() / "out";
  o.write_pdf = false;
  o.score.title = "Scale";
  Recorder rec;
  const auto r = pipeline::engrave_notes(scale_notes(), o, rec.hooks());
  CHECK(r.score.title == "Scale");
  CHECK(!r.score.measures.empty());
  CHECK(r.score.notes.size() == scale_notes().size());
  REQUIRE(r.files == std::vector<fs::path>{o.out_dir / "score.musicxml", o.out_dir / "score.mid"});
  CHECK(listing(o.out_dir) == std::vector<std::string>{"score.mid", "score.musicxml"});
  CHECK(read_file(r.files[0]).find("<score-partwise") != std::string::npos);
  const auto midi = read_file(r.files[1]);
  CHECK(notation::parse_midi(std::vector<uint8_t>(midi.begin(), midi.end())).notes.size() == r.score.notes.size());
  rec.check_complete();
  CHECK(rec.stages.front() == "preparing");
  CHECK(rec.at("layout") < rec.at("writing"));
  CHECK(!rec.has("pdf"));
}

TEST_CASE("engrave_notes renders score.pdf with the LilyPond it is given; without out_dir nothing is written") {
  TempDir dir;
  pipeline::EngraveOptions o;
  o.out_dir = dir.path() / "out";
  o.pdf.program = fake_lilypond(dir.path()).string();
  o.pdf.engine = notation::PdfEngine::LilyPond;
  Recorder rec;
  const auto r = pipeline::engrave_notes(scale_notes(), o, rec.hooks());
  REQUIRE(r.files.size() == 3);
  CHECK(r.files[2] == o.out_dir / "score.pdf");
  CHECK(read_file(r.files[2]) == "%PDF-1.4 fake");
  rec.check_complete();
  CHECK(rec.at("writing") < rec.at("pdf"));

  o.out_dir.clear();
  const auto in_memory = pipeline::engrave_notes(scale_notes(), o);
  CHECK(in_memory.files.empty());
  CHECK(in_memory.score.notes.size() == r.score.notes.size());
}

TEST_CASE("a cancel stops engrave_notes at the next stage; nothing is written") {
  TempDir dir;
  pipeline::EngraveOptions o;
  o.out_dir = dir.path() / "out";
  o.write_pdf = false;
  for (int allowed : {0, 3}) {
    CAPTURE(allowed);
    int polls = 0;
    Recorder rec;
    CHECK_THROWS_AS(pipeline::engrave_notes(scale_notes(), o, rec.hooks([&] { return ++polls > allowed; })),
                    ml::Cancelled);
    CHECK(polls == allowed + 1);  // it stopped at the first true
    CHECK(rec.fractions.size() == std::size_t(std::max(allowed - 1, 0)));  // each poll after the first reports
    CHECK(!rec.has("writing"));
    CHECK(!fs::exists(o.out_dir));
  }
}

TEST_CASE("a cancel while LilyPond runs kills it within a second; the files written before stay whole") {
  TempDir dir;
  const auto pid_file = dir.path() / "pid";
  pipeline::EngraveOptions o;
  o.out_dir = dir.path() / "out";
  o.pdf.program = slow_lilypond(dir.path(), pid_file).string();
  o.pdf.engine = notation::PdfEngine::LilyPond;
  std::chrono::steady_clock::time_point asked{};
  auto cancelled = [&] {
    if (asked == std::chrono::steady_clock::time_point{} && fs::exists(pid_file) && fs::file_size(pid_file) > 0)
      asked = std::chrono::steady_clock::now();
    return asked != std::chrono::steady_clock::time_point{};
  };
  Recorder rec;
  CHECK_THROWS_AS(pipeline::engrave_notes(scale_notes(), o, rec.hooks(cancelled)), ml::Cancelled);
  REQUIRE(asked != std::chrono::steady_clock::time_point{});
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(1));
  CHECK(kill(std::stoi(read_file(pid_file)), 0) == -1);  // LilyPond is gone, reaped
  CHECK(rec.stages.back() == "pdf");
  CHECK(listing(o.out_dir) == std::vector<std::string>{"score.mid", "score.musicxml"});  // no temporary file
}

TEST_CASE("no notes: Unprocessable, and no file") {
  TempDir dir;
  pipeline::EngraveOptions o;
  o.out_dir = dir.path() / "out";
  try {
    pipeline::engrave_notes({}, o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Unprocessable);
  }
  CHECK(!fs::exists(o.out_dir));
}

TEST_CASE("engrave_midi_file: the notes of the file; the title from the options, the track name or the file name") {
  TempDir dir;
  notation::EngraveOptions named;
  named.title = "Track name";
  const auto score_midi = notation::to_midi(notation::engrave(scale_notes(), named));  // has a track name
  const auto notes_midi = notation::to_midi(scale_notes());                          // has none
  std::ofstream(dir.path() / "named.mid", std::ios::binary).write(reinterpret_cast<const char*>(score_midi.data()),
                                                                 std::streamsize(score_midi.size()));
  std::ofstream(dir.path() / "plain.mid", std::ios::binary).write(reinterpret_cast<const char*>(notes_midi.data()),
                                                                 std::streamsize(notes_midi.size()));
  pipeline::EngraveOptions o;
  const auto plain = pipeline::engrave_midi_file(dir.path() / "plain.mid", o);
  CHECK(plain.score.title == "plain");
  CHECK(plain.score.notes.size() == scale_notes().size());
  CHECK(plain.files.empty());
  CHECK(pipeline::engrave_midi_file(dir.path() / "named.mid", o).score.title == "Track name");
  o.score.title = "Given";
  CHECK(pipeline::engrave_midi_file(dir.path() / "named.mid", o).score.title == "Given");
  CHECK_THROWS_AS(pipeline::engrave_midi_file(dir.path() / "missing.mid", o), Error);
}
