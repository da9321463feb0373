// MusicXML (validated against the MusicXML 4.0 XSD), MIDI round trip, layout invariants,
// LilyPond/PDF rendering, MuseScore 3 import and the `cadenza engrave` command.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>

#include "cadenza/core/error.hpp"
#include "cadenza/core/subprocess.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/lilypond_writer.hpp"
#include "cadenza/notation/measure_builder.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "cadenza/notation/musicxml_writer.hpp"
#include "notation/notation_fixture.hpp"

using namespace cadenza::notation;
using namespace notation_test;

namespace {

Score engrave_file(const std::string& name, Arrangement arrangement) {
  const auto midi = read_midi_file(std::string(kNottingham) + name);
  EngraveOptions opt;
  opt.arrangement = arrangement;
  opt.title = "Test <" + name + "> & \"friends\"";
  opt.composer = "Trad.";
  opt.arranger = "Cadenza";
  return engrave(midi.events(), opt);
}

// A short two-hand piece with a pickup, chords, ties over the bar line and a 16th run.
Score small_piece() {
  std::vector<Written> w = {{67, 0, 0.5}, {69, 0.5, 0.5}};
  for (int bar = 0; bar < 4; ++bar) {
    const double b = 1 + bar * 4.0;
    w.push_back({71, b, 1.5});
    w.push_back({72, b + 1.5, 0.5});
    for (int i = 0; i < 4; ++i) w.push_back({74 - i, b + 2 + 0.25 * i, 0.25});
    w.push_back({66, b + 3, 2});  // tied into the next bar
    w.push_back({43, b, 2});
    w.push_back({50, b, 2});
    w.push_back({55, b + 2, 2});
  }
  EngraveOptions opt;
  opt.title = "Small piece";
  opt.composer = "Test Composer";
  opt.arranger = "Test Arranger";
  return engrave(perform(w, 96), opt);
}

}  // namespace

TEST_CASE("layout: each voice fills its measure exactly; ties join split notes") {
  for (const auto* name : {"jigs1.mid", "waltzes10.mid", "reelsa-c21.mid"}) {
    for (auto arrangement : {Arrangement::Transcription, Arrangement::Piano, Arrangement::Easy}) {
      const auto score = engrave_file(name, arrangement);
      REQUIRE_FALSE(score.measures.empty());
      for (const auto& m : score.measures) {
        bool staff1 = false, staff2 = false;
        for (const auto& line : m.voices) {
          staff1 |= line.staff == 1;
          staff2 |= line.staff == 2;
          int64_t sum = 0, cursor = 0;
          for (const auto& el : line.elements) {
            CHECK(el.start == cursor);
            cursor += el.duration;
            sum += el.duration;
            if (!el.rest || !el.type.empty()) {
              std::string type;
              int dots;
              bool triplet;
              CHECK(note_value(el.duration, type, dots, triplet));
            }
          }
          CHECK(sum == m.length);
        }
        CHECK(staff1);
        CHECK(staff2);
      }
      // Total written duration per note equals its duration (ties add up).
      std::map<int, int64_t> written;
      for (const auto& m : score.measures)
        for (const auto& line : m.voices)
          for (const auto& el : line.elements)
            for (int i : el.notes) written[i] += el.duration;
      for (size_t i = 0; i < score.notes.size(); ++i) CHECK(written[static_cast<int>(i)] == score.notes[i].duration);
    }
  }
}

TEST_CASE("MusicXML validates against the MusicXML 4.0 XSD (all arrangements, pickups, key changes)") {
  TempDir dir;
  int files = 0;
  for (const auto* name : {"jigs1.mid", "hpps13.mid", "waltzes10.mid", "slip1.mid"}) {
    for (auto arrangement : {Arrangement::Transcription, Arrangement::Piano, Arrangement::Easy}) {
      const auto score = engrave_file(name, arrangement);
      const auto xml = to_musicxml(score);
      CHECK(xml.find("<score-partwise version=\"4.0\">") != std::string::npos);
      CHECK(xml.find("<staves>2</staves>") != std::string::npos);
      CHECK(xml.find("<creator type=\"composer\">Trad.</creator>") != std::string::npos);
      CHECK(xml.find("&lt;" + std::string(name) + "&gt; &amp; &quot;friends&quot;") != std::string::npos);
      const auto path = dir.path() / (std::string(name) + "-" + to_string(arrangement) + ".musicxml");
      write_text(path, xml);
      std::string log;
      CHECK_MESSAGE(validate_musicxml(path, &log) == 0, log);
      ++files;
    }
  }
  const auto small = to_musicxml(small_piece());
  CHECK(small.find("<tie type=\"start\"/>") != std::string::npos);
  CHECK(small.find("<chord/>") != std::string::npos);
  CHECK(small.find("<beam number=\"1\">begin</beam>") != std::string::npos);
  CHECK(small.find("implicit=\"yes\"") != std::string::npos);
  write_text(dir.path() / "small.musicxml", small);
  std::string log;
  CHECK_MESSAGE(validate_musicxml(dir.path() / "small.musicxml", &log) == 0, log);
  CHECK(files == 12);
  // The validator does reject a broken file (the test would notice a silent validator).
  write_text(dir.path() / "broken.musicxml", "<score-partwise version=\"4.0\"><part-list/></score-partwise>");
  CHECK(validate_musicxml(dir.path() / "broken.musicxml", &log) != 0);
}

TEST_CASE("jigs1: key A major then D major, 6/8, one-eighth pickup") {
  const auto midi = read_midi_file(std::string(kNottingham) + "jigs1.mid");
  CHECK(midi.ppq == 1024);
  REQUIRE_FALSE(midi.keys.empty());
  CHECK(midi.keys.front().fifths == 3);
  REQUIRE_FALSE(midi.meters.empty());
  CHECK(midi.meters.front().numerator == 6);
  CHECK(midi.meters.front().denominator == 8);
  const auto score = engrave(midi.events(), {});
  CHECK(score.key_at(0).fifths == 3);
  CHECK(score.time == TimeSignature{6, 8});
  CHECK(score.pickup == kDivisions / 2);
  bool d_major = false;
  for (const auto& k : score.keys) d_major |= k.key.fifths == 2;
  CHECK(d_major);
}

TEST_CASE("MIDI: type 1, one track per hand, tempo map, round trip of the notes") {
  const auto score = small_piece();
  const auto bytes = to_midi(score);
  const auto back = parse_midi(bytes);
  CHECK(back.format == 1);
  CHECK(back.ppq == 480);
  CHECK(back.title == "Small piece");
  REQUIRE_FALSE(back.tempos.empty());
  CHECK(60e6 / back.tempos.front().us_per_quarter == doctest::Approx(96).epsilon(0.08));
  REQUIRE(back.notes.size() == score.notes.size());
  std::map<int, int> tracks;
  for (size_t i = 0; i < back.notes.size(); ++i) {
    ++tracks[back.notes[i].track];
    CHECK(back.notes[i].start_tick == score.notes[i].onset * 20);
    CHECK(back.notes[i].end_tick - back.notes[i].start_tick == score.notes[i].duration * 20);
    CHECK(back.notes[i].pitch == score.notes[i].pitch);
  }
  CHECK(tracks.size() == 2);
  CHECK(tracks.count(1) == 1);
  CHECK(tracks.count(2) == 1);
  CHECK(back.meters.front().numerator == score.time.beats);
}

TEST_CASE("MIDI reader rejects what is not a MIDI file and truncated files") {
  CHECK_THROWS_AS(parse_midi({'R', 'I', 'F', 'F', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), cadenza::Error);
  try {
    parse_midi({'n', 'o'});
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(e.kind() == cadenza::ErrorKind::UnsupportedMedia);
  }
  auto bytes = to_midi(small_piece());
  bytes.resize(bytes.size() - 40);
  try {
    parse_midi(bytes);
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(e.kind() == cadenza::ErrorKind::BadRequest);
  }
  CHECK_THROWS_AS(read_midi_file("/nonexistent/file.mid"), cadenza::Error);
}

TEST_CASE("LilyPond: source has the header, both clefs and the key; PDF renders") {
  const auto score = small_piece();
  const auto ly = to_lilypond(score);
  CHECK(ly.find("title = \"Small piece\"") != std::string::npos);
  CHECK(ly.find("composer = \"Test Composer\"") != std::string::npos);
  CHECK(ly.find("arranger = \"Test Arranger\"") != std::string::npos);
  CHECK(ly.find("\\clef bass") != std::string::npos);
  CHECK(ly.find("\\partial") != std::string::npos);
  const auto pdf = render_pdf(score);
  REQUIRE(pdf.size() > 1000);
  CHECK(std::string(pdf.begin(), pdf.begin() + 5) == "%PDF-");
}

TEST_CASE("PDF rendering with MuseScore 3, the default where mscore3 is installed") {
  const auto score = small_piece();
  REQUIRE_MESSAGE(!cadenza::find_program("mscore3").empty(), "scripts/setup installs musescore3");
  CHECK(pdf_engine({}) == PdfEngine::MuseScore);
  CHECK(pdf_engine({std::chrono::seconds(10), "", PdfEngine::LilyPond}) == PdfEngine::LilyPond);
  const auto pdf = render_pdf(score, {std::chrono::seconds(60), "", PdfEngine::MuseScore});
  REQUIRE(pdf.size() > 1000);
  CHECK(std::string(pdf.begin(), pdf.begin() + 5) == "%PDF-");
  const std::string text(pdf.begin(), pdf.end());
  CHECK(text.find("/Type /Page") != std::string::npos);
  CHECK(parse_pdf_engine("lilypond") == PdfEngine::LilyPond);
  CHECK_THROWS_AS(parse_pdf_engine("latex"), cadenza::Error);
  try {
    render_pdf(score, {std::chrono::seconds(10), "cadenza-no-such-mscore", PdfEngine::MuseScore});
    FAIL_CHECK("expected an error");
  } catch (const cadenza::Error& e) {
    CHECK(e.kind() == cadenza::ErrorKind::Unavailable);
    CHECK(std::string(e.what()).find("musescore3") != std::string::npos);
  }
}

TEST_CASE("PDF rendering: clear errors for a missing program and for a time-out") {
  const auto score = engrave({{60, 0.0, 0.5, 90 / 127.0}, {64, 0.5, 1.0, 90 / 127.0}}, {});
  try {
    render_pdf(score, {std::chrono::seconds(10), "cadenza-no-such-lilypond", PdfEngine::LilyPond});
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(e.kind() == cadenza::ErrorKind::Unavailable);
    CHECK(std::string(e.what()).find("not found") != std::string::npos);
  }
  TempDir dir;
  const auto slow = dir.path() / "slow-lilypond";
  write_text(slow, "#!/bin/sh\nsleep 30\n");
  fs::permissions(slow, fs::perms::owner_all);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    render_pdf(score, {std::chrono::seconds(1), slow.string(), PdfEngine::LilyPond});
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(e.kind() == cadenza::ErrorKind::Internal);
    CHECK(std::string(e.what()).find("did not finish") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  const auto failing = dir.path() / "failing-lilypond";
  write_text(failing, "#!/bin/sh\necho 'syntax error in score.ly' >&2\nexit 1\n");
  fs::permissions(failing, fs::perms::owner_all);
  try {
    render_pdf(score, {std::chrono::seconds(10), failing.string(), PdfEngine::LilyPond});
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(std::string(e.what()).find("syntax error") != std::string::npos);
  }
}

TEST_CASE("PDF rendering: an exception from poll kills LilyPond at once and goes on to the caller") {
  const auto score = engrave({{60, 0.0, 0.5, 90 / 127.0}, {64, 0.5, 1.0, 90 / 127.0}}, {});
  TempDir dir;
  const auto slow = dir.path() / "slow-lilypond";
  const auto pid_file = dir.path() / "pid";
  write_text(slow, "#!/bin/sh\necho $$ > '" + pid_file.string() + "'\nsleep 30\n");
  fs::permissions(slow, fs::perms::owner_all);
  struct Stop {};
  const auto t0 = std::chrono::steady_clock::now();
  int polls = 0;
  CHECK_THROWS_AS(render_pdf(score, {std::chrono::seconds(60), slow.string(), PdfEngine::LilyPond},
                             [&] {
                               ++polls;
                               if (fs::exists(pid_file) && fs::file_size(pid_file) > 0) throw Stop{};
                             }),
                  Stop);
  CHECK(polls >= 1);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  const pid_t pid = std::stoi(read_text(pid_file));
  CHECK(kill(pid, 0) == -1);  // killed and reaped
}

TEST_CASE("integration: cadenza engrave writes MusicXML, MIDI and PDF; MuseScore 3 opens the MusicXML") {
  TempDir dir;
  std::string out;
  const std::string cmd = std::string(CADENZA_BINARY) + " engrave " + kNottingham + "jigs1.mid --arrangement piano --composer Trad. -o '" +
                          dir.path().string() + "'";
  REQUIRE_MESSAGE(run(cmd, &out) == 0, out);
  CHECK(out.find("6/8") != std::string::npos);
  const auto xml = dir.path() / "score.musicxml";
  REQUIRE(fs::exists(xml));
  REQUIRE(fs::exists(dir.path() / "score.mid"));
  REQUIRE(fs::exists(dir.path() / "score.pdf"));
  CHECK(read_text(dir.path() / "score.pdf").rfind("%PDF-", 0) == 0);
  CHECK(parse_midi([&] {
          const auto t = read_text(dir.path() / "score.mid");
          return std::vector<uint8_t>(t.begin(), t.end());
        }()).notes.size() > 100);
  std::string log;
  CHECK_MESSAGE(validate_musicxml(xml, &log) == 0, log);
  // Bad arguments: unknown arrangement, missing input.
  CHECK(run(std::string(CADENZA_BINARY) + " engrave " + kNottingham + "jigs1.mid --arrangement fancy -o '" + dir.path().string() + "'") != 0);
  CHECK(run(std::string(CADENZA_BINARY) + " engrave /nonexistent.mid -o '" + dir.path().string() + "'") != 0);

  if (run("command -v mscore3") != 0) {
    MESSAGE("mscore3 not installed (scripts/setup installs musescore3): MuseScore import not checked");
    return;
  }
  const auto pdf = dir.path() / "musescore.pdf";
  std::string ms;
  const int rc = run("cd '" + dir.path().string() + "' && HOME='" + dir.path().string() +
                         "' QT_QPA_PLATFORM=offscreen timeout 120 mscore3 -o musescore.pdf score.musicxml",
                     &ms);
  CHECK_MESSAGE(rc == 0, ms);
  REQUIRE(fs::exists(pdf));
  CHECK(read_text(pdf).rfind("%PDF-", 0) == 0);
  CHECK(fs::file_size(pdf) > 5000);
}
