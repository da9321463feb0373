// The corpus: JSB steps and MIDI files as pieces on the 12-ticks-per-quarter grid, the fixed split,
// transposition; and the real data sets when ../shared has them.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "generate_fixture.hpp"

using namespace cadenza::generate;
namespace fs = std::filesystem;

TEST_CASE("corpus: JSB steps become notes; held pitches merge; the end falls on a bar line") {
  // 5 sixteenth steps: C and E held, then C alone, then D, then silence
  const std::vector<std::vector<int>> steps{{60, 64}, {60, 64}, {60}, {62}, {}};
  const auto p = piece_from_steps(steps, 3, "t", Split::Valid);
  CHECK(p.style == Style::Chorale);
  CHECK(p.split == Split::Valid);
  CHECK(p.meter == Meter{4, 4});
  const int64_t shift = (16 - 5) * 3;  // 5 steps end on a bar line after 11 steps of silence
  REQUIRE(p.notes.size() == 3);
  CHECK(p.notes[0] == Note{shift, 9, 60, 80});
  CHECK(p.notes[1] == Note{shift, 6, 64, 80});
  CHECK(p.notes[2] == Note{shift + 9, 3, 62, 80});
  CHECK(p.end_tick() == shift + 12);
  CHECK((p.end_tick() + 3) % p.bar_ticks() == 0);  // the silent last step ends the bar
  CHECK(p.key_estimated);
}

TEST_CASE("corpus: a MIDI file becomes a piece at 12 ticks per quarter") {
  // notes.mid at 120 bpm: a quarter is 0.5 s
  const std::vector<cadenza::NoteEvent> events{{67, 0.5, 1.0, 100 / 127.0, {}}, {60, 0.0, 2.0, 64 / 127.0, {}},
                                               {64, 0.25, 0.375, 0.5, {}}};
  const auto p = piece_from_midi(cadenza::notation::parse_midi(cadenza::notation::to_midi(events)), "x");
  CHECK(p.meter == Meter{4, 4});
  CHECK(p.tempo_bpm == doctest::Approx(120));
  REQUIRE(p.notes.size() == 3);
  CHECK(p.notes[0] == Note{0, 48, 60, 64});
  CHECK(p.notes[1] == Note{6, 3, 64, 64});
  CHECK(p.notes[2] == Note{12, 12, 67, 100});
  CHECK_THROWS_AS(piece_from_midi(cadenza::notation::MidiFile{}, "empty"), cadenza::Error);
}

TEST_CASE("corpus: a piece plays back at its tempo and reads back through MIDI") {
  Piece p;
  p.tempo_bpm = 90;  // a quarter is 2/3 s
  p.notes = {{0, 12, 60, 64}, {18, 6, 62, 100}, {36, 24, 67, 80}};
  const auto events = to_events(p);
  REQUIRE(events.size() == 3);
  CHECK(events[1].start == doctest::Approx(1.0));  // a dotted quarter
  CHECK(events[1].end == doctest::Approx(4.0 / 3));
  CHECK(cadenza::midi_velocity(events[1].velocity) == 100);
  const auto back = piece_from_midi(
      cadenza::notation::parse_midi(cadenza::notation::to_midi(events, {p.tempo_bpm, false})), "back");
  CHECK(back.notes == p.notes);
  CHECK(back.tempo_bpm == doctest::Approx(90));
}

TEST_CASE("corpus: the split by name is stable and about 90/5/5") {
  CHECK(split_for_name("jigs1.mid") == split_for_name("jigs1.mid"));
  std::map<Split, int> n;
  for (int i = 0; i < 20000; ++i) ++n[split_for_name("tune" + std::to_string(i) + ".mid")];
  CHECK(n[Split::Train] == doctest::Approx(18000).epsilon(0.02));
  CHECK(n[Split::Valid] == doctest::Approx(1000).epsilon(0.15));
  CHECK(n[Split::Test] == doctest::Approx(1000).epsilon(0.15));
}

TEST_CASE("corpus: transposition keeps pitches in range and moves the key") {
  Piece p;
  p.key_tonic = 2;
  p.notes = {{0, 12, 60, 80}, {12, 12, 105, 80}};
  const auto up = transposed(p, 3);
  REQUIRE(up);
  CHECK(up->notes[0].pitch == 63);
  CHECK(up->notes[1].pitch == 108);
  CHECK(up->key_tonic == 5);
  CHECK(up->transposition == 3);
  CHECK_FALSE(transposed(p, 4));  // 109 leaves the range
  const auto down = transposed(p, -5);
  REQUIRE(down);
  CHECK(down->key_tonic == 9);
  // 0 plus -5..+3 stay in range: 9 versions
  CHECK(augmented({p}).size() == 9);
}

TEST_CASE("corpus: the real Nottingham and JSB files") {
  const CorpusOptions options{generate_test::kNottingham, generate_test::kJsb};
  if (!fs::exists(options.nottingham_dir) || !fs::exists(options.jsb_json)) {
    MESSAGE("skipped: ../shared/datasets (nottingham, jsb-chorales) is not here");
    return;
  }
  LoadStats stats;
  const auto& pieces = generate_test::corpus(&stats);
  CHECK(stats.files == 1034);
  CHECK(stats.skipped.size() < 20);  // meter changes
  for (const auto& s : stats.skipped) CHECK(s.find("meter") != std::string::npos);
  const auto c = count(pieces);
  int folk = 0, chorale = 0;
  for (const auto& p : pieces) (p.style == Style::Folk ? folk : chorale)++;
  CHECK(folk == 1034 - int(stats.skipped.size()));
  CHECK(chorale == 382);
  CHECK(c.pieces[0] + c.pieces[1] + c.pieces[2] == folk + chorale);
  // JSB's own split (229/76/77) plus ~90/5/5 of Nottingham
  CHECK(c.pieces[int(Split::Valid)] > 76 + 25);
  CHECK(c.pieces[int(Split::Test)] > 77 + 25);
  MESSAGE("corpus: " << c.pieces[0] << "/" << c.pieces[1] << "/" << c.pieces[2] << " pieces, " << c.notes[0] << "/"
                     << c.notes[1] << "/" << c.notes[2] << " notes (train/valid/test); skipped "
                     << stats.skipped.size());
  for (const auto& p : pieces) {
    CAPTURE(p.id);
    REQUIRE(!p.notes.empty());
    CHECK(std::is_sorted(p.notes.begin(), p.notes.end(), [](const Note& a, const Note& b) {
      return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
    }));
    for (const auto& n : p.notes) {
      if (n.duration < 1 || n.pitch < kLowestPitch || n.pitch > kHighestPitch || n.onset < 0) {
        FAIL_CHECK("bad note at " << n.onset);
        break;
      }
    }
    CHECK(meter_index(p.meter) >= 0);
  }
  const auto jig = std::find_if(pieces.begin(), pieces.end(), [](const Piece& p) { return p.id == "nottingham/jigs1"; });
  REQUIRE(jig != pieces.end());
  CHECK(jig->meter == Meter{6, 8});
  CHECK(jig->key_tonic == 9);  // three sharps
  CHECK(jig->mode == Mode::Major);
  CHECK_FALSE(jig->key_estimated);
  CHECK(jig->notes.front().onset == 30);  // an 8th-note pickup in a 36-tick bar
  // JSB keys are estimated; most chorales start on the beat or one beat early
  const auto jsb = std::find_if(pieces.begin(), pieces.end(), [](const Piece& p) { return p.id == "jsb/test/0"; });
  REQUIRE(jsb != pieces.end());
  CHECK(jsb->key_estimated);
  CHECK(jsb->key_tonic == 5);  // F major (the first chord is F)
  int on_beat = 0, jsb_count = 0;
  for (const auto& p : pieces)
    if (p.style == Style::Chorale) {
      ++jsb_count;
      on_beat += p.notes.front().onset % kTicksPerQuarter == 0;
    }
  CHECK(on_beat == jsb_count);
  // augmentation: +-5 semitones stay in range for every piece
  const auto train = of_split(pieces, Split::Train);
  CHECK(augmented(train).size() == train.size() * 11);
}
